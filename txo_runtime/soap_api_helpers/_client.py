"""``SoapAPI``: a zeep client with the runtime's resilience, timeouts and redaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Literal

import requests

from txo_runtime.api_common import CircuitBreaker, Closing, RateLimiter, RetryPolicy
from txo_runtime.exceptions import (
    ApiError,
    ApiOperationError,
    ApiTimeoutError,
    HelpfulError,
)
from txo_runtime.extras import import_lazily
from txo_runtime.logger import redact, register_secret
from txo_runtime.soap_api_helpers._errors import translate_zeep_error
from txo_runtime.soap_api_helpers._masking import MaskedObserver, SecretRegistrar
from txo_runtime.soap_api_helpers._transport import build_transport, soap_engine
from txo_runtime.url_helpers import is_absolute_url, redact_url, url_origin

# Timeouts of a SoapAPI built by hand; create_soap_api passes the config's values.
DEFAULT_OPERATION_TIMEOUT = 120.0
DEFAULT_WSDL_TIMEOUT = 60.0
DEFAULT_WSDL_CACHE_SECONDS = 3600
DEFAULT_POOL_SIZE = 10
WSDL_TIMEOUT_SETTING = "script-behavior.api-timeouts.wsdl-timeout-seconds"


def _wsdl_cache(cache: Any) -> Any:
    if cache != "memory":
        return cache  # None (no caching) or a zeep cache such as SqliteCache(path=...)
    from zeep.cache import InMemoryCache

    return InMemoryCache(timeout=DEFAULT_WSDL_CACHE_SECONDS)


def _own_session(pool_size: int) -> requests.Session:
    """A session for zeep alone: zeep mounts a file:// adapter and sets its User-Agent on
    the session it gets, so sharing one with REST would change REST calls too."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _plugins(plugins: Iterable[Any], history: int) -> tuple[list[Any], Any]:
    """Registrar first; observers (HistoryPlugin) wrapped so they keep masked copies."""
    from zeep.plugins import HistoryPlugin

    given = list(plugins)
    history_plugin = HistoryPlugin(maxlen=history) if history > 0 else None
    if history_plugin is not None:
        given.append(history_plugin)
    chain: list[Any] = [SecretRegistrar()]
    for plugin in given:
        chain.append(MaskedObserver(plugin) if isinstance(plugin, HistoryPlugin) else plugin)
    return chain, history_plugin


def _credential_origin(wsdl: str, endpoint: str | None) -> str | None:
    """Where credentials may be sent: the explicit endpoint's origin, else the WSDL's
    (None for a WSDL file: the project chose its address itself)."""
    if endpoint is not None:
        return url_origin(endpoint)
    return url_origin(wsdl) if is_absolute_url(wsdl) and not wsdl.startswith("file:") else None


def _wsdl_load_error(exc: Exception, wsdl: str, timeout: float) -> ApiError:
    if isinstance(exc, requests.Timeout):
        return ApiTimeoutError(
            f"Loading the WSDL {wsdl} timed out after {timeout} s",
            timeout_seconds=timeout,
            url=wsdl,
            how_to_fix=f"Check the WSDL URL or raise {WSDL_TIMEOUT_SETTING}",
        )
    return ApiOperationError(
        f"Could not load the WSDL {wsdl}: {type(exc).__name__}: {redact(str(exc))}",
        url=wsdl,
        how_to_fix="Check the WSDL URL (or file in wsdl/) and that the service is reachable",
    )


