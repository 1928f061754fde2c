"""One quota shared by many processes: ``rate-limiting.scope`` machine and redis, at a real
server, with real processes (and a real ``redis-server``).

Each worker process builds its limiter from the config as a script does, waits for a common
start time, and sends one GET per token it is granted until a common end time; the server
counts what arrived. The bound is on the count (tokens granted in the window), never on a
duration: a slow machine sends fewer requests, which the bound allows. ``process`` scope is
the control: there each process has its own bucket, so four of them send about four times
the rate, and the same test with a shared scope must not.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from fleet import run_fleet

from txo_runtime.api_common import MachineRateLimiter, RedisRateLimiter, quota_key
from txo_runtime.api_factory import ApiManager
from txo_runtime.exceptions import ApiRateLimitError
from txo_runtime.testing import LocalApiServer
from txo_runtime.testing.pytest_plugin import demo_test_config

pytestmark = pytest.mark.integration

RATE = 10
BURST = 1
SECONDS = 3.0
PROCESSES = 4
LIMIT = RATE * SECONDS + BURST  # at most this many calls start in the window


def config_for(server: LocalApiServer, scope: str, **extra: Any) -> dict[str, Any]:
    config = demo_test_config(f"{server.url}/api")
    config["global"]["client-id"] = "fleet-client"
    config["script-behavior"]["rate-limiting"] = {
        "enabled": True,
        "calls-per-second": RATE,
        "burst-size": BURST,
        "scope": scope,
        **extra,
    }
    return config


def run_limited(
    server: LocalApiServer, config: dict[str, Any], state_dirs: list[Path]
) -> tuple[int, list[dict[str, int]]]:
    spec = {"mode": "limiter", "config": config, "url": f"{server.url}/api/items"}
    results = run_fleet([copy.deepcopy(spec)] * PROCESSES, SECONDS, state_dirs=state_dirs)
    return server.hits("/api/items"), results


@pytest.fixture
def server() -> Any:
    with LocalApiServer() as srv:
        yield srv


def test_four_processes_with_machine_scope_stay_within_rate_times_window_plus_burst(
    server: LocalApiServer, tmp_path: Path
) -> None:
    received, results = run_limited(server, config_for(server, "machine"), [tmp_path])
    assert received == sum(r["sent"] for r in results)
    assert received <= LIMIT
    assert all(r["sent"] > 0 for r in results), results  # every process got a share


def test_four_processes_with_process_scope_overshoot_the_rate_about_fourfold(
    server: LocalApiServer, tmp_path: Path
) -> None:
    received, _ = run_limited(server, config_for(server, "process"), [tmp_path])
    assert received > 2 * LIMIT  # each process spends its own budget (about 4x in total)


def test_two_machines_with_machine_scope_do_not_share_one_bucket(
    server: LocalApiServer, tmp_path: Path
) -> None:
    """The control for the Redis case: two state dirs are two hosts that cannot see each
    other's bucket file, so machine scope alone lets them send about twice the rate."""
    dirs = [tmp_path / "host-a", tmp_path / "host-b"]
    received, _ = run_limited(server, config_for(server, "machine"), dirs)
    assert received > 1.5 * LIMIT


def test_two_machines_with_redis_scope_stay_within_rate_times_window_plus_burst(
    server: LocalApiServer, tmp_path: Path, redis_url: str
) -> None:
    dirs = [tmp_path / "host-a", tmp_path / "host-b"]
    config = config_for(server, "redis", **{"redis-url": redis_url})
    received, results = run_limited(server, config, dirs)
    assert received <= LIMIT
    assert all(r["sent"] > 0 for r in results), results


def _answer_429_once(server: LocalApiServer) -> None:
    server.add_fault("/api/items", status=429, times=1, headers={"Retry-After": "30"})


def _no_retries(config: dict[str, Any]) -> dict[str, Any]:
    config["script-behavior"]["retry-strategy"]["max-retries"] = 0
    return config


def test_a_429_with_retry_after_seen_by_one_process_pauses_every_machine_sharer(
    server: LocalApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TXO_RATELIMIT_DIR", str(tmp_path))
    config = _no_retries(config_for(server, "machine"))
    _answer_429_once(server)
    other = MachineRateLimiter(RATE, BURST, key=quota_key(server.url, "fleet-client"))
    with ApiManager(config) as manager, pytest.raises(ApiRateLimitError):
        manager.get_rest_api(require_auth=False).get("items")
    assert other.try_acquire() is False  # another process's bucket is paused for ~30 s
    other.close()


def test_a_429_with_retry_after_seen_by_one_machine_pauses_every_redis_sharer(
    server: LocalApiServer, redis_url: str
) -> None:
    config = _no_retries(config_for(server, "redis", **{"redis-url": redis_url}))
    _answer_429_once(server)
    key = quota_key(server.url, "fleet-client")
    other = RedisRateLimiter(RATE, BURST, key=key, url=redis_url)
    assert other.try_acquire() is True  # the bucket is open before the 429
    with ApiManager(config) as manager, pytest.raises(ApiRateLimitError):
        manager.get_rest_api(require_auth=False).get("items")
    assert other.try_acquire() is False
    other.close()
