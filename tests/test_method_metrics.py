"""@measure_complexity: a function longer than 50 lines warns once, where it is defined."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from txo_runtime.method_metrics import (
    MAX_FUNCTION_LINES,
    ComplexityWarning,
    function_lines,
    measure_complexity,
)


def _module_with_function(tmp_path: Path, body_lines: int, decorator: str) -> str:
    """Source of a module whose function ``f`` is ``body_lines + 1`` lines long."""
    body = "".join(f"    x{i} = {i}\n" for i in range(body_lines - 1)) + "    return 0\n"
    return (
        textwrap.dedent(
            f"""\
        from txo_runtime.method_metrics import measure_complexity

        {decorator}
        def f():
        """
        )
        + body
    )


def _load(tmp_path: Path, source: str) -> ModuleType:
    """Import ``source`` from a real file (inspect needs the file to read the source)."""
    path = tmp_path / "long_module.py"
    path.write_text(source)
    module = ModuleType("long_module")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("decorator", ["@measure_complexity", "@measure_complexity()"])
def test_a_function_of_51_lines_warns_with_its_name_length_and_place(
    tmp_path: Path, decorator: str
) -> None:
    source = _module_with_function(tmp_path, MAX_FUNCTION_LINES, decorator)

    with pytest.warns(ComplexityWarning) as caught:
        _load(tmp_path, source)

    (warning,) = caught
    assert "Function f has 51 lines (more than 50)" in str(warning.message)
    assert "refactoring" in str(warning.message)
    assert Path(warning.filename).name == "long_module.py"
    assert warning.lineno in (3, 4)  # the decorator or the def line


def test_a_function_of_exactly_50_lines_does_not_warn(tmp_path: Path) -> None:
    source = _module_with_function(tmp_path, MAX_FUNCTION_LINES - 1, "@measure_complexity")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = _load(tmp_path, source)
    assert function_lines(module.f) == 50


def test_the_limit_can_be_lowered_per_function(tmp_path: Path) -> None:
    source = _module_with_function(tmp_path, 20, "@measure_complexity(max_lines=10)")
    with pytest.warns(ComplexityWarning, match="has 21 lines \\(more than 10\\)"):
        _load(tmp_path, source)


def test_the_decorated_function_is_returned_unchanged_so_calls_cost_nothing() -> None:
    def short(a: int) -> int:
        return a + 1

    assert measure_complexity(short) is short
    assert measure_complexity(max_lines=5)(short) is short  # type: ignore[operator]
    assert short(1) == 2


def test_a_function_without_source_is_left_alone() -> None:
    namespace: dict = {}
    exec("def f():\n" + "    x = 1\n" * 60, namespace)  # no file behind it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert measure_complexity(namespace["f"]) is namespace["f"]
    assert function_lines(namespace["f"]) is None


def test_decorators_are_not_counted_and_methods_are_measured() -> None:
    class Service:
        @staticmethod
        def run() -> int:
            return 1

    assert function_lines(Service.run) == 2
