"""Every docs code block marked `<!-- runnable -->` runs, in a fresh temp v3.0 project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from doc_examples import MARKER, Example, MarkerError, all_examples, examples_in

EXAMPLES = all_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_runnable_docs_example_runs(example: Example, txo_project: Path) -> None:
    # A fresh interpreter per example: logging set-up and imports do not leak between pages.
    # DeprecationWarning is an error: documentation shows the current API only.
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", example.code],
        cwd=txo_project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{example.id} failed:\n{result.stderr}"


def test_the_docs_have_runnable_examples() -> None:
    pages = {example.page for example in EXAMPLES}
    assert {"getting-started.md", "cli/check.md"} <= pages


def test_marker_finds_indented_fences_and_longer_fences() -> None:
    text = f'x\n{MARKER}\n\n    ````python title="a"\n    a = 1\n    ````\n'
    (example,) = examples_in(text, "p.md")
    assert (example.code, example.line) == ("a = 1\n", 4)


@pytest.mark.parametrize("text", [f"{MARKER}\n```bash\nls\n```\n", f"{MARKER}\ntext\n", MARKER])
def test_marker_not_followed_by_a_python_fence_is_an_error(text: str) -> None:
    with pytest.raises(MarkerError):
        examples_in(text, "p.md")
