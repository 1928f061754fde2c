"""Build REST and SOAP clients from the nested v3.0 config.

Every setting is required: a config without one raises
:class:`~txo_runtime.exceptions.MissingConfigKeyError` naming the key path and the file,
never a silent default, so a typo in a config cannot quietly turn off rate limiting. The
``script-behavior`` section is turned into :class:`ApiSettings` once per client or manager
(private ``_settings`` module). Nothing is cached in module globals: caching lives in an
:class:`ApiFactory` or :class:`ApiManager` instance that the script owns.

``ApiManager`` is the recommended form: it shares one rate limiter and one circuit breaker
per API origin between all clients it hands out (so REST and SOAP calls to one service
count against one budget) and closes every session on exit, also when the block raises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from txo_runtime.api_common import Closing
from txo_runtime.api_common._limiters import origin_of
from txo_runtime.config_loader import config_source, require
from txo_runtime.exceptions import HelpfulError
from txo_runtime.extras import lazy_exports
from txo_runtime.path_helpers import Dir, get_path
from txo_runtime.url_helpers import redact_url

if TYPE_CHECKING:
    from txo_runtime.api_common import CircuitBreaker, RateLimiter
    from txo_runtime.api_factory._settings import ApiSettings, load_settings
    from txo_runtime.oauth_helpers import OAuthTokenProvider
    from txo_runtime.rest_api_helpers import MinimalRestAPI, SessionManager
    from txo_runtime.soap_api_helpers import SoapAPI

__all__ = [
    "ApiFactory",
    "ApiManager",
    "ApiSettings",
    "create_rest_api",
    "create_soap_api",
    "load_settings",
]

logger = logging.getLogger(__name__)

# Public names of ``_settings``, imported on first use (PEP 562): the settings module loads
# the OData client's limits and the config schema checks, which a script's --help never needs.
_EXPORTS = {"ApiSettings": "_settings", "load_settings": "_settings"}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


DEFAULT_POOL_SIZE = 10


def _token_source(config: Mapping[str, Any], settings: ApiSettings) -> str | OAuthTokenProvider:
    """The fixed ``config["_token"]``, or, when the config holds client credentials, a
    provider that refreshes it (through the script runner's OAuthManager when there is one,
    so the token it obtained is reused)."""
    from txo_runtime.oauth_helpers import OAuthManager, OAuthTokenProvider, has_client_credentials

    token = _token(config)
    if not has_client_credentials(config):
        return token
    manager = getattr(config, "oauth_manager", None)
    if isinstance(manager, OAuthManager):
        return OAuthTokenProvider(manager, config)
    manager = OAuthManager(retry_policy=settings.retry_policy)  # the config's retry settings
    return OAuthTokenProvider(manager, config, initial_token=token)


def _token(config: Mapping[str, Any]) -> str:
    try:
        token = config["_token"]
    except KeyError:  # also MissingConfigKeyError from a ConfigDict
        token = None
    if not token:
        raise HelpfulError(
            what_went_wrong="This API needs a token, but the config has no '_token'",
            how_to_fix="Ask the script runner for a token with require_token=True, or call "
            "create_rest_api(config, require_auth=False) for a public API",
            example='config = parse_args_and_load_config("My script", require_token=True)',
        )
    return str(token)


def _build_rest(
    config: Mapping[str, Any],
    settings: ApiSettings,
    *,
    require_auth: bool,
    limits: tuple[RateLimiter | None, CircuitBreaker | None],
    session_manager: SessionManager | None,
) -> MinimalRestAPI:
    from txo_runtime.rest_api_helpers import MinimalRestAPI

    base_url = require(config, "global", "api-base-url")
    token = _token_source(config, settings) if require_auth else None
    return MinimalRestAPI(
        token,
        base_url=base_url,
        rate_limiter=limits[0],
        circuit_breaker=limits[1],
        retry_policy=settings.retry_policy,
        timeout=settings.rest_timeout,
        async_max_wait=settings.async_max_wait,
        async_poll_interval=settings.async_poll_interval,
        session_manager=session_manager,
        odata_limits=settings.odata_limits,
    )


def resolve_wsdl(wsdl: str) -> str:
    """A URL or existing file as given; a bare name is looked up in the project's wsdl/."""
    if urlsplit(wsdl).scheme in ("http", "https", "file") or Path(wsdl).exists():
        return wsdl
    try:
        candidate = get_path(Dir.WSDL, wsdl)
    except HelpfulError:
        candidate = None
    if candidate is not None and candidate.exists():
        return str(candidate)
    raise HelpfulError(
        what_went_wrong=f"WSDL '{redact_url(wsdl)}' is neither a URL nor an existing file",
        how_to_fix="Pass the WSDL URL, or put the file in the project's wsdl/ folder",
        example='create_soap_api(config, "https://example.com/Service.svc?wsdl")',
    )


