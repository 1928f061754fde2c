"""Seed 004 rules for library code, checked on the source with ast (not regexes)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import txo_runtime

PACKAGE = Path(txo_runtime.__file__).parent
MAX_FUNCTION_LINES = 50
# Entry points may print and exit; the local test server's __main__ prints its URL.
ENTRY_POINTS = {"cli.py", "__main__.py"}


def _library_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "data" not in p.parts)


def _is_entry_point(path: Path) -> bool:
    return path.name in ENTRY_POINTS or path.relative_to(PACKAGE).as_posix() in {
        "testing/server.py",
        "migrate/__main__.py",
    }


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return ""


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_sys_exit_or_print_in_library_code(path: Path) -> None:
    if _is_entry_point(path):
        pytest.skip("entry point")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    offending = [
        f"{path.name}:{call.lineno} {_name(call.func)}"
        for call in _calls(tree)
        if _name(call.func) in {"print", "sys.exit", "exit", "quit", "os._exit"}
    ]
    assert not offending


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_soft_fail_config_get(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    offending = []
    for call in _calls(tree):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "get":
            receiver = ast.unparse(func.value)
            first = call.args[0] if call.args else None
            literal = first.value if isinstance(first, ast.Constant) else None
            if receiver in {"config", "self.config", "self._config", "cfg"} or literal in {
                "global",
                "script-behavior",
            }:
                offending.append(f"{path.name}:{call.lineno} {ast.unparse(call)}")
    assert not offending


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_functions_are_at_most_50_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    too_long = [
        f"{path.name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not too_long


HEAVY = ("pandas", "openpyxl", "zeep", "lxml", "jsonschema", "copier", "libcst", "yaml")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split(".")[0] for line in out.splitlines()}


def test_importing_txo_runtime_is_light() -> None:
    loaded = _modules_after("import txo_runtime")
    assert not loaded & set(HEAVY)


@pytest.mark.parametrize(
    "module",
    ["path_helpers", "exceptions", "config_loader", "script_runner", "load_n_save", "logger"],
)
def test_core_modules_import_nothing_heavy(module: str) -> None:
    loaded = _modules_after(f"import txo_runtime.{module}")
    assert not loaded & {"pandas", "openpyxl", "zeep", "lxml", "copier", "libcst"}


def test_public_names_resolve_and_all_is_sorted() -> None:
    assert txo_runtime.__all__ == sorted(txo_runtime.__all__)
    missing = [name for name in txo_runtime.__all__ if not hasattr(txo_runtime, name)]
    assert not missing


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        txo_runtime.no_such_name  # noqa: B018
