"""Rules for the library code of both distributions, checked on the source with ast.

The runtime (``txo_runtime``) is imported by customer scripts and the tooling
(``txo_tools``) by the ``txo`` command; neither may exit the process, print, soft-fail on
required config, grow long functions or keep module-level state. The runtime also stays
light to import and never needs the tooling. Each rule is parametrized per file, so a
failure names the file to fix.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import txo_runtime
import txo_tools

RUNTIME = Path(txo_runtime.__file__).parent
TOOLS = Path(txo_tools.__file__).parent
MAX_FUNCTION_LINES = 50
# Entry points may print and exit: the command lines and the local test server's __main__.
ENTRY_POINTS = {
    "txo_runtime/testing/server.py",
    "txo_tools/cli.py",
    "txo_tools/__main__.py",
    "txo_tools/migrate/__main__.py",
}
EXITING_CALLS = {"print", "sys.exit", "exit", "quit", "os._exit"}
# Imported only inside the functions that need them, so `import txo_runtime`, a script's
# `--help` and every pytest start-up stay fast, and a missing extra fails only where used.
HEAVY = frozenset(
    {
        "pandas",
        "numpy",
        "openpyxl",
        "pyarrow",
        "yaml",
        "zeep",
        "lxml",
        "rich",
        "jsonschema",
        "loguru",
        "libcst",
        "copier",
        "cookiecutter",
        "redis",
        "prefect",
    }
)
# Customer scripts install txo-runtime alone: it must not import these, not even lazily.
TOOLING = frozenset({"txo_tools", "copier", "libcst", "cookiecutter"})
CONFIG_RECEIVERS = {"config", "self.config", "self._config", "cfg"}
CONFIG_SECTIONS = {"global", "script-behavior"}
DYNAMIC_IMPORTS = {"importlib.import_module", "import_module", "import_lazily", "__import__"}
# Internal working documents a reader of the code does not have.
INTERNAL_REFERENCE = re.compile(
    r"\bseed\s+0\d*|design\.md|runtime-facts|template-recipe|\blayer\s+[1-6]\b", re.IGNORECASE
)
# Module paths of a layout that was never released.
OLD_MODULE_NAME = re.compile(
    r"\b(?:_logging_(?:config|hooks|state)|_storage|_api_settings|_config_path|_new_project)\b"
    r"|\btxo_runtime\.(?:cli|migrate|checks|new_project|_soft_fail|_rate_limiter"
    r"|_circuit_breaker|_retry_policy|_outcomes|_closing|_redaction|_key_rules"
    r"|_secret_values)\b"
)
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "add",
        "update",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "remove",
        "discard",
        "appendleft",
        "sort",
        "reverse",
    }
)


def _python_files(package: Path) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "data" not in p.relative_to(package).parts)


def _label(path: Path) -> str:
    root = RUNTIME if path.is_relative_to(RUNTIME) else TOOLS
    return path.relative_to(root.parent).as_posix()


RUNTIME_FILES = _python_files(RUNTIME)
LIBRARY_FILES = RUNTIME_FILES + _python_files(TOOLS)
every_library_file = pytest.mark.parametrize("path", LIBRARY_FILES, ids=_label)
every_runtime_file = pytest.mark.parametrize("path", RUNTIME_FILES, ids=_label)


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return ""


def _top_level(module: str | None) -> str:
    return (module or "").partition(".")[0]


# --- the rules: source text -> what offends ("line what") ------------------------------------


def exits_and_prints(source: str) -> list[str]:
    tree = ast.parse(source)
    found = [f"{c.lineno} {_name(c.func)}" for c in _calls(tree) if _name(c.func) in EXITING_CALLS]
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if _name(raised) == "SystemExit":
                found.append(f"{node.lineno} raise SystemExit")
    return found


def soft_fail_config_reads(source: str) -> list[str]:
    found = []
    for call in _calls(ast.parse(source)):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "get":
            receiver = ast.unparse(func.value)
            first = call.args[0] if call.args else None
            literal = first.value if isinstance(first, ast.Constant) else None
            if receiver in CONFIG_RECEIVERS or literal in CONFIG_SECTIONS:
                found.append(f"{call.lineno} {ast.unparse(call)}")
    return found


def long_functions(source: str) -> list[str]:
    return [
        f"{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def _module_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names - {"__all__"}


def _local_names(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """Parameters and names the function binds itself (they shadow module-level ones)."""
    args = function.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _changed_object(node: ast.AST) -> ast.expr | None:
    """The object a statement or call changes in place, if it does."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.value if node.func.attr in MUTATING_METHODS else None
    targets: list[ast.expr] = []
    if isinstance(node, (ast.Assign, ast.Delete)):
        targets = node.targets
    elif isinstance(node, ast.AugAssign):
        targets = [node.target]
    changed = [t.value for t in targets if isinstance(t, (ast.Subscript, ast.Attribute))]
    return changed[0] if changed else None


