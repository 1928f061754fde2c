"""The `txo` command line: help, version, exit codes, light start-up, `txo new`, `txo migrate`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_projects import git, run_txo

from txo_runtime import __version__, cli

HEAVY_MODULES = ("pandas", "openpyxl", "zeep", "jsonschema", "copier", "libcst", "yaml", "rich")


@pytest.mark.parametrize("command", [[], ["new"], ["migrate"], ["check"]], ids=str)
def test_every_command_has_help_with_the_exit_codes(command: list[str]) -> None:
    result = run_txo(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: txo" in result.stdout
    assert "2  usage error" in result.stdout


def test_the_console_script_runs() -> None:
    txo = Path(sys.executable).parent / "txo"
    result = subprocess.run([str(txo), "--version"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, f"txo {__version__}")


def test_help_imports_no_heavy_module() -> None:
    probe = (
        "import sys\nfrom txo_runtime.cli import main\n"
        "try:\n    main(['check', '--help'])\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "args",
    [["bogus"], [], ["check", "--nope"], ["new"], ["new", "x", "--data", "no-equals-sign"]],
    ids=str,
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    result = run_txo(*args)
    assert result.returncode == 2
    assert "usage: txo" in result.stderr


def test_template_comes_from_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.TEMPLATE_ENV, "https://example.invalid/txo.git")
    assert cli.default_template() == "https://example.invalid/txo.git"


def test_template_defaults_to_the_source_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli.TEMPLATE_ENV, raising=False)
    checkout = Path(cli.__file__).resolve().parent.parent
    if not (checkout / "copier.yml").is_file():
        pytest.skip("txo_runtime is not installed from a source checkout with copier.yml")
    assert cli.default_template() == str(checkout)


def test_without_a_template_new_fails_with_how_to_pass_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(cli.TEMPLATE_ENV, raising=False)
    monkeypatch.setattr(cli, "_source_checkout", lambda: None)
    assert cli.main(["new", str(tmp_path / "p")]) == cli.EXIT_PROBLEMS
    assert "--template" in capsys.readouterr().err


def _tiny_template(root: Path, *, with_task: bool = False) -> Path:
    """A throwaway copier template in its own git repository (real copier, real git)."""
    root.mkdir()
    settings = "_subdirectory: tpl\n"
    if with_task:
        settings += '_tasks:\n  - "touch task-ran"\n'
    questions = "org_id:\n  type: str\n  default: demo\nuse_soap:\n  type: bool\n  default: false\n"
    (root / "copier.yml").write_text(settings + questions)
    (root / "tpl").mkdir()
    (root / "tpl" / "{{ org_id }}.json.jinja").write_text('{"soap": {{ use_soap | tojson }}}\n')
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "template")
    return root


def test_new_generates_a_project_with_the_given_answers(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    dest = tmp_path / "acme"
    result = run_txo(
        "new", str(dest), "--template", str(template), "--vcs-ref", "HEAD",
        "--data", "org_id=acme", "--data", "use_soap=true", "--defaults",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads((dest / "acme.json").read_text()) == {"soap": True}


def test_new_refuses_template_tasks_without_trust(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template", with_task=True)
    dest = tmp_path / "acme"
    result = run_txo("new", str(dest), "--template", str(template), "--defaults")
    assert result.returncode == 1
    assert "--trust" in result.stderr and "Problem:" in result.stderr
    trusted = run_txo("new", str(dest), "--template", str(template), "--defaults", "--trust")
    assert trusted.returncode == 0, trusted.stderr
    assert (dest / "task-ran").is_file()
