"""The bearer token of a client: a fixed string or a provider asked on every attempt.

A provider is a callable returning the current token (an :class:`OAuthTokenProvider`, or
any zero-argument function). After a 401 the client asks it once more, with
``force_refresh=True`` when its signature accepts that, and retries the request once if
the answer is a different token. Which URLs may receive the token is decided by
:func:`may_send_token`: server-supplied follow-up URLs only on the caller's origin.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from txo_runtime.url_helpers import url_origin

__all__ = ["BearerAuth", "TokenProvider", "TokenSource", "may_send_token", "origins"]


@runtime_checkable
class TokenProvider(Protocol):
    """``provider()`` -> the current token; ``provider(force_refresh=True)`` -> a new one."""

    def __call__(self, *, force_refresh: bool = False) -> str: ...


TokenSource = str | TokenProvider | Callable[[], str] | None


def _accepts_force_refresh(func: Callable[..., str]) -> bool:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return any(
        p.name == "force_refresh" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
    )


class BearerAuth:
    """Thread-safe access to a client's token; never shows it in a repr."""

    def __init__(self, token: TokenSource) -> None:
        self.source = token
        self._forceable = callable(token) and _accepts_force_refresh(token)
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.source)

    def current(self) -> str | None:
        """The token for the next attempt (a provider is asked every time)."""
        token = self.source() if callable(self.source) else self.source
        return token or None

    def refresh(self, rejected: str) -> bool:
        """After a 401 for ``rejected``: True when a different token is now available.

        Under the lock, so that threads hit by the same expiry refresh once: a later thread
        finds the provider already answering a new token and only retries.
        """
        source = self.source
        if not callable(source):
            return False
        with self._lock:
            current = self.current()
            if current and current != rejected:
                return True
            if not self._forceable:
                return False
            fresh = source(force_refresh=True)  # type: ignore[call-arg]
            return bool(fresh) and fresh != rejected

    def __repr__(self) -> str:
        return f"BearerAuth(token={'***' if self.source else None})"


def origins(urls: Iterable[str]) -> frozenset[str]:
    """``trusted_origins=["https://files.example.com"]`` -> their normalised origins."""
    return frozenset(url_origin(url) for url in urls)


def may_send_token(url: str, follow_up_of: str | None, trusted: frozenset[str]) -> bool:
    """The token goes to the caller's own URLs, and to follow-up URLs a server supplied
    (nextLink, Location, Operation-Location, 303) only on the origin of the caller's URL
    or an explicitly trusted origin — as ``requests`` does on a cross-host redirect."""
    if follow_up_of is None:
        return True
    target = url_origin(url)
    return target == url_origin(follow_up_of) or target in trusted
