"""ApiManager against the real local API server: sessions are closed, config is hard-fail."""

from __future__ import annotations

from typing import Any

import pytest

from txo_runtime.api_factory import ApiManager
from txo_runtime.concurrency import parallel_map
from txo_runtime.config_loader import ConfigDict
from txo_runtime.exceptions import ConfigurationError
from txo_runtime.testing.pytest_plugin import demo_test_config
from txo_runtime.testing.server import LocalApiServer

pytestmark = pytest.mark.integration

CONFIG_FILE = "config/demo-test-config.json"


def config_for(server: LocalApiServer) -> dict[str, Any]:
    config = demo_test_config(f"{server.url}/api")
    config["_token"] = "test-token-not-checked-by-this-server"
    return config


def seed_customers(server: LocalApiServer, count: int = 20) -> None:
    server.add_collection("customers", [{"name": f"Customer {i}"} for i in range(count)])


def test_manager_closes_every_keep_alive_connection_on_exit(
    txo_api_server: LocalApiServer,
) -> None:
    seed_customers(txo_api_server)

    with ApiManager(config_for(txo_api_server), pool_size=4) as manager:
        api = manager.get_rest_api()
        result = parallel_map(lambda i: api.get(f"customers/{i}"), range(1, 21), max_workers=4)
        result.raise_on_failure()
        assert [row["name"] for row in result.results] == [f"Customer {i}" for i in range(20)]
        assert txo_api_server.open_connections >= 1  # keep-alive: still open inside

    assert txo_api_server.wait_for_open_connections(0, timeout=5)
    assert txo_api_server.connections_opened <= 4  # the pool was reused, not one per call


def test_manager_closes_connections_when_the_block_raises(txo_api_server: LocalApiServer) -> None:
    seed_customers(txo_api_server, 1)

    with pytest.raises(KeyError), ApiManager(config_for(txo_api_server)) as manager:
        manager.get_rest_api().get("customers/1")
        assert txo_api_server.open_connections == 1
        raise KeyError("script bug")

    assert txo_api_server.wait_for_open_connections(0, timeout=5)


def test_missing_section_in_a_loaded_config_names_the_key_and_the_file(
    txo_api_server: LocalApiServer,
) -> None:
    raw = config_for(txo_api_server)
    del raw["script-behavior"]["circuit-breaker"]
    config = ConfigDict(raw, source_file=CONFIG_FILE)

    with pytest.raises(ConfigurationError) as caught:
        ApiManager(config)

    message = str(caught.value)
    assert "script-behavior.circuit-breaker" in message
    assert CONFIG_FILE in message
    assert txo_api_server.hits() == 0
