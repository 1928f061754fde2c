"""`txo migrate` wiring: summary, report path, exit codes (the migration itself: tests/migrate)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_projects import git, run_txo, write_json

V21_SCRIPT = """\
from utils.logger import setup_logger
from utils.script_runner import parse_args_and_load_config

logger = setup_logger()


def main():
    config = parse_args_and_load_config("Hello")
    logger.info(config["global"]["api-base-url"])
"""


def _v21_project(root: Path, *, script: str = V21_SCRIPT) -> Path:
    write_json(
        root / "config" / "acme-test-config.json",
        {"global": {"api-base-url": "https://api.example.com"}, "script-behavior": {}},
    )
    (root / "src").mkdir()
    (root / "src" / "hello.py").write_text(script)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v2.1")
    return root


def test_dry_run_prints_the_report_and_writes_nothing(tmp_path: Path) -> None:
    root = _v21_project(tmp_path)
    result = run_txo("migrate", str(root), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "migration report (dry run)" in result.stdout
    assert "would change" in result.stdout
    assert not (root / "MIGRATION_REPORT.md").exists()
    assert not (root / "config" / "logging-config.json").exists()


def test_migrate_writes_the_files_and_names_the_report(tmp_path: Path) -> None:
    root = _v21_project(tmp_path)
    result = run_txo("migrate", str(root))
    assert result.returncode == 0, result.stderr
    assert f"Report: {root / 'MIGRATION_REPORT.md'}" in result.stdout
    assert (root / "config" / "logging-config.json").is_file()
    assert "from txo_runtime" in (root / "src" / "hello.py").read_text()
    json.loads((root / "config" / "acme-test-config.json").read_text())


def test_template_src_is_recorded_for_an_adopted_project(tmp_path: Path) -> None:
    root = _v21_project(tmp_path / "project")
    template = tmp_path / "templates" / "txo"  # unreachable on purpose: answers are inferred
    result = run_txo("migrate", str(root), "--template-src", str(template))
    assert result.returncode == 0, result.stderr
    answers = (root / ".copier-answers.yml").read_text()
    assert f"_src_path: {template}" in answers


def test_conflicts_exit_1_and_are_listed(tmp_path: Path) -> None:
    script = V21_SCRIPT + "<<<<<<< before updating\nx = 1\n=======\nx = 2\n>>>>>>> after updating\n"
    root = _v21_project(tmp_path, script=script)
    result = run_txo("migrate", str(root))
    assert result.returncode == 1
    assert "conflict src/hello.py" in result.stdout


def test_a_dirty_tree_is_refused_with_how_to_fix(tmp_path: Path) -> None:
    root = _v21_project(tmp_path)
    (root / "src" / "hello.py").write_text(V21_SCRIPT + "# local edit\n")
    result = run_txo("migrate", str(root))
    assert result.returncode == 1
    assert "--allow-dirty" in result.stderr
    assert run_txo("migrate", str(root), "--allow-dirty").returncode == 0


def test_migrating_a_folder_that_is_no_project_fails_helpfully(tmp_path: Path) -> None:
    result = run_txo("migrate", str(tmp_path))
    assert result.returncode == 1
    assert "Problem:" in result.stderr
