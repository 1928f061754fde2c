"""The path comment every Python file of a customer repository starts with: ``# src/x.py``.

A file's first line names where it lives, so a snippet pasted into a chat, a review or an
issue still says which file it came from, and a file copied to another folder shows at a
glance that its comment (and perhaps its imports) need a look. A ``#!`` line and a
``# -*- coding: ... -*-`` cookie must stay first for Python and the shell, so the path
comment follows them.

Shared by ``txo check`` (rule TXO020) and ``txo migrate`` (adds the comment to each script
it rewrites); the two command packages may not import each other.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["PathCommentProblem", "path_comment", "path_comment_problem", "with_path_comment"]

# Python reads the encoding cookie only on line 1 or 2 (PEP 263).
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
# "# src/old_name.py" or "# scripts\x.py": a comment that is a single path to a .py file.
_ANY_PATH_COMMENT = re.compile(r"^#\s*(?P<path>[\w./\\-]+\.py)\s*(?:$|[-—←(#])")


def path_comment(rel: str) -> str:
    """``# src/fetch_customers.py`` for the file at ``rel`` (POSIX, relative to the root)."""
    return f"# {rel}"


def _comment_index(lines: list[str]) -> int:
    """Index of the line the path comment belongs on: after a shebang and coding cookie."""
    index = 0
    if lines and lines[0].startswith("#!"):
        index = 1
    if len(lines) > index and index < 2 and _CODING.match(lines[index]):
        index += 1
    return index


class PathCommentProblem(NamedTuple):
    """What is wrong with a file's path comment, where, and the fix."""

    line: int  # 1-based
    message: str
    how_to_fix: str


def path_comment_problem(source: str, rel: str) -> PathCommentProblem | None:
    """What is wrong with the path comment of ``source`` (None: right, or the file is empty)."""
    if not source.strip():
        return None  # an empty __init__.py has no first line to speak of
    lines = source.splitlines()
    index = _comment_index(lines)
    wanted = path_comment(rel)
    line = lines[index] if index < len(lines) else ""
    found = _ANY_PATH_COMMENT.match(line.strip())
    if found and found["path"].replace("\\", "/") == rel:
        return None
    if found:
        message = f"The path comment names {found['path']}, but the file is {rel}"
        fix = f"Change line {index + 1} to '{wanted}' (the file was moved or copied)"
    else:
        where = "the first line" if index == 0 else f"line {index + 1} (after the #! / coding line)"
        message = "The file does not start with its path comment"
        fix = f"Add '{wanted}' as {where}"
    return PathCommentProblem(index + 1, message, fix)


def with_path_comment(source: str, rel: str) -> str:
    """``source`` with its path comment in place (a stale one replaced); unchanged if right."""
    if path_comment_problem(source, rel) is None:
        return source
    lines = source.splitlines(keepends=True)
    index = _comment_index([line.rstrip("\r\n") for line in lines])
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    comment = path_comment(rel) + newline
    current = lines[index].strip() if index < len(lines) else ""
    if _ANY_PATH_COMMENT.match(current):
        lines[index] = comment
    else:
        lines.insert(index, comment)
    return "".join(lines)
