"""docs/fault-matrix.md: every test it names exists, so the table cannot promise behaviour
that nothing checks any more."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "fault-matrix.md"
_ROW = re.compile(r"^\|(?P<case>[^|]+)\|(?P<behaviour>[^|]+)\|\s*`(?P<test>[^`]+)`\s*\|$")


def matrix_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        if match:
            rows.append((match["case"].strip(), match["behaviour"].strip(), match["test"]))
    return rows


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test_")
    }


def test_the_fault_matrix_has_rows_with_case_behaviour_and_test() -> None:
    rows = matrix_rows()
    assert len(rows) >= 20
    assert all(case and behaviour for case, behaviour, _ in rows)


@pytest.mark.parametrize("test_id", [test for _, _, test in matrix_rows()])
def test_every_test_named_in_the_fault_matrix_exists(test_id: str) -> None:
    file_name, _, function = test_id.partition("::")
    path = REPO / file_name
    assert path.is_file(), f"{file_name} (named in docs/fault-matrix.md) does not exist"
    assert function in defined_tests(path), f"{test_id} is not a test function"