def module_state_changes(source: str) -> list[str]:
    """A function that rebinds (``global``) or changes in place a module-level object."""
    tree = ast.parse(source)
    module_names = _module_level_names(tree)
    found = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        shared = module_names - _local_names(function)
        for node in ast.walk(function):
            if isinstance(node, ast.Global):
                found.add(f"{node.lineno} global {', '.join(node.names)}")
            owner = _changed_object(node)
            if isinstance(owner, ast.Name) and owner.id in shared:
                found.add(f"{node.lineno} {owner.id} changed")
    return sorted(found)


def _imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every module imported anywhere in ``tree``: statements and literal dynamic imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, _top_level(alias.name)) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.lineno, _top_level(node.module)
        elif isinstance(node, ast.Call) and _name(node.func) in DYNAMIC_IMPORTS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, _top_level(first.value)


def tooling_imports(source: str) -> list[str]:
    """Imports of the tooling anywhere: import-linter sees import statements, also inside
    functions, but not ``importlib.import_module("...")`` or ``import_lazily("...")``."""
    imported = _imported_modules(ast.parse(source))
    return [f"{line} {name}" for line, name in imported if name in TOOLING]


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and _name(node.test) in {
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    }


def _import_time_imports(body: list[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that run on import: not in functions, not in ``if TYPE_CHECKING:``.

    Class bodies and ``if``/``try``/``with`` blocks at module level do run on import.
    """
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and not (
            _is_type_checking_block(node)
        ):
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from _import_time_imports(getattr(node, field, []))


def heavy_imports_at_import_time(source: str) -> list[str]:
    return [
        f"{line} {name}"
        for statement in _import_time_imports(list(ast.parse(source).body))
        for line, name in _imported_modules(statement)
        if name in HEAVY
    ]


def _docstrings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            text = ast.get_docstring(node, clean=False)
            if text and first is not None:
                yield first.lineno, text


def _comments(source: str) -> Iterator[tuple[int, str]]:
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def internal_references(source: str) -> list[str]:
    """Docstrings and comments that cite internal documents or modules of an old layout."""
    texts = [*_docstrings(ast.parse(source)), *_comments(source)]
    return [
        f"{line + text.count(chr(10), 0, match.start())} {match.group(0)!r}"
        for line, text in texts
        for pattern in (INTERNAL_REFERENCE, OLD_MODULE_NAME)
        for match in pattern.finditer(text)
    ]


# --- the rules hold for every file -------------------------------------------------------------


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@every_library_file
def test_library_code_neither_exits_nor_prints(path: Path) -> None:
    if _label(path) in ENTRY_POINTS:
        pytest.skip("entry point")
    assert exits_and_prints(_source(path)) == []


@every_library_file
def test_required_config_is_never_read_with_get(path: Path) -> None:
    assert soft_fail_config_reads(_source(path)) == []


@every_library_file
def test_functions_are_at_most_50_lines(path: Path) -> None:
    assert long_functions(_source(path)) == []


@every_library_file
def test_no_function_changes_module_level_state(path: Path) -> None:
    """Caches and registries live on instances; module globals are read-only after import."""
    assert module_state_changes(_source(path)) == []


@every_runtime_file
def test_the_runtime_never_imports_the_tooling(path: Path) -> None:
    assert tooling_imports(_source(path)) == []


@every_runtime_file
def test_heavy_libraries_are_imported_only_where_used(path: Path) -> None:
    assert heavy_imports_at_import_time(_source(path)) == []


@every_library_file
def test_docstrings_and_comments_stand_alone(path: Path) -> None:
    """Say what the code does and why, without citing documents the reader does not have."""
    assert internal_references(_source(path)) == []


# --- the rules catch what they are meant to catch ------------------------------------------------


def _cases(*rows: tuple[Callable[[str], list[str]], str, str]) -> list[object]:
    return [pytest.param(*row, id=f"{row[0].__name__}-{n}") for n, row in enumerate(rows)]


@pytest.mark.parametrize(
    ("rule", "offending", "fine"),
    _cases(
        (exits_and_prints, "def f():\n    sys.exit(1)", "def f():\n    logger.info('x')"),
        (exits_and_prints, "def f():\n    raise SystemExit(2)", "raise ValueError"),
        (exits_and_prints, "print('x')", "logger.info('x')"),
        (soft_fail_config_reads, "config.get('global', {})", "config['global']"),
        (soft_fail_config_reads, "section.get('script-behavior')", "row.get('name')"),
        (long_functions, "def f():\n" + "    x = 1\n" * 50, "def f():\n" + "    x = 1\n" * 49),
        (
            module_state_changes,
            "_cache = {}\ndef f(k):\n    _cache[k] = 1",
            "_C = {}\ndef f(k):\n    return _C[k]",
        ),
        (
            module_state_changes,
            "_seen = set()\ndef f(k):\n    _seen.add(k)",
            "_seen = 1\ndef f(_seen):\n    _seen.add(1)",
        ),
        (
            module_state_changes,
            "n = 0\ndef f():\n    global n\n    n = 1",
            "n = 0\ndef f():\n    n = []\n    n.append(1)",
        ),
        (tooling_imports, "def f():\n    import copier", "import json"),
        (tooling_imports, "from txo_tools.checks import run_checks", "from txo_runtime import Dir"),
        (tooling_imports, "importlib.import_module('libcst')", "importlib.import_module('json')"),
        (heavy_imports_at_import_time, "import pandas as pd", "def f():\n    import pandas"),
        (
            heavy_imports_at_import_time,
            "try:\n    import yaml\nexcept ImportError:\n    pass",
            "if TYPE_CHECKING:\n    import pandas",
        ),
        (heavy_imports_at_import_time, "class A:\n    from rich import progress", "import json"),
        (internal_references, '"""As in seed 003."""', '"""Seed 250 customers."""'),
        (internal_references, "x = 1  # see design.md", "x = 1  # see docs/logging.md"),
        (internal_references, '"""Layer 4 module."""', '"""Two layers of redaction."""'),
        (internal_references, '"""See ``_logging_state.py``."""', '"""See ``_state.py``."""'),
    ),
)
def test_each_rule_reports_the_offending_form_and_accepts_the_fine_one(
    rule: Callable[[str], list[str]], offending: str, fine: str
) -> None:
    assert rule(offending) != []
    assert rule(fine) == []


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split(".")[0] for line in out.splitlines()}


def test_importing_txo_runtime_loads_no_heavy_library() -> None:
    loaded = _modules_after("import txo_runtime")
    assert not loaded & HEAVY


def test_modules_a_rest_script_imports_load_no_http_stack_until_a_call_needs_it() -> None:
    # What the generated fetch_customers.py imports: its --help must not pay for requests,
    # uuid (platform), decimal, html or difflib, which only calls, saves and errors use.
    loaded = _modules_after(
        "import txo_runtime.api_factory, txo_runtime.exceptions, txo_runtime.load_n_save, "
        "txo_runtime.logger, txo_runtime.path_helpers, txo_runtime.script_runner, "
        "txo_runtime.url_helpers"
    )
    assert not loaded & {"requests", "urllib3", "uuid", "platform", "decimal", "html", "difflib"}


@pytest.mark.parametrize(
    "module",
    ["path_helpers", "exceptions", "config_loader", "script_runner", "load_n_save", "logger"],
)
def test_core_modules_load_neither_data_nor_tooling_libraries(module: str) -> None:
    loaded = _modules_after(f"import txo_runtime.{module}")
    assert not loaded & {"pandas", "openpyxl", "zeep", "lxml", "rich", *TOOLING}


def test_public_names_resolve_and_all_is_sorted() -> None:
    assert txo_runtime.__all__ == sorted(txo_runtime.__all__)
    missing = [name for name in txo_runtime.__all__ if not hasattr(txo_runtime, name)]
    assert not missing


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        txo_runtime.no_such_name  # noqa: B018
