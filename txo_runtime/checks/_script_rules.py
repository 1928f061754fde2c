"""Script rules for ``src/**/*.py``, read with :mod:`ast` (never regexes, so strings and
comments that merely mention ``print(`` are not findings):

- TXO007 soft-fail config: ``config.get(...)``, ``config["x"].get(...)``, ``.get("global")``
- TXO008 ``print(...)``
- TXO009 a folder string (``"output"``) where a ``Dir`` is expected
- TXO010 ``sys.exit`` outside the ``if __name__ == "__main__":`` block
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from txo_runtime.checks._findings import Finding, finding
from txo_runtime.path_helpers import Dir

__all__ = ["check_scripts", "check_source"]

_CONFIG_NAMES = frozenset({"config", "cfg"})
_SECTION_KEYS = frozenset({"global", "script-behavior"})
_FOLDERS = {member.value: member.name for member in Dir}
# Callables whose first argument is a folder; save() takes the data first.
_DIR_FIRST = frozenset(
    {"get_path", "load", "load_json", "load_csv", "load_excel", "load_yaml", "load_text"}
    | {"exists", "delete", "get_size"}
)
_DIR_SECOND = frozenset({"save", "save_json", "save_excel"})
# Receivers whose load()/exists() take a file, not a project folder.
_NOT_TXO_RECEIVERS = frozenset({"os", "path", "json", "yaml", "pickle", "shutil", "Path"})
_EXIT_BUILTINS = frozenset({"exit", "quit"})


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _config_root(node: ast.expr) -> tuple[bool, ast.expr | None]:
    """Whether ``node`` is config (or a part of it), and the first subscript key used."""
    first_key: ast.expr | None = None
    while True:
        if isinstance(node, ast.Subscript):
            first_key, node = node.slice, node.value
        elif isinstance(node, ast.Call) and _call_name(node) == "get" and node.args:
            first_key, node = node.args[0], node.func.value  # type: ignore[attr-defined]
        elif isinstance(node, ast.Name):
            return node.id in _CONFIG_NAMES, first_key
        elif isinstance(node, ast.Attribute):
            return node.attr in _CONFIG_NAMES, first_key
        else:
            return False, None


def _is_injected(key: ast.expr | None) -> bool:
    """``_token``, ``_args`` ...: values the runtime injects only when they exist."""
    return (
        isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.startswith("_")
    )


def _soft_fail(node: ast.Call) -> bool:
    if _call_name(node) != "get" or not isinstance(node.func, ast.Attribute):
        return False
    first = node.args[0] if node.args else None
    if isinstance(first, ast.Constant) and first.value in _SECTION_KEYS:
        return True
    is_config, root_key = _config_root(node.func.value)
    own_key = first if isinstance(node.func.value, (ast.Name, ast.Attribute)) else root_key
    return is_config and not _is_injected(own_key)


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
    test = node.test if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _exit_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the ``sys`` module, and bare names bound to ``sys.exit``."""
    modules, functions = set(), set(_EXIT_BUILTINS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "sys"}
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            functions |= {a.asname or a.name for a in node.names if a.name == "exit"}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
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
        line = node.lineno
        if _soft_fail(node):
            yield finding("TXO007", rel, line, "Soft-fail read of config with .get(...)")
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            yield finding("TXO008", rel, line, "print() in a script bypasses logging and redaction")
        folder = _folder_literal(node)
        if folder is not None:
            fix = f"Pass Dir.{_FOLDERS[folder]} (from txo_runtime.path_helpers import Dir)"
            yield finding("TXO009", rel, line, f"Folder given as the string '{folder}'", fix)
        if _is_exit(node, modules, functions) and id(node) not in entry_point:
            yield finding("TXO010", rel, line, "sys.exit() outside the entry point")


def check_source(source: str, rel: str) -> list[Finding]:
    """Findings of one script's source text (``rel`` names it in the findings)."""
    try:
        tree = ast.parse(source, filename=rel)
    except SyntaxError as exc:
        return [finding("TXO014", rel, exc.lineno or 1, f"Python syntax error: {exc.msg}")]
    return sorted(set(_call_findings(tree, rel)))


def check_scripts(root: Path) -> list[Finding]:
    """Findings of every ``src/**/*.py`` of the project at ``root``."""
    found: list[Finding] = []
    for path in sorted((root / "src").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            found.append(finding("TXO014", rel, 1, f"Cannot read the file: {exc}"))
            continue
        found += check_source(source, rel)
    return found
