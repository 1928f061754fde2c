"""Resilience primitives shared by the REST and SOAP clients (layer 2).

One API call is a sequence of single *attempts*; each attempt is ``limiter.acquire()`` ->
``breaker.allow()`` -> send -> ``breaker.record_*``. The retry loop (tenacity, built by
:meth:`RetryPolicy.retrying`) wraps single attempts so the limiter and the breaker see
every attempt (urllib3's adapter-level ``Retry`` would hide them: runtime-facts.md).

Everything here is pure or takes an injectable clock/sleep, so timing logic is tested
without real sleeping. This module is the public import path; like tenacity's ``stop``,
``wait`` and ``retry``, each concern lives in its own private module:
``_rate_limiter``, ``_circuit_breaker``, ``_retry_policy`` and ``_outcomes`` (which
outcomes are timeouts, connection errors or signs of ill health).
"""

from __future__ import annotations

import logging

from txo_runtime.api_common._circuit_breaker import CircuitBreaker, CircuitState
from txo_runtime.api_common._closing import Closing
from txo_runtime.api_common._outcomes import (
    counts_as_failure,
    is_connect_error,
    is_connection_error,
    is_timeout_error,
)
from txo_runtime.api_common._rate_limiter import RateLimiter
from txo_runtime.api_common._retry_policy import (
    DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_MAX_TOTAL_WAIT,
    IDEMPOTENT_METHODS,
    RETRY_STATUSES_ALWAYS,
    RETRY_STATUSES_IDEMPOTENT,
    RetryPolicy,
    manual_retry,
    parse_retry_after,
)

# `X as X` re-exports: importable from this module before the split.
from txo_runtime.exceptions import ApiTimeoutError as ApiTimeoutError
from txo_runtime.exceptions import MissingConfigKeyError as MissingConfigKeyError

__all__ = [
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_MAX_TOTAL_WAIT",
    "IDEMPOTENT_METHODS",
    "RETRY_STATUSES_ALWAYS",
    "RETRY_STATUSES_IDEMPOTENT",
    "CircuitBreaker",
    "CircuitState",
    "Closing",
    "RateLimiter",
    "RetryPolicy",
    "counts_as_failure",
    "is_connect_error",
    "is_connection_error",
    "is_timeout_error",
    "manual_retry",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)
