"""`txo check` in CI: rule selection, inline suppression, columns, exit codes, SARIF output."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from cli_projects import clean_project, run_txo
from jsonschema import Draft202012Validator

from txo_tools.checks import RULES

SCRIPT = """\
# src/rules.py — three rule breaks, one of them silenced on its line


def main(config):
    url = config.get("global")
    print("a")  # txo: ignore[TXO008]
    print("b")
    return url
"""

# The parts of SARIF 2.1.0 (OASIS) that code hosts read, as the standard requires them.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "format": "uri"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "run": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "properties": {"driver": {
                        "type": "object", "required": ["name", "rules"],
                        "properties": {"name": {"type": "string"}, "rules": {
                            "type": "array",
                            "items": {"type": "object", "required": ["id", "shortDescription"]},
                        }},
                    }},
                },
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
            },
        },
        "result": {
            "type": "object",
            "required": ["ruleId", "message", "locations"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": 0},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"type": "object", "required": ["text"]},
                "locations": {"type": "array", "items": {
                    "type": "object", "required": ["physicalLocation"],
                    "properties": {"physicalLocation": {
                        "type": "object", "required": ["artifactLocation"],
                        "properties": {
                            "artifactLocation": {"type": "object", "required": ["uri"]},
                            "region": {"type": "object", "required": ["startLine"],
                                       "properties": {"startLine": {"minimum": 1},
                                                      "startColumn": {"minimum": 1}}},
                        },
                    }},
                }},
            },
        },
    },
}  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = clean_project(tmp_path)
    (root / "src" / "rules.py").write_text(SCRIPT)
    return root


def _codes(stdout: str) -> list[tuple[str, int | None, int | None]]:
    return [(f["code"], f["line"], f["column"]) for f in json.loads(stdout)]


def test_inline_suppression_silences_only_the_named_rule_on_its_line(project: Path) -> None:
    result = run_txo("check", str(project), "--format", "json")
    assert result.returncode == 1
    assert _codes(result.stdout) == [("TXO007", 5, 11), ("TXO008", 7, 5)]


def test_a_suppression_for_another_rule_silences_nothing(project: Path) -> None:
    script = project / "src" / "rules.py"
    script.write_text(SCRIPT.replace("ignore[TXO008]", "ignore[TXO007]"))
    assert ("TXO008", 6, 5) in _codes(run_txo("check", str(project), "--format", "json").stdout)


def test_select_reports_only_the_chosen_rules_and_ignore_drops_them(project: Path) -> None:
    selected = run_txo("check", str(project), "--format", "json", "--select", "txo008")
    assert _codes(selected.stdout) == [("TXO008", 7, 5)]
    ignored = run_txo("check", str(project), "--format", "json", "--ignore", "TXO007,TXO008")
    assert ignored.returncode == 0 and json.loads(ignored.stdout) == []


def test_a_prefix_selects_a_family_of_rules(project: Path) -> None:
    result = run_txo("check", str(project), "--format", "json", "--select", "TXO00")
    assert {code for code, _, _ in _codes(result.stdout)} == {"TXO007", "TXO008"}


def test_an_unknown_rule_code_is_a_usage_error_with_exit_2(project: Path) -> None:
    result = run_txo("check", str(project), "--select", "TXO999")
    assert result.returncode == 2
    assert "Unknown rule code(s): TXO999" in result.stderr


def test_exit_codes_are_documented_in_the_help() -> None:
    text = run_txo("check", "--help").stdout
    assert "0  success" in text and "1  problems found" in text and "2  usage error" in text


def test_sarif_output_is_valid_sarif_2_1_0_with_locations_and_rule_indexes(project: Path) -> None:
    result = run_txo("check", str(project), "--format", "sarif")
    assert result.returncode == 1
    log = json.loads(result.stdout)
    validator = Draft202012Validator(
        SARIF_SUBSET, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [error.message for error in validator.iter_errors(log)] == []
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    located = []
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        region = item["locations"][0]["physicalLocation"]["region"]
        uri = item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        located.append((item["ruleId"], uri, region["startLine"], region["startColumn"]))
    assert located == [("TXO007", "src/rules.py", 5, 11), ("TXO008", "src/rules.py", 7, 5)]


def test_sarif_of_a_clean_project_has_no_results_and_exits_0(tmp_path: Path) -> None:
    result = run_txo("check", str(clean_project(tmp_path)), "--format", "sarif")
    assert result.returncode == 0
    assert json.loads(result.stdout)["runs"][0]["results"] == []


def test_a_temp_file_left_by_an_interrupted_save_is_reported_with_how_to_delete_it(
    tmp_path: Path,
) -> None:
    from txo_runtime.load_n_save._atomic import temp_files_of

    root = clean_project(tmp_path)
    target = root / "output" / "acme-test-customers.xlsx"
    target.parent.mkdir(exist_ok=True)
    target.write_text("kept")
    left = target.with_name(".acme-test-customers.xlsx.0badf00d.tmp.xlsx")
    left.write_text("half")
    hour_ago = time.time() - 3600
    os.utime(left, (hour_ago, hour_ago))  # left long ago by a killed save
    assert temp_files_of(target) == [left]  # the name the runtime's save() uses
    result = run_txo("check", str(root), "--format", "json")
    rel = left.relative_to(root).as_posix()
    (item,) = json.loads(result.stdout)
    assert (item["code"], item["file"], item["line"]) == ("TXO016", rel, None)
    assert "output/acme-test-customers.xlsx" in item["message"]
    assert item["how_to_fix"] == f"Delete it: rm '{rel}'"


def test_a_temp_file_a_running_save_holds_is_not_reported(tmp_path: Path) -> None:
    import fcntl

    root = clean_project(tmp_path)
    (root / "output").mkdir(exist_ok=True)
    busy = root / "output" / ".report.json.0badf00d.tmp.json"
    busy.write_text("{")
    hour_ago = time.time() - 3600
    os.utime(busy, (hour_ago, hour_ago))
    with busy.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # what save() holds while it writes
        result = run_txo("check", str(root), "--format", "json")
    assert json.loads(result.stdout) == []
