"""The shared buckets' rule and stores, on a fake timeline (no sleeping, no machine speed).

The cross-process behaviour at a real server is in tests/integration/test_shared_rate_limit.py.
"""

from __future__ import annotations

import json
import math
import os
import signal
import struct
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from fake_time import FakeTime

from txo_runtime.api_common import (
    LimiterChain,
    MachineRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    quota_key,
)
from txo_runtime.api_common._limiters import decide, state_file_for
from txo_runtime.api_factory import load_settings
from txo_runtime.exceptions import ConfigurationError, HelpfulError
from txo_runtime.testing.pytest_plugin import demo_test_config

START = 1_700_000_000.0  # wall-clock seconds, like time.time()


def machine(
    tmp_path: Path, clock: FakeTime, rate: float = 10, burst: int = 1
) -> MachineRateLimiter:
    return MachineRateLimiter(
        rate, burst, key="https://api.example.com:443|client", state_dir=tmp_path,
        clock=clock, sleep=clock.sleep,
    )  # fmt: skip


def grant_times(limiters: list[MachineRateLimiter], clock: FakeTime, calls: int) -> list[float]:
    """Round-robin acquires by several sharers; the fake time of each grant."""
    times = []
    for i in range(calls):
        limiters[i % len(limiters)].acquire()
        times.append(clock.now)
    return times


def max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_gcra_lets_a_burst_start_then_one_call_per_interval() -> None:
    tat, now = float("-inf"), 100.0
    for _ in range(3):  # burst 3 after idle
        decision = decide(tat, float("-inf"), now, interval=0.1, burst=3)
        assert decision.wait == 0.0
        tat = decision.tat
    refused = decide(tat, float("-inf"), now, interval=0.1, burst=3)
    assert refused.wait == pytest.approx(0.1)


def test_gcra_holds_every_call_until_a_pause_ends() -> None:
    decision = decide(float("-inf"), 130.0, 100.0, interval=0.1, burst=5)
    assert decision.wait == pytest.approx(30.0)


def test_gcra_forgets_a_stored_time_from_a_clock_that_stepped_back() -> None:
    stale_tat, stale_pause = 100_000.0, 100_000.0  # written before the clock went back
    decision = decide(stale_tat, stale_pause, 100.0, interval=0.1, burst=1)
    assert decision.wait == 0.0


def test_two_machine_limiters_on_one_state_file_share_one_budget(tmp_path: Path) -> None:
    clock = FakeTime(START)
    sharers = [machine(tmp_path, clock), machine(tmp_path, clock)]
    times = grant_times(sharers, clock, 40)
    assert max_in_window(times, 1.0) <= 10 + 1  # rate * window + burst, not twice that
    assert times[-1] - times[0] == pytest.approx(3.9)


def test_machine_limiter_never_exceeds_rate_times_window_plus_burst(tmp_path: Path) -> None:
    clock = FakeTime(START)
    sharers = [machine(tmp_path, clock, rate=20, burst=4) for _ in range(3)]
    times = grant_times(sharers, clock, 120)
    for window in (0.25, 0.5, 1.0, 2.0):
        assert max_in_window(times, window) <= 20 * window + 4


def test_a_pause_by_one_machine_sharer_holds_the_others(tmp_path: Path) -> None:
    clock = FakeTime(START)
    first, other = machine(tmp_path, clock), machine(tmp_path, clock)
    first.pause(30)
    assert other.try_acquire() is False
    other.acquire()
    assert clock.now == pytest.approx(START + 30)


def test_a_shorter_pause_never_shortens_a_longer_one(tmp_path: Path) -> None:
    clock = FakeTime(START)
    limiter = machine(tmp_path, clock)
    limiter.pause(30)
    limiter.pause(2)
    limiter.acquire()
    assert clock.now == pytest.approx(START + 30)


def test_a_damaged_state_file_counts_as_a_fresh_bucket(tmp_path: Path) -> None:
    clock = FakeTime(START)
    limiter = machine(tmp_path, clock)
    limiter.path.parent.mkdir(parents=True, exist_ok=True)
    limiter.path.write_bytes(b"\x00garbage")
    assert limiter.try_acquire() is True
    limiter.path.write_bytes(struct.pack("<dd", math.nan, math.inf))
    assert limiter.try_acquire() is True


