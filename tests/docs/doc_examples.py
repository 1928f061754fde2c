"""Find the code blocks of docs/ that are marked runnable.

The marker is an HTML comment on the line before a fenced ``python`` block::

    <!-- runnable -->
    ```python
    ...
    ```

An HTML comment is invisible in the built site (an info-string attribute such as
``title="runnable"`` would be shown as a caption by mkdocs-material).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

MARKER = "<!-- runnable -->"
DOCS = Path(__file__).resolve().parents[2] / "docs"
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Example:
    page: str
    line: int  # line of the opening fence
    code: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


class MarkerError(ValueError):
    """A runnable marker not followed by a python fence (a typo would skip the example)."""


def _block(lines: list[str], start: int, page: str) -> tuple[str, int]:
    """The code of the fence opening at ``lines[start]`` and the index after its end."""
    match = _FENCE.match(lines[start])
    info = match.group("info").split() if match else []
    if not match or not info or info[0] != "python":
        raise MarkerError(f"{page}:{start + 1}: {MARKER} must be followed by a ```python fence")
    fence, indent = match.group("fence"), match.group("indent")
    end = _fence_end(lines, start, fence)
    if end == len(lines):
        raise MarkerError(f"{page}:{start + 1}: unclosed fence")
    body = [
        line[len(indent) :] if line.startswith(indent) else line for line in lines[start + 1 : end]
    ]
    return textwrap.dedent("\n".join(body)) + "\n", end + 1


def examples_in(text: str, page: str) -> list[Example]:
    lines = text.splitlines()
    found, index = [], 0
    while index < len(lines):
        if lines[index].strip() != MARKER:
            index += 1
            continue
        start = index + 1
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start == len(lines):
            raise MarkerError(f"{page}:{index + 1}: {MARKER} at the end of the page")
        code, index = _block(lines, start, page)
        found.append(Example(page, start + 1, code))
    return found


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    end = start + 1
    while end < len(lines) and lines[end].strip() != fence:
        end += 1
    return end


def python_blocks_in(text: str, page: str) -> list[Example]:
    """Every fenced ``python`` block of a page, marked runnable or not."""
    lines = text.splitlines()
    found, index = [], 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        info = match.group("info").split()
        if info and info[0] == "python":
            opening = index
            code, index = _block(lines, opening, page)
            found.append(Example(page, opening + 1, code))
        else:  # skip other fences whole: their content is not markdown
            index = _fence_end(lines, index, match.group("fence")) + 1
    return found


def _pages(docs: Path) -> list[tuple[str, str]]:
    return [
        (path.relative_to(docs).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(docs.rglob("*.md"))
    ]


def all_python_blocks(docs: Path = DOCS) -> list[Example]:
    return [block for page, text in _pages(docs) for block in python_blocks_in(text, page)]


def all_examples(docs: Path = DOCS) -> list[Example]:
    return [example for page, text in _pages(docs) for example in examples_in(text, page)]
