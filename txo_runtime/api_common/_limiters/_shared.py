"""``SharedBucket``: what the machine and Redis buckets have in common."""

from __future__ import annotations

from txo_runtime.api_common._rate_limiter import RateLimiter

__all__ = ["SharedBucket"]


class SharedBucket(RateLimiter):
    """A bucket whose state lives outside the process; subclasses store it.

    ``acquire`` books the earliest slot in one exchange with the store and sleeps until
    it: with many processes waiting, each wakes at its own slot instead of all racing for
    the next one (a race costs slots whenever a busy machine wakes the winner late). A
    caller that had to wait looks once more before it starts: when a sharer was answered
    429 meanwhile, it waits out that pause too. ``try_acquire`` never books.
    """

    def _exchange(self, *, reserve: bool, pause: float = 0.0) -> float:
        """One atomic read-modify-write of the stored state; the seconds to wait.

        ``pause`` > 0 records a pause; ``pause`` < 0 only reads how long a pause still
        holds."""
        raise NotImplementedError

    def acquire(self) -> None:
        while True:
            with self._lock:
                wait = self._exchange(reserve=True)
            if wait <= 0.0:
                return
            self._sleep(wait)
            with self._lock:  # a sharer may have been told to pause while this one slept
                held = self._exchange(reserve=False, pause=-1.0)
            if held <= 0.0:
                return
            self._sleep(held)  # then book a new slot: the booked one fell into the pause

    wait_if_needed = acquire

    def _take(self) -> float:
        return self._exchange(reserve=False)

    def _pause(self, seconds: float) -> None:
        self._exchange(reserve=False, pause=seconds)
