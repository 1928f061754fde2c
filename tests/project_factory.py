"""Build real v3.0 customer projects in temp folders for tests (no template engine needed)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import txo_runtime

DATA = Path(txo_runtime.__file__).parent / "data"

VALID_CONFIG: dict[str, Any] = {
    "global": {
        "api-base-url": "https://api.example.com/odata",
        "tenant-id": "00000000-0000-0000-0000-000000000001",
        "client-id": "public-client-id",
        "oauth-scope": "https://api.example.com/.default",
    },
    "script-behavior": {
        "api-delay-seconds": 0,
        "api-timeouts": {
            "rest-timeout-seconds": 30,
            "soap-timeout-seconds": 60,
            "wsdl-timeout-seconds": 30,
            "async-max-wait": 300,
            "async-poll-interval": 5,
        },
        "retry-strategy": {"max-retries": 3, "backoff-factor": 2.0},
        "jitter": {"min-factor": 0.8, "max-factor": 1.2},
        "rate-limiting": {"enabled": True, "calls-per-second": 10, "burst-size": 1},
        "circuit-breaker": {"enabled": True, "failure-threshold": 5, "timeout-seconds": 60},
        "batch-handling": {"read-batch-size": 100, "update-batch-size": 50},
    },
}


def valid_config() -> dict[str, Any]:
    return copy.deepcopy(VALID_CONFIG)


def make_project(
    root: Path,
    *,
    org: str = "acme",
    env: str = "test",
    config: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> Path:
    """A project root with pyproject, packaged schema + logging files, one config."""
    for folder in ("config", "schemas", "data", "output", "logs", "tmp", "src"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "acme-integrations"\n')
    shutil.copy(DATA / "org-env-config-schema.json", root / "schemas")
    for name in ("logging-config.json", "log-redaction-patterns.json"):
        if (DATA / name).exists():
            shutil.copy(DATA / name, root / "config" / name)
    write_json(root / "config" / f"{org}-{env}-config.json", config or valid_config())
    if secrets is not None:
        write_json(root / "config" / f"{org}-{env}-config-secrets.json", secrets)
    return root


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
