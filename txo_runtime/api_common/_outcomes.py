"""Classify call outcomes: timeouts, connection errors and signs of an unhealthy service.

Shared by the circuit breaker (what counts as a failure) and the retry policy (what is
safe to retry), so both read one set of rules.
"""

from __future__ import annotations

import requests

from txo_runtime.exceptions import ApiTimeoutError

__all__ = ["counts_as_failure", "is_connect_error", "is_connection_error", "is_timeout_error"]


def is_timeout_error(exc: BaseException) -> bool:
    """A client-side timeout (connect or read)."""
    return isinstance(exc, (requests.Timeout, TimeoutError))


def is_connection_error(exc: BaseException) -> bool:
    """The connection failed or broke (refused, reset, truncated body, timeouts too)."""
    broken_body = (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    )
    return isinstance(exc, (requests.ConnectionError, ConnectionError, *broken_body)) or (
        is_timeout_error(exc)
    )


def is_connect_error(exc: BaseException) -> bool:
    """The connection was never made, so the request was never sent: safe to retry any method.

    Like urllib3's ``_is_connection_error``: connect timeout or connection refused.
    """
    if isinstance(exc, (requests.exceptions.ConnectTimeout, ConnectionRefusedError)):
        return True
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", None)  # urllib3 MaxRetryError.reason
    return type(reason).__name__ in {"NewConnectionError", "NameResolutionError"}


def counts_as_failure(status_code: int | None = None, exc: BaseException | None = None) -> bool:
    """Does this outcome mean the service is unhealthy (for the circuit breaker)?

    5xx, timeouts and connection errors do; 4xx (400/401/403/404/409/422/429) never do,
    they are answers from a working service.
    """
    if exc is not None:
        code = getattr(exc, "status_code", None)
        if isinstance(code, int):
            return code >= 500
        return is_connection_error(exc) or isinstance(exc, ApiTimeoutError)
    return status_code is not None and status_code >= 500
