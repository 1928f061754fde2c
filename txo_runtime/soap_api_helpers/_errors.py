"""Translate zeep's and requests' errors into the runtime's exceptions, in one place.

SOAP reports errors as faults, and servers disagree on HTTP status (spyne answers every
fault with 500), so faults are classified by their *code*: ``soap11env:Client.Auth...`` ->
the part after the prefix, then the first dotted segment (``Client``/``Sender`` = the
request was wrong, ``Server``/``Receiver`` = the service failed); any code that speaks of
authentication wins over both.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from txo_runtime.exceptions import (
    ApiAuthenticationError,
    ApiError,
    ApiOperationError,
    ApiRateLimitError,
    ApiTimeoutError,
    ApiValidationError,
    ErrorContext,
)
from txo_runtime.logger import redact

CLIENT_FAULT_KINDS = frozenset({"client", "sender"})
SERVER_FAULT_KINDS = frozenset({"server", "receiver"})
AUTH_FAULT = re.compile(
    r"auth|login|logon|signon|credential|password|unauthori[sz]ed|accessdenied|forbidden"
    r"|invalidsecurity|securitytoken",
    re.IGNORECASE,
)
TIMEOUT_SETTING = "script-behavior.api-timeouts.soap-timeout-seconds"
MAX_DETAIL = 500


def _local(code: str) -> str:
    """``soap11env:Client.AuthenticationFailed`` -> ``Client.AuthenticationFailed``."""
    return code.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def fault_category(code: str | None, subcodes: Any = None) -> type[ApiError]:
    """The exception class for a SOAP fault code (plus SOAP 1.2 subcodes)."""
    names = [_local(str(code or ""))] + [_local(str(sub)) for sub in subcodes or ()]
    if any(AUTH_FAULT.search(name) for name in names):
        return ApiAuthenticationError
    kind = names[0].split(".", 1)[0].lower()
    if kind in CLIENT_FAULT_KINDS:
        return ApiValidationError
    return ApiOperationError


def is_client_fault(code: str | None) -> bool:
    """A Client/Sender fault: the service is healthy, the request was wrong."""
    return _local(str(code or "")).split(".", 1)[0].lower() in CLIENT_FAULT_KINDS


_FIXES: dict[type[ApiError], str] = {
    ApiAuthenticationError: "Check the SOAP credentials (the values passed to the client, "
    "usually from the config's secrets file) and the user's rights for {op}",
    ApiValidationError: "The service rejected the request data: check the arguments of {op}",
    ApiOperationError: "The service failed: retry later, or ask its owner about the fault",
}


def _detail_text(detail: Any) -> str:
    """The text of a fault's ``<detail>`` element (lxml), or ``str()`` of anything else."""
    itertext = getattr(detail, "itertext", None)
    text = " ".join(itertext()) if callable(itertext) else str(detail)
    return " ".join(text.split())[:MAX_DETAIL]


def translate_fault(fault: Any, operation: str, endpoint: str) -> ApiError:
    """zeep ``Fault`` -> ApiAuthenticationError / ApiValidationError / ApiOperationError."""
    code = fault.code
    error_class = fault_category(code, fault.subcodes)
    # Servers echo input (a password, a token) in the fault string, the code or the detail:
    # every piece of server text is redacted before it reaches the exception.
    message = redact(str(fault.message))
    shown_code = redact(str(code))
    details: dict[str, Any] = {"fault_code": shown_code, "fault_message": message}
    if getattr(fault, "detail", None) is not None:
        details["fault_detail"] = redact(_detail_text(fault.detail))
    context = ErrorContext(operation=operation, resource=endpoint, details=details)
    return error_class(
        f"SOAP fault {shown_code} from {operation} at {endpoint}: {message}",
        status_code=500,
        url=endpoint,
        how_to_fix=_FIXES[error_class].replace("{op}", operation),
        context=context,
    )


def translate_status(
    status: int, url: str, *, attempts: int, retry_after: float | None = None
) -> ApiError:
    """An HTTP status that carried no SOAP envelope (401, 404, 429, 503 ...)."""
    message = f"SOAP endpoint {url} answered HTTP {status}"
    common: dict[str, Any] = {"status_code": status, "url": url, "attempts": attempts}
    if status in (401, 403):
        return ApiAuthenticationError(
            message, how_to_fix="Check the credentials or HTTP auth of the SOAP client", **common
        )
    if status == 429:
        return ApiRateLimitError(message, retry_after=retry_after, **common)
    if status in (400, 422):
        return ApiValidationError(message, **common)
    fix = "Check the service address in the WSDL" if status == 404 else None
    if 300 <= status < 400:  # redirects are not followed: the envelope holds credentials
        fix = "The endpoint redirects; configure the address it redirects to as the endpoint"
    return ApiOperationError(f"{message} after {attempts} attempt(s)", how_to_fix=fix, **common)


def translate_request_error(
    exc: BaseException, url: str, *, attempts: int, timeout: float | None
) -> ApiError:
    """requests timeouts / connection errors raised while posting an envelope."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, requests.Timeout):
        return ApiTimeoutError(
            f"SOAP call to {url} timed out after {timeout} s ({attempts} attempt(s))",
            timeout_seconds=timeout,
            url=url,
            attempts=attempts,
            how_to_fix=f"Raise {TIMEOUT_SETTING} if the operation is legitimately slow",
        )
    return ApiOperationError(
        f"SOAP call to {url} failed after {attempts} attempt(s): {type(exc).__name__}",
        url=url,
        attempts=attempts,
        how_to_fix="Check that the service is reachable from this machine",
    )


def translate_zeep_error(exc: Exception, operation: str, endpoint: str) -> ApiError | None:
    """Map a zeep error raised by an operation call; None if it is not a zeep error.
    ``endpoint`` is the (redacted) address the operation was posted to: errors name it,
    not the WSDL."""
    from zeep import exceptions as zeep_errors

    if isinstance(exc, zeep_errors.Fault):
        return translate_fault(exc, operation, endpoint)
    if isinstance(exc, zeep_errors.TransportError):
        return translate_status(exc.status_code, endpoint, attempts=1)
    if isinstance(exc, zeep_errors.ValidationError):
        return ApiValidationError(  # zeep quotes the offending value: redact it
            f"Invalid arguments for SOAP operation {operation}: {redact(str(exc))}",
            url=endpoint,
            how_to_fix=f"Pass the arguments the WSDL defines for {operation}",
        )
    if isinstance(exc, zeep_errors.Error):
        return ApiOperationError(
            f"SOAP operation {operation} failed: {redact(str(exc))}", url=endpoint
        )
    return None
