"""``SessionManager``: a bounded, thread-safe LRU of ``requests.Session`` per origin.

The sessions it makes read the environment (proxies, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``
/ ``CURL_CA_BUNDLE``, ``~/.netrc``) once per host instead of on every request: see
:class:`EnvironmentOnceSession`.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.utils import get_netrc_auth

from txo_runtime.api_common import Closing
from txo_runtime.url_helpers import redact_url

__all__ = [
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_POOL_SIZE",
    "EnvironmentOnceSession",
    "SessionManager",
    "origin_of",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_SESSIONS = 50
DEFAULT_POOL_SIZE = 10
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Hosts one session may talk to at once (redirects, OData links to another host).
_POOLS_PER_SESSION = 4

Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin:
    """``(scheme, host, port)`` with the default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"Not an http(s) URL: {redact_url(url)!r}")
    return scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[scheme]


class _NoNetrcEntry(AuthBase):
    """Stands for "netrc has nothing for this host", so requests does not look again."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_NO_NETRC_ENTRY = _NoNetrcEntry()


class EnvironmentOnceSession(requests.Session):
    """A ``requests.Session`` that reads the environment once per host, not per request.

    With ``trust_env`` (the default) requests looks at the environment on every request:
    proxies and ``NO_PROXY`` (scanning all of ``os.environ``), ``REQUESTS_CA_BUNDLE`` /
    ``CURL_CA_BUNDLE``, and the netrc file — about a quarter of a loopback call. Their
    answers depend only on the URL's scheme, host and port and on the session's settings,
    so the first request to a host keeps them for the session's life; the answers are the
    ones requests computes (its own functions, same precedence). A changed environment
    reaches the next session, as it would reach a new process. Redirects are resolved by
    requests itself, per request.
    """

    def __init__(self) -> None:
        super().__init__()
        self._settings: dict[tuple[Any, ...], Any] = {}
        self._netrc: dict[str | None, Any] = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """An unpickled session (requests pickles only its own attributes) reads anew."""
        super().__setstate__(state)  # type: ignore[misc]  # requests has it, its stubs not
        self._settings = {}
        self._netrc = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        key = self._settings_key(url, proxies, stream, verify, cert)
        if key is None:  # unhashable settings: let requests decide, every time
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        cached = self._settings.get(key)
        if cached is None:
            cached = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._settings[key] = cached
        return {**cached, "proxies": dict(cached["proxies"])}

    def _settings_key(self, url: Any, *per_call: Any) -> tuple[Any, ...] | None:
        parts = urlsplit(url or "")
        proxies = per_call[0] or {}
        key = (parts.scheme, parts.hostname, parts.port, self.trust_env, *per_call[1:])
        try:
            full = (*key, frozenset(proxies.items()), frozenset(self.proxies.items()),
                    self.verify, self.cert)  # fmt: skip
            hash(full)
        except TypeError:
            return None
        return full

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        if not self.trust_env or request.auth or self.auth:
            return super().prepare_request(request)
        host = urlsplit(request.url or "").hostname
        if host not in self._netrc:
            self._netrc[host] = get_netrc_auth(request.url) or _NO_NETRC_ENTRY
        original, request.auth = request.auth, self._netrc[host]
        try:
            return super().prepare_request(request)
        finally:
            request.auth = original


def _close_sessions(sessions: OrderedDict[Origin, requests.Session]) -> None:
    open_sessions = list(sessions.values())
    sessions.clear()
    for session in open_sessions:
        session.close()


class SessionManager(Closing):
    """One ``requests.Session`` per origin, at most ``max_sessions``, least recently used
    evicted and closed.

    Sessions are closed by :meth:`close` (or ``with``), when the manager is garbage
    collected, and at the latest when the interpreter exits.

    Sessions are shared by the threads of one client (urllib3 pools are thread-safe), so
    the pool is sized to the worker count; a thread-local cache would leak sessions when
    threads die. No retries on the adapter (``max_retries=0``): the client's own
    loop retries, so its rate limiter and circuit breaker see every attempt.
    """

    def __init__(
        self, max_sessions: int = DEFAULT_MAX_SESSIONS, pool_size: int = DEFAULT_POOL_SIZE
    ) -> None:
        if max_sessions < 1 or pool_size < 1:
            raise ValueError("max_sessions and pool_size must be >= 1")
        self.max_sessions = max_sessions
        self.pool_size = pool_size
        self._sessions: OrderedDict[Origin, requests.Session] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False
        # Closes the sessions when the manager is collected or, at the latest, when the
        # interpreter exits; close() runs it early. It holds the dict, not the manager.
        self._finalizer = weakref.finalize(self, _close_sessions, self._sessions)

    def _new_session(self) -> requests.Session:
        session = EnvironmentOnceSession()
        adapter = HTTPAdapter(
            pool_connections=_POOLS_PER_SESSION, pool_maxsize=self.pool_size, max_retries=0
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def get_session(self, url: str) -> requests.Session:
        """The session for the URL's origin (created on first use)."""
        key = origin_of(url)
        evicted: list[requests.Session] = []
        with self._lock:
            if self._closed:
                raise RuntimeError("SessionManager is closed")
            session = self._sessions.get(key)
            if session is not None:
                self._sessions.move_to_end(key)
                return session
            session = self._sessions[key] = self._new_session()
            while len(self._sessions) > self.max_sessions:
                old_key, old = self._sessions.popitem(last=False)
                logger.debug("Closing least recently used session for %s://%s:%s", *old_key)
                evicted.append(old)
        for old in evicted:  # outside the lock: close() may take a moment
            old.close()
        return session

    def __len__(self) -> int:
        return len(self._sessions)

    def close(self) -> None:
        """Close every session; the manager cannot be used afterwards."""
        with self._lock:
            self._closed = True  # no session is added from here on
        self._finalizer()  # runs _close_sessions once, whoever calls first

    def __repr__(self) -> str:
        return f"SessionManager(max_sessions={self.max_sessions}, pool_size={self.pool_size})"
