"""Rewrite v2.1 scripts for the v3.0 runtime with libcst (comments and layout survive).

Only *legacy* files are touched: files that import the vendored ``utils`` helpers. A v3.0
file (already importing ``txo_runtime``) is left alone, which keeps the rewrite idempotent
and protects v3.0 scripts, where ``parse_args_and_load_config("...")`` means "no token",
from getting the v2.1 ``require_token=True`` default added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from txo_runtime.path_helpers import Dir

KNOWN_MODULES = frozenset(
    {
        "api_common", "api_factory", "concurrency", "config_loader", "exceptions",
        "load_n_save", "logger", "oauth_helpers", "path_helpers", "rest_api_helpers",
        "script_runner", "soap_api_helpers", "url_helpers",
    }
)  # fmt: skip
RENAMED_NAMES = {"TxoRestAPI": "MinimalRestAPI"}
PARSE_FUNCTIONS = {"parse_args_and_load_config", "parse_custom_args_and_load_config"}
# Call name -> index of the positional folder argument.
FOLDER_ARGUMENT = {
    **dict.fromkeys(
        ["get_path", "load", "load_json", "load_csv", "load_excel", "load_yaml", "load_text",
         "load_bytes", "exists", "delete", "get_size"], 0),
    **dict.fromkeys(["save", "save_json", "save_excel", "save_csv"], 1),
}  # fmt: skip
FOLDER_KEYWORDS = {"directory", "folder", "dir_type", "dir_name"}
# Receivers whose exists()/load()/... are not the txo data handler.
FOREIGN_RECEIVERS = {"os", "os.path", "shutil", "pathlib", "json", "yaml", "pd", "pandas"}
SAVE_EXTENSIONS = {"save_json": (".json",), "save_excel": (".xlsx", ".xlsm")}


@dataclass
class CodeResult:
    """New source (``None`` when nothing changed), per-line changes and follow-ups."""

    source: str | None
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    follow_ups: list[tuple[int, str]] = field(default_factory=list)


def rewrite_source(source: str, rel: str | None = None) -> CodeResult:
    """Return the v3.0 form of one Python file (``source=None`` if it needs no change).

    ``rel`` is the file's path relative to the project root: a rewritten file then starts
    with its path comment (``# src/x.py``, placed after a ``#!`` or coding line, replacing
    a comment that names an old path).
    """
    import libcst as cst
    from libcst.codemod import CodemodContext

    from txo_tools.migrate._cst_rewriter import LegacyRewriter, imports_utils

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return CodeResult(None, follow_ups=[(exc.raw_line, f"cannot parse: {exc.message}")])
    if not imports_utils(module):
        return CodeResult(None)
    rewriter = LegacyRewriter(CodemodContext())
    new_module = rewriter.transform_module(module)
    result = CodeResult(None, rewriter.changes, rewriter.follow_ups)
    code = new_module.code
    if rel is not None:
        code = _with_path_comment(code, rel, result)
    if code != source:
        result.source = code
    return result


def _with_path_comment(code: str, rel: str, result: CodeResult) -> str:
    from txo_tools._path_comment import path_comment, path_comment_problem, with_path_comment

    problem = path_comment_problem(code, rel)
    if problem is None:
        return code
    result.changes.append(
        (
            problem.line,
            "path-comment",
            f"path comment `{path_comment(rel)}` added as the file's first line",
        )
    )
    return with_path_comment(code, rel)


def folder_constant(value: Any) -> Dir | None:
    """The ``Dir`` member a v2.1 folder string names, or None."""
    if not isinstance(value, str):
        return None
    try:
        return Dir(value.strip().strip("/").lower())
    except ValueError:
        return None
