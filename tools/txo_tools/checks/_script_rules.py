"""Script rules for ``src/**/*.py``, read with :mod:`ast` (never regexes, so strings and
comments that merely mention ``print(`` are not findings):

- TXO007 soft-fail config: ``config.get(...)``, ``config["x"].get(...)``, ``.get("global")``
- TXO008 ``print(...)``
- TXO009 a folder string (``"output"``) where a ``Dir`` is expected
- TXO010 ``sys.exit`` outside the ``if __name__ == "__main__":`` block
- TXO017..TXO019 paths built by hand (``_path_rules``)
- TXO020 the path comment (``# src/x.py``) missing or naming another file, in ``src/``
  and ``tests/`` (:func:`check_path_comments`)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from txo_runtime.path_helpers import Dir
from txo_tools._path_comment import path_comment_problem
from txo_tools._soft_fail import call_name as _call_name
from txo_tools._soft_fail import is_soft_fail as _soft_fail
from txo_tools.checks._findings import Finding, finding
from txo_tools.checks._path_rules import hand_built_paths

__all__ = ["check_path_comments", "check_scripts", "check_source"]

_FOLDERS = {member.value: member.name for member in Dir}
# Callables whose first argument is a folder; save() takes the data first.
_DIR_FIRST = frozenset(
    {"get_path", "load", "load_json", "load_csv", "load_excel", "load_yaml", "load_text"}
    | {"exists", "delete", "get_size"}
)
_DIR_SECOND = frozenset({"save", "save_json", "save_excel", "save_csv"})
# Receivers whose load()/exists() take a file, not a project folder.
_NOT_TXO_RECEIVERS = frozenset({"os", "path", "json", "yaml", "pickle", "shutil", "Path"})
_EXIT_BUILTINS = frozenset({"exit", "quit"})


def _receiver_name(node: ast.Call) -> str | None:
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    if isinstance(receiver, ast.Name):
        return receiver.id
    return receiver.attr if isinstance(receiver, ast.Attribute) else None


def _folder_literal(node: ast.Call) -> str | None:
    name = _call_name(node)
    if _receiver_name(node) in _NOT_TXO_RECEIVERS:
        return None
    index = 0 if name in _DIR_FIRST else 1 if name in _DIR_SECOND else None
    candidates = [kw.value for kw in node.keywords if kw.arg == "directory"]
    if index is not None and len(node.args) > index:
        candidates.append(node.args[index])
    for arg in candidates:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            folder = arg.value.strip().strip("/").lower()
            if folder in _FOLDERS:
                return folder
    return None


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":``, written either way round."""
    test = node.test if isinstance(node, ast.If) else None
    if not (isinstance(test, ast.Compare) and [type(op) for op in test.ops] == [ast.Eq]):
        return False
    sides = [test.left, *test.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _exit_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the ``sys`` module, and bare names bound to ``sys.exit``."""
    modules, functions = set(), set(_EXIT_BUILTINS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "sys"}
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            functions |= {a.asname or a.name for a in node.names if a.name == "exit"}
    for node in tree.body:  # only a module-level function shadows the built-in; a method does not
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.discard(node.name)  # a function of the script's own called exit()
    return modules, functions


def _is_exit(node: ast.Call, modules: set[str], functions: set[str]) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in functions
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "exit"
        and isinstance(func.value, ast.Name)
        and func.value.id in modules
    )


def _entry_point_calls(tree: ast.Module) -> set[int]:
    inside = set()
    for statement in tree.body:
        if _is_main_guard(statement):
            inside |= {id(n) for part in statement.body for n in ast.walk(part)}  # type: ignore[attr-defined]
    return inside


def _call_findings(tree: ast.Module, rel: str) -> Iterator[Finding]:
    modules, functions = _exit_names(tree)
    entry_point = _entry_point_calls(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        col = node.col_offset + 1
        line = node.lineno
        if _soft_fail(node):
            yield finding(
                "TXO007", rel, line, "Soft-fail read of config with .get(...)", column=col
            )
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            message = "print() in a script bypasses logging and redaction"
            yield finding("TXO008", rel, line, message, column=col)
        folder = _folder_literal(node)
        if folder is not None:
            fix = f"Pass Dir.{_FOLDERS[folder]} (from txo_runtime.path_helpers import Dir)"
            message = f"Folder given as the string '{folder}'"
            yield finding("TXO009", rel, line, message, fix, column=col)
        if _is_exit(node, modules, functions) and id(node) not in entry_point:
            yield finding("TXO010", rel, line, "sys.exit() outside the entry point", column=col)


def check_source(source: str, rel: str) -> list[Finding]:
    """Findings of one script's source text (``rel`` names it in the findings)."""
    try:
        tree = ast.parse(source, filename=rel)
    except SyntaxError as exc:
        message = f"Python syntax error: {exc.msg}"
        return [finding("TXO014", rel, exc.lineno or 1, message, column=exc.offset or None)]
    return sorted({*_call_findings(tree, rel), *hand_built_paths(tree, rel)})


def _path_comment_findings(source: str, rel: str) -> list[Finding]:
    problem = path_comment_problem(source, rel)
    if problem is None:
        return []
    return [finding("TXO020", rel, problem.line, problem.message, problem.how_to_fix, column=1)]


def _read_python(root: Path, folder: str) -> Iterator[tuple[str, str | Finding]]:
    """(relative path, source text or the TXO014 finding of a file that cannot be read)."""
    for path in sorted((root / folder).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        try:
            yield rel, path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            yield rel, finding("TXO014", rel, 1, f"Cannot read the file: {exc}")


def check_path_comments(root: Path, folders: tuple[str, ...] = ("src", "tests")) -> list[Finding]:
    """TXO020 for every ``src/**/*.py`` and ``tests/**/*.py`` (a file-level rule, so
    :func:`check_source`, which checks code, does not report it)."""
    found: list[Finding] = []
    for folder in folders:
        for rel, source in _read_python(root, folder):
            if isinstance(source, str):
                found += _path_comment_findings(source, rel)
    return found


def check_scripts(root: Path) -> list[Finding]:
    """Findings of every ``src/**/*.py`` of the project at ``root``."""
    found: list[Finding] = []
    for rel, source in _read_python(root, "src"):
        found += check_source(source, rel) if isinstance(source, str) else [source]
    return found
