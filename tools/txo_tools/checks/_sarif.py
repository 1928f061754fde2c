"""Findings as SARIF 2.1.0, the format code hosts turn into annotations on a change.

GitHub code scanning (``github/codeql-action/upload-sarif``) and GitLab read it. Every rule
of the catalogue is listed under ``tool.driver.rules``; each finding is a ``result`` with its
rule, message and location (line and column when known).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from txo_tools.checks._findings import RULES, Finding

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule(code: str) -> dict[str, Any]:
    rule = RULES[code]
    return {
        "id": code,
        "name": rule.title,
        "shortDescription": {"text": rule.title},
        "help": {"text": rule.how_to_fix},
        "defaultConfiguration": {"level": "error"},
    }


def _result(item: Finding, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": item.file, "uriBaseId": "%SRCROOT%"}}
    if item.line is not None:
        region: dict[str, int] = {"startLine": item.line}
        if item.column:
            region["startColumn"] = item.column
        location["region"] = region
    return {
        "ruleId": item.code,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": f"{item.message} — {item.how_to_fix}"},
        "locations": [{"physicalLocation": location}],
    }


def to_sarif(findings: Iterable[Finding], version: str) -> dict[str, Any]:
    """One SARIF log with one run of ``txo check`` (``version``: the txo-tools version)."""
    codes = list(RULES)
    driver = {
        "name": "txo check",
        "version": version,
        "rules": [_rule(code) for code in codes],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "results": [_result(item, codes.index(item.code)) for item in findings],
            }
        ],
    }
