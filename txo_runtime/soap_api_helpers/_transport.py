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
from txo_runtime.soap_api_helpers._errors import (
    is_client_fault,
    translate_request_error,
    translate_status,
)
from txo_runtime.soap_api_helpers._masking import mask_xml
from txo_runtime.url_helpers import redact_url

__all__ = ["build_transport", "effective_status", "soap_engine"]

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
        raise translate_request_error(
            outcome, url, attempts=last.number, timeout=timeout
        ) from outcome
    if outcome.status_code in ENVELOPE_STATUSES:
        return outcome
    raise translate_status(
        outcome.status_code, url, attempts=last.number, retry_after=last.verdict.retry_after
    )


class ResilientPostMixin:
    """Mixed into ``zeep.Transport`` at runtime (zeep is imported lazily, so no subclass
    can be defined at import time): see :func:`build_transport`."""

    session: requests.Session
    operation_timeout: float | None
    load_timeout: float | None
    logger: logging.Logger
    txo_engine: CallEngine

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        debug = self.logger.isEnabledFor(logging.DEBUG)
        if debug:
            self.logger.debug("HTTP Post to %s:\n%s", address, mask_xml(message))

        def send() -> requests.Response:
            return self.session.post(
                address, data=message, headers=headers, timeout=self.operation_timeout
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

        def send() -> requests.Response:
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
) -> Any:
    """A ``zeep.Transport`` subclass instance using ``session`` for WSDL and operations."""
    import zeep

    transport_class = type("ResilientTransport", (ResilientPostMixin, zeep.Transport), {})
    transport = transport_class(
        cache=cache, timeout=wsdl_timeout, operation_timeout=operation_timeout, session=session
    )
    transport.txo_engine = engine
    return transport