def test_state_files_are_private_to_the_user(tmp_path: Path) -> None:
    clock = FakeTime(START)
    limiter = machine(tmp_path / "shared", clock)
    limiter.acquire()
    assert limiter.path.stat().st_mode & 0o777 == 0o600
    assert limiter.path.parent.stat().st_mode & 0o777 == 0o700


_HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""


def test_a_process_killed_while_holding_the_bucket_never_wedges_the_others(
    tmp_path: Path,
) -> None:
    key = "https://api.example.com:443|client"
    path = state_file_for(key, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-c", _HOLD_LOCK, str(path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        finally:
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=30)
    limiter = MachineRateLimiter(10, 1, key=key, state_dir=tmp_path)
    assert limiter.try_acquire() is True  # the kernel dropped the dead holder's lock
    limiter.close()


def test_a_forked_child_reopens_the_state_file_so_the_lock_excludes_the_parent(
    tmp_path: Path,
) -> None:
    limiter = MachineRateLimiter(10, 1, key="k", state_dir=tmp_path)
    limiter.acquire()
    parent_fd = limiter._fd
    with warnings.catch_warnings():  # 3.12+ warns about fork with threads; the child execs nothing
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: a shared open file would share the lock too
        try:
            limiter._file()
            os._exit(0 if limiter._fd != parent_fd or limiter._fd is None else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    limiter.close()


def test_quota_key_is_the_api_origin_plus_the_client_id() -> None:
    assert quota_key("HTTPS://API.Example.com/v2/odata", "abc") == "https://api.example.com:443|abc"
    assert quota_key("http://h:8080/x", None) == "http://h:8080|"
    assert quota_key("https://a/x", "abc", override="bc-tenant-1") == "bc-tenant-1"


def behavior_config(**limit: Any) -> dict[str, Any]:
    config = demo_test_config("https://api.example.com/odata")
    config["global"]["client-id"] = "client-1"
    config["script-behavior"]["rate-limiting"] = {
        "enabled": True, "calls-per-second": 5, "burst-size": 2, **limit
    }  # fmt: skip
    return config


def test_scope_machine_in_the_config_builds_a_bucket_keyed_by_origin_and_client_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TXO_RATELIMIT_DIR", str(tmp_path))
    limiter = load_settings(behavior_config(scope="machine")).new_rate_limiter(
        "https://api.example.com/odata/Customers"
    )
    assert isinstance(limiter, MachineRateLimiter)
    assert (limiter.key, limiter.calls_per_second, limiter.burst_size) == (
        "https://api.example.com:443|client-1", 5.0, 2
    )  # fmt: skip
    assert limiter.path.parent == tmp_path
    limiter.close()


def test_scope_defaults_to_process() -> None:
    limiter = load_settings(behavior_config()).new_rate_limiter("https://api.example.com/x")
    assert type(limiter) is RateLimiter


def test_quota_key_in_the_config_replaces_origin_and_client_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TXO_RATELIMIT_DIR", str(tmp_path))
    config = behavior_config(scope="machine", **{"quota-key": "bc-prod-principal"})
    limiter = load_settings(config).new_rate_limiter("https://other.example.com/x")
    assert isinstance(limiter, MachineRateLimiter) and limiter.key == "bc-prod-principal"
    limiter.close()


@pytest.mark.parametrize(
    ("limit", "wrong"),
    [({"scope": "cluster"}, "scope"), ({"scope": "redis"}, "redis-url"),
     ({"scope": "redis", "redis-url": "http://x"}, "redis-url")],
)  # fmt: skip
def test_a_wrong_scope_or_redis_url_is_refused_by_the_schema(limit: dict, wrong: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(behavior_config(**limit))
    assert wrong in str(caught.value)


def test_a_redis_url_with_a_password_is_refused_without_showing_it() -> None:
    config = behavior_config(scope="redis", **{"redis-url": "redis://:hunter2pw@h:6379/0"})
    with pytest.raises(HelpfulError) as caught:
        load_settings(config).new_rate_limiter("https://api.example.com/x")
    assert "hunter2pw" not in str(caught.value)
    assert "redis-password" in str(caught.value)


def test_the_redis_password_comes_from_the_secrets_and_never_shows(redis_url: str) -> None:
    config = behavior_config(scope="redis", **{"redis-url": redis_url})
    config["_redis_password"] = "s3cret-redis-pw"
    settings = load_settings(config)
    assert "s3cret-redis-pw" not in repr(settings)
    assert settings.shared_limit.redis_password == "s3cret-redis-pw"


def test_redis_limiter_lets_a_burst_through_then_refuses(redis_url: str) -> None:
    limiter = RedisRateLimiter(1, 3, key="burst-test", url=redis_url)
    assert [limiter.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert "redis://127.0.0.1" in repr(limiter)
    limiter.close()


def test_redis_limiter_reloads_its_script_after_the_server_forgot_it(redis_url: str) -> None:
    limiter = RedisRateLimiter(100, 1, key="reload-test", url=redis_url)
    assert limiter.try_acquire() is True
    limiter._client.script_flush()  # as after a Redis restart or failover
    limiter.pause(0.001)  # EVALSHA fails with NOSCRIPT; redis-py loads the script again
    limiter.close()


def test_an_unreachable_redis_is_a_helpful_error_naming_it_without_password() -> None:
    limiter = RedisRateLimiter(10, 1, key="k", url="redis://127.0.0.1:9/0", password="pw-x1")
    with pytest.raises(HelpfulError) as caught:
        limiter.acquire()
    text = str(caught.value)
    assert "redis://127.0.0.1:9/0" in text and "pw-x1" not in text


def test_a_chain_waits_for_each_of_its_limits(tmp_path: Path) -> None:
    clock = FakeTime(START)
    spacing = RateLimiter(1.0, 1, clock=clock, sleep=clock.sleep)
    shared = machine(tmp_path, clock, rate=100, burst=10)
    chain = LimiterChain([spacing, shared])
    for _ in range(3):
        chain.acquire()
    assert clock.now == pytest.approx(START + 2.0)  # the 1 s spacing rules
    chain.pause(5)
    assert shared.try_acquire() is False
    assert json.dumps(repr(chain))  # printable


def test_waiting_sharers_book_consecutive_slots_instead_of_racing_for_one() -> None:
    tat, now, waits = 100.0, 100.0, []
    for _ in range(3):  # three processes arrive together while the bucket is empty
        decision = decide(tat, float("-inf"), now, interval=0.1, burst=1, reserve=True)
        waits.append(decision.wait)
        tat = decision.tat
    assert waits == pytest.approx([0.0, 0.1, 0.2])


def test_try_acquire_never_books_a_slot() -> None:
    refused = decide(100.5, float("-inf"), 100.0, interval=0.1, burst=1)
    assert refused.wait > 0 and refused.tat == 100.5


def test_a_sharer_that_booked_a_slot_waits_out_a_pause_recorded_while_it_slept(
    tmp_path: Path,
) -> None:
    clock = FakeTime(START)
    other = machine(tmp_path, clock)
    told_429 = []

    def sleep(seconds: float) -> None:  # while this sharer sleeps, another one gets a 429
        if not told_429:
            told_429.append(True)
            other.pause(30)
        clock.sleep(seconds)

    waiter = MachineRateLimiter(
        10, 1, key="https://api.example.com:443|client", state_dir=tmp_path,
        clock=clock, sleep=sleep,
    )  # fmt: skip
    waiter.acquire()  # takes the only token
    waiter.acquire()  # books the slot at +0.1 s, sleeps; meanwhile the pause starts
    assert clock.now >= START + 30


def test_redis_sharers_see_a_pause_and_book_again_after_it(redis_url: str) -> None:
    first = RedisRateLimiter(1000, 1, key="pause-test", url=redis_url)
    second = RedisRateLimiter(1000, 1, key="pause-test", url=redis_url)
    first.pause(30)
    assert second._exchange(reserve=False, pause=-1.0) == pytest.approx(30, abs=1)
    assert second.try_acquire() is False
    first.close()
    second.close()
