"""A generated project: the try-me path runs, and every Python file names its own path."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.template.conftest import copier_copy, run

TRY_ME_FILES = (
    "src/try_me_script.py",
    "tests/test_features.py",
    "config/demo-test-config.json",
    "config/demo-test-config-secrets.json.example",
)


def _python_files(project: Path) -> list[Path]:
    return sorted(p for folder in ("src", "tests") for p in (project / folder).rglob("*.py"))


def test_every_generated_script_and_test_starts_with_its_path_comment(
    default_project: Path,
) -> None:
    for path in _python_files(default_project):
        text = path.read_text(encoding="utf-8")
        if not text.strip():
            continue  # an empty __init__.py
        rel = path.relative_to(default_project).as_posix()
        assert text.splitlines()[0] == f"# {rel}", rel


def test_txo_check_finds_no_hand_built_path_or_missing_path_comment(
    default_project: Path,
) -> None:
    from txo_tools.checks import run_checks

    codes = {"TXO009", "TXO017", "TXO018", "TXO019", "TXO020"}
    assert [f for f in run_checks(default_project) if f.code in codes] == []


@pytest.mark.slow
def test_try_me_script_runs_every_feature_against_the_local_demo_server(
    default_project: Path, home: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(default_project, project, ignore=shutil.ignore_patterns(".git"))
    secrets = project / "config" / "demo-test-config-secrets.json"
    shutil.copyfile(secrets.with_name(secrets.name + ".example"), secrets)

    result = run([sys.executable, "-m", "src.try_me_script", "demo", "test", "--local-server"],
                 cwd=project, home=home, check=False)  # fmt: skip

    shown = result.stdout + result.stderr
    assert result.returncode == 0, shown
    for step in ("1 config", "2 secrets", "3 redaction: Token: Bearer [REDACTED]",
                 "4 OData paging: 250 customers", "5 rate limiting on", "6 save"):  # fmt: skip
        assert step in shown
    (saved,) = (project / "output").glob("demo-test-try-me-customers_*.json")
    assert len(json.loads(saved.read_text(encoding="utf-8"))) == 250


def test_without_the_try_me_answer_no_try_me_file_is_generated(tmp_path: Path, home: Path) -> None:
    project = tmp_path / "plain"
    copier_copy(project, home, {"use_try_me": "false"})
    assert [name for name in TRY_ME_FILES if (project / name).exists()] == []
    assert (project / "src" / "fetch_customers.py").is_file()


def test_the_try_me_answer_refuses_the_demo_org_id(tmp_path: Path, home: Path) -> None:
    result = copier_copy(tmp_path / "demo", home, {"org_id": "demo"}, check=False)
    assert result.returncode != 0
    assert "try-me script's demo" in result.stdout + result.stderr


def test_cookiecutter_refuses_the_demo_org_id_as_copier_does(tmp_path: Path, home: Path) -> None:
    from tests.template.conftest import cookiecutter_generate

    result = cookiecutter_generate(tmp_path / "out", home, {"org_id": "demo"}, check=False)
    assert result.returncode != 0
    assert "try-me script's demo organisation" in result.stderr
    allowed = cookiecutter_generate(
        tmp_path / "ok", home, {"org_id": "demo", "use_try_me": "no"}, check=False
    )
    assert allowed.returncode == 0, allowed.stderr
