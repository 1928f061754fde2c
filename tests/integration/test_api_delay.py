"""``script-behavior.api-delay-seconds``: the pause between calls that v2.1 configs carry.

Bounds are lower bounds on the spacing the server saw (a slow machine only spaces calls
further apart), never an upper bound on a duration.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from txo_runtime.api_common import LimiterChain, RateLimiter
from txo_runtime.api_factory import create_rest_api, load_settings
from txo_runtime.testing import LocalApiServer
from txo_runtime.testing.pytest_plugin import demo_test_config

pytestmark = pytest.mark.integration

DELAY = 0.2


def delayed_config(server: LocalApiServer, delay: float, *, limit: bool) -> dict[str, Any]:
    config = demo_test_config(f"{server.url}/api")
    behavior = config["script-behavior"]
    behavior["api-delay-seconds"] = delay
    behavior["rate-limiting"]["enabled"] = limit
    return config


def arrival_gaps(server: LocalApiServer) -> list[float]:
    starts = sorted(r.started for r in server.requests)
    return [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]


def test_api_delay_seconds_pauses_between_calls_as_in_v21(txo_api_server: LocalApiServer) -> None:
    with create_rest_api(delayed_config(txo_api_server, DELAY, limit=False), False) as api:
        for _ in range(4):
            api.get("items")
    gaps = arrival_gaps(txo_api_server)
    assert len(gaps) == 3
    assert sum(gaps) >= 3 * DELAY - 0.05  # three pauses (arrival jitter allowed for)


def test_api_delay_seconds_also_spaces_calls_of_threads_sharing_a_client(
    txo_api_server: LocalApiServer,
) -> None:
    with create_rest_api(delayed_config(txo_api_server, DELAY, limit=False), False) as api:
        threads = [threading.Thread(target=api.get, args=("items",)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sum(arrival_gaps(txo_api_server)) >= 3 * DELAY - 0.05


def test_api_delay_seconds_0_adds_no_limiter() -> None:
    config = demo_test_config()
    config["script-behavior"]["api-delay-seconds"] = 0
    assert load_settings(config).new_rate_limiter("https://x") is None


def test_api_delay_seconds_runs_before_the_rate_limit() -> None:
    config = demo_test_config()
    config["script-behavior"]["api-delay-seconds"] = 0.5
    config["script-behavior"]["rate-limiting"]["enabled"] = True
    limiter = load_settings(config).new_rate_limiter("https://x")
    assert isinstance(limiter, LimiterChain)
    spacing, quota = limiter.limiters
    assert (spacing.calls_per_second, spacing.burst_size) == (2.0, 1)
    assert type(quota) is RateLimiter and quota.calls_per_second == 10
