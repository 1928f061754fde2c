"""``CircuitBreaker``: closed / open / half-open, counting only signs of ill health."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable

from txo_runtime.api_common._outcomes import counts_as_failure
from txo_runtime.run_events import emit

__all__ = ["CircuitBreaker", "CircuitState"]

logger = logging.getLogger(__name__)


class CircuitState(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Closed / open / half-open breaker that counts only signs of an unhealthy service.

    Not pybreaker: it holds its lock for the whole wrapped call, so concurrent calls run one
    after another. Here the lock guards state changes only; the caller asks :meth:`allow`,
    makes the call itself, then reports the outcome. In half-open exactly one trial call is
    let through; if its caller never reports, the trial slot is given again after
    ``timeout_seconds``.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        timeout_seconds: float = 60,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold!r}")
        if timeout_seconds < 0:
            raise ValueError(f"timeout_seconds must be >= 0, got {timeout_seconds!r}")
        self.failure_threshold = int(failure_threshold)
        self.timeout_seconds = float(timeout_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started: float | None = None

    def _current(self, now: float) -> CircuitState:
        """Open turns half-open once the timeout has passed (call under the lock)."""
        if self._state is CircuitState.OPEN and now - self._opened_at >= self.timeout_seconds:
            logger.warning("Circuit breaker half-open: letting one trial call through")
            self._state = CircuitState.HALF_OPEN
            self._trial_started = None
        return self._state

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._current(self._clock())

    @property
    def failure_count(self) -> int:
        return self._failures

    def is_open(self) -> bool:
        return self.state is CircuitState.OPEN

    def seconds_until_trial(self) -> float:
        """How long an open circuit stays open (0 when it is not open)."""
        with self._lock:
            now = self._clock()
            if self._current(now) is not CircuitState.OPEN:
                return 0.0
            return max(0.0, self._opened_at + self.timeout_seconds - now)

    def allow(self) -> bool:
        """May a call start now? In half-open only one trial at a time gets True."""
        if self._state is CircuitState.CLOSED:  # one atomic read: no lock on the common path
            return True
        with self._lock:
            now = self._clock()
            state = self._current(now)
            if state is CircuitState.CLOSED:
                return True
            if state is CircuitState.OPEN:
                return False
            stale = self._trial_started is not None and (
                now - self._trial_started >= self.timeout_seconds
            )
            if self._trial_started is None or stale:
                self._trial_started = now
                return True
            return False

    def record_success(self) -> None:
        """The service answered: close the circuit and reset the failure count."""
        if self._failures == 0 and self._state is CircuitState.CLOSED:
            return  # nothing to reset (a healthy service's common case: no lock taken)
        with self._lock:
            if self._state is not CircuitState.CLOSED:
                logger.warning("Circuit breaker closed: the service answered again")
                emit("breaker.closed", url=None)
            self._state = CircuitState.CLOSED
            self._failures = 0
            self._trial_started = None

    def release(self) -> None:
        """The call ended without showing whether the service is healthy (the request could
        not even be built): free the half-open trial slot, change nothing else."""
        with self._lock:
            self._trial_started = None

    def record_failure(self, exc_or_status: BaseException | int | None = None) -> None:
        """Count a failure. Given the outcome (a status or an exception), one that is not a
        sign of ill health (a 4xx) only frees the trial; without it the call counts."""
        if exc_or_status is not None and not _is_failure_outcome(exc_or_status):
            self.release()
            return
        with self._lock:
            now = self._clock()
            state = self._current(now)
            self._trial_started = None
            self._failures += 1
            if state is CircuitState.HALF_OPEN or self._failures >= self.failure_threshold:
                if state is not CircuitState.OPEN:
                    logger.warning(
                        "Circuit breaker opened after %d failure(s): calls fail fast for %g s",
                        self._failures,
                        self.timeout_seconds,
                    )
                    emit("breaker.opened", url=None)
                self._state = CircuitState.OPEN
                self._opened_at = now

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(failure_threshold={self.failure_threshold}, "
            f"timeout_seconds={self.timeout_seconds}, state={self.state.value})"
        )


def _is_failure_outcome(outcome: BaseException | int) -> bool:
    if isinstance(outcome, int):
        return counts_as_failure(status_code=outcome)
    return counts_as_failure(exc=outcome)
