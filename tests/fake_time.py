"""One fake timeline for timing logic (tenacity-style): waits are recorded, never slept."""

from __future__ import annotations


class FakeTime:
    """``clock`` and ``sleep`` sharing one timeline: sleeping moves the clock.

    The instance itself is a clock too (``FakeTime()()``), so it can be passed where a
    ``clock=`` callable is expected.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        """Time passing without anyone sleeping (e.g. a circuit breaker's open period)."""
        self.now += seconds
