"""OAuth 2.0 client credentials with a per-instance token cache (no module state).

A plain ``requests`` form POST to the token endpoint: msal would add an OpenID discovery
call in its constructor, and pays off only for certificate (client-assertion) auth.
The POST goes through a :class:`~txo_runtime.api_common.CallEngine` like every other
request: 429/503 (honouring ``Retry-After``) and connect errors are retried, other 5xx
are not (a POST may have been processed). Every token obtained and every client secret
used is registered with the logger for exact-value redaction, and no message here ever
contains them.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from txo_runtime.api_common import CallEngine, CircuitBreaker, RateLimiter, RetryPolicy
from txo_runtime.exceptions import ApiAuthenticationError, CircuitBreakerOpenError
from txo_runtime.logger import redact, register_secret
from txo_runtime.url_helpers import redact_url

__all__ = [
    "AZURE_TOKEN_URL",
    "OAuthManager",
    "OAuthTokenProvider",
    "get_client_credentials_token",
    "has_client_credentials",
    "token_url_for",
]

logger = logging.getLogger(__name__)

AZURE_TOKEN_URL = "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
DEFAULT_REFRESH_MARGIN = 300.0
DEFAULT_EXPIRES_IN = 3600.0
DEFAULT_TOKEN_TIMEOUT = 30.0
DEFAULT_TOKEN_RETRY_POLICY = RetryPolicy()
# After a failed token request the az-token fallback is reused this long before the
# endpoint is tried again: a provider asks for a token on every API attempt.
FALLBACK_REUSE_SECONDS = 60.0
_FIX = (
    "Check 'global.client-id', 'global.oauth-scope' and the token URL "
    "('global.oauth-token-url' or 'global.tenant-id') in the config, and 'client-secret' in "
    "the secrets file - or add a fallback 'az-token' to {secrets_file}"
)


def _secrets_file_of(config: Mapping[str, Any]) -> str:
    """The real secrets file name of a loaded config (org and env filled in)."""
    if "_org_id" in config and "_env_type" in config:
        return f"config/{config['_org_id']}-{config['_env_type']}-config-secrets.json"
    return "the secrets file next to the config (config/<org>-<env>-config-secrets.json)"


def _looked_in(config: Mapping[str, Any], key: str) -> str:
    """``in <every place the loader looked>`` (environment, files, providers) for ``key``."""
    lookup = getattr(config, "secret_lookup", None)
    if lookup is None:
        return f"in {_secrets_file_of(config)}"
    return "in any of: " + "; ".join(lookup.places(key))


_EXAMPLE = '{\n  "client-secret": "...",\n  "az-token": "eyJ..."\n}'


def token_url_for(global_config: Mapping[str, Any]) -> str:
    """``global.oauth-token-url`` when set, else Azure AD v2 from ``global.tenant-id``."""
    if "oauth-token-url" in global_config:  # optional key
        return str(global_config["oauth-token-url"])
    return AZURE_TOKEN_URL.format(tenant_id=global_config["tenant-id"])


@dataclass(frozen=True)
class _CachedToken:
    value: str
    expires_at: float


class OAuthManager:
    """Client-credentials tokens, cached per (token URL, client id, scope) in this instance.

    A token is refreshed ``refresh_margin_seconds`` before it expires. The lock is held
    while a token is fetched so concurrent threads do not all ask for one at once. Token
    requests are retried per ``retry_policy`` (the default one unless given; ``None``
    means one attempt), through an optional ``rate_limiter`` and ``circuit_breaker`` of
    their own; ``sleep`` waits between attempts.
    """

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin_seconds: float = DEFAULT_REFRESH_MARGIN,
        timeout: float = DEFAULT_TOKEN_TIMEOUT,
        retry_policy: RetryPolicy | None = DEFAULT_TOKEN_RETRY_POLICY,
        rate_limiter: RateLimiter | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._session = session
        self._clock = clock
        self.refresh_margin_seconds = refresh_margin_seconds
        self.timeout = timeout
        self._engine = CallEngine(
            rate_limiter=rate_limiter,
            circuit_breaker=circuit_breaker,
            retry_policy=retry_policy,
            describe_url=redact_url,
            sleep=sleep,
        )
        self._cache: dict[tuple[str, str, str], _CachedToken] = {}
        self._lock = threading.Lock()

    def get_token(self, config: Mapping[str, Any], *, force_refresh: bool = False) -> str:
        """A valid access token: cached, else fetched, else the ``_az_token`` fallback.

        ``force_refresh=True`` skips the cache (after a 401 for a token that should still
        have been valid: revoked, or the server's clock runs ahead).
        """
        if "_client_secret" not in config:
            return self._fallback(
                config, f"no 'client-secret' {_looked_in(config, 'client-secret')}"
            )
        global_config = config["global"]
        token_url = token_url_for(global_config)
        key = (token_url, str(global_config["client-id"]), str(global_config["oauth-scope"]))
        secret = str(config["_client_secret"])
        register_secret(secret)
        with self._lock:
            cached = self._cache.get(key)
            if (
                not force_refresh
                and cached is not None
                and self._clock() < cached.expires_at - self.refresh_margin_seconds
            ):
                return cached.value
            try:
                fresh = self._request_token(token_url, key[1], secret, key[2])
            except _TokenRequestError as exc:
                token = self._fallback(config, str(exc))
                reuse_until = self._clock() + self.refresh_margin_seconds + FALLBACK_REUSE_SECONDS
                self._cache[key] = _CachedToken(token, reuse_until)
                return token
            self._cache[key] = fresh
            return fresh.value

    def clear(self) -> None:
        """Forget cached tokens (e.g. after a 401 with a token that should have been valid)."""
        with self._lock:
            self._cache.clear()

    def _request_token(
        self, token_url: str, client_id: str, secret: str, scope: str
    ) -> _CachedToken:
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": scope,
        }
        started = self._clock()
        response, attempts = self._post(token_url, form)
        payload = _json_or_none(response)
        token = payload.get("access_token") if payload else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            failure = _describe_failure(token_url, response.status_code, payload, attempts)
            raise _TokenRequestError(failure)
        register_secret(token)
        expires_in = float(payload.get("expires_in", DEFAULT_EXPIRES_IN)) if payload else 0.0
        logger.debug(
            "Obtained OAuth token from %s (expires in %.0f s)", redact_url(token_url), expires_in
        )
        return _CachedToken(token, started + expires_in)

    def _post(self, token_url: str, form: Mapping[str, str]) -> tuple[requests.Response, int]:
        """The token endpoint's last answer and the attempts made; a request that never got
        one is a :class:`_TokenRequestError` naming the endpoint (never the form: it holds
        the secret)."""
        poster = self._session or requests

        def send() -> requests.Response:
            return poster.post(token_url, data=form, timeout=self.timeout)

        try:
            last = self._engine.run("POST", token_url, send)
        except CircuitBreakerOpenError as exc:
            raise _TokenRequestError(exc.message) from None
        outcome = last.outcome
        if not isinstance(outcome, Exception):
            return outcome, last.number
        if not isinstance(outcome, requests.RequestException):
            raise outcome
        raise _TokenRequestError(
            f"token request to {redact_url(token_url)} failed ({type(outcome).__name__}) "
            f"{_after(last.number)}"
        ) from None

    def _fallback(self, config: Mapping[str, Any], reason: str) -> str:
        if "_az_token" in config and str(config["_az_token"]).strip():
            token = str(config["_az_token"]).strip()
            token = token[7:].strip() if token[:7].lower() == "bearer " else token
            register_secret(token)
            logger.warning("OAuth token not obtained (%s); using 'az-token' from secrets", reason)
            return token
        raise ApiAuthenticationError(
            f"Failed to acquire an authentication token ({reason})",
            how_to_fix=_FIX.format(secrets_file=_secrets_file_of(config)),
            example=_EXAMPLE,
        )

    def __repr__(self) -> str:
        return f"OAuthManager(cached_tokens={len(self._cache)})"


def has_client_credentials(config: Mapping[str, Any]) -> bool:
    """True when the config can fetch tokens itself: a client secret, client id, scope and
    a token URL (``oauth-token-url`` or ``tenant-id``)."""
    if "_client_secret" not in config or "global" not in config:
        return False
    global_config = config["global"]
    has_url = "oauth-token-url" in global_config or "tenant-id" in global_config
    return has_url and "client-id" in global_config and "oauth-scope" in global_config


class OAuthTokenProvider:
    """The token of one config from an :class:`OAuthManager`, for ``MinimalRestAPI(token=)``.

    ``provider()`` is the current (cached, refreshed-before-expiry) token;
    ``provider(force_refresh=True)`` fetches a new one. ``initial_token`` is used until
    the first refresh when the manager did not issue it (a token obtained elsewhere).
    """

    def __init__(
        self,
        manager: OAuthManager,
        config: Mapping[str, Any],
        *,
        initial_token: str | None = None,
    ) -> None:
        self.manager = manager
        self._config = config
        self._initial = initial_token
        self._lock = threading.Lock()

    def __call__(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            if self._initial is not None and not force_refresh:
                return self._initial
            self._initial = None
        return self.manager.get_token(self._config, force_refresh=force_refresh)

    def __repr__(self) -> str:
        return f"OAuthTokenProvider({self.manager!r}, token='***')"


class _TokenRequestError(Exception):
    """Internal: the token endpoint did not give a token (message holds no secrets)."""


def _json_or_none(response: requests.Response) -> dict[str, Any] | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _after(attempts: int) -> str:
    return f"after {attempts} attempt{'s' if attempts != 1 else ''}"


def _describe_failure(
    token_url: str, status: int, payload: Mapping[str, Any] | None, attempts: int
) -> str:
    error = str(payload.get("error", "")) if payload else ""
    description = str(payload.get("error_description", "")) if payload else ""
    detail = ": ".join(
        part for part in (error, description.splitlines()[0] if description else "") if part
    )
    # The endpoint may echo what it was sent (the secret, an assertion): redact it.
    detail = redact(detail)
    return f"token endpoint {redact_url(token_url)} answered {status} {_after(attempts)}" + (
        f" ({detail})" if detail else ""
    )


def get_client_credentials_token(config: Mapping[str, Any], **kwargs: Any) -> str:
    """Deprecated v2.1 function: use ``OAuthManager().get_token(config)``."""
    warnings.warn(
        "get_client_credentials_token is deprecated. Use OAuthManager.",
        DeprecationWarning,
        stacklevel=2,
    )
    return OAuthManager(**kwargs).get_token(config)
