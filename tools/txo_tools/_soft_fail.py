"""Soft-fail reads of required config (``config.get(...)``), found with :mod:`ast`.

Shared by ``txo check`` (rule TXO007) and ``txo migrate`` (a follow-up per read). The two
command packages may not import each other (an import-linter contract), so it lives here.
"""

from __future__ import annotations

import ast

__all__ = ["call_name", "is_soft_fail", "soft_fail_lines"]

_CONFIG_NAMES = frozenset({"config", "cfg"})
_SECTION_KEYS = frozenset({"global", "script-behavior"})


def call_name(node: ast.Call) -> str | None:
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
        elif isinstance(node, ast.Call) and call_name(node) == "get" and node.args:
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


def is_soft_fail(node: ast.Call) -> bool:
    """``config.get(...)``, ``config["x"].get(...)`` or ``.get("global")``."""
    if call_name(node) != "get" or not isinstance(node.func, ast.Attribute):
        return False
    first = node.args[0] if node.args else None
    if isinstance(first, ast.Constant) and first.value in _SECTION_KEYS:
        return True
    is_config, root_key = _config_root(node.func.value)
    own_key = first if isinstance(node.func.value, (ast.Name, ast.Attribute)) else root_key
    return is_config and not _is_injected(own_key)


def soft_fail_lines(source: str) -> list[int]:
    """Line numbers of the soft-fail reads in ``source`` (empty when it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    calls = (n for n in ast.walk(tree) if isinstance(n, ast.Call) and is_soft_fail(n))
    return sorted({node.lineno for node in calls})
