"""pytest plugin (entry point ``txo``): fixtures for customer projects and txo's own tests.

pytest imports this module on every start-up in every environment that has txo installed,
so it imports nothing heavy: the server and the packaged data are loaded inside fixtures.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from txo_runtime.path_helpers import packaged_data

if TYPE_CHECKING:
    from txo_runtime.testing.server import LocalApiServer

# Packaged default file -> folder of the customer project it belongs to.
_PACKAGED_FILES: dict[str, str] = {
    "org-env-config-schema.json": "schemas",
    "logging-config.json": "config",
    "log-redaction-patterns.json": "config",
}
_PROJECT_DIRS = ("config", "schemas", "data", "output", "logs", "tmp")
DEMO_API_BASE_URL = "http://127.0.0.1:9/odata"  # discard port: nothing listens there


@pytest.fixture
def txo_api_server() -> Iterator[LocalApiServer]:
    """A started :class:`~txo_runtime.testing.LocalApiServer` on a free loopback port."""
    from txo_runtime.testing.server import LocalApiServer

    with LocalApiServer(host="127.0.0.1", port=0) as server:
        yield server


def demo_test_config(api_base_url: str = DEMO_API_BASE_URL) -> dict[str, Any]:
    """A complete v3.0 config (every required key of the packaged schema)."""
    return {
        "global": {"api-base-url": api_base_url},
        "script-behavior": {
            "api-delay-seconds": 0,
            "api-timeouts": {
                "rest-timeout-seconds": 10,
                "soap-timeout-seconds": 10,
                "wsdl-timeout-seconds": 10,
                "async-max-wait": 30,
                "async-poll-interval": 0.1,
            },
            "retry-strategy": {
                "max-retries": 3,
                "backoff-factor": 0.1,
                "max-total-wait-seconds": 5,
            },
            "jitter": {"min-factor": 0.9, "max-factor": 1.1},
            "rate-limiting": {"enabled": False, "calls-per-second": 10, "burst-size": 1},
            "circuit-breaker": {"enabled": True, "failure-threshold": 5, "timeout-seconds": 60},
            "batch-handling": {"read-batch-size": 100, "update-batch-size": 50},
        },
    }


def _copy_packaged_files(root: Path) -> None:
    for name, folder in _PACKAGED_FILES.items():
        source = packaged_data(name)
        if source.is_file():
            shutil.copyfile(source, root / folder / name)


def create_project(root: Path) -> Path:
    """Lay out a minimal v3.0 customer project in ``root`` (which may already exist)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo-integrations"\nversion = "0.1.0"\n', encoding="utf-8"
    )
    for folder in _PROJECT_DIRS:
        (root / folder).mkdir(exist_ok=True)
    _copy_packaged_files(root)
    config = json.dumps(demo_test_config(), indent=2) + "\n"
    (root / "config" / "demo-test-config.json").write_text(config, encoding="utf-8")
    return root


@pytest.fixture
def txo_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` laid out as a minimal customer project, made current via ``TXO_PROJECT_ROOT``.

    It holds ``config/demo-test-config.json`` (valid against the packaged schema) and the
    packaged logging/redaction defaults, so ``load_config("demo", "test")`` works.
    """
    root = create_project(tmp_path)
    monkeypatch.setenv("TXO_PROJECT_ROOT", str(root))
    return root
