"""``SessionManager``: a bounded, thread-safe LRU of ``requests.Session`` per origin."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from txo_runtime.api_common import Closing
from txo_runtime.url_helpers import redact_url

__all__ = ["DEFAULT_MAX_SESSIONS", "DEFAULT_POOL_SIZE", "SessionManager", "origin_of"]

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


class SessionManager(Closing):
    """One ``requests.Session`` per origin, at most ``max_sessions``, least recently used
    evicted and closed.

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

    def _new_session(self) -> requests.Session:
        session = requests.Session()
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
            sessions = list(self._sessions.values())
            self._sessions.clear()
            self._closed = True
        for session in sessions:
            session.close()

    def __repr__(self) -> str:
        return f"SessionManager(max_sessions={self.max_sessions}, pool_size={self.pool_size})"
