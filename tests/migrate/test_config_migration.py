"""Config, schema and logging migration: before/after tables on plain data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from txo_tools.migrate.config import SECTION_DEFAULTS, dumps, migrate_config
from txo_tools.migrate.logging_files import migrate_logging, migrate_redaction_patterns
from txo_tools.migrate.schema import declare_config_keys, is_v3_schema, merge_schema

DATA = Path(__file__).resolve().parents[2] / "txo_runtime" / "data"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "template_v21" / "template"


@pytest.mark.parametrize(
    ("before", "section", "after"),
    [
        ({"enable-rate-limiting": True, "rate-limit-per-second": 4}, "rate-limiting",
         {"enabled": True, "calls-per-second": 4, "burst-size": 1, "scope": "process"}),
        ({"enable-circuit-breaker": True, "circuit-breaker-threshold": 3,
          "circuit-breaker-timeout": 30}, "circuit-breaker",
         {"enabled": True, "failure-threshold": 3, "timeout-seconds": 30}),
        ({"rate-limiting": {"enabled": True, "calls-per-second": 7}}, "rate-limiting",
         {"enabled": True, "calls-per-second": 7, "burst-size": 1, "scope": "process"}),
        ({"circuit-breaker": {"enabled": True, "threshold": 2, "timeout": 9}},
         "circuit-breaker", {"enabled": True, "failure-threshold": 2, "timeout-seconds": 9}),
        ({}, "rate-limiting",
         {"enabled": False, "calls-per-second": 10, "burst-size": 1, "scope": "process"}),
        ({"batch-handling": {"read-batch-size": 5, "vat-batch-size": 10}}, "batch-handling",
         {"read-batch-size": 5, "vat-batch-size": 10, "update-batch-size": 50}),
    ],
)  # fmt: skip
def test_v21_script_behavior_becomes_nested_with_every_value_kept(
    before: dict, section: str, after: dict
) -> None:
    result = migrate_config({"global": {"api-base-url": "https://x"}, "script-behavior": before})
    assert result.data["script-behavior"][section] == after


def test_flat_keys_disappear_and_the_section_takes_their_place() -> None:
    behavior = {"api-delay-seconds": 1, "enable-rate-limiting": True, "jitter": {"a": 1}}
    result = migrate_config({"global": {}, "script-behavior": behavior})
    keys = list(result.data["script-behavior"])
    assert keys[:3] == ["api-delay-seconds", "rate-limiting", "jitter"]
    assert "enable-rate-limiting" not in keys


def test_nested_value_wins_over_a_conflicting_flat_value_and_asks_a_person() -> None:
    behavior = {"rate-limit-per-second": 3, "rate-limiting": {"calls-per-second": 8}}
    result = migrate_config({"global": {}, "script-behavior": behavior})
    assert result.data["script-behavior"]["rate-limiting"]["calls-per-second"] == 8
    assert any("rate-limit-per-second" in item for item in result.follow_ups)


def test_custom_sections_are_untouched_and_missing_sections_get_v21_defaults() -> None:
    custom = {"endpoint": "https://e", "nested": {"x": [1, 2]}}
    result = migrate_config({"global": {}, "my-feature": custom})
    assert result.data["my-feature"] == custom
    assert set(SECTION_DEFAULTS) <= set(result.data["script-behavior"])
    assert any("added section 'script-behavior'" in note for note in result.notes)


def test_migrating_a_migrated_config_changes_nothing() -> None:
    first = migrate_config({"global": {}, "script-behavior": {"enable-rate-limiting": True}})
    second = migrate_config(first.data)
    assert second.data == first.data and second.notes == []


def test_json_is_written_readably_with_key_order_kept() -> None:
    text = dumps({"b": 1, "a": {"é": 2}})
    assert text == '{\n  "b": 1,\n  "a": {\n    "é": 2\n  }\n}\n'


def test_v21_schema_becomes_v3_keeping_custom_parts_and_validates_migrated_configs() -> None:
    base = json.loads((DATA / "org-env-config-schema.json").read_text())
    user = json.loads((FIXTURE / "schemas/org-env-config-schema.json").read_text())
    user["properties"]["my-feature"] = {"type": "object"}
    user["properties"]["global"]["properties"]["company-code"] = {"type": "string"}
    user["required"].append("my-feature")
    merged = merge_schema(user, base).data
    assert is_v3_schema(merged) and not is_v3_schema(user)
    assert merged["properties"]["my-feature"] == {"type": "object"}
    assert "company-code" in merged["properties"]["global"]["properties"]
    assert "my-feature" in merged["required"]
    assert "enable-rate-limiting" not in merged["properties"]["script-behavior"]["properties"]


def test_undeclared_config_keys_get_an_inferred_declaration_and_a_follow_up() -> None:
    schema = json.loads((DATA / "org-env-config-schema.json").read_text())
    config = migrate_config({"global": {"api-base-url": "https://x", "region": "eu"}}).data
    outcome = declare_config_keys(schema, config, "config/a-test-config.json")
    declared = schema["properties"]["global"]["properties"]["region"]
    assert declared["type"] == "string"
    assert any("global.region" in item for item in outcome.follow_ups)


def test_logging_keeps_only_the_users_own_v21_choices() -> None:
    default = json.loads((DATA / "logging-config.json").read_text())
    old = json.loads((FIXTURE / "config/logging-config.json").read_text())
    untouched = migrate_logging(old, default).data
    assert untouched == default
    old["handlers"]["console"]["level"] = "warning"
    old["handlers"]["file"]["filename"] = "logs/acme.log"
    old["loggers"]["zeep"] = {"level": "ERROR"}
    changed = migrate_logging(old, default)
    assert changed.data["console"]["level"] == "WARNING"
    assert changed.data["file"]["filename"] == "acme.log"
    assert changed.data["loggers"]["zeep"] == "ERROR"
    assert changed.data["version"] == "3.0"


def _v21_logging(console: object, file: object, loggers: dict) -> dict:
    old = json.loads((FIXTURE / "config" / "logging-config.json").read_text())
    old["handlers"]["console"]["level"] = console
    old["handlers"]["file"]["level"] = file
    old["loggers"].update({name: {"level": level} for name, level in loggers.items()})
    return old


@pytest.mark.parametrize(
    ("v21_level", "v30_level"),
    [(10, "DEBUG"), (15, "DEBUG"), (25, "INFO"), (30, "WARNING"), (45, "ERROR"),
     (60, "CRITICAL"), (5, "DEBUG"), ("35", "WARNING"), ("warn", "WARNING"),
     ("Error", "ERROR"), ("FATAL", "CRITICAL")],
)  # fmt: skip
def test_v21_numeric_and_alias_levels_become_the_standard_level_at_or_below(
    v21_level: object, v30_level: str, tmp_path: Path
) -> None:
    from txo_runtime.logger import load_logging_settings

    default = json.loads((DATA / "logging-config.json").read_text())
    old = _v21_logging(v21_level, v21_level, {"myapp": v21_level})
    result = migrate_logging(old, default)
    assert result.data["file"]["level"] == v30_level
    assert result.data["loggers"]["myapp"] == v30_level
    path = tmp_path / "logging-config.json"
    path.write_text(dumps(result.data))
    assert load_logging_settings(path).file.level == v30_level  # scripts can start


def test_unknown_v21_level_names_keep_the_default_and_become_follow_ups() -> None:
    default = json.loads((DATA / "logging-config.json").read_text())
    result = migrate_logging(_v21_logging("TRACE", "DEBUG", {"zeep": "TRACE"}), default)
    assert result.data["console"]["level"] == default["console"]["level"]
    assert result.data["loggers"]["zeep"] == default["loggers"]["zeep"]
    assert [f for f in result.follow_ups if "'TRACE'" in f and "console.level" in f]
    assert [f for f in result.follow_ups if "'TRACE'" in f and "logger 'zeep'" in f]


def test_a_v21_value_the_v30_loader_refuses_keeps_the_default_and_the_rest_carries_over() -> None:
    default = json.loads((DATA / "logging-config.json").read_text())
    old = _v21_logging("WARNING", "DEBUG", {})
    old["formatters"]["console"] = {"format": "{asctime} {message}", "style": "{"}
    old["handlers"]["file"]["filename"] = "logs/{customer}.log"
    result = migrate_logging(old, default)
    assert result.data["console"]["format"] == default["console"]["format"]
    assert result.data["file"]["filename"] == default["file"]["filename"]
    assert result.data["console"]["level"] == "WARNING"
    assert len([f for f in result.follow_ups if "does not work in v3.0" in f]) == 2


def test_a_v21_json_formatter_becomes_the_v30_json_format(tmp_path: Path) -> None:
    from txo_runtime.logger import load_logging_settings

    default = json.loads((DATA / "logging-config.json").read_text())
    old = _v21_logging("INFO", "DEBUG", {})
    file_formatter = old["handlers"]["file"]["formatter"]
    old["formatters"][file_formatter] = {
        "()": "pythonjsonlogger.jsonlogger.JsonFormatter",
        "format": "%(asctime)s %(levelname)s %(message)s",
    }
    result = migrate_logging(old, default)
    assert result.data["file"]["format"] == "json"
    assert result.data["console"]["format"] == default["console"]["format"]
    path = tmp_path / "logging-config.json"
    path.write_text(dumps(result.data))
    assert load_logging_settings(path).file.json  # scripts start and write JSON lines


# --- log-redaction-patterns.json -------------------------------------------------------------


def _patterns_default() -> dict:
    return json.loads((DATA / "log-redaction-patterns.json").read_text())


def test_a_v30_patterns_file_gains_the_personal_data_section_and_keeps_its_own_rules() -> None:
    from txo_runtime.logger import RedactionRules

    own = {"name": "acme-id", "pattern": "acme_[0-9a-f]{8}", "requires": ["acme_"]}
    old = {"version": "3.0", "replacement": "[X]", "patterns": [own], "keys": ["pin_code"]}
    result = migrate_redaction_patterns(old, _patterns_default())
    assert result.data["patterns"] == [own] and result.data["keys"] == ["pin_code"]
    assert result.data["replacement"] == "[X]"
    assert result.data["personal-data"] == _patterns_default()["personal-data"]
    assert list(result.data) == ["version", "replacement", "personal-data", "patterns", "keys"]
    assert [n for n in result.notes if "personal-data" in n]
    rules = RedactionRules.from_mapping(result.data)
    assert rules.redact("acme_0badcafe 4111111111111111") == "[X] [REDACTED_CARD]"


def test_a_patterns_file_that_has_the_section_is_left_as_it_is() -> None:
    old = {**_patterns_default(), "personal-data": {"cards": False, "email": True}}
    result = migrate_redaction_patterns(old, _patterns_default())
    assert result.data == old and not result.notes and not result.follow_ups


def test_a_v21_patterns_file_becomes_v30_with_the_users_own_rules_and_ssn_as_a_country() -> None:
    from txo_runtime.logger import RedactionRules

    old = {
        "redaction-patterns": {
            "patterns": [
                {"name": "bearer-token", "pattern": "Bearer\\s+\\S+", "replacement": "B"},
                {"name": "credit-card", "pattern": "\\b\\d{16}\\b", "replacement": "[C]"},
                {"name": "ssn-us", "pattern": "\\b\\d{3}-\\d{2}-\\d{4}\\b", "replacement": "[S]"},
                {"name": "acme-session", "pattern": "sess_[a-z0-9]{6}", "replacement": "[SESS]"},
                {"name": "broken", "pattern": "(", "replacement": "x"},
            ],
            "simple-patterns": [
                {"name": "password-variations", "contains": ["password="], "replacement": "x"},
                {"name": "pins", "contains": ["pin_code=", "a b="], "replacement": "[REDACTED]"},
            ],
        }
    }
    default = _patterns_default()
    result = migrate_redaction_patterns(old, default)
    data = result.data
    assert data["version"] == "3.0"
    assert data["patterns"][: len(default["patterns"])] == default["patterns"]
    assert data["patterns"][len(default["patterns"]) :] == [
        {"name": "acme-session", "pattern": "sess_[a-z0-9]{6}", "flags": ["IGNORECASE"],
         "replacement": "[SESS]"}
    ]  # fmt: skip
    assert data["keys"] == [*default["keys"], "pin_code"]
    assert data["personal-data"]["national-ids"] == ["US"]
    assert [f for f in result.follow_ups if "'broken'" in f]
    assert [f for f in result.follow_ups if "'a b='" in f]
    rules = RedactionRules.from_mapping(data)
    assert rules.redact("SESS_ab12cd pinCode=42 ssn 536-22-1234") == (
        "[SESS] pinCode=[REDACTED] ssn [REDACTED_NATIONAL_ID]"
    )


def test_no_patterns_file_gets_the_packaged_default() -> None:
    result = migrate_redaction_patterns(None, _patterns_default())
    assert result.data == _patterns_default() and result.notes
