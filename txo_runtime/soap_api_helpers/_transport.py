"""A zeep ``Transport`` whose requests all go through the client's call engine.

zeep calls ``transport.post`` for every operation and ``_load_remote_data`` for every WSDL
and XSD download, so the resilience belongs here and not on the session (retries inside
urllib3's adapter would hide attempts from the rate limiter and the circuit breaker). Both
run through one :class:`~txo_runtime.api_common.CallEngine`, which judges every outcome
the way it judges REST calls.

SOAP adds one rule, :func:`effective_status`: spyne and many other servers answer *every*
fault with HTTP 500, so a ``Client``/``Sender`` fault is read from the body and judged as
a 400 (final, and no sign of an unhealthy service). Operations are POSTs and not
idempotent unless the client says so: only 429/503 and connect errors are retried.
WSDL/XSD downloads are GETs and are retried like any idempotent request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

import requests

from txo_runtime.api_common import (
    Attempt,
    CallEngine,
    CircuitBreaker,
    RateLimiter,
    RetryPolicy,
)
from txo_runtime.exceptions import ApiOperationError
from txo_runtime.soap_api_helpers._errors import (
    is_client_fault,
    translate_request_error,
    translate_status,
)
from txo_runtime.soap_api_helpers._masking import mask_xml
from txo_runtime.url_helpers import is_absolute_url, redact_url, url_origin

__all__ = ["build_transport", "effective_status", "soap_engine"]

logger = logging.getLogger(__name__)

# Statuses zeep turns into a result or a Fault itself; anything else is translated here.
ENVELOPE_STATUSES = frozenset({200, 202, 500})
CLIENT_ERROR_STATUS = 400  # what a Client/Sender fault counts as
# SOAP 1.1 <faultcode>, SOAP 1.2 <Code><Value>, whatever the prefixes.
FAULT_CODE_XPATH = (
    "string((//*[local-name()='faultcode'] | //*[local-name()='Code']/*[local-name()='Value'])[1])"
)


def _fault_code(response: requests.Response) -> str | None:
    from lxml import etree

    try:
        root = etree.fromstring(response.content)
    except (etree.XMLSyntaxError, ValueError):
        return None
    code = root.xpath(FAULT_CODE_XPATH)
    return str(code).strip() or None


def effective_status(response: requests.Response) -> int:
    """The HTTP status, except that a Client/Sender fault inside a 500 counts as 400."""
    if response.status_code == 500 and is_client_fault(_fault_code(response)):
        return CLIENT_ERROR_STATUS
    return response.status_code


def soap_engine(
    *,
    rate_limiter: RateLimiter | None,
    circuit_breaker: CircuitBreaker | None,
    retry_policy: RetryPolicy | None,
    idempotent: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> CallEngine:
    """The engine of one SOAP client: its operations are judged by :func:`effective_status`
    and are idempotent only when the client says so."""
    return CallEngine(
        rate_limiter=rate_limiter,
        circuit_breaker=circuit_breaker,
        retry_policy=retry_policy,
        idempotent=idempotent,
        effective_status=effective_status,
        describe_url=redact_url,
        sleep=sleep,
    )


def _envelope_answer(last: Attempt, url: str, timeout: float | None) -> requests.Response:
    """The answer for zeep to read (a result or a fault), or the mapped ApiError."""
    outcome = last.outcome
    if isinstance(outcome, Exception):
        # Not chained: requests' own text quotes the raw URL (a query secret included).
        logger.debug("SOAP POST %s failed: %r", redact_url(url), outcome)
        raise translate_request_error(
            outcome, redact_url(url), attempts=last.number, timeout=timeout
        ) from None
    if outcome.status_code in ENVELOPE_STATUSES:
        return outcome
    raise translate_status(
        outcome.status_code,
        redact_url(url),
        attempts=last.number,
        retry_after=last.verdict.retry_after,
    )


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """An auth that adds nothing: given per request, it overrides the session's auth."""
    return request


def foreign_origin_error(address: str, origin: str) -> ApiOperationError:
    """Refusing to post an envelope (WS-Security password, HTTP auth) to another origin."""
    shown = redact_url(address)
    return ApiOperationError(
        f"The WSDL names the service address {shown}, on another origin than the WSDL "
        f"({origin}); the SOAP request was not sent, so its credentials stay on {origin}",
        url=shown,
        how_to_fix="If that host is the real service, configure its address explicitly "
        "(SoapAPI(..., endpoint=...), or the 'endpoint' option of create_soap_api); "
        "otherwise fix the WSDL",
        example=f'create_soap_api(config, wsdl, endpoint="{shown}")',
    )


class ResilientPostMixin:
    """Mixed into ``zeep.Transport`` at runtime (zeep is imported lazily, so no subclass
    can be defined at import time): see :func:`build_transport`.

    ``txo_origin`` is where credentials may go (the WSDL's origin, or the explicitly
    configured endpoint's); None for a WSDL read from a file, whose address the project
    chose itself. An envelope for another origin is refused; a schema download from
    another origin is sent without the session's auth."""

    session: requests.Session
    operation_timeout: float | None
    load_timeout: float | None
    logger: logging.Logger
    txo_engine: CallEngine
    txo_origin: str | None = None

    def _foreign(self, url: str) -> bool:
        origin = self.txo_origin
        return origin is not None and is_absolute_url(url) and url_origin(url) != origin

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        if self._foreign(address):
            raise foreign_origin_error(address, self.txo_origin or "")
        debug = self.logger.isEnabledFor(logging.DEBUG)
        if debug:
            self.logger.debug("HTTP Post to %s:\n%s", address, mask_xml(message))

        def send() -> requests.Response:  # a redirect would carry the envelope elsewhere
            return self.session.post(
                address,
                data=message,
                headers=headers,
                timeout=self.operation_timeout,
                allow_redirects=False,
            )

        last = self.txo_engine.run("POST", address, send)
        response = _envelope_answer(last, address, self.operation_timeout)
        if debug:
            self.logger.debug(
                "HTTP Response from %s (status: %d):\n%s",
                address,
                response.status_code,
                mask_xml(response.content),
            )
        return response

    def _load_remote_data(self, url: str) -> bytes:
        """A WSDL/XSD download: a GET through the same engine (it hits the same server)."""
        self.logger.debug("Loading remote data from: %s", url)

        anonymous = self._foreign(url)  # an XSD elsewhere gets no credentials

        def send() -> requests.Response:
            if anonymous:
                return self.session.get(
                    url,
                    timeout=self.load_timeout,
                    auth=_no_auth,
                    headers={"Authorization": None},
                )
            return self.session.get(url, timeout=self.load_timeout)

        outcome = self.txo_engine.run("GET", url, send, idempotent=True).outcome
        if isinstance(outcome, Exception):
            raise outcome  # SoapAPI names the WSDL in the error it raises for this
        with closing(outcome):
            outcome.raise_for_status()
            return outcome.content


def build_transport(
    *,
    engine: CallEngine,
    session: requests.Session,
    operation_timeout: float,
    wsdl_timeout: float,
    cache: Any,
    origin: str | None = None,
) -> Any:
    """A ``zeep.Transport`` subclass instance using ``session`` for WSDL and operations;
    credentials go only to ``origin`` (None: anywhere)."""
    import zeep

    transport_class = type("ResilientTransport", (ResilientPostMixin, zeep.Transport), {})
    transport = transport_class(
        cache=cache, timeout=wsdl_timeout, operation_timeout=operation_timeout, session=session
    )
    transport.txo_engine = engine
    transport.txo_origin = origin
    return transport
