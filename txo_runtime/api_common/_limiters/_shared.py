"""``SharedBucket``: what the machine and Redis buckets have in common."""

from __future__ import annotations

from txo_runtime.api_common._rate_limiter import RateLimiter

__all__ = ["SharedBucket"]


class SharedBucket(RateLimiter):
    """A bucket whose state lives outside the process; subclasses store it.

    ``acquire`` books the earliest slot in one exchange with the store and sleeps until
    it: with many processes waiting, each wakes at its own slot instead of all racing for
    the next one (a race costs slots whenever a busy machine wakes the winner late).
    ``try_acquire`` never books.
    """

    def _exchange(self, *, reserve: bool, pause: float = 0.0) -> float:
        """One atomic read-modify-write of the stored state; the seconds to wait."""
        raise NotImplementedError

    def acquire(self) -> None:
        with self._lock:
            wait = self._exchange(reserve=True)
        if wait > 0.0:
            self._sleep(wait)

    wait_if_needed = acquire

    def _take(self) -> float:
        return self._exchange(reserve=False)

    def _pause(self, seconds: float) -> None:
        self._exchange(reserve=False, pause=seconds)
