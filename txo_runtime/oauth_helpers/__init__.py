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
from typing import Any, Union

import requests

from txo_runtime.api_common import CallEngine, CircuitBreaker, RateLimiter, RetryPolicy
from txo_runtime.exceptions import ApiAuthenticationError, CircuitBreakerOpenError
from txo_runtime.logger import redact, register_secret
from txo_runtime.oauth_helpers._assertion import (
    JWT_BEARER,
    CertificateCredential,
    uses_certificate,
)
from txo_runtime.url_helpers import redact_url

__all__ = [
    "AZURE_TOKEN_URL",
    "JWT_BEARER",
    "CertificateCredential",
    "OAuthClient",
    "OAuthManager",
    "OAuthTokenProvider",
    "get_client_credentials_token",
    "has_client_credentials",
    "token_url_for",
    "uses_certificate",
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


# A client secret, or a certificate that signs client assertions; handed over as a function
# so a certificate's key is read only when a token is really fetched, not per API call.
Credential = Union[str, CertificateCredential]
CredentialSource = Callable[[], Credential]


def _credential_of(config: Mapping[str, Any]) -> CredentialSource | None:
    """The certificate when the secrets hold its private key, else the client secret
    (registered for redaction), else None."""
    if uses_certificate(config):
        return lambda: CertificateCredential.from_config(config)
    if "_client_secret" not in config:
        return None
    secret = str(config["_client_secret"])
    register_secret(secret)
    return lambda: secret


@dataclass(frozen=True)
class _CachedToken:
    value: str
    expires_at: float


class OAuthManager:
    """Client-credentials tokens, cached per (token URL, client id, scope) in this instance.

    The client proves itself with a client secret or, when the secrets hold a certificate's
    private key, with a signed client assertion (see ``oauth_helpers._assertion``).
    ``cache_enabled=False`` fetches a new token for every request (no reuse). A cached
    token is refreshed ``refresh_margin_seconds`` before it expires. The lock is held
    while a token is fetched so concurrent threads do not all ask for one at once. Token
    requests are retried per ``retry_policy`` (the default one unless given; ``None``
    means one attempt), through an optional ``rate_limiter`` and ``circuit_breaker`` of
    their own; ``sleep`` waits between attempts.
    """

    def __init__(
        self,
        cache_enabled: bool = True,
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
        self.cache_enabled = bool(cache_enabled)
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
        self._clients: dict[str, OAuthClient] = {}
        self._lock = threading.Lock()

    def get_token(self, config: Mapping[str, Any], *, force_refresh: bool = False) -> str:
        """A valid access token: cached, else fetched, else the ``_az_token`` fallback.

        ``force_refresh=True`` skips the cache (after a 401 for a token that should still
        have been valid: revoked, or the server's clock runs ahead).
        """
        credential = _credential_of(config)
        if credential is None:
            return self._fallback(
                config, f"no 'client-secret' {_looked_in(config, 'client-secret')}"
            )
        global_config = config["global"]
        token_url = token_url_for(global_config)
        key = (token_url, str(global_config["client-id"]), str(global_config["oauth-scope"]))
        try:
            return self._token(key, credential, force_refresh=force_refresh)
        except _TokenRequestError as exc:
            token = self._fallback(config, str(exc))
            reuse_until = self._clock() + self.refresh_margin_seconds + FALLBACK_REUSE_SECONDS
            with self._lock:
                self._cache[key] = _CachedToken(token, reuse_until)
            return token

    def get_client(self, tenant_id: str) -> OAuthClient:
        """The :class:`OAuthClient` of one Entra ID (Azure AD) tenant: the same object for
        the same tenant, sharing this manager's token cache, retries and lock."""
        with self._lock:
            client = self._clients.get(tenant_id)
            if client is None:
                client = self._clients[tenant_id] = OAuthClient(self, tenant_id)
            return client

    def _token(
        self,
        key: tuple[str, str, str],
        credential: CredentialSource,
        *,
        force_refresh: bool = False,
    ) -> str:
        """The cached token for ``key`` while it is fresh, else a new one (under the lock).
        Raises :class:`_TokenRequestError` when the endpoint gives none."""
        with self._lock:
            cached = self._cache.get(key) if self.cache_enabled else None
            if (
                not force_refresh
                and cached is not None
                and self._clock() < cached.expires_at - self.refresh_margin_seconds
            ):
                return cached.value
            fresh = self._request_token(key[0], key[1], credential(), key[2])
            if self.cache_enabled:
                self._cache[key] = fresh
            return fresh.value

    def clear(self) -> None:
        """Forget cached tokens (e.g. after a 401 with a token that should have been valid)."""
        with self._lock:
            self._cache.clear()

    def _request_token(
        self, token_url: str, client_id: str, credential: Credential, scope: str
    ) -> _CachedToken:
        form = {"grant_type": "client_credentials", "client_id": client_id, "scope": scope}
        if isinstance(credential, CertificateCredential):
            form["client_assertion_type"] = JWT_BEARER
            form["client_assertion"] = assertion = credential.assertion(client_id, token_url)
            register_secret(assertion)
        else:
            form["client_secret"] = credential
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
    """True when the config can fetch tokens itself: a client secret or a certificate key,
    client id, scope and a token URL (``oauth-token-url`` or ``tenant-id``)."""
    if not (uses_certificate(config) or "_client_secret" in config) or "global" not in config:
        return False
    global_config = config["global"]
    has_url = "oauth-token-url" in global_config or "tenant-id" in global_config
    return has_url and "client-id" in global_config and "oauth-scope" in global_config


class OAuthClient:
    """Client-credentials tokens of one Entra ID (Azure AD) tenant, from
    ``OAuthManager.get_client(tenant_id)``.

    Shares the manager's cache (when enabled), retries and lock, so the same client id and
    scope get the same token through either door. Unlike ``get_token(config)`` it has no
    ``az-token`` fallback: a failure is an ``ApiAuthenticationError``.
    """

    def __init__(self, manager: OAuthManager, tenant_id: str) -> None:
        self.manager = manager
        self.tenant_id = tenant_id
        self.token_url = AZURE_TOKEN_URL.format(tenant_id=tenant_id)

    def get_client_credentials_token(
        self, client_id: str, client_secret: str, scope: str, *, force_refresh: bool = False
    ) -> str:
        """A token for ``client_id`` with ``client_secret`` and ``scope`` in this tenant."""
        register_secret(client_secret)
        key = (self.token_url, client_id, scope)
        try:
            return self.manager._token(key, lambda: client_secret, force_refresh=force_refresh)
        except _TokenRequestError as exc:
            raise ApiAuthenticationError(
                f"Failed to acquire an authentication token ({exc})",
                how_to_fix=_FIX.format(secrets_file="the secrets file"),
                example=_EXAMPLE,
            ) from None

    def __repr__(self) -> str:
        return f"OAuthClient(tenant_id={self.tenant_id!r})"


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
