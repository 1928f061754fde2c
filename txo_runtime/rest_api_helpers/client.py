"""``MinimalRestAPI``: JSON over HTTP with rate limiting, circuit breaker and retries."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from txo_runtime._closing import Closing
from txo_runtime.api_common import CircuitBreaker, RateLimiter, RetryPolicy
from txo_runtime.exceptions import ApiOperationError, CircuitBreakerOpenError
from txo_runtime.rest_api_helpers._errors import error_for_exception, error_for_status
from txo_runtime.rest_api_helpers.async_ops import wait_for_async_result
from txo_runtime.rest_api_helpers.odata import ODataMixin
from txo_runtime.rest_api_helpers.session import DEFAULT_POOL_SIZE, SessionManager
from txo_runtime.url_helpers import build_url, join_url, redact_url

if TYPE_CHECKING:
    import tenacity

__all__ = ["MinimalRestAPI", "RestOperationResult", "TxoRestAPI"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
DEFAULT_ASYNC_MAX_WAIT = 300.0
DEFAULT_ASYNC_POLL_INTERVAL = 5.0
_JSON_TYPES = ("json",)


@dataclass(frozen=True)
class RestOperationResult:
    """A full response (``raw=True``): status, headers, parsed body, attempts made."""

    status_code: int
    headers: Mapping[str, str]
    data: Any
    url: str
    elapsed: float
    attempts: int

    @property
    def success(self) -> bool:
        return 200 <= self.status_code < 300


class MinimalRestAPI(ODataMixin, Closing):
    """A REST/OData client for one API; thread-safe, share it between worker threads.

    One call = attempts of (limiter -> breaker -> send) wrapped by a tenacity loop built
    from ``retry_policy``; 202 Accepted is polled to the end; errors are mapped to txo
    exceptions that say how many attempts were made.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        rate_limiter: RateLimiter | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        async_max_wait: float = DEFAULT_ASYNC_MAX_WAIT,
        async_poll_interval: float = DEFAULT_ASYNC_POLL_INTERVAL,
        session_manager: SessionManager | None = None,
        max_workers: int = DEFAULT_POOL_SIZE,
        default_headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = token
        self.base_url = base_url
        self.rate_limiter = rate_limiter
        self.circuit_breaker = circuit_breaker
        self.retry_policy = retry_policy or RetryPolicy()
        self.timeout = timeout
        self.async_max_wait = async_max_wait
        self.async_poll_interval = async_poll_interval
        self._owns_sessions = session_manager is None
        if session_manager is None:  # not `or`: an empty manager is falsy (__len__)
            session_manager = SessionManager(pool_size=max_workers)
        self.session_manager = session_manager
        self._headers = {"Accept": "application/json", **(default_headers or {})}
        self._sleep = sleep
        self._clock = clock
        self._retryings: dict[tuple[str, bool | None], tenacity.Retrying] = {}

    # ------------------------------------------------------------------ public API
    def set_token(self, token: str | None) -> None:
        """Use a new bearer token from the next request on (e.g. after a refresh)."""
        self._token = token

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        raw: bool = False,
    ) -> Any:
        """Send one logical call; returns parsed JSON, None (204/empty), text for non-JSON
        bodies, or a :class:`RestOperationResult` when ``raw=True``."""
        method = method.upper()
        full_url = join_url(self.base_url, url)
        if params:  # spaces as %20: CAP (and others) reject requests' '+' encoding
            full_url = build_url(full_url, query_params=params)
        started = self._clock()
        response, attempts = self.send(
            method, full_url, json=json, data=data, headers=headers, idempotent=idempotent
        )
        if response.status_code == 202:
            response, attempts = wait_for_async_result(self, response, attempts)
        body = parse_body(response, method)
        if not raw:
            return body
        return RestOperationResult(
            status_code=response.status_code,
            headers=dict(response.headers),
            data=body,
            url=redact_url(response.url or full_url),
            elapsed=self._clock() - started,
            attempts=attempts,
        )

    def close(self) -> None:
        """Close the sessions this client created (a shared manager is left open)."""
        if self._owns_sessions:
            self.session_manager.close()

    def __repr__(self) -> str:
        token = "None" if self._token is None else "'***'"
        return f"{type(self).__name__}(base_url={self.base_url!r}, token={token})"

    # ------------------------------------------------------------------ sending
    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> tuple[requests.Response, int]:
        """Send with retries; returns the final non-error response and the attempts made.

        Raises the mapped txo exception for an error status or a transport failure. The
        first attempt runs outside tenacity so the common success path costs nothing extra.
        """
        kwargs["headers"] = self._merge_headers(headers)
        policy = self.retry_policy
        first: requests.Response | BaseException
        try:
            response = self._attempt(method, url, kwargs)
            first = response
            status = response.status_code
            retry = policy.should_retry(method, status_code=status, idempotent=idempotent)
        except requests.RequestException as exc:
            first = exc
            retry = policy.should_retry(method, exc=exc, idempotent=idempotent)
        if retry and policy.max_retries > 0:
            return self._finish(method, url, *self._retry(method, url, kwargs, idempotent, first))
        return self._finish(method, url, first, 1)

    def _finish(
        self, method: str, url: str, outcome: requests.Response | BaseException, attempts: int
    ) -> tuple[requests.Response, int]:
        if isinstance(outcome, BaseException):
            raise error_for_exception(
                outcome, method=method, url=url, attempts=attempts, timeout=self.timeout
            ) from outcome
        error = error_for_status(outcome, method=method, url=url, attempts=attempts)
        if error is not None:
            raise error
        return outcome, attempts

    def _retry(
        self,
        method: str,
        url: str,
        kwargs: dict[str, Any],
        idempotent: bool | None,
        first: requests.Response | BaseException,
    ) -> tuple[requests.Response | BaseException, int]:
        """Continue in tenacity; its attempt 1 replays the outcome already in hand."""
        import tenacity

        pending = [first]

        def attempt() -> requests.Response:
            if pending:
                outcome = pending.pop()
                if isinstance(outcome, BaseException):
                    raise outcome
                return outcome
            return self._attempt(method, url, kwargs)

        retrying = self._retrying(method, idempotent)
        try:
            return retrying(attempt), retrying.statistics["attempt_number"]
        except tenacity.RetryError as err:
            last = err.last_attempt
            outcome = last.exception() if last.failed else last.result()
            assert outcome is not None
            return outcome, last.attempt_number
        except requests.RequestException as exc:  # not retryable (e.g. reset on POST)
            return exc, retrying.statistics["attempt_number"]
        except CircuitBreakerOpenError as exc:
            exc.attempts = retrying.statistics["attempt_number"]
            raise

    def _retrying(self, method: str, idempotent: bool | None) -> tenacity.Retrying:
        key = (method, idempotent)
        retrying = self._retryings.get(key)
        if retrying is None:  # a race builds two equal objects: harmless
            retrying = self.retry_policy.retrying(method, idempotent=idempotent, sleep=self._sleep)
            self._retryings[key] = retrying
        return retrying

    def _attempt(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        """ONE attempt: limiter -> breaker -> send -> breaker bookkeeping."""
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        breaker = self.circuit_breaker
        if breaker is not None and not breaker.allow():
            raise _open_circuit_error(breaker, method, url)
        session = self.session_manager.get_session(url)
        try:
            response = session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            if breaker is not None:
                breaker.record_failure(exc)
            raise
        if breaker is not None:
            if response.status_code >= 500:
                breaker.record_failure(response.status_code)
            else:  # any answer below 500 shows the service is up
                breaker.record_success()
        return response

    def _merge_headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        merged = dict(self._headers)
        if self._token:
            merged["Authorization"] = f"Bearer {self._token}"
        if headers:
            merged.update(headers)
        return merged


def _open_circuit_error(breaker: CircuitBreaker, method: str, url: str) -> CircuitBreakerOpenError:
    wait = breaker.seconds_until_trial()
    safe_url = redact_url(url)
    return CircuitBreakerOpenError(
        f"Circuit breaker open: {method} {safe_url} not sent (next trial in {wait:.0f} s)",
        url=safe_url,
        attempts=0,
        how_to_fix="Wait for the service to recover, or check it; the breaker lets one "
        "trial call through after 'circuit-breaker.timeout-seconds'",
    )


def parse_body(response: requests.Response, method: str) -> Any:
    """JSON for JSON bodies, None for 204/empty, text otherwise."""
    if response.status_code == 204 or not response.content:
        return None
    content_type = response.headers.get("Content-Type", "").lower()
    try:
        return response.json()
    except ValueError as exc:
        if any(kind in content_type for kind in _JSON_TYPES):
            raise ApiOperationError(
                f"{method} {redact_url(response.url)} returned invalid JSON "
                f"(status {response.status_code})",
                status_code=response.status_code,
                url=redact_url(response.url),
            ) from exc
        return response.text


class TxoRestAPI(MinimalRestAPI):
    """Deprecated v2.1 name of :class:`MinimalRestAPI`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            "TxoRestAPI is deprecated; use MinimalRestAPI (or create_rest_api(config))",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)