def _build_soap(
    settings: ApiSettings,
    wsdl: str,
    limits: tuple[RateLimiter | None, CircuitBreaker | None],
    options: Mapping[str, Any],
) -> SoapAPI:
    # Imported here: REST-only scripts (most of them) skip ~20 ms of start-up.
    from txo_runtime.soap_api_helpers import SoapAPI

    return SoapAPI(
        resolve_wsdl(wsdl),
        rate_limiter=limits[0],
        circuit_breaker=limits[1],
        retry_policy=settings.retry_policy,
        operation_timeout=settings.soap_timeout,
        wsdl_timeout=settings.wsdl_timeout,
        **options,
    )


def create_rest_api(config: Mapping[str, Any], require_auth: bool = True) -> MinimalRestAPI:
    """A REST/OData client with the config's rate limiter, circuit breaker, retries, timeouts.

    With ``require_auth`` the bearer token is ``config["_token"]`` (the script runner injects
    it when the script asked for ``require_token=True``); when the config also holds client
    credentials the client refreshes the token when it expires or a 401 rejects it. The
    caller closes it (``with``).
    """
    from txo_runtime.api_factory._settings import load_settings  # see _EXPORTS

    settings = load_settings(config)
    base_url = require(config, "global", "api-base-url")
    limits = (settings.new_rate_limiter(base_url), settings.new_circuit_breaker())
    return _build_rest(
        config, settings, require_auth=require_auth, limits=limits, session_manager=None
    )


def create_soap_api(config: Mapping[str, Any], wsdl: str, **options: Any) -> SoapAPI:
    """A SOAP client for ``wsdl`` with the config's resilience and SOAP/WSDL timeouts.

    ``options`` go to :class:`~txo_runtime.soap_api_helpers.SoapAPI` (``idempotent``,
    ``history``, ``secrets``, ``wsse``, ``cache``, ``plugins`` ...).
    """
    from txo_runtime.api_factory._settings import load_settings  # see _EXPORTS

    settings = load_settings(config)
    limits = (settings.new_rate_limiter(wsdl), settings.new_circuit_breaker())
    return _build_soap(settings, wsdl, limits, options)


def _origin(url: str) -> str:
    origin = origin_of(url)
    return origin if origin != url else f"local:{url}"


class ApiFactory:
    """Creates clients; with ``enable_cache=True`` hands out one instance per config and
    kind (and closes them in :meth:`close`). The cache is instance state, never a module
    global, so two scripts (or tests) in one process never share clients by accident."""

    def __init__(self, enable_cache: bool = False) -> None:
        self.cache_enabled = enable_cache
        self._cache: dict[tuple[Any, ...], tuple[Mapping[str, Any], Any]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[Any, ...], config: Mapping[str, Any], build: Any) -> Any:
        if not self.cache_enabled:
            return build()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] is config:  # the config is kept, so id() is unique
                return hit[1]
            api = build()
            self._cache[key] = (config, api)
            return api

    def create_rest_api(
        self, config: Mapping[str, Any], require_auth: bool = True
    ) -> MinimalRestAPI:
        key = (id(config), "rest", require_auth)
        return self._cached(key, config, lambda: create_rest_api(config, require_auth))

    def create_soap_api(self, config: Mapping[str, Any], wsdl: str) -> SoapAPI:
        key = (id(config), "soap", wsdl)
        return self._cached(key, config, lambda: create_soap_api(config, wsdl))

    def close(self) -> None:
        with self._lock:
            apis = [api for _, api in self._cache.values()]
            self._cache.clear()
        _close_all(apis)


