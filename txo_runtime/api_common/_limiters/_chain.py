"""``LimiterChain``: several limits on one client, every one of which must let a call start."""

from __future__ import annotations

from collections.abc import Sequence

from txo_runtime.api_common._rate_limiter import RateLimiter

__all__ = ["LimiterChain"]


class LimiterChain(RateLimiter):
    """Acquires each limiter in order: a client's own spacing first, then the shared quota
    last, so that the token of a shared bucket is spent right before the call starts.

    Reports the strictest rate and burst of its members.
    """

    def __init__(self, limiters: Sequence[RateLimiter]) -> None:
        if not limiters:
            raise ValueError("a LimiterChain needs at least one limiter")
        super().__init__(
            min(limiter.calls_per_second for limiter in limiters),
            min(limiter.burst_size for limiter in limiters),
        )
        self.limiters = tuple(limiters)

    def acquire(self) -> None:
        for limiter in self.limiters:
            limiter.acquire()

    wait_if_needed = acquire

    def try_acquire(self) -> bool:
        """True when every member had a token; members before a refusing one keep theirs
        spent (a spent token only delays a later call, it never lets one through early)."""
        return all(limiter.try_acquire() for limiter in self.limiters)

    def pause(self, seconds: float) -> None:
        for limiter in self.limiters:
            limiter.pause(seconds)

    def close(self) -> None:
        for limiter in self.limiters:
            limiter.close()

    def __repr__(self) -> str:
        return f"LimiterChain({', '.join(repr(limiter) for limiter in self.limiters)})"
