"""The bucket rule every shared limiter runs: the generic cell rate algorithm (GCRA).

Chosen over a token count because its whole state is one timestamp, the *theoretical
arrival time* (TAT) of the next call, plus a pause-until timestamp: a read-modify-write of
two numbers that any store (a file, a Redis hash) can hold, and that can never be left
"held" by a process that died. It gives the same guarantee as the in-process token
bucket: in any window of T seconds at most ``rate * T + burst`` calls start.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CLOCK_STEP_SLACK", "MAX_PAUSE", "Decision", "decide"]

# A stored TAT further ahead than any grant can put it means the clock went backwards
# (wall clock stepped by NTP, a state file from before a reboot): start afresh, do not wait.
CLOCK_STEP_SLACK = 1.0
# The longest pause a server's Retry-After can ask for (it is capped where it is parsed);
# a stored pause further ahead than this is a clock step too.
MAX_PAUSE = 300.0


class Decision(NamedTuple):
    """``wait`` 0.0: the call may start now. Otherwise the call waits ``wait`` seconds:
    then it starts (a reservation) or asks again (no reservation). ``tat`` is the state to
    store either way."""

    wait: float
    tat: float


def decide(
    tat: float,
    paused_until: float,
    now: float,
    *,
    interval: float,
    burst: int,
    reserve: bool = False,
) -> Decision:
    """Whether a call may start at ``now`` given the stored ``tat`` and ``paused_until``.

    ``interval`` is 1 / calls-per-second; ``burst`` calls may start back to back after an
    idle period. With ``reserve`` a call that must wait books the earliest slot at once
    (``tat`` moves on) and starts after ``wait`` without asking again: waiting sharers then
    queue in order instead of all waking at the same moment to race for one slot, and no
    slot is lost while they sleep.
    """
    tolerance = (burst - 1) * interval
    if tat > now + tolerance + interval + CLOCK_STEP_SLACK:
        tat = now
    if paused_until > now + MAX_PAUSE + CLOCK_STEP_SLACK:
        paused_until = now
    start = max(tat, now)
    earliest = max(start - tolerance, paused_until)
    if earliest <= now:
        return Decision(0.0, start + interval)
    if reserve:
        return Decision(earliest - now, max(tat, earliest) + interval)
    return Decision(earliest - now, tat)
