"""Rate-limit buckets shared beyond one process: by every process of a host, or through Redis.

An API quota belongs to the principal (the client id an API sees), not to a process: four
scripts running for one customer must share one budget. The shared buckets subclass
:class:`~txo_runtime.api_common.RateLimiter`, so every client takes any of them. They all
run the same rule (:mod:`._gcra`, the generic cell rate algorithm): the shared state is
two timestamps, never a count of tokens held, so a process that dies at any moment leaves
nothing behind that the others would have to wait for.

- :class:`MachineRateLimiter`: a small state file per quota key, read and written under
  ``fcntl.flock`` (released by the kernel when a holder dies); no server.
- :class:`LimiterChain`: several limits on one client (its own spacing between calls,
  then the shared quota).
- :class:`RedisRateLimiter`: one Redis hash per quota key, changed by a Lua script that
  reads the Redis server's clock, so machines with skewed clocks still agree.
"""

from __future__ import annotations

from txo_runtime.api_common._limiters._chain import LimiterChain
from txo_runtime.api_common._limiters._gcra import Decision, decide
from txo_runtime.api_common._limiters._keys import (
    default_state_dir,
    origin_of,
    quota_key,
    state_file_for,
)
from txo_runtime.api_common._limiters._machine import MachineRateLimiter
from txo_runtime.api_common._limiters._redis import RedisRateLimiter
from txo_runtime.api_common._limiters._shared import SharedBucket

__all__ = [
    "Decision",
    "LimiterChain",
    "MachineRateLimiter",
    "RedisRateLimiter",
    "SharedBucket",
    "decide",
    "default_state_dir",
    "origin_of",
    "quota_key",
    "state_file_for",
]
