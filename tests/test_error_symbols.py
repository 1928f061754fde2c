"""User messages: ❌ / ✅ / 📝 labels on a UTF-8 terminal, plain labels everywhere else."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from project_factory import make_project

from txo_runtime.exceptions import HelpfulError, render_user_message, symbols_supported

ERROR = HelpfulError(
    what_went_wrong="Configuration file 'acme-prod-config.json' not found",
    how_to_fix="Create the file in the config/ directory",
    example="Copy config/example.json to config/acme-prod-config.json",
)


class FakeStream(io.StringIO):
    def __init__(self, *, tty: bool, encoding: str | None) -> None:
        super().__init__()
        self._tty, self._encoding = tty, encoding

    def isatty(self) -> bool:
        return self._tty

    @property
    def encoding(self) -> str | None:  # type: ignore[override]
        return self._encoding


def test_the_symbol_form_is_the_seed_format_problem_solution_example() -> None:
    assert render_user_message(ERROR, symbols=True) == (
        "❌ Problem: Configuration file 'acme-prod-config.json' not found\n\n"
        "✅ Solution: Create the file in the config/ directory\n\n"
        "📝 Example:\nCopy config/example.json to config/acme-prod-config.json"
    )


def test_the_plain_form_keeps_the_label_words_so_both_forms_grep_alike() -> None:
    plain = render_user_message(ERROR)
    assert plain == render_user_message(ERROR, symbols=True).replace("❌ ", "").replace(
        "✅ ", ""
    ).replace("📝 ", "")
    assert str(ERROR) == plain  # str() (logs, exception texts) is always plain


@pytest.mark.parametrize(
    ("tty", "encoding", "env", "expected"),
    [
        (True, "utf-8", {}, True),
        (True, "UTF-8", {}, True),
        (False, "utf-8", {}, False),  # a pipe or a file
        (True, "cp1252", {}, False),  # a Windows console that cannot encode them
        (True, "ascii", {}, False),
        (True, None, {}, False),
        (False, "utf-8", {"TXO_SYMBOLS": "1"}, True),  # opted in (a UTF-8 CI log)
        (True, "utf-8", {"TXO_SYMBOLS": "0"}, False),  # opted out
        (True, "utf-8", {"TXO_SYMBOLS": "maybe"}, True),  # not a choice: auto
    ],
)
def test_symbols_are_used_on_a_utf8_terminal_or_when_the_user_opts_in(
    tty: bool, encoding: str | None, env: dict[str, str], expected: bool
) -> None:
    assert symbols_supported(FakeStream(tty=tty, encoding=encoding), env) is expected


def test_no_stream_gets_no_symbols() -> None:
    assert symbols_supported(None, {}) is False


SCRIPT = """
from txo_runtime.exceptions import HelpfulError
from txo_runtime.script_runner import parse_args_and_load_config, run


def main():
    parse_args_and_load_config("Symbols demo")
    raise HelpfulError("Nothing to do", "Add data to data/", "python -m src.demo acme test")


if __name__ == "__main__":
    raise SystemExit(run(main))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "acme")
    (root / "src" / "__init__.py").write_text("")
    (root / "src" / "demo.py").write_text(textwrap.dedent(SCRIPT))
    return root


def _run_on_terminal(
    project: Path, env: dict[str, str], *args: str, module: str = "src.demo"
) -> tuple[int, str]:
    """Run a module with stderr on a real pseudo-terminal; returns (exit code, output)."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
        )
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=60)
    finally:
        os.close(controller)
    return code, b"".join(chunks).decode("utf-8", "replace")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TXO_PROJECT_ROOT", "TXO_SYMBOLS")}
    return {**env, "PYTHONIOENCODING": "utf-8", **extra}


def _log_text(project: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (project / "logs").glob("*.log"))


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_utf8_terminal_shows_symbols_while_the_log_file_stays_plain(project: Path) -> None:
    code, shown = _run_on_terminal(project, _env(), "acme", "test")

    assert code == 1
    assert "❌ Problem: Nothing to do" in shown
    assert "✅ Solution: Add data to data/" in shown
    assert "📝 Example:" in shown
    log = _log_text(project)
    assert "Problem: Nothing to do" in log and "Solution: Add data" in log
    assert "❌" not in log and "✅" not in log and "📝" not in log


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_terminal_that_cannot_encode_symbols_gets_plain_labels(project: Path) -> None:
    code, shown = _run_on_terminal(project, _env(PYTHONIOENCODING="cp1252"), "acme", "test")
    assert code == 1
    assert "Problem: Nothing to do" in shown and "❌" not in shown


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_an_error_before_logging_is_set_up_shows_symbols_on_a_terminal(project: Path) -> None:
    code, shown = _run_on_terminal(project, _env(), "Not-An-Org", "test")
    assert code == 1
    assert "❌ Problem: Invalid org_id" in shown


@pytest.mark.parametrize(("setting", "expected"), [("", False), ("1", True)])
def test_a_pipe_gets_plain_labels_unless_the_user_opts_in(
    project: Path, setting: str, expected: bool
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "src.demo", "acme", "test"],
        cwd=project,
        env=_env(TXO_SYMBOLS=setting),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert result.returncode == 1
    assert "Problem: Nothing to do" in result.stderr
    assert ("❌ Problem:" in result.stderr) is expected
    assert "❌" not in _log_text(project)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_the_txo_command_follows_the_same_rule_on_a_terminal(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-project")
    code, shown = _run_on_terminal(tmp_path, _env(), "check", missing, module="txo_tools")
    assert code == 1
    assert "❌ Problem:" in shown and "✅ Solution:" in shown

    piped = subprocess.run(
        [sys.executable, "-m", "txo_tools", "check", missing],
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert "Problem:" in piped.stderr and "❌" not in piped.stderr
