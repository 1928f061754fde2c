"""Turn the ``script-behavior`` section of a config into typed client settings, once.

The values are validated by the JSON schema: ``load_config`` checks every config file
against the project's schema, and a config that did not come from ``load_config`` (a plain
dict in a test or notebook) is checked here against the packaged schema's rules for the
section. What is left for this module is the one rule a JSON schema cannot express
(``jitter.min-factor <= jitter.max-factor``) and the conversion to plain values, from which
the rate limiter, circuit breaker and retry policy are built. This is the only place that
knows the section's key names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from txo_runtime.api_common import (
    DEFAULT_MAX_TOTAL_WAIT,
    CircuitBreaker,
    LimiterChain,
    MachineRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    RetryPolicy,
    quota_key,
)
from txo_runtime.config_loader import (
    ConfigDict,
    config_source,
    require,
    validate_section,
)
from txo_runtime.exceptions import ConfigurationError
from txo_runtime.rest_api_helpers import ODataLimits

__all__ = ["BEHAVIOR", "ApiSettings", "SharedLimit", "load_settings"]

BEHAVIOR = "script-behavior"
ODATA = "odata"
_ODATA_LIMIT_KEYS = {
    "max-pages": "max_pages",
    "max-empty-pages": "max_empty_pages",
    "max-repeated-pages": "max_repeated_pages",
}


def odata_limits(config: Mapping[str, Any]) -> ODataLimits:
    """The OData read bounds from the optional ``odata`` section (each key optional too)."""
    if ODATA not in config:  # an optional section
        return ODataLimits()
    if not _checked_on_load(config):
        validate_section(config, ODATA)
    section = config[ODATA]
    given = {attr: int(section[key]) for key, attr in _ODATA_LIMIT_KEYS.items() if key in section}
    return ODataLimits(**given)


def _checked_jitter(jitter: Mapping[str, Any], source: str | None) -> tuple[float, float]:
    low, high = float(jitter["min-factor"]), float(jitter["max-factor"])
    if low > high:
        where = source or "the config"
        raise ConfigurationError(
            f"'{BEHAVIOR}.jitter' of {where}: min-factor {low} is above max-factor {high}",
            config_file=source,
            key_path=f"{BEHAVIOR}.jitter",
            how_to_fix="Make min-factor at most max-factor (1.0 and 1.0 means no jitter)",
            example='"jitter": {"min-factor": 0.8, "max-factor": 1.2}',
        )
    return low, high


def _retry_policy(behavior: Mapping[str, Any], source: str | None) -> RetryPolicy:
    strategy = behavior["retry-strategy"]
    low, high = _checked_jitter(behavior["jitter"], source)
    total = DEFAULT_MAX_TOTAL_WAIT
    if "max-total-wait-seconds" in strategy:  # optional key
        total = float(strategy["max-total-wait-seconds"])
    return RetryPolicy(
        max_retries=int(strategy["max-retries"]),
        backoff_factor=float(strategy["backoff-factor"]),
        jitter_min=low,
        jitter_max=high,
        max_total_wait=total,
    )


@dataclass(frozen=True)
class SharedLimit:
    """Who shares the rate limit: ``scope`` process | machine | redis, the Redis to meet at,
    the principal the API counts calls against, and an explicit quota name."""

    scope: str = "process"
    redis_url: str | None = None
    quota_key: str | None = None
    principal: str | None = None
    redis_password: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], limit: Mapping[str, Any]) -> SharedLimit:
        """From the ``rate-limiting`` section (``scope`` and the rest are optional keys),
        ``global.client-id`` (optional) and the ``redis-password`` secret (optional)."""
        glob = require(config, "global")
        return cls(
            scope=str(limit["scope"]) if "scope" in limit else "process",
            redis_url=str(limit["redis-url"]) if "redis-url" in limit else None,
            quota_key=str(limit["quota-key"]) if "quota-key" in limit else None,
            principal=str(glob["client-id"]) if "client-id" in glob else None,
            redis_password=str(config["_redis_password"]) if "_redis_password" in config else None,
        )

    def limiter(self, calls_per_second: float, burst: int, url: str) -> RateLimiter:
        """A bucket for calls to ``url``, shared as far as the scope says."""
        key = quota_key(url, self.principal, override=self.quota_key)
        if self.scope == "machine":
            return MachineRateLimiter(calls_per_second, burst, key=key)
        if self.scope == "redis":
            assert self.redis_url is not None  # the schema requires it with scope redis
            return RedisRateLimiter(
                calls_per_second, burst, key=key, url=self.redis_url, password=self.redis_password
            )
        return RateLimiter(calls_per_second, burst_size=burst)


@dataclass(frozen=True)
class ApiSettings:
    """The resilience and timeout settings of one config as plain values."""

    rate_limit: tuple[float, int] | None  # (calls per second, burst) when enabled
    circuit_breaker: tuple[int, float] | None  # (failure threshold, open seconds) when enabled
    retry_policy: RetryPolicy
    rest_timeout: float
    soap_timeout: float
    wsdl_timeout: float
    async_max_wait: float
    async_poll_interval: float
    odata_limits: ODataLimits = ODataLimits()
    shared_limit: SharedLimit = SharedLimit()
    api_delay: float = 0.0  # least seconds between the starts of two calls of one client

    @classmethod
    def from_behavior(
        cls, behavior: Mapping[str, Any], *, source: str | None = None
    ) -> ApiSettings:
        """Settings from a ``script-behavior`` section that passed the schema.

        ``source`` names the config file in the one error raised here (jitter order).
        """
        limit, breaker = behavior["rate-limiting"], behavior["circuit-breaker"]
        timeouts = behavior["api-timeouts"]
        return cls(
            rate_limit=(float(limit["calls-per-second"]), int(limit["burst-size"]))
            if limit["enabled"]
            else None,
            circuit_breaker=(int(breaker["failure-threshold"]), float(breaker["timeout-seconds"]))
            if breaker["enabled"]
            else None,
            retry_policy=_retry_policy(behavior, source),
            rest_timeout=float(timeouts["rest-timeout-seconds"]),
            soap_timeout=float(timeouts["soap-timeout-seconds"]),
            wsdl_timeout=float(timeouts["wsdl-timeout-seconds"]),
            async_max_wait=float(timeouts["async-max-wait"]),
            async_poll_interval=float(timeouts["async-poll-interval"]),
            api_delay=float(behavior["api-delay-seconds"])
            if "api-delay-seconds" in behavior
            else 0.0,
        )

    def new_rate_limiter(self, url: str = "") -> RateLimiter | None:
        """The limiter of one client of ``url``: the configured bucket (shared as the scope
        says) after the client's own ``api-delay-seconds`` spacing; None when neither is on.

        The spacing is a bucket of one call per ``api-delay-seconds`` of the client alone:
        the pause between calls that the key always promised, now also kept by threads.
        """
        limiters: list[RateLimiter] = []
        if self.api_delay > 0:
            limiters.append(RateLimiter(1.0 / self.api_delay, burst_size=1))
        if self.rate_limit is not None:
            calls_per_second, burst = self.rate_limit
            limiters.append(self.shared_limit.limiter(calls_per_second, burst, url))
        if len(limiters) > 1:
            return LimiterChain(limiters)
        return limiters[0] if limiters else None

    def new_circuit_breaker(self) -> CircuitBreaker | None:
        if self.circuit_breaker is None:
            return None
        threshold, seconds = self.circuit_breaker
        return CircuitBreaker(failure_threshold=threshold, timeout_seconds=seconds)


def _checked_on_load(config: Mapping[str, Any]) -> bool:
    """Whether ``load_config`` validated this config against a schema file already."""
    return isinstance(config, ConfigDict) and config.schema_file is not None


def load_settings(config: Mapping[str, Any]) -> ApiSettings:
    """:class:`ApiSettings` of ``config``; a config not from ``load_config`` is validated first.

    A missing key raises :class:`~txo_runtime.exceptions.MissingConfigKeyError`, a wrong
    type or range a :class:`ConfigurationError`; both name the key path and the file.
    """
    behavior = require(config, BEHAVIOR)
    if not _checked_on_load(config):
        validate_section(config, BEHAVIOR)
    settings = ApiSettings.from_behavior(behavior, source=config_source(config))
    shared = SharedLimit.from_config(config, behavior["rate-limiting"])
    return dataclasses.replace(settings, odata_limits=odata_limits(config), shared_limit=shared)
