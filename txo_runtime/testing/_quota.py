"""A server-side quota: at most ``limit`` requests in any ``per_seconds`` window, like an API
that counts calls per principal (Business Central: 6,000 per 5 minutes; Graph: 429s)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from txo_runtime.testing._faults import Fault, error_body

__all__ = ["Quota", "QuotaCounts"]


@dataclass(frozen=True)
class QuotaCounts:
    """What the quota saw: requests ``accepted`` (served), ``rejected`` (answered 429), and
    the arrival time (``time.monotonic()``) of every accepted one."""

    accepted: int
    rejected: int
    arrivals: tuple[float, ...]


@dataclass
class Quota:
    """A sliding window over the arrival times of accepted requests (rejected ones do not
    count, as with the real services). ``retry_after`` None: the whole seconds until the
    oldest accepted request leaves the window (at least 1), the header real APIs send."""

    limit: int
    per_seconds: float
    path_prefix: str | None = None
    retry_after: float | None = None
    rejected: int = 0
    accepted: list[float] = field(default_factory=list)
    _window: deque[float] = field(default_factory=deque)

    def __post_init__(self) -> None:
        if self.limit < 1 or not self.per_seconds > 0:
            raise ValueError(f"a quota needs limit >= 1 and per_seconds > 0, got {self}")

    def applies_to(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def admit(self, now: float) -> Fault | None:
        """Count a request arriving at ``now``; a 429 fault when it is over the quota.
        The caller holds the server's lock."""
        window = self._window
        while window and window[0] <= now - self.per_seconds:
            window.popleft()
        if len(window) < self.limit:
            window.append(now)
            self.accepted.append(now)
            return None
        self.rejected += 1
        wait = self.retry_after
        if wait is None:
            wait = max(1, math.ceil(window[0] + self.per_seconds - now))
        text = str(int(wait)) if float(wait).is_integer() else str(wait)
        return Fault(
            path=self.path_prefix or "/",
            status=429,
            headers={"Retry-After": text, "Content-Type": "application/json"},
            body=error_body(429, f"Quota of {self.limit} requests per {self.per_seconds} s used"),
        )

    def counts(self) -> QuotaCounts:
        return QuotaCounts(len(self.accepted), self.rejected, tuple(self.accepted))
