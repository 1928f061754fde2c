"""``MachineRateLimiter``: one bucket shared by every process of one user on one host."""

from __future__ import annotations

import math
import os
import struct
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from txo_runtime.api_common._limiters._gcra import decide
from txo_runtime.api_common._limiters._keys import state_file_for
from txo_runtime.api_common._limiters._shared import SharedBucket
from txo_runtime.exceptions import HelpfulError

__all__ = ["MachineRateLimiter"]

_STATE = struct.Struct("<dd")  # theoretical arrival time, paused until (wall-clock seconds)
_EMPTY = (float("-inf"), float("-inf"))


class MachineRateLimiter(SharedBucket):
    """A token bucket in a state file that all processes sharing ``key`` read and write.

    Each decision is one read-modify-write of 16 bytes under an exclusive ``fcntl.flock``:
    the kernel drops the lock when its holder dies, and the state is two timestamps (see
    ``decide``), so a process killed at any point never wedges the others. The clock is the
    wall clock (``time.time``), the one clock every process of a host reads alike; a stored
    time far in the future (the clock stepped back) is discarded. Hand-written because no
    maintained library offers a serverless, cross-process bucket with a shared pause.
    """

    def __init__(
        self,
        calls_per_second: float,
        burst_size: int = 1,
        *,
        key: str,
        state_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(calls_per_second, burst_size, clock=clock, sleep=sleep)
        self.key = key
        self.path = state_file_for(key, state_dir)
        self._fd: int | None = None
        self._fd_pid = 0
        self._closer: weakref.finalize[Any, Any] | None = None

    def _file(self) -> int:
        """The open state file; reopened in a forked child (a shared open file would share
        the lock too, and the two processes would not exclude each other)."""
        if self._fd is None or self._fd_pid != os.getpid():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._fd, self._fd_pid = fd, os.getpid()
            # closed when the limiter is collected (a client built per call never leaks it)
            self._closer = weakref.finalize(self, _close_quietly, fd)
        return self._fd

    def _update(self, change: Callable[[float, float, float], tuple[float, float]]) -> None:
        """Read the state, apply ``change(tat, paused_until, now)`` and write the result,
        all under the file lock (callers hold the thread lock: flock is per open file, so
        threads of one process would not exclude each other through it)."""
        fcntl = _fcntl()
        fd = self._file()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            raw = os.pread(fd, _STATE.size, 0)
            tat, paused = _STATE.unpack(raw) if len(raw) == _STATE.size else _EMPTY
            if not all(math.isfinite(v) or v == -math.inf for v in (tat, paused)):
                tat, paused = _EMPTY  # a damaged file (NaN, +inf) counts as a fresh bucket
            new = change(tat, paused, self._clock())
            if new != (tat, paused):
                os.pwrite(fd, _STATE.pack(*new), 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _exchange(self, *, reserve: bool, pause: float = 0.0) -> float:
        waits: list[float] = []

        def change(tat: float, paused: float, now: float) -> tuple[float, float]:
            if pause < 0.0:  # only read how long a pause still holds
                waits.append(max(0.0, paused - now))
                return tat, paused
            if pause > 0.0:
                waits.append(0.0)
                return tat, max(paused, now + pause)
            decision = decide(
                tat,
                paused,
                now,
                interval=1.0 / self.calls_per_second,
                burst=self.burst_size,
                reserve=reserve,
            )
            waits.append(decision.wait)
            return decision.tat, paused

        self._update(change)
        return waits[0]

    def close(self) -> None:
        """Close the state file (the bucket stays for the other processes)."""
        closer, self._closer, self._fd = self._closer, None, None
        if closer is not None:
            closer()

    def __repr__(self) -> str:
        return (
            f"MachineRateLimiter(calls_per_second={self.calls_per_second}, "
            f"burst_size={self.burst_size}, key={self.key!r})"
        )


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:  # already closed (a forked child's copy)
        pass


def _fcntl() -> Any:
    try:
        import fcntl
    except ImportError:  # Windows
        raise HelpfulError(
            what_went_wrong="Rate-limit scope 'machine' needs file locks (fcntl), which this "
            "operating system does not have",
            how_to_fix="Use scope 'process' or 'redis' in script-behavior.rate-limiting",
            example='"rate-limiting": {"enabled": true, "calls-per-second": 10, '
            '"burst-size": 1, "scope": "process"}',
        ) from None
    return fcntl