class SoapAPI(Closing):
    """A SOAP client over zeep.

    Each operation POST and each WSDL/XSD download goes rate limiter -> circuit breaker ->
    send, retried per ``retry_policy`` (none without one). SOAP POSTs are not idempotent:
    only 429/503 and connect errors are retried unless ``idempotent=True``; downloads are
    GETs and retried like any idempotent request. ``rules`` is that call engine.
    ``operation_timeout`` bounds every call (zeep's default is none); ``wsdl_timeout``
    bounds loading the WSDL and XSDs. Faults become
    ``ApiAuthenticationError`` / ``ApiValidationError`` / ``ApiOperationError`` with the
    fault code in ``error.context.details["fault_code"]``.

    Call operations as ``api.service.GetCustomer(id=42)`` or ``api.call("GetCustomer",
    id=42)``; ``api.client`` is the underlying ``zeep.Client`` for types and headers.

    Credentials (``wsse``, the session's auth) stay on the WSDL's origin, as REST keeps
    its token on the caller's origin: a WSDL whose service address names another host is
    refused with an error saying so, unless ``endpoint`` names the address explicitly
    (then operations go there). A WSDL read from a file may name any address.
    """

    def __init__(
        self,
        wsdl: str,
        *,
        rate_limiter: RateLimiter | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        retry_policy: RetryPolicy | None = None,
        operation_timeout: float = DEFAULT_OPERATION_TIMEOUT,
        wsdl_timeout: float = DEFAULT_WSDL_TIMEOUT,
        idempotent: bool = False,
        cache: Any | Literal["memory"] = "memory",
        session: requests.Session | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        plugins: Iterable[Any] = (),
        history: int = 0,
        secrets: Iterable[str] = (),
        wsse: Any = None,
        service_name: str | None = None,
        port_name: str | None = None,
        endpoint: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import_lazily("zeep", purpose="SoapAPI (SOAP calls)")  # a missing extra fails first
        for secret in secrets:
            register_secret(secret)
        self.wsdl = wsdl
        self.operation_timeout = operation_timeout
        self.rules = soap_engine(
            rate_limiter=rate_limiter,
            circuit_breaker=circuit_breaker,
            retry_policy=retry_policy,
            idempotent=idempotent,
            sleep=sleep,
        )
        self._owns_session = session is None
        self.session = session if session is not None else _own_session(pool_size)
        self.transport = build_transport(
            engine=self.rules,
            session=self.session,
            operation_timeout=operation_timeout,
            wsdl_timeout=wsdl_timeout,
            cache=_wsdl_cache(cache),
            origin=_credential_origin(wsdl, endpoint),
        )
        chain, self.history = _plugins(plugins, history)
        self.client = self._load(wsdl, wsdl_timeout, chain, wsse, service_name, port_name)
        if endpoint is not None:
            self.client.service._binding_options["address"] = endpoint
        self.service = _ServiceProxy(self)

    @property
    def endpoint(self) -> str:
        """The address operations are posted to (the WSDL's, or the configured one)."""
        return str(self.client.service._binding_options.get("address", self.wsdl))

    def _load(
        self,
        wsdl: str,
        timeout: float,
        plugins: list[Any],
        wsse: Any,
        service_name: str | None,
        port_name: str | None,
    ) -> Any:
        import zeep
        from zeep.exceptions import Error as ZeepError

        try:
            return zeep.Client(
                wsdl,
                transport=self.transport,
                plugins=plugins,
                wsse=wsse,
                service_name=service_name,
                port_name=port_name,
            )
        except ApiError:  # the circuit breaker refused the download
            self.close()
            raise
        except (requests.RequestException, ZeepError, OSError, ValueError) as exc:
            self.close()
            raise _wsdl_load_error(exc, redact_url(wsdl), timeout) from None

    def call(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        """Call a SOAP operation by name; errors come back as the runtime's exceptions."""
        try:
            method = self.client.service[operation]
        except AttributeError:
            raise HelpfulError(
                what_went_wrong=f"The WSDL {redact_url(self.wsdl)} has no operation '{operation}'",
                how_to_fix=f"Use one of: {', '.join(self.operations()) or '(none)'}",
                example=f'api.call("{next(iter(self.operations()), "GetItem")}", id=42)',
            ) from None
        try:
            return method(*args, **kwargs)
        except ApiError:
            raise
        except Exception as exc:
            translated = translate_zeep_error(exc, operation, redact_url(self.endpoint))
            if translated is None:
                raise
            raise translated from exc

    def operations(self) -> list[str]:
        """Operation names of the bound port, sorted."""
        return sorted(name for name, _ in self.client.service)  # zeep's ServiceProxy iterates

    def close(self) -> None:
        """Close the HTTP session (when this client created it)."""
        if self._owns_session:
            self.session.close()

    def __repr__(self) -> str:
        return (
            f"SoapAPI(wsdl={redact_url(self.wsdl)!r}, operation_timeout={self.operation_timeout}, "
            f"idempotent={self.rules.idempotent})"
        )


class _ServiceProxy:
    """``api.service.Op(...)``: zeep's attribute style, with the runtime's error mapping."""

    def __init__(self, api: SoapAPI) -> None:
        self._api = api

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        if operation.startswith("_"):
            raise AttributeError(operation)
        return partial(self._api.call, operation)

    def __getitem__(self, operation: str) -> Callable[..., Any]:
        return partial(self._api.call, operation)

    def __dir__(self) -> list[str]:
        return self._api.operations()
