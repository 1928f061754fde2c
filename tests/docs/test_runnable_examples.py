"""Every docs code block marked `<!-- runnable -->` runs, in a fresh temp v3.0 project.

Unmarked ``python`` blocks (illustrations that need a real customer API) must at least
compile, so they cannot rot into invalid code unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from doc_examples import (
    MARKER,
    Example,
    MarkerError,
    all_examples,
    all_python_blocks,
    examples_in,
    python_blocks_in,
)

EXAMPLES = all_examples()
PYTHON_BLOCKS = all_python_blocks()
TIMEOUT_SECONDS = 60  # an example runs in about a second; a hang must not stall the suite
MIN_RUNNABLE_EXAMPLES = 25
# Pages whose examples must stay runnable: removing the marker would silently stop testing.
PAGES_WITH_RUNNABLE_EXAMPLES = {
    "getting-started.md",
    "logging.md",
    "resilience.md",
    "save-and-load.md",
    "concurrency.md",
    "soap.md",
    "cli/check.md",
    "writing-scripts.md",
    "production.md",
}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_runnable_docs_example_runs(example: Example, txo_project: Path) -> None:
    # A fresh interpreter per example: logging set-up and imports do not leak between pages.
    # DeprecationWarning is an error: documentation shows the current API only.
    try:
        result = subprocess.run(
            [sys.executable, "-W", "error::DeprecationWarning", "-c", example.code],
            cwd=txo_project,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"docs/{example.id} did not finish within {TIMEOUT_SECONDS} s")
    assert result.returncode == 0, f"docs/{example.id} failed:\n{result.stderr}"


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda e: e.id)
def test_every_python_block_in_the_docs_compiles(block: Example) -> None:
    compile(block.code, f"docs/{block.id}", "exec")


def test_the_docs_have_runnable_examples() -> None:
    missing = PAGES_WITH_RUNNABLE_EXAMPLES - {example.page for example in EXAMPLES}
    assert missing == set()
    assert len(EXAMPLES) >= MIN_RUNNABLE_EXAMPLES


def test_marker_finds_indented_fences_and_longer_fences() -> None:
    text = f'x\n{MARKER}\n\n    ````python title="a"\n    a = 1\n    ````\n'
    (example,) = examples_in(text, "p.md")
    assert (example.code, example.line) == ("a = 1\n", 4)


@pytest.mark.parametrize("text", [f"{MARKER}\n```bash\nls\n```\n", f"{MARKER}\ntext\n", MARKER])
def test_marker_not_followed_by_a_python_fence_is_an_error(text: str) -> None:
    with pytest.raises(MarkerError):
        examples_in(text, "p.md")


def test_python_blocks_are_found_marked_or_not_and_other_fences_are_skipped() -> None:
    text = (
        "```text\n```python\nnot code\n```\n"  # a python fence shown inside a text block
        f"{MARKER}\n```python\na = 1\n```\n"
        "```python\nb = 2\n```\n"
    )
    blocks = python_blocks_in(text, "p.md")
    assert [(b.code, b.line) for b in blocks] == [("a = 1\n", 6), ("b = 2\n", 9)]
