"""The one place where HTTP statuses and ``requests`` errors become txo exceptions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from txo_runtime.api_common import is_connection_error, is_timeout_error
from txo_runtime.exceptions import (
    ApiAuthenticationError,
    ApiError,
    ApiOperationError,
    ApiRateLimitError,
    ApiTimeoutError,
    ApiValidationError,
    EntityNotFoundError,
    ErrorContext,
)
from txo_runtime.logger import redact
from txo_runtime.url_helpers import redact_url

__all__ = ["error_for_exception", "error_for_status", "server_message"]

MAX_SERVER_MESSAGE = 300


def _context(method: str, url: str, attempts: int) -> dict[str, Any]:
    return {
        "url": url,
        "attempts": attempts,
        "context": ErrorContext(operation=method, resource=url, details={"attempts": attempts}),
    }


def _attempts_text(attempts: int) -> str:
    return f"after {attempts} attempt{'s' if attempts != 1 else ''}"


def server_message(response: requests.Response) -> str | None:
    """The error text of an OData/JSON error body (or the start of a text body), redacted
    (registered secrets and the log redaction rules) and truncated."""
    text: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
        text = response.text.strip() or None
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            text = error.get("message") or error.get("error_description") or error.get("detail")
            if isinstance(text, dict):  # OData v2: {"message": {"lang": .., "value": ..}}
                text = text.get("value")
        elif isinstance(error, str):
            text = body.get("error_description") or error
    if text is None:
        return None
    # Servers echo input (a rejected password, a token): redact before the text reaches an
    # exception. Cut first so a huge HTML page is not scanned, but with room to spare so a
    # secret that straddles MAX_SERVER_MESSAGE is still seen whole by the rules.
    text = redact(" ".join(str(text)[: 8 * MAX_SERVER_MESSAGE].split()))
    return text if len(text) <= MAX_SERVER_MESSAGE else text[:MAX_SERVER_MESSAGE] + "..."


def error_for_status(
    response: requests.Response,
    *,
    method: str,
    url: str,
    attempts: int,
    retry_after: float | None,
    note: str | None = None,
) -> ApiError | None:
    """The exception for an error status (>= 400), or None for a success. ``attempts``
    and ``retry_after`` come from the call engine's last attempt; ``note`` is the client's
    own explanation (e.g. why no token was sent), added to the message."""
    status = response.status_code
    if status < 400:
        return None
    safe_url = redact_url(url)
    detail = server_message(response)
    message = f"{method} {safe_url} returned {status} {_attempts_text(attempts)}"
    if detail:
        message += f": {detail}"
    if note:
        message += f" ({note})"
    common = {"status_code": status, **_context(method, safe_url, attempts)}
    return _status_error(status, message, retry_after, common)


def _status_error(
    status: int, message: str, retry_after: float | None, common: dict[str, Any]
) -> ApiError:
    if status in (401, 403):
        return ApiAuthenticationError(
            message, how_to_fix="Check the token, its scope and the app's permissions", **common
        )
    if status == 404:
        path = urlsplit(common["url"]).path.rstrip("/")
        entity = path.rsplit("/", 1)[-1] or path or "resource"
        return EntityNotFoundError(entity, message=message, **common)
    if status in (400, 422):
        return ApiValidationError(message, **common)
    if status == 429:
        return ApiRateLimitError(
            message,
            retry_after=retry_after,
            how_to_fix="Lower 'script-behavior.rate-limiting.calls-per-second' in the config",
            **common,
        )
    if status == 408:
        return ApiTimeoutError(message, **common)
    return ApiOperationError(message, **common)


def error_for_exception(
    exc: BaseException, *, method: str, url: str, attempts: int, timeout: float
) -> ApiError:
    """The exception for a transport failure (timeout, reset, refused, bad URL)."""
    safe_url = redact_url(url)
    common = _context(method, safe_url, attempts)
    kind = type(exc).__name__
    if is_timeout_error(exc):
        return ApiTimeoutError(
            f"{method} {safe_url} timed out ({kind}, timeout {timeout:g} s) "
            f"{_attempts_text(attempts)}",
            timeout_seconds=timeout,
            how_to_fix="Raise 'script-behavior.api-timeouts.rest-timeout-seconds' or check "
            "the service",
            **common,
        )
    what = "connection failed" if is_connection_error(exc) else "request failed"
    return ApiOperationError(
        f"{method} {safe_url} {what} ({kind}) {_attempts_text(attempts)}", **common
    )
