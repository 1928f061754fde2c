"""Which findings a run reports: ``--select``/``--ignore`` and inline suppressions.

A code or a prefix selects rules (``TXO007``, ``TXO00``). A line may silence findings on
itself with a comment, as linters do: ``# txo: ignore[TXO007]`` (several codes separated by
commas) or ``# txo: ignore`` (every rule on that line). Only text files can carry the
comment, so JSON findings are selected with ``--ignore`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from txo_runtime.exceptions import HelpfulError
from txo_tools.checks._findings import RULES, Finding

__all__ = ["apply_suppressions", "select_findings", "validate_codes"]

_SUPPRESSION = re.compile(r"#\s*txo:\s*ignore(?:\[(?P<codes>[A-Z0-9,\s]+)\])?", re.IGNORECASE)


def validate_codes(codes: Iterable[str]) -> list[str]:
    """Upper-cased codes or prefixes; a prefix that names no rule is a usage error."""
    result = [code.strip().upper() for code in codes if code.strip()]
    unknown = [code for code in result if not any(rule.startswith(code) for rule in RULES)]
    if unknown:
        raise HelpfulError(
            what_went_wrong=f"Unknown rule code(s): {', '.join(unknown)}",
            how_to_fix=f"Use a rule code or prefix: {', '.join(RULES)}",
            example="txo check --select TXO007,TXO008 --ignore TXO003",
        )
    return result


def select_findings(
    findings: Iterable[Finding], select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[Finding]:
    """Findings whose code starts with a selected prefix (all if none) and no ignored one."""
    return [
        item
        for item in findings
        if (not select or item.code.startswith(tuple(select)))
        and not item.code.startswith(tuple(ignore))
    ]


def _suppressed_codes(line: str) -> set[str] | None:
    """Codes a line silences; an empty set silences every rule; None: no comment."""
    match = _SUPPRESSION.search(line)
    if match is None:
        return None
    codes = match["codes"]
    return {c.strip().upper() for c in codes.split(",") if c.strip()} if codes else set()


def apply_suppressions(root: Path, findings: Iterable[Finding]) -> list[Finding]:
    """Drop findings whose line carries ``# txo: ignore[...]`` naming their code (or none)."""
    lines: dict[str, list[str]] = {}
    kept = []
    for item in findings:
        if item.line is None:
            kept.append(item)
            continue
        if item.file not in lines:
            try:
                text = (root / item.file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            lines[item.file] = text.splitlines()
        source = lines[item.file]
        codes = _suppressed_codes(source[item.line - 1]) if item.line <= len(source) else None
        if codes is None or (codes and item.code not in codes):
            kept.append(item)
    return kept
