"""The v2.1 guides' snippets about ``api-delay-seconds``, run against txo_runtime.

The v2.1 configuration reference shows ``"api-delay-seconds": 1`` in ``script-behavior``;
the hard-fail guide reads it with ``config["script-behavior"]["api-delay-seconds"]`` and a
``KeyError`` fallback. Both still work, and the value now does what it says: calls of one
client start at least that far apart.
"""

from __future__ import annotations

import json
from pathlib import Path

from txo_runtime.api_factory import create_rest_api, load_settings
from txo_runtime.config_loader import load_config, validate_section
from txo_runtime.testing import LocalApiServer
from txo_tools.migrate.config import migrate_config

# The v2.1 configuration structure, as the guide prints it.
SEED_V21_CONFIG = """
{
  "global": {
    "api-base-url": "https://api.example.com",
    "api-version": "v2",
    "tenant-id": "your-tenant-id",
    "client-id": "your-client-id",
    "oauth-scope": "https://api.example.com/.default"
  },
  "script-behavior": {
    "api-delay-seconds": 1,
    "api-timeouts": {
      "rest-timeout-seconds": 60,
      "soap-timeout-seconds": 120,
      "wsdl-timeout-seconds": 60,
      "async-max-wait": 300,
      "async-poll-interval": 5
    },
    "retry-strategy": {"max-retries": 3, "backoff-factor": 2.0},
    "jitter": {"min-factor": 0.8, "max-factor": 1.2},
    "rate-limiting": {"enabled": true, "calls-per-second": 10, "burst-size": 1},
    "circuit-breaker": {"enabled": true, "failure-threshold": 5, "timeout-seconds": 60},
    "batch-handling": {"read-batch-size": 100, "update-batch-size": 50, "vat-batch-size": 10}
  }
}
"""


def test_the_v21_config_with_api_delay_seconds_migrates_and_keeps_its_meaning() -> None:
    migrated = migrate_config(json.loads(SEED_V21_CONFIG))
    config = migrated.data
    validate_section(config, "script-behavior")
    assert config["script-behavior"]["api-delay-seconds"] == 1
    assert config["script-behavior"]["rate-limiting"]["scope"] == "process"
    assert any("api-delay-seconds" in note for note in migrated.notes)
    assert load_settings(config).api_delay == 1.0


def test_the_hard_fail_guide_reads_api_delay_seconds_and_the_client_honours_it(
    txo_project: Path, txo_api_server: LocalApiServer
) -> None:
    path = txo_project / "config" / "demo-test-config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["global"]["api-base-url"] = f"{txo_api_server.url}/api"
    data["script-behavior"]["api-delay-seconds"] = 0.25
    path.write_text(json.dumps(data), encoding="utf-8")
    config = load_config("demo", "test")

    # The guide's snippet, unchanged:
    # If script-behavior exists, delay is required
    try:
        delay = config["script-behavior"]["api-delay-seconds"]
    except KeyError:
        delay = 1  # Default only if entire section missing

    assert delay == 0.25
    with create_rest_api(config, require_auth=False) as api:
        api.get("items")
        api.get("items")
    first, second = (r.started for r in txo_api_server.requests)
    assert second - first >= delay - 0.05
