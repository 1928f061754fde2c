"""Read and check the resilience and timeout settings of a v3.0 config (layer 5, private).

Every setting is read hard-fail (``config["script-behavior"]["rate-limiting"]``): a config
without a required section raises :class:`ConfigurationError` naming the key path and the
file, never a silent default (seed 004). :mod:`txo_runtime.api_factory` builds clients
from the :class:`ApiSettings` made here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from txo_runtime.api_common import (
    DEFAULT_MAX_TOTAL_WAIT,
    CircuitBreaker,
    RateLimiter,
    RetryPolicy,
)
from txo_runtime.config_loader._key_path import lookup
from txo_runtime.exceptions import ConfigurationError

__all__ = [
    "BEHAVIOR",
    "CONFIG_EXAMPLE",
    "REQUIRED_KEYS",
    "ApiSettings",
    "config_source",
    "load_settings",
    "require",
]

BEHAVIOR = "script-behavior"
CONFIG_EXAMPLE = """"script-behavior": {
  "rate-limiting": {"enabled": true, "calls-per-second": 10, "burst-size": 1},
  "circuit-breaker": {"enabled": true, "failure-threshold": 5, "timeout-seconds": 60},
  "retry-strategy": {"max-retries": 3, "backoff-factor": 2.0},
  "jitter": {"min-factor": 0.8, "max-factor": 1.2},
  "api-timeouts": {"rest-timeout-seconds": 60, "soap-timeout-seconds": 120,
                   "wsdl-timeout-seconds": 60, "async-max-wait": 300, "async-poll-interval": 5}
}"""
# Every key this module reads, checked up front so the first miss is reported by path.
REQUIRED_KEYS: tuple[tuple[str, ...], ...] = tuple(
    (BEHAVIOR, section, key)
    for section, keys in (
        ("rate-limiting", ("enabled", "calls-per-second", "burst-size")),
        ("circuit-breaker", ("enabled", "failure-threshold", "timeout-seconds")),
        ("retry-strategy", ("max-retries", "backoff-factor")),
        ("jitter", ("min-factor", "max-factor")),
        (
            "api-timeouts",
            (
                "rest-timeout-seconds",
                "soap-timeout-seconds",
                "wsdl-timeout-seconds",
                "async-max-wait",
                "async-poll-interval",
            ),
        ),
    )
    for key in keys
)


def config_source(config: Mapping[str, Any]) -> str | None:
    """The file a ``ConfigDict`` was loaded from (None for a plain dict)."""
    return getattr(config, "source_file", None)


def require(config: Mapping[str, Any], *path: str) -> Any:
    """``config[a][b]...``; a miss raises ConfigurationError with the key path and file.

    A :class:`~txo_runtime.config_loader.ConfigDict` already raises a precise
    ``MissingConfigKeyError``; this adds the same for plain dicts (tests, notebooks).
    """

    def missing(found: tuple[str, ...]) -> ConfigurationError:
        key_path = ".".join(found)
        where = config_source(config) or "the config"
        return ConfigurationError(
            f"Required configuration '{key_path}' is missing in {where}",
            config_file=config_source(config),
            key_path=key_path,
            how_to_fix=f"Add '{key_path}' to {where} and declare it in "
            "schemas/org-env-config-schema.json",
            example=CONFIG_EXAMPLE,
        )

    return lookup(config, path, missing=missing, misses=(KeyError, TypeError, IndexError))


def _invalid(config: Mapping[str, Any], key_path: str, exc: Exception) -> ConfigurationError:
    where = config_source(config) or "the config"
    return ConfigurationError(
        f"Invalid value in '{key_path}' of {where}: {exc}",
        config_file=config_source(config),
        key_path=key_path,
        how_to_fix=f"Correct '{key_path}' in {where}",
        example=CONFIG_EXAMPLE,
    )


def _retry_policy(behavior: Mapping[str, Any]) -> RetryPolicy:
    strategy, jitter = behavior["retry-strategy"], behavior["jitter"]
    total = DEFAULT_MAX_TOTAL_WAIT
    if "max-total-wait-seconds" in strategy:  # optional key
        total = float(strategy["max-total-wait-seconds"])
    return RetryPolicy(
        max_retries=int(strategy["max-retries"]),
        backoff_factor=float(strategy["backoff-factor"]),
        jitter_min=float(jitter["min-factor"]),
        jitter_max=float(jitter["max-factor"]),
        max_total_wait=total,
    )


@dataclass(frozen=True)
class ApiSettings:
    """The resilience and timeout settings of one config, read and checked once."""

    rate_limit: tuple[float, int] | None  # (calls per second, burst) when enabled
    circuit_breaker: tuple[int, float] | None  # (failure threshold, open seconds) when enabled
    retry_policy: RetryPolicy
    rest_timeout: float
    soap_timeout: float
    wsdl_timeout: float
    async_max_wait: float
    async_poll_interval: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ApiSettings:
        for path in REQUIRED_KEYS:
            require(config, *path)
        behavior = config[BEHAVIOR]
        limit, breaker, timeouts = (
            behavior["rate-limiting"],
            behavior["circuit-breaker"],
            behavior["api-timeouts"],
        )
        try:
            policy = _retry_policy(behavior)
        except (TypeError, ValueError) as exc:
            section = "jitter" if "jitter" in str(exc) else "retry-strategy"
            raise _invalid(config, f"{BEHAVIOR}.{section}", exc) from None
        return cls(
            rate_limit=(float(limit["calls-per-second"]), int(limit["burst-size"]))
            if limit["enabled"]
            else None,
            circuit_breaker=(int(breaker["failure-threshold"]), float(breaker["timeout-seconds"]))
            if breaker["enabled"]
            else None,
            retry_policy=policy,
            rest_timeout=float(timeouts["rest-timeout-seconds"]),
            soap_timeout=float(timeouts["soap-timeout-seconds"]),
            wsdl_timeout=float(timeouts["wsdl-timeout-seconds"]),
            async_max_wait=float(timeouts["async-max-wait"]),
            async_poll_interval=float(timeouts["async-poll-interval"]),
        )

    def new_rate_limiter(self) -> RateLimiter | None:
        if self.rate_limit is None:
            return None
        calls_per_second, burst = self.rate_limit
        return RateLimiter(calls_per_second, burst_size=burst)

    def new_circuit_breaker(self) -> CircuitBreaker | None:
        if self.circuit_breaker is None:
            return None
        threshold, seconds = self.circuit_breaker
        return CircuitBreaker(failure_threshold=threshold, timeout_seconds=seconds)


def load_settings(config: Mapping[str, Any]) -> ApiSettings:
    """:class:`ApiSettings` of ``config``, with the limiter and breaker values checked."""
    settings = ApiSettings.from_config(config)
    try:  # construct once so a bad value is reported against the config, not deep inside
        settings.new_rate_limiter()
    except (TypeError, ValueError) as exc:
        raise _invalid(config, f"{BEHAVIOR}.rate-limiting", exc) from None
    try:
        settings.new_circuit_breaker()
    except (TypeError, ValueError) as exc:
        raise _invalid(config, f"{BEHAVIOR}.circuit-breaker", exc) from None
    return settings
