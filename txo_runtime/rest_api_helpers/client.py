"""``MinimalRestAPI``: JSON over HTTP with rate limiting, circuit breaker and retries."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from txo_runtime.api_common import (
    Attempt,
    CallEngine,
    CircuitBreaker,
    Closing,
    RateLimiter,
    RetryPolicy,
    Send,
)
from txo_runtime.exceptions import ApiOperationError
from txo_runtime.rest_api_helpers._auth import (
    BearerAuth,
    TokenProvider,
    TokenSource,
    may_send_token,
    origins,
)
from txo_runtime.rest_api_helpers._errors import error_for_exception, error_for_status
from txo_runtime.rest_api_helpers.async_ops import wait_for_async_result
from txo_runtime.rest_api_helpers.odata import ODataLimits, ODataMixin
from txo_runtime.rest_api_helpers.session import DEFAULT_POOL_SIZE, SessionManager
from txo_runtime.url_helpers import build_url, join_url, redact_url, url_origin

__all__ = ["MinimalRestAPI", "RestOperationResult", "TokenProvider", "TxoRestAPI"]

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

    One call = attempts of (limiter -> breaker -> send) under the retry loop of a
    :class:`~txo_runtime.api_common.CallEngine` built from ``retry_policy``; 202 Accepted
    is polled to the end; errors are mapped to txo exceptions that say how many attempts
    were made.

    ``token`` is a string or a provider (``provider()`` -> current token, asked on every
    attempt; after a 401 it is asked once more, with ``force_refresh=True`` if it accepts
    that, and the request is retried once with the new token). The token is sent to every
    URL the caller passes, but to URLs a *server* supplied (nextLink, 202 Location,
    Operation-Location, 303) only on the caller's origin or one in ``trusted_origins``.
    ``odata_limits`` bounds every OData read of this client (pages, empty and repeated
    pages in a row). ``token``, ``rate_limiter`` and ``circuit_breaker`` may be given by
    position (``MinimalRestAPI(token, limiter, breaker)``); everything else by name.
    """

    def __init__(
        self,
        token: TokenSource = None,
        rate_limiter: RateLimiter | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        *,
        base_url: str | None = None,
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
        odata_limits: ODataLimits | None = None,
    ) -> None:
        self._token = token
        self.odata_limits = odata_limits or ODataLimits()
        self._auth = BearerAuth(token)
        self.trusted_origins = origins(trusted_origins)
        self.base_url = base_url
        self._engine = CallEngine(
            rate_limiter=rate_limiter,
            circuit_breaker=circuit_breaker,
            retry_policy=retry_policy or RetryPolicy(),
            describe_url=redact_url,
            sleep=sleep,
        )
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

    @property
    def rate_limiter(self) -> RateLimiter | None:
        return self._engine.rate_limiter

    @property
    def circuit_breaker(self) -> CircuitBreaker | None:
        return self._engine.circuit_breaker

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._engine.retry_policy

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
        started = self._clock() if raw else 0.0
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
        base = None if self.base_url is None else redact_url(self.base_url)
        return f"{type(self).__name__}(base_url={base!r}, token={token})"

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
        sender = self._sender(method, url, kwargs, with_token)
        last = self._engine.run(method, url, sender, idempotent=idempotent)
        attempts = last.number
        rejected = _rejected_token(last) if with_token else None
        if rejected is not None and self._auth.refresh(rejected):
            logger.info("%s %s: 401, retrying once with a refreshed token", method, redact_url(url))
            last = self._engine.run(method, url, sender, idempotent=idempotent)
            attempts += last.number
        return self._finish(method, url, last, attempts, withheld=withheld)

    def _sender(self, method: str, url: str, kwargs: dict[str, Any], with_token: bool) -> Send:
        """The request of one attempt; the token is looked up per attempt (a provider may
        have refreshed it), after the limiter and the breaker let the attempt through."""
        add_token = with_token and not _has_authorization(kwargs["headers"])

        def send() -> requests.Response:
            call_kwargs = kwargs
            if add_token:
                token = self._auth.current()
                if token:
                    headers = {**kwargs["headers"], "Authorization": f"Bearer {token}"}
                    call_kwargs = {**kwargs, "headers": headers}
            session = self.session_manager.get_session(url)
            return session.request(method, url, timeout=self.timeout, **call_kwargs)

        return send

    def _finish(
        self, method: str, url: str, last: Attempt, attempts: int, *, withheld: bool = False
    ) -> tuple[requests.Response, int]:
        """The engine's last attempt as this client's answer or exception."""
        response = last.outcome
        if isinstance(response, Exception):
            error = response
            if not isinstance(error, requests.RequestException):
                raise error  # not a transport failure: a token provider's own error, a bug
            # Not chained: requests' own text quotes the raw URL, query secrets included;
            # the log line (redacted) keeps it for debugging.
            logger.debug("%s %s failed: %r", method, redact_url(url), error)
            raise error_for_exception(
                error, method=method, url=url, attempts=attempts, timeout=self.timeout
            ) from None
        note = _WITHHELD_NOTE if withheld and response.status_code in (401, 403) else None
        mapped = error_for_status(
            response,
            method=method,
            url=url,
            attempts=attempts,
            retry_after=last.verdict.retry_after,
            note=note,
        )
        if mapped is not None:
            raise mapped
        return response, attempts

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
    return "authorization" in map(str.lower, headers)


def _rejected_token(last: Attempt) -> str | None:
    """The bearer token a 401 answer rejected (None: not a 401, or no bearer was sent)."""
    response = last.outcome
    if last.status != 401 or isinstance(response, Exception):
        return None
    sent = response.request.headers.get("Authorization", "") if response.request else ""
    return sent[7:] if sent[:7].lower() == "bearer " else None


def parse_body(response: requests.Response, method: str) -> Any:
    """JSON for JSON bodies, None for 204/empty, text otherwise."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        content_type = response.headers.get("Content-Type", "").lower()
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
