"""The ``txo`` pytest plugin: fixtures a customer project's tests get for free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import requests

from txo_runtime.path_helpers import Dir, find_project_root, get_path
from txo_runtime.testing import LocalApiServer


def test_txo_project_is_a_v3_project_root_with_a_valid_demo_config(txo_project: Path):
    assert os.environ["TXO_PROJECT_ROOT"] == str(txo_project)
    assert find_project_root() == txo_project
    for folder in ("config", "schemas", "data", "output", "logs", "tmp"):
        assert (txo_project / folder).is_dir()
    schema = json.loads(get_path(Dir.SCHEMAS, "org-env-config-schema.json").read_text())
    config = json.loads(get_path(Dir.CONFIG, "demo-test-config.json").read_text())
    jsonschema.validate(config, schema)
    assert (txo_project / "pyproject.toml").is_file()


def test_txo_project_copies_every_packaged_default_that_exists(txo_project: Path):
    packaged = Path(__file__).resolve().parents[2] / "txo_runtime" / "data"
    targets = {
        "org-env-config-schema.json": "schemas",
        "logging-config.json": "config",
        "log-redaction-patterns.json": "config",
    }
    for name, folder in targets.items():
        copied = txo_project / folder / name
        assert copied.is_file() == (packaged / name).is_file()
        if copied.is_file():
            assert copied.read_bytes() == (packaged / name).read_bytes()


def test_txo_api_server_is_running_and_empty(txo_api_server: LocalApiServer):
    assert requests.get(f"{txo_api_server.url}/health", timeout=5).json() == {"status": "ok"}
    assert txo_api_server.hits() == 1


def test_plugin_import_stays_light():
    code = (
        "import sys, txo_runtime.testing.pytest_plugin; "
        "heavy = {'txo_runtime.testing.server', 'http.server', 'jsonschema', 'requests'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_txo_project_config_loads_with_the_runtime(txo_project: Path):
    from txo_runtime.config_loader import load_config

    config = load_config("demo", "test")
    assert config["script-behavior"]["batch-handling"]["read-batch-size"] == 100
