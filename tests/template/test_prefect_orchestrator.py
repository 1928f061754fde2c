"""The template's ``orchestrator`` question: ``prefect`` adds flows.py, prefect.yaml and
schedules.json, and the generated project's own tests run a flow end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.template.conftest import cookiecutter_generate, copier_copy, run

pytest.importorskip("prefect", reason="the prefect extra is not installed")

RUFF = str(Path(sys.executable).with_name("ruff"))
PREFECT_FILES = ("flows.py", "prefect.yaml", "schedules.json", "tests/test_flows.py")


@pytest.fixture(scope="module")
def prefect_project(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    dst = tmp_path_factory.mktemp("prefect") / "acme-integrations"
    copier_copy(dst, home, {"orchestrator": "prefect"})
    return dst


def test_orchestrator_none_adds_no_prefect_file_and_no_prefect_extra(default_project: Path) -> None:
    assert not [name for name in PREFECT_FILES if (default_project / name).exists()]
    assert "prefect" not in (default_project / "pyproject.toml").read_text(encoding="utf-8")


def test_orchestrator_prefect_adds_the_flow_files_and_the_prefect_extra(
    prefect_project: Path,
) -> None:
    assert all((prefect_project / name).is_file() for name in PREFECT_FILES)
    pyproject = (prefect_project / "pyproject.toml").read_text(encoding="utf-8")
    assert "txo-runtime[excel,prefect]" in pyproject


def test_cookiecutter_makes_the_same_prefect_files(
    prefect_project: Path, tmp_path: Path, home: Path
) -> None:
    cookiecutter_generate(tmp_path, home, {"orchestrator": "prefect"})
    made = tmp_path / "acme-integrations"
    for name in PREFECT_FILES:
        assert (made / name).read_text() == (prefect_project / name).read_text(), name


def test_flows_py_rewrites_prefect_yaml_exactly_as_generated(
    prefect_project: Path, home: Path
) -> None:
    before = (prefect_project / "prefect.yaml").read_text(encoding="utf-8")
    run([sys.executable, "flows.py", "prefect-yaml"], cwd=prefect_project, home=home)
    assert (prefect_project / "prefect.yaml").read_text(encoding="utf-8") == before


@pytest.mark.slow
def test_generated_prefect_project_runs_a_flow_end_to_end_in_its_own_tests(
    prefect_project: Path, home: Path
) -> None:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_flows.py",
    ]
    result = run(command, cwd=prefect_project, home=home, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    run([RUFF, "check", "--no-cache", "."], cwd=prefect_project, home=home)
    run([RUFF, "format", "--check", "--no-cache", "."], cwd=prefect_project, home=home)


def test_a_prefect_project_passes_txo_checks_path_and_path_comment_rules(
    prefect_project: Path,
) -> None:
    from txo_tools.checks import run_checks

    codes = {"TXO009", "TXO017", "TXO018", "TXO019", "TXO020"}
    assert [f for f in run_checks(prefect_project) if f.code in codes] == []