def _close_all(apis: list[Any]) -> None:
    """Close every client even if one of them fails to close."""
    for api in apis:
        try:
            api.close()
        except Exception:
            logger.warning("Closing %r failed", api, exc_info=True)


class ApiManager(Closing):
    """Context manager handing out REST and SOAP clients for one config.

    Clients are cached (``get_rest_api()`` twice returns the same object); all clients of
    one origin share ONE rate limiter and ONE circuit breaker; REST clients share one
    ``SessionManager``; SOAP clients keep their own session (zeep alters it). Leaving the
    ``with`` block closes everything, also when the block raised.
    """

    def __init__(self, config: Mapping[str, Any], *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        from txo_runtime.api_factory._settings import load_settings  # see _EXPORTS
        from txo_runtime.rest_api_helpers import SessionManager

        self.config = config
        self.settings = load_settings(config)  # fail now, before any work, on a bad config
        self.session_manager = SessionManager(pool_size=pool_size)
        self._apis: dict[tuple[Any, ...], Any] = {}
        self._uncached: list[Any] = []
        self._limits: dict[str, tuple[RateLimiter | None, CircuitBreaker | None]] = {}
        self._lock = threading.RLock()
        self._closed = False

    def limits_for(self, url: str) -> tuple[RateLimiter | None, CircuitBreaker | None]:
        """The shared (rate limiter, circuit breaker) of the URL's origin.

        Pass the limiter to ``rate_limited_parallel(..., rate_limiter=...)`` to keep a
        parallel run inside the same budget as the clients.
        """
        with self._lock:
            key = _origin(url)
            if key not in self._limits:
                self._limits[key] = (
                    self.settings.new_rate_limiter(url),
                    self.settings.new_circuit_breaker(),
                )
            return self._limits[key]

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("This ApiManager is closed; create clients inside its `with`")

    def get_rest_api(self, require_auth: bool = True) -> MinimalRestAPI:
        """The REST client for ``global.api-base-url`` (one per ``require_auth`` value)."""
        key = ("rest", require_auth)
        with self._lock:
            self._check_open()
            if key not in self._apis:
                base_url = require(self.config, "global", "api-base-url")
                self._apis[key] = _build_rest(
                    self.config,
                    self.settings,
                    require_auth=require_auth,
                    limits=self.limits_for(base_url),
                    session_manager=self.session_manager,
                )
            return self._apis[key]

    def get_soap_api(self, wsdl: str, **options: Any) -> SoapAPI:
        """The SOAP client for ``wsdl``. Calls with ``options`` (``history=``, ``wsse=``
        ...) get a new client each time; it is still closed with the manager."""
        key = ("soap", wsdl)
        with self._lock:
            self._check_open()
            if options:
                api = _build_soap(self.settings, wsdl, self.limits_for(wsdl), options)
                self._uncached.append(api)
                return api
            if key not in self._apis:
                self._apis[key] = _build_soap(self.settings, wsdl, self.limits_for(wsdl), {})
            return self._apis[key]

    @property
    def open_clients(self) -> int:
        """How many clients this manager has handed out and not yet closed."""
        return len(self._apis) + len(self._uncached)

    def close(self) -> None:
        """Close every client and session (idempotent)."""
        with self._lock:
            apis = [*self._apis.values(), *self._uncached]
            limiters = [limiter for limiter, _ in self._limits.values() if limiter is not None]
            self._apis.clear()
            self._uncached.clear()
            self._closed = True
        _close_all(apis)
        _close_all(limiters)  # a shared bucket's state file or Redis connection
        self.session_manager.close()

    def __repr__(self) -> str:
        source = config_source(self.config) or "dict"
        return f"ApiManager(config={source}, clients={self.open_clients})"
