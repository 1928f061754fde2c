"""Resilience shared by every client that calls a service: REST, SOAP, OAuth, WSDL loads.

One call is a series of single *attempts*; each attempt is ``limiter.acquire()`` ->
``breaker.allow()`` -> send -> breaker bookkeeping, and one retry loop wraps whole
attempts so the limiter and the breaker see every request that reaches the server.
:class:`CallEngine` runs that; :func:`classify` judges each outcome once (retryable,
breaker failure, final) for all clients alike.

Everything here is pure or takes an injectable clock/sleep, so timing logic is tested
without real sleeping. Like tenacity's ``stop``, ``wait`` and ``retry``, each concern lives
in a private module: ``_rate_limiter``, ``_circuit_breaker``, ``_retry_policy``,
``_retry_after``, ``_outcomes`` (the verdict on an outcome) and ``_engine`` (the attempts
and the loop); ``_limiters`` holds the buckets shared by many processes (one host, or
many machines through Redis).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from txo_runtime.extras import lazy_exports

if TYPE_CHECKING:
    from txo_runtime.api_common._circuit_breaker import CircuitBreaker, CircuitState
    from txo_runtime.api_common._closing import Closing
    from txo_runtime.api_common._engine import Attempt, CallEngine, Send
    from txo_runtime.api_common._limiters import (
        LimiterChain,
        MachineRateLimiter,
        RedisRateLimiter,
        default_state_dir,
        quota_key,
    )
    from txo_runtime.api_common._outcomes import (
        Verdict,
        classify,
        counts_as_failure,
        is_connect_error,
        is_connection_error,
        is_timeout_error,
    )
    from txo_runtime.api_common._progress import (
        DEFAULT_BAR_DELAY,
        DEFAULT_PROGRESS_INTERVAL,
        Progress,
    )
    from txo_runtime.api_common._rate_limiter import RateLimiter
    from txo_runtime.api_common._retry_after import DEFAULT_MAX_RETRY_AFTER, parse_retry_after
    from txo_runtime.api_common._retry_policy import (
        DEFAULT_MAX_BACKOFF,
        DEFAULT_MAX_TOTAL_WAIT,
        IDEMPOTENT_METHODS,
        RETRY_STATUSES_ALWAYS,
        RETRY_STATUSES_IDEMPOTENT,
        RetryPolicy,
        manual_retry,
    )

# Public name -> its module, imported on first use (PEP 562): a script that has not called
# a service yet (its --help, a bad command line) loads neither these modules nor requests,
# which the outcome checks need.
_EXPORTS: dict[str, str] = {
    "CircuitBreaker": "_circuit_breaker",
    "CircuitState": "_circuit_breaker",
    "Closing": "_closing",
    "Attempt": "_engine",
    "CallEngine": "_engine",
    "Send": "_engine",
    "LimiterChain": "_limiters",
    "MachineRateLimiter": "_limiters",
    "RedisRateLimiter": "_limiters",
    "default_state_dir": "_limiters",
    "quota_key": "_limiters",
    "Verdict": "_outcomes",
    "classify": "_outcomes",
    "counts_as_failure": "_outcomes",
    "is_connect_error": "_outcomes",
    "is_connection_error": "_outcomes",
    "is_timeout_error": "_outcomes",
    "DEFAULT_BAR_DELAY": "_progress",
    "DEFAULT_PROGRESS_INTERVAL": "_progress",
    "Progress": "_progress",
    "RateLimiter": "_rate_limiter",
    "DEFAULT_MAX_RETRY_AFTER": "_retry_after",
    "parse_retry_after": "_retry_after",
    "DEFAULT_MAX_BACKOFF": "_retry_policy",
    "DEFAULT_MAX_TOTAL_WAIT": "_retry_policy",
    "IDEMPOTENT_METHODS": "_retry_policy",
    "RETRY_STATUSES_ALWAYS": "_retry_policy",
    "RETRY_STATUSES_IDEMPOTENT": "_retry_policy",
    "RetryPolicy": "_retry_policy",
    "manual_retry": "_retry_policy",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "DEFAULT_BAR_DELAY",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_MAX_TOTAL_WAIT",
    "DEFAULT_PROGRESS_INTERVAL",
    "IDEMPOTENT_METHODS",
    "RETRY_STATUSES_ALWAYS",
    "RETRY_STATUSES_IDEMPOTENT",
    "Attempt",
    "CallEngine",
    "CircuitBreaker",
    "CircuitState",
    "Closing",
    "LimiterChain",
    "MachineRateLimiter",
    "Progress",
    "RateLimiter",
    "RedisRateLimiter",
    "RetryPolicy",
    "Send",
    "Verdict",
    "classify",
    "counts_as_failure",
    "default_state_dir",
    "is_connect_error",
    "is_connection_error",
    "is_timeout_error",
    "manual_retry",
    "parse_retry_after",
    "quota_key",
]
