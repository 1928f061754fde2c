"""``calls-per-second`` written in a project's config file holds at a real server.

The config is loaded with ``load_config`` and the clients are built by the factory, so this
checks the whole path from the JSON file to the token bucket. Uses real time (about 1.5 s
per case) and checks an upper bound on the requests the server saw start, never a
duration: a slow machine makes fewer requests, which the bound allows.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from txo_runtime.api_factory import ApiManager, create_rest_api
from txo_runtime.config_loader import load_config
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer
from txo_runtime.testing.pytest_plugin import create_project, demo_test_config

pytestmark = pytest.mark.integration

RATE = 20
BURST = 1
THREADS = 6
DURATION = 1.5
WINDOWS = (0.25, 0.5, 1.0)
# A request reaches the server a moment after the limiter lets it start; under load that
# moment varies, so requests released at the limit can arrive closer together. The bound
# allows for this much variation (it is no allowance for the limiter itself).
DELIVERY_SLACK = 0.25


def write_project(root: Path, server: LocalApiServer) -> Path:
    create_project(root)
    config = demo_test_config(f"{server.url}/api")
    config["script-behavior"]["rate-limiting"] = {
        "enabled": True,
        "calls-per-second": RATE,
        "burst-size": BURST,
    }
    path = root / "config" / "demo-test-config.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return root


def hammer(clients: list[MinimalRestAPI]) -> list[BaseException]:
    """Each thread calls its client as fast as it can until the time is up."""
    stop_at = time.monotonic() + DURATION
    errors: list[BaseException] = []

    def worker(api: MinimalRestAPI) -> None:
        try:
            while time.monotonic() < stop_at:
                api.get("items")
        except BaseException as exc:  # surfaced by the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(api,)) for api in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def busiest_window(starts: list[float], seconds: float) -> int:
    """The most starts in any window of ``seconds`` (the busiest one begins at a start)."""
    return max(sum(1 for t in starts[i:] if t - first <= seconds) for i, first in enumerate(starts))


def one_shared_client(config: Any, stack: list[Any]) -> list[MinimalRestAPI]:
    api = create_rest_api(config, require_auth=False)
    stack.append(api)
    return [api] * THREADS


def manager_clients(config: Any, stack: list[Any]) -> list[MinimalRestAPI]:
    # Two clients of one origin (with and without a token) share the manager's one limiter.
    config["_token"] = "test-token-not-checked-by-this-server"
    manager = ApiManager(config, pool_size=THREADS)
    stack.append(manager)
    authed, public = manager.get_rest_api(), manager.get_rest_api(require_auth=False)
    assert authed is not public and authed.rate_limiter is public.rate_limiter
    return [authed, public] * (THREADS // 2)


@pytest.mark.parametrize(
    "make_clients", [one_shared_client, manager_clients], ids=["create_rest_api", "ApiManager"]
)
def test_calls_per_second_from_the_config_file_bounds_the_requests_the_server_sees(
    tmp_path: Path,
    txo_api_server: LocalApiServer,
    make_clients: Callable[[Any, list[Any]], list[MinimalRestAPI]],
) -> None:
    txo_api_server.add_collection("items", [{"id": 1}])
    config = load_config("demo", "test", root=write_project(tmp_path / "p", txo_api_server))
    opened: list[Any] = []
    try:
        clients = make_clients(config, opened)
        limiter = clients[0].rate_limiter
        assert limiter is not None
        assert (limiter.calls_per_second, limiter.burst_size) == (RATE, BURST)
        errors = hammer(clients)
    finally:
        for resource in opened:
            resource.close()

    assert errors == []
    starts = sorted(r.started for r in txo_api_server.requests if r.path == "/api/items")
    assert len(starts) >= RATE * DURATION / 4  # the threads did run into the limit
    for seconds in (*WINDOWS, starts[-1] - starts[0]):
        bound = RATE * (seconds + DELIVERY_SLACK) + BURST
        assert busiest_window(starts, seconds) <= bound, f"window of {seconds:.2f} s"
