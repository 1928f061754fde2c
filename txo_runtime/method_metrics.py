"""``@measure_complexity``: a development aid that warns when a function grows too long.

Scripts keep functions short (at most 50 lines) so that each does one thing and can be read
and tested alone. Decorate a function while you work on it::

    from txo_runtime.method_metrics import measure_complexity

    @measure_complexity
    def process_data(config): ...

A function longer than :data:`MAX_FUNCTION_LINES` (counted from its ``def`` line to its
last line, decorators not included: the same count the project's own checks use) issues a
:class:`ComplexityWarning` naming the function, its file and line and its length.

Why a warning, and why when the function is defined:

- The length of a function does not change while the program runs, so it is measured once,
  at decoration time; calls cost nothing extra (the wrapped function is returned unchanged).
- :func:`warnings.warn` rather than a log line: Python shows it once per place, a test run
  with ``-W error`` (or pytest's ``filterwarnings = error``) turns it into a failure, so the
  tests catch a function that has grown, and the txo logger also records captured warnings
  in the log file.

It reads the source with :mod:`inspect`; a function whose source is not available
(defined in the REPL, in a zip without sources) is left alone.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["MAX_FUNCTION_LINES", "ComplexityWarning", "function_lines", "measure_complexity"]

MAX_FUNCTION_LINES = 50

F = TypeVar("F", bound=Callable[..., Any])


class ComplexityWarning(UserWarning):
    """A decorated function is longer than the limit; split it into smaller ones."""


def function_lines(func: Callable[..., Any]) -> int | None:
    """Lines from ``def`` to the function's last line (decorators excluded); None when the
    source cannot be read."""
    try:
        source = inspect.getsource(inspect.unwrap(func))
    except (OSError, TypeError):  # no source file (REPL, frozen) or not a Python function
        return None
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
            return node.end_lineno - node.lineno + 1
    return None


def measure_complexity(
    func: F | None = None, *, max_lines: int = MAX_FUNCTION_LINES
) -> F | Callable[[F], F]:
    """Warn (:class:`ComplexityWarning`) when ``func`` is longer than ``max_lines`` lines.

    Use bare (``@measure_complexity``) or with a limit (``@measure_complexity(max_lines=40)``).
    Returns the function itself: there is no wrapper and no cost per call.
    """
    if func is None:
        return lambda f: _check(f, max_lines)
    return _check(func, max_lines)


def _check(func: F, max_lines: int) -> F:
    lines = function_lines(func)
    if lines is not None and lines > max_lines:
        target = inspect.unwrap(func)
        code = target.__code__
        warnings.warn_explicit(
            f"Function {func.__qualname__} has {lines} lines (more than {max_lines}). "
            "Consider refactoring it into smaller functions.",
            ComplexityWarning,
            filename=code.co_filename,
            lineno=code.co_firstlineno,
            module=getattr(func, "__module__", None) or "__main__",
        )
    return func
