"""`txo check` TXO020: every script and test starts with its path comment (`# src/x.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_projects import clean_project

from txo_tools.checks import run_checks


def _path_comment_findings(root: Path) -> list[tuple[str, int | None, str, str]]:
    return [(f.file, f.line, f.message, f.how_to_fix) for f in run_checks(root, select=["TXO020"])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"""Docs."""\n', (1, "does not start with its path comment", "Add '# {rel}' as the")),
        ("# src/old.py\nx = 1\n", (1, "names src/old.py, but the file is {rel}", "Change line 1")),
        ("#!/usr/bin/env python\nx = 1\n", (2, "does not start", "Add '# {rel}' as line 2")),
        ("# -*- coding: utf-8 -*-\nx = 1\n", (2, "does not start", "Add '# {rel}' as line 2")),
    ],
    ids=["missing", "stale", "after-shebang", "after-coding"],
)  # fmt: skip
@pytest.mark.parametrize("rel", ["src/report.py", "src/jobs/nightly.py", "tests/test_report.py"])
def test_a_file_without_its_path_comment_is_reported_at_file_line_with_the_fix(
    tmp_path: Path, rel: str, text: str, expected: tuple
) -> None:
    root = clean_project(tmp_path)
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)
    line, message, fix = expected

    ((file, found_line, found_message, found_fix),) = _path_comment_findings(root)

    assert (file, found_line) == (rel, line)
    assert message.format(rel=rel) in found_message
    assert found_fix.startswith(fix.format(rel=rel))


@pytest.mark.parametrize(
    "text",
    [
        "# {rel}\n",
        '# {rel}\n"""Docs."""\n',
        "# {rel}  ← Path comment ALWAYS first line\n",
        "#!/usr/bin/env python\n# {rel}\n",
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# {rel}\n",
        "",  # an empty __init__.py has no first line
        "\n\n",
    ],
)
def test_a_file_with_its_path_comment_or_an_empty_file_passes(tmp_path: Path, text: str) -> None:
    root = clean_project(tmp_path)
    (root / "src" / "job.py").write_text(text.format(rel="src/job.py"))
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "__init__.py").write_text("")
    assert _path_comment_findings(root) == []


def test_path_comments_obey_ignore_and_inline_suppression(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    (root / "src" / "a.py").write_text("x = 1  # txo: ignore[TXO020]\n")
    (root / "src" / "b.py").write_text("x = 1\n")
    assert [f.file for f in run_checks(root, select=["TXO020"])] == ["src/b.py"]
    assert run_checks(root, ignore=["TXO020"]) == []
