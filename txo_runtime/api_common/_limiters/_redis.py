"""``RedisRateLimiter``: one bucket shared by every process on every machine, through Redis."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from txo_runtime.api_common._limiters._shared import SharedBucket
from txo_runtime.exceptions import HelpfulError
from txo_runtime.extras import import_lazily

__all__ = ["KEY_PREFIX", "RedisRateLimiter", "describe_redis_url"]

KEY_PREFIX = "txo:ratelimit:"

# The rule of ``_gcra.decide`` in Lua, so that one round trip decides atomically. It reads
# the Redis server's clock (TIME), the one clock all machines share, so their own clocks may
# disagree. ARGV: interval, burst, pause seconds (> 0: record a pause instead of taking;
# < 0: only return how long a pause still holds),
# reserve (1: a call that must wait books the earliest slot).
# The key expires a minute after it stops mattering: nothing is left behind by dead clients.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, burst, pause = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local reserve = ARGV[4] == '1'
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused')
local tat = tonumber(state[1]) or now
local paused = tonumber(state[2]) or 0
local tolerance = (burst - 1) * interval
if tat > now + tolerance + interval + 1 then tat = now end
if paused > now + 301 then paused = now end
local wait = 0
if pause < 0 then
  return string.format('%.6f', math.max(0, paused - now))
elseif pause > 0 then
  paused = math.max(paused, now + pause)
else
  local start = math.max(tat, now)
  local earliest = math.max(start - tolerance, paused)
  if earliest <= now then
    tat = start + interval
  else
    wait = earliest - now
    if reserve then tat = math.max(tat, earliest) + interval end
  end
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.6f', tat),
           'paused', string.format('%.6f', paused))
local keep = math.max(tat, paused) - now + 60
redis.call('PEXPIRE', KEYS[1], math.ceil(keep * 1000))
return string.format('%.6f', wait)
"""


def describe_redis_url(url: str) -> str:
    """``redis://host:port/db`` without user or password: the form fit for logs and errors."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 6379
    return f"{parts.scheme}://{host}:{port}{parts.path or '/0'}"


class RedisRateLimiter(SharedBucket):
    """A token bucket kept in Redis and changed atomically by a Lua script.

    Hand-written Lua (about 20 lines) rather than a library's Redis bucket: it runs the same
    rule as the machine scope, keeps the whole state in one small hash that expires by
    itself, reads the server's clock, and carries the shared pause after a 429 that no
    library bucket offers. redis-py's ``register_script`` sends it by hash (EVALSHA) and
    loads it again when the server does not know it (after a restart or failover).

    ``password`` comes from the secrets (never from the URL, never logged); ``client`` is
    any ``redis.Redis`` (tests, or a caller with its own connection settings).
    """

    def __init__(
        self,
        calls_per_second: float,
        burst_size: int = 1,
        *,
        key: str,
        url: str,
        password: str | None = None,
        client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(calls_per_second, burst_size, sleep=sleep)
        self.key = key
        self.url = describe_redis_url(url)
        self._redis_key = KEY_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        self._client = client if client is not None else _connect(url, password)
        self._script = self._client.register_script(_SCRIPT)

    def _exchange(self, *, reserve: bool, pause: float = 0.0) -> float:
        redis = import_lazily("redis", purpose="rate limiting shared through Redis")
        args = [1.0 / self.calls_per_second, self.burst_size, pause, int(reserve)]
        try:
            return float(self._script(keys=[self._redis_key], args=args))
        except redis.exceptions.ConnectionError:
            raise HelpfulError(
                what_went_wrong=f"The rate limiter's Redis at {self.url} cannot be reached",
                how_to_fix="Start Redis or correct 'rate-limiting.redis-url'; calls are not "
                "sent while the shared budget is unknown",
                example='"rate-limiting": {"scope": "redis", "redis-url": "redis://host:6379/0"}',
            ) from None

    def close(self) -> None:
        """Return the client's connections to the system."""
        self._client.close()

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(calls_per_second={self.calls_per_second}, "
            f"burst_size={self.burst_size}, key={self.key!r}, url={self.url!r})"
        )


def _connect(url: str, password: str | None) -> Any:
    parts = urlsplit(url)
    if parts.password:
        raise HelpfulError(
            what_went_wrong="'rate-limiting.redis-url' carries a password "
            f"({describe_redis_url(url)})",
            how_to_fix="Remove it from the URL and put it in the secrets file as redis-password",
            example='config: "redis-url": "redis://host:6379/0"; secrets: "redis-password": "..."',
        )
    redis = import_lazily("redis", purpose="rate limiting shared through Redis")
    return redis.Redis.from_url(url, password=password, socket_timeout=5, socket_connect_timeout=5)
