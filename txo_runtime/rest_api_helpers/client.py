"""``MinimalRestAPI``: JSON over HTTP with rate limiting, circuit breaker and retries."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from txo_runtime.api_common import CircuitBreaker, Closing, RateLimiter, RetryPolicy
from txo_runtime.exceptions import ApiOperationError, CircuitBreakerOpenError
from txo_runtime.rest_api_helpers._auth import (
    BearerAuth,
    TokenProvider,
    TokenSource,
    may_send_token,
    origins,
)
from txo_runtime.rest_api_helpers._errors import error_for_exception, error_for_status
from txo_runtime.rest_api_helpers.async_ops import wait_for_async_result
from txo_runtime.rest_api_helpers.odata import ODataMixin
from txo_runtime.rest_api_helpers.session import DEFAULT_POOL_SIZE, SessionManager
from txo_runtime.url_helpers import build_url, join_url, redact_url, url_origin

if TYPE_CHECKING:
    import tenacity

__all__ = ["MinimalRestAPI", "RestOperationResult", "TokenProvider", "TxoRestAPI"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
DEFAULT_ASYNC_MAX_WAIT = 300.0
DEFAULT_ASYNC_POLL_INTERVAL = 5.0
_JSON_TYPES = ("json",)
_Outcome = requests.Response | BaseException


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

    ``token`` is a string or a provider (``provider()`` -> current token, asked on every
    attempt; after a 401 it is asked once more, with ``force_refresh=True`` if it accepts
    that, and the request is retried once with the new token). The token is sent to every
    URL the caller passes, but to URLs a *server* supplied (nextLink, 202 Location,
    Operation-Location, 303) only on the caller's origin or one in ``trusted_origins``.
    """

    def __init__(
        self,
        token: TokenSource = None,
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
        trusted_origins: Iterable[str] = (),
    ) -> None:
        self._token = token
        self._auth = BearerAuth(token)
        self.trusted_origins = origins(trusted_origins)
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
    def set_token(self, token: TokenSource) -> None:
        """Use a new bearer token (or provider) from the next request on."""
        self._token = token
        self._auth = BearerAuth(token)

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
            response, attempts = wait_for_async_result(
                self, response, attempts, caller_url=full_url
            )
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
        token = "'***'" if self._auth.configured else "None"
        return f"{type(self).__name__}(base_url={self.base_url!r}, token={token})"

    # ------------------------------------------------------------------ sending
    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        follow_up_of: str | None = None,
        **kwargs: Any,
    ) -> tuple[requests.Response, int]:
        """Send with retries; returns the final non-error response and the attempts made.

        ``follow_up_of`` marks ``url`` as server-supplied for a call the caller made to
        ``follow_up_of``: the token then goes only to that origin (or a trusted one).
        A 401 is retried once with a refreshed token when the token comes from a provider.
        Raises the mapped txo exception for an error status or a transport failure.
        """
        with_token = may_send_token(url, follow_up_of, self.trusted_origins)
        kwargs["headers"] = self._merge_headers(headers, with_token=with_token)
        withheld = not with_token and self._auth.configured
        if withheld:
            _log_withheld(url, follow_up_of)
        outcome, attempts = self._attempts(method, url, kwargs, idempotent, with_token)
        rejected = _rejected_token(outcome) if with_token else None
        if rejected is not None and self._auth.refresh(rejected):
            logger.info("%s %s: 401, retrying once with a refreshed token", method, redact_url(url))
            outcome, more = self._attempts(method, url, kwargs, idempotent, with_token)
            attempts += more
        return self._finish(method, url, outcome, attempts, withheld=withheld)

    def _attempts(
        self,
        method: str,
        url: str,
        kwargs: dict[str, Any],
        idempotent: bool | None,
        with_token: bool,
    ) -> tuple[_Outcome, int]:
        """The attempts of one send, with retries; the first runs outside tenacity so the
        common success path costs nothing extra."""
        policy = self.retry_policy
        first: _Outcome
        try:
            response = self._attempt(method, url, kwargs, with_token)
            first = response
            status = response.status_code
            retry = policy.should_retry(method, status_code=status, idempotent=idempotent)
        except requests.RequestException as exc:
            first = exc
            retry = policy.should_retry(method, exc=exc, idempotent=idempotent)
        if retry and policy.max_retries > 0:
            return self._retry(method, url, kwargs, idempotent, first, with_token)
        return first, 1

    def _finish(
        self, method: str, url: str, outcome: _Outcome, attempts: int, *, withheld: bool = False
    ) -> tuple[requests.Response, int]:
        if isinstance(outcome, BaseException):
            raise error_for_exception(
                outcome, method=method, url=url, attempts=attempts, timeout=self.timeout
            ) from outcome
        note = _WITHHELD_NOTE if withheld and outcome.status_code in (401, 403) else None
        error = error_for_status(outcome, method=method, url=url, attempts=attempts, note=note)
        if error is not None:
            raise error
        return outcome, attempts

    def _retry(
        self,
        method: str,
        url: str,
        kwargs: dict[str, Any],
        idempotent: bool | None,
        first: _Outcome,
        with_token: bool,
    ) -> tuple[_Outcome, int]:
        """Continue in tenacity; its attempt 1 replays the outcome already in hand."""
        import tenacity

        pending = [first]

        def attempt() -> requests.Response:
            if pending:
                outcome = pending.pop()
                if isinstance(outcome, BaseException):
                    raise outcome
                return outcome
            return self._attempt(method, url, kwargs, with_token)

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

    def _attempt(
        self, method: str, url: str, kwargs: dict[str, Any], with_token: bool
    ) -> requests.Response:
        """ONE attempt: limiter -> breaker -> (current token) -> send -> breaker bookkeeping."""
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        breaker = self.circuit_breaker
        if breaker is not None and not breaker.allow():
            raise _open_circuit_error(breaker, method, url)
        if with_token and not _has_authorization(kwargs["headers"]):
            token = self._auth.current()  # a provider is asked on every attempt
            if token:
                headers = {**kwargs["headers"], "Authorization": f"Bearer {token}"}
                kwargs = {**kwargs, "headers": headers}
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

    def _merge_headers(
        self, headers: Mapping[str, str] | None, *, with_token: bool = True
    ) -> dict[str, str]:
        """Default + call headers; for a foreign follow-up URL without any Authorization
        (also one set in ``default_headers``), as requests strips it on a redirect."""
        merged = {**self._headers, **(headers or {})}
        if not with_token:
            merged = {k: v for k, v in merged.items() if k.lower() != "authorization"}
        return merged


_WITHHELD_NOTE = (
    "the bearer token was NOT sent: this URL was supplied by the server (nextLink, Location "
    "or Operation-Location) and is on another origin than your call. If that host should "
    "get the token, pass MinimalRestAPI(..., trusted_origins=['https://that-host'])"
)


def _log_withheld(url: str, follow_up_of: str | None) -> None:
    logger.warning(
        "Not sending the bearer token to %s: a server-supplied URL on another origin than "
        "%s (trust it with MinimalRestAPI(trusted_origins=[...]))",
        url_origin(url),
        url_origin(follow_up_of or ""),
    )


def _has_authorization(headers: Mapping[str, str]) -> bool:
    return any(key.lower() == "authorization" for key in headers)


def _rejected_token(outcome: _Outcome) -> str | None:
    """The bearer token a 401 answer rejected (None: not a 401, or no bearer was sent)."""
    if isinstance(outcome, BaseException) or outcome.status_code != 401:
        return None
    sent = outcome.request.headers.get("Authorization", "") if outcome.request else ""
    return sent[7:] if sent[:7].lower() == "bearer " else None


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
