"""The start-up fast path for logging-config.json never accepts what jsonschema rejects."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import txo_runtime
from txo_runtime.logger._config import _fast_valid

DATA = Path(txo_runtime.__file__).parent / "data"
SCHEMA = json.loads((DATA / "logging-config.schema.json").read_text())
DEFAULT = json.loads((DATA / "logging-config.json").read_text())


def _mutations() -> list[tuple[str, Any]]:
    def with_(path: list[str], value: Any) -> dict[str, Any]:
        data = copy.deepcopy(DEFAULT)
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return data

    def without(path: list[str]) -> dict[str, Any]:
        data = copy.deepcopy(DEFAULT)
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        return data

    return [
        ("default", DEFAULT),
        ("level typo", with_(["console", "level"], "INFOO")),
        ("level lower-case", with_(["console", "level"], "info")),
        ("unknown key", with_(["console", "levle"], "INFO")),
        ("unknown top key", with_(["handlers"], {})),
        ("bool as level", with_(["file", "level"], True)),
        ("negative backups", with_(["file", "backup_count"], -1)),
        ("string max bytes", with_(["file", "max_bytes"], "10MB")),
        ("empty format", with_(["console", "format"], "")),
        ("missing console", without(["console"])),
        ("missing file level", without(["file", "level"])),
        ("logger level number", with_(["loggers", "urllib3"], 10)),
        ("loguru flag string", with_(["route_loguru"], "yes")),
        ("wrong version", with_(["version"], "2.1")),
        ("null datefmt", with_(["file", "datefmt"], None)),
        ("stdout stream", with_(["console", "stream"], "stdout")),
        ("not an object", ["console"]),
    ]


@pytest.mark.parametrize(("case", "data"), _mutations(), ids=[m[0] for m in _mutations()])
def test_fast_check_accepts_only_what_jsonschema_accepts(case: str, data: Any) -> None:
    schema_ok = jsonschema.Draft202012Validator(SCHEMA).is_valid(data)
    if _fast_valid(data, SCHEMA):
        assert schema_ok, f"fast path accepted an invalid config ({case})"


def test_the_packaged_default_takes_the_fast_path() -> None:
    assert _fast_valid(DEFAULT, SCHEMA)
