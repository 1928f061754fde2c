"""A zeep ``Transport`` whose POSTs go through rate limiter -> breaker -> send, with retries.

zeep calls ``transport.post`` for every operation, so the resilience belongs here and not
on the session (an urllib3 ``Retry`` on the adapter would hide attempts from the limiter and
the breaker: runtime-facts.md). The retry loop is a short one of our own rather than
``RetryPolicy.retrying`` (tenacity) because SOAP needs one extra rule: spyne and many other
servers answer *every* fault with HTTP 500, so a ``Client``/``Sender`` fault is read from
the body and treated like a 400 (no retry, not a breaker failure).

Retry rules for SOAP POSTs (not idempotent unless the client says so):
- always: 429/503 (honouring ``Retry-After``) and connect errors (nothing was sent);
- only when ``idempotent=True``: timeouts, broken connections, 500/502/504 server faults.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from txo_runtime.api_common import (
    CircuitBreaker,
    RateLimiter,
    RetryPolicy,
    counts_as_failure,
    parse_retry_after,
)
from txo_runtime.exceptions import CircuitBreakerOpenError
from txo_runtime.soap_api_helpers._errors import (
    is_client_fault,
    translate_request_error,
    translate_status,
)
from txo_runtime.soap_api_helpers._masking import mask_xml

SOAP_METHOD = "POST"
# Statuses zeep turns into a result or a Fault itself; anything else is translated here.
ENVELOPE_STATUSES = frozenset({200, 202, 500})
CLIENT_ERROR_STATUS = 400  # what a Client/Sender fault counts as
# SOAP 1.1 <faultcode>, SOAP 1.2 <Code><Value>, whatever the prefixes.
FAULT_CODE_XPATH = (
    "string((//*[local-name()='faultcode'] | //*[local-name()='Code']/*[local-name()='Value'])[1])"
)


@dataclass
class Resilience:
    """What every SOAP POST of one client goes through. Shared limiter/breaker allowed."""

    rate_limiter: RateLimiter | None = None
    circuit_breaker: CircuitBreaker | None = None
    retry_policy: RetryPolicy | None = None
    idempotent: bool = False
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)


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


def _attempt(
    rules: Resilience, send: Callable[[], requests.Response], url: str
) -> tuple[requests.Response, int]:
    """One attempt: limiter -> breaker -> send -> report the outcome to the breaker."""
    if rules.rate_limiter is not None:
        rules.rate_limiter.acquire()
    breaker = rules.circuit_breaker
    if breaker is not None and not breaker.allow():
        raise CircuitBreakerOpenError(
            f"Circuit breaker open: not calling {url}",
            url=url,
            how_to_fix="The service failed repeatedly; wait for circuit-breaker.timeout-seconds",
        )
    try:
        response = send()
    except Exception as exc:
        if breaker is not None:
            breaker.record_failure(exc)
        raise
    status = effective_status(response)
    if breaker is not None:
        if counts_as_failure(status_code=status):
            breaker.record_failure(status)
        else:
            breaker.record_success()
    return response, status


def _next_wait(
    rules: Resilience,
    attempt: int,
    waited: float,
    *,
    status: int | None = None,
    exc: BaseException | None = None,
    retry_after: float | None = None,
) -> float | None:
    """Seconds to wait before the next attempt, or None to stop."""
    policy = rules.retry_policy
    if policy is None or attempt >= policy.max_attempts:
        return None
    if not policy.should_retry(
        SOAP_METHOD, status_code=status, exc=exc, idempotent=rules.idempotent
    ):
        return None
    wait = policy.compute_wait(attempt, retry_after)
    return None if waited + wait > policy.max_total_wait else wait


def send_with_retries(
    rules: Resilience, send: Callable[[], requests.Response], url: str, timeout: float | None
) -> requests.Response:
    """Attempts until success or the policy says stop; then return or raise an ApiError."""
    attempt, waited = 0, 0.0
    while True:
        attempt += 1
        try:
            response, status = _attempt(rules, send, url)
        except Exception as exc:
            wait = _next_wait(rules, attempt, waited, exc=exc)
            if wait is None:
                raise translate_request_error(exc, url, attempts=attempt, timeout=timeout) from exc
        else:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = _next_wait(rules, attempt, waited, status=status, retry_after=retry_after)
            if wait is None:
                return _accept(response, url, attempt, retry_after)
        rules.sleep(wait)
        waited += wait


def _accept(
    response: requests.Response, url: str, attempts: int, retry_after: float | None
) -> requests.Response:
    if response.status_code in ENVELOPE_STATUSES:
        return response
    raise translate_status(response.status_code, url, attempts=attempts, retry_after=retry_after)


class ResilientPostMixin:
    """Mixed into ``zeep.Transport`` at runtime (zeep is imported lazily, so no subclass
    can be defined at import time): see :func:`build_transport`."""

    session: requests.Session
    operation_timeout: float | None
    logger: logging.Logger
    txo_rules: Resilience

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        debug = self.logger.isEnabledFor(logging.DEBUG)
        if debug:
            self.logger.debug("HTTP Post to %s:\n%s", address, mask_xml(message))

        def send() -> requests.Response:
            return self.session.post(
                address, data=message, headers=headers, timeout=self.operation_timeout
            )

        response = send_with_retries(self.txo_rules, send, address, self.operation_timeout)
        if debug:
            self.logger.debug(
                "HTTP Response from %s (status: %d):\n%s",
                address,
                response.status_code,
                mask_xml(response.content),
            )
        return response

    def _load_remote_data(self, url: str) -> bytes:
        """WSDL/XSD downloads count against the rate limit too (they hit the same server)."""
        if self.txo_rules.rate_limiter is not None:
            self.txo_rules.rate_limiter.acquire()
        data: bytes = super()._load_remote_data(url)  # type: ignore[misc]
        return data


def build_transport(
    *,
    rules: Resilience,
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
    transport.txo_rules = rules
    return transport
