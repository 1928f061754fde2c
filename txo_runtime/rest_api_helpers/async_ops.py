"""202 Accepted: poll the status monitor until the operation finishes or time runs out.

Follows the OData/HTTP pattern (202 + ``Location``) and Azure's
(``Azure-AsyncOperation`` / ``Operation-Location``, preferred when present). Every poll is
a normal call of the client, so it goes through the rate limiter, the breaker and retries.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import requests

from txo_runtime.api_common import parse_retry_after
from txo_runtime.exceptions import ApiOperationError, ApiTimeoutError, ErrorContext
from txo_runtime.url_helpers import redact_url

if TYPE_CHECKING:
    from txo_runtime.rest_api_helpers.client import MinimalRestAPI

__all__ = ["monitor_url", "wait_for_async_result"]


_MONITOR_HEADERS = ("Azure-AsyncOperation", "Operation-Location", "Location")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RUNNING = frozenset({"notstarted", "running", "inprogress", "accepted"})
_FAILED = frozenset({"failed", "canceled", "cancelled"})

logger = logging.getLogger(__name__)


def monitor_url(response: requests.Response) -> str | None:
    """The absolute status-monitor URL of a 202 (relative ones resolve against the request)."""
    for name in _MONITOR_HEADERS:
        value = response.headers.get(name)
        if value:
            return urljoin(response.url, value)
    return None


def _poll_wait(client: MinimalRestAPI, response: requests.Response) -> float:
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    # "Retry-After: 0" (or a past date) would make a hot loop until async-max-wait.
    return retry_after or client.async_poll_interval


def wait_for_async_result(
    client: MinimalRestAPI,
    accepted: requests.Response,
    attempts: int,
    *,
    caller_url: str | None = None,
) -> tuple[requests.Response, int]:
    """Poll until 200/201/204 (returned), a redirect (followed with GET) or an error
    (raised as the mapped txo exception); ``ApiTimeoutError`` after ``async_max_wait``.

    Monitor and redirect URLs come from the server: they get the token only on the origin
    of ``caller_url`` (the caller's request; default: the 202's own URL).
    """
    origin_of = caller_url or accepted.url
    url = monitor_url(accepted)
    if url is None:  # accepted, nothing to watch: the 202 itself is the answer
        return accepted, attempts
    deadline = client._clock() + client.async_max_wait
    azure_style = any(name in accepted.headers for name in _MONITOR_HEADERS[:2])
    response, polls = accepted, 0
    while True:
        wait = _poll_wait(client, response)
        if client._clock() + wait > deadline:
            raise _timeout(client, url, polls, attempts)
        logger.info(
            "Operation accepted (202), still running: poll %d of %s in %.1f s",
            polls + 1,
            redact_url(url),
            wait,
        )
        client._sleep(wait)
        response, used = client.send(
            "GET", url, idempotent=True, allow_redirects=False, follow_up_of=origin_of
        )
        polls, attempts = polls + 1, attempts + used
        if response.status_code in _REDIRECTS and response.headers.get("Location"):
            target = urljoin(response.url, response.headers["Location"])
            final, used = client.send("GET", target, idempotent=True, follow_up_of=origin_of)
            return final, attempts + used
        if response.status_code == 202 or (azure_style and _still_running(response)):
            url = monitor_url(response) or url
            continue
        return response, attempts


def _still_running(response: requests.Response) -> bool:
    """Azure-style monitors answer 200 with ``{"status": "Running"}`` until done."""
    if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    status = str(body.get("status", "")).lower() if isinstance(body, dict) else ""
    if status in _FAILED:
        raise ApiOperationError(
            f"Asynchronous operation ended with status '{body['status']}'",
            status_code=200,
            url=redact_url(response.url),
        )
    return status in _RUNNING


def _timeout(client: MinimalRestAPI, url: str, polls: int, attempts: int) -> ApiTimeoutError:
    safe_url = redact_url(url)
    return ApiTimeoutError(
        f"Asynchronous operation not finished after {client.async_max_wait:g} s "
        f"({polls} polls of {safe_url})",
        timeout_seconds=client.async_max_wait,
        url=safe_url,
        attempts=attempts,
        how_to_fix="Raise 'script-behavior.api-timeouts.async-max-wait' or check the operation",
        context=ErrorContext(operation="GET", resource=safe_url, details={"polls": polls}),
    )
