"""Hand-built paths into the project's folders, found with :mod:`ast`:

- TXO017 ``Path("config/settings.json")``, ``Path("config") / "settings.json"``,
  ``Path("config", "settings.json")`` (any ``pathlib`` class, under any import alias)
- TXO018 ``os.path.join("config", "settings.json")`` (also ``from os.path import join``,
  ``from os import path``, ``posixpath``/``ntpath``)
- TXO019 a string that is itself a path into a project folder:
  ``"config/settings.json"``, ``f"output/{org_id}-report.xlsx"`` (as ``open()``'s argument,
  assigned to a name, anywhere but a docstring)

Each finding names the ``get_path(Dir.X, ...)`` call that replaces it. A path built by hand
is relative to the current directory, so the script breaks when started from another
folder (cron, an IDE, ``python -m`` from a parent); ``get_path`` resolves against the
project root and refuses names that leave the folder.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from txo_runtime.path_helpers import Dir
from txo_tools.checks._findings import Finding, finding

__all__ = ["hand_built_paths"]

_FOLDERS = {member.value: member.name for member in Dir}
_PATH_CLASSES = frozenset(
    {"Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath"}
)
_PATH_MODULES = frozenset({"os.path", "posixpath", "ntpath"})
# "config/x.json", "./output/report.xlsx": a folder, a slash, then no whitespace.
_PATH_TEXT = re.compile(rf"^(?:\./)?(?P<folder>{'|'.join(_FOLDERS)})/(?P<rest>\S+)$")


def _folder_of(node: ast.expr | None) -> tuple[str, str] | None:
    """(folder, rest) when ``node`` is a string naming a project folder or a path in it."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    text = node.value.strip().replace("\\", "/")
    bare = text.removeprefix("./").rstrip("/")
    if bare in _FOLDERS:
        return bare, ""
    match = _PATH_TEXT.match(text)
    return (match["folder"], match["rest"]) if match else None


def _fix(folder: str, rest: list[ast.expr]) -> str:
    """``get_path(Dir.CONFIG, "a/b.json")`` from the parts after the folder."""
    texts = [str(n.value).strip("/") for n in rest if isinstance(n, ast.Constant)]
    if len(texts) == len(rest):  # all literal: one relative name
        name = "/".join(t for t in texts if t)
        shown = f'"{name}"' if name else ""
    elif len(rest) == 1:  # a variable or an f-string: pass it on as it is
        shown = ast.unparse(rest[0])
    else:
        shown = '"<file name>"'
    args = f"Dir.{_FOLDERS[folder]}, {shown}" if shown else f"Dir.{_FOLDERS[folder]}"
    return (
        f"Use get_path({args}) (from txo_runtime.path_helpers import Dir, get_path): it "
        "resolves against the project root wherever the script is started"
    )


class _Names:
    """The names a script binds to pathlib classes and to ``os.path.join``."""

    def __init__(self, tree: ast.Module) -> None:
        self.path_classes = set(_PATH_CLASSES)
        self.pathlib_modules = {"pathlib"}
        self.path_modules = {"os.path", "posixpath", "ntpath"}  # dotted receivers of join
        self.joins: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                self._imported(node)
            elif isinstance(node, ast.ImportFrom):
                self._imported_from(node)

    def _imported(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "pathlib":
                self.pathlib_modules.add(alias.asname or alias.name)
            elif alias.name in _PATH_MODULES:
                self.path_modules.add(alias.asname or alias.name)

    def _imported_from(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name
            if node.module == "pathlib" and alias.name in _PATH_CLASSES:
                self.path_classes.add(bound)
            elif node.module in _PATH_MODULES and alias.name == "join":
                self.joins.add(bound)
            elif node.module == "os" and alias.name == "path":
                self.path_modules.add(bound)

    def is_path_class(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in self.path_classes
        return (
            isinstance(func, ast.Attribute)
            and func.attr in _PATH_CLASSES
            and ast.unparse(func.value) in self.pathlib_modules
        )

    def is_join(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in self.joins
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "join"
            and ast.unparse(func.value) in self.path_modules
        )


def _divided(tree: ast.Module) -> dict[int, list[ast.expr]]:
    """For ``Path("config") / "a" / "b"``: id of the Path call -> the parts divided in."""
    parts: dict[int, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            chain, left = [node.right], node.left
            while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div):
                chain, left = [left.right, *chain], left.left
            if isinstance(left, ast.Call) and id(left) not in parts:
                parts[id(left)] = chain
    return parts


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            found.add(id(first.value))
    return found


def _call_findings(tree: ast.Module, rel: str, used: set[int]) -> Iterator[Finding]:
    names, divided = _Names(tree), _divided(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        code = "TXO017" if names.is_path_class(node.func) else None
        code = code or ("TXO018" if names.is_join(node.func) else None)
        found = _folder_of(node.args[0]) if code else None
        if code is None or found is None:
            continue
        used.add(id(node.args[0]))
        folder, rest = found
        first = [ast.Constant(rest)] if rest else []
        tail = [*first, *node.args[1:], *divided.get(id(node), [])]
        call = ast.unparse(node.func)
        message = f"Path into '{folder}/' built by hand with {call}(...)"
        yield finding(
            code, rel, node.lineno, message, _fix(folder, tail), column=node.col_offset + 1
        )


def _string_findings(tree: ast.Module, rel: str, skip: set[int]) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            skip.update(id(part) for part in node.values)
            found = _folder_of(first) if isinstance(first, ast.Constant) else None
            if found is not None and (found[1] or str(first.value).endswith("/")):  # type: ignore[attr-defined]
                rest = [ast.Constant(found[1])] if found[1] else []
                name = ast.JoinedStr([*rest, *node.values[1:]])
                yield _string_finding(rel, node, found[0], [name])
        elif isinstance(node, ast.Constant) and id(node) not in skip:
            found = _folder_of(node)
            if found is not None and found[1]:
                yield _string_finding(rel, node, found[0], [ast.Constant(found[1])])


def _string_finding(rel: str, node: ast.expr, folder: str, rest: list[ast.expr]) -> Finding:
    message = f"Path into '{folder}/' written as a string"
    return finding(
        "TXO019", rel, node.lineno, message, _fix(folder, rest), column=node.col_offset + 1
    )


def hand_built_paths(tree: ast.Module, rel: str) -> Iterator[Finding]:
    """TXO017/TXO018/TXO019 findings of one parsed script."""
    used: set[int] = set()
    yield from _call_findings(tree, rel, used)
    yield from _string_findings(tree, rel, used | _docstrings(tree))
