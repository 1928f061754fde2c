"""What the outcome of one attempt means: retry it, count it against the service, or keep it.

Every kind of request (REST calls, SOAP operations, OAuth token requests, WSDL and XSD
downloads) is judged here, once per attempt, so a 429 or a refused connection is treated
the same whoever sent the request:

- 429 and 503 say the server did not process the request: retried for every method,
  waiting at least the server's ``Retry-After``;
- 408, 500, 502, 504, timeouts and broken connections leave open whether the request ran:
  retried only when repeating it is safe (an idempotent method, or the caller says so);
- a refused connection or a connect timeout means nothing was sent: retried for every
  method;
- 5xx, timeouts and connection errors are signs of an unhealthy service and count against
  the circuit breaker; 4xx never do, they are answers from a working service.

A protocol may say what status an answer really stands for before it is judged (a SOAP
``Client`` fault arrives as HTTP 500 but is the caller's mistake, so it counts as 400).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple, Protocol

import requests
from urllib3.exceptions import NewConnectionError

from txo_runtime.api_common._retry_after import parse_retry_after
from txo_runtime.exceptions import ApiTimeoutError

if TYPE_CHECKING:
    from txo_runtime.api_common._retry_policy import RetryPolicy

__all__ = [
    "Answer",
    "Verdict",
    "classify",
    "classify_error",
    "classify_status",
    "counts_as_failure",
    "is_connect_error",
    "is_connection_error",
    "is_timeout_error",
]

_BROKEN_BODY = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


class Answer(Protocol):
    """What a response must offer to be judged (``requests.Response`` does)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


class Verdict(NamedTuple):
    """How one outcome is treated: ``retryable`` (else it is final), ``breaker_failure``
    (a sign of an unhealthy service), and the server's ``Retry-After`` in seconds.
    A tuple, not a dataclass: one is made per attempt, on every call's fast path."""

    retryable: bool
    breaker_failure: bool
    retry_after: float | None = None


# [retryable][breaker failure] -> the verdict without a Retry-After, made once.
_PLAIN_VERDICTS = (
    (Verdict(False, False), Verdict(False, True)),
    (Verdict(True, False), Verdict(True, True)),
)


def is_timeout_error(exc: BaseException) -> bool:
    """A client-side timeout (connect or read)."""
    return isinstance(exc, (requests.Timeout, TimeoutError))


def is_connection_error(exc: BaseException) -> bool:
    """The connection failed or broke (refused, reset, truncated body, timeouts too)."""
    return isinstance(exc, (requests.ConnectionError, ConnectionError, *_BROKEN_BODY)) or (
        is_timeout_error(exc)
    )


def is_connect_error(exc: BaseException) -> bool:
    """The connection was never made, so the request was never sent: safe to retry any
    method. Connect timeout, connection refused, or a host name that did not resolve."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, ConnectionRefusedError)):
        return True
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", None)  # urllib3 MaxRetryError.reason
    return isinstance(reason, NewConnectionError)  # NameResolutionError is one too


def counts_as_failure(status_code: int | None = None, exc: BaseException | None = None) -> bool:
    """Does this outcome mean the service is unhealthy (for the circuit breaker)?

    5xx, timeouts and connection errors do; 4xx (400/401/403/404/409/422/429) never do.
    An exception that carries a ``status_code`` (an ``ApiError``) is judged by it.
    """
    if exc is not None:
        code = getattr(exc, "status_code", None)
        if isinstance(code, int):
            return code >= 500
        return is_connection_error(exc) or isinstance(exc, ApiTimeoutError)
    return status_code is not None and status_code >= 500


def classify_status(
    status: int, safe: bool, policy: RetryPolicy, retry_after: float | None = None
) -> Verdict:
    """The verdict on an answer with this (effective) status."""
    retryable = status in policy.retry_statuses_always or (
        safe and status in policy.retry_statuses_idempotent
    )
    failure = counts_as_failure(status)
    if retry_after is None:
        return _PLAIN_VERDICTS[retryable][failure]
    return Verdict(retryable, failure, retry_after)


def classify_error(exc: BaseException, safe: bool) -> Verdict:
    """The verdict on a request that raised instead of answering."""
    retryable = is_connect_error(exc) or (safe and is_connection_error(exc))
    return _PLAIN_VERDICTS[retryable][counts_as_failure(exc=exc)]


def classify(
    outcome: Answer | BaseException, safe: bool, policy: RetryPolicy, status: int | None = None
) -> Verdict:
    """The verdict on one attempt: an exception, or an answer (judged by ``status`` when
    the protocol gave an effective one, else by its HTTP status). ``safe``: may the
    request be repeated although it may have run (idempotent)?"""
    if isinstance(outcome, BaseException):
        return classify_error(outcome, safe)
    code = outcome.status_code if status is None else status
    retry_after = None
    if code >= 400:  # only error answers are waited on; a 202's Retry-After is for polling
        header = outcome.headers.get("Retry-After")
        if header is not None:
            retry_after = parse_retry_after(header, cap=policy.max_retry_after)
    return classify_status(code, safe, policy, retry_after)
