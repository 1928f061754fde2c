"""migrate_project on real v2.1 trees (rendered from the fixture, committed to real git)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.migrate.v21_project import FIXTURE, SECRET_BYTES, SECRETS, USER_SCRIPT, tree_digest
from txo_runtime.exceptions import HelpfulError
from txo_tools.migrate import migrate_project

_OPENED: list[str] = []
_WATCHING: list[bool] = []


def _audit(event: str, args: tuple) -> None:
    if _WATCHING and event == "open" and isinstance(args[0], (str, Path)):
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while watching


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def v21(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import copier

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    project = tmp_path / "acme"
    copier.run_copy(str(FIXTURE), project, defaults=True, quiet=True)
    (project / ".copier-answers.yml").unlink()  # a clone: no answers file
    (project / "src/sales_report.py").write_text(USER_SCRIPT, encoding="utf-8")
    (project / SECRETS).write_bytes(SECRET_BYTES)
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "v2.1")
    return project


def test_secrets_files_are_never_opened_nor_changed(v21: Path) -> None:
    _OPENED.clear()
    _WATCHING.append(True)
    try:
        report = migrate_project(v21)
    finally:
        _WATCHING.clear()
    assert report.changed
    assert any(path.endswith("acme-test-config.json") for path in _OPENED)  # the hook works
    assert not [path for path in _OPENED if "secrets.json" in path and ".example" not in path]
    assert (v21 / SECRETS).read_bytes() == SECRET_BYTES
    assert "s3cr3t" not in report.to_markdown()


def test_a_dirty_tree_is_refused_with_how_to_fix(v21: Path) -> None:
    (v21 / "src/hello_world.py").write_text("# edited\n")
    with pytest.raises(HelpfulError) as caught:
        migrate_project(v21)
    assert "--allow-dirty" in caught.value.how_to_fix
    assert migrate_project(v21, allow_dirty=True).changed


def test_a_folder_outside_git_is_refused_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    with pytest.raises(HelpfulError, match="not in a git repository"):
        migrate_project(tmp_path)


def test_dry_run_writes_nothing_but_reports_everything(v21: Path) -> None:
    before = tree_digest(v21)
    report = migrate_project(v21, dry_run=True)
    assert tree_digest(v21) == before
    assert report.report_path is None
    assert any(
        c.file == "src/sales_report.py" and c.kind == "require_token" for c in report.changes
    )
    assert "(dry run)" in report.to_markdown()


def test_modified_helper_is_kept_and_listed_unmodified_ones_go(v21: Path) -> None:
    logger = v21 / "utils/logger.py"
    logger.write_text(logger.read_text() + "# our tweak\n")
    (v21 / "utils/our_tools.py").write_text("from utils.logger import setup_logger\n")
    _git(v21, "commit", "-qam", "tweak")
    _git(v21, "add", "-A")
    _git(v21, "commit", "-qm", "own module")
    report = migrate_project(v21)
    assert logger.is_file() and (v21 / "utils/__init__.py").is_file()
    assert not (v21 / "utils/path_helpers.py").exists()
    assert "from txo_runtime.logger" in (v21 / "utils/our_tools.py").read_text()
    assert any(f.file == "utils/logger.py" for f in report.follow_ups)


def test_report_and_answers_file_are_written_and_the_second_run_is_a_no_op(
    v21: Path, tmp_path: Path
) -> None:
    # An unreachable template (a local path, so no network is touched): answers are inferred.
    template = tmp_path / "moved-away" / "txo"
    report = migrate_project(v21, template_src=str(template))
    text = (v21 / "MIGRATION_REPORT.md").read_text()
    assert "`src/sales_report.py:34`: dynamic folder `folder_var`" in text
    answers = (v21 / ".copier-answers.yml").read_text()
    assert "_commit: v3.0.0" in answers and "org_id: acme" in answers
    assert f"_src_path: {template}" in answers
    assert set(report.written_files) >= {"config/acme-test-config.json", "MIGRATION_REPORT.md"}
    _git(v21, "add", "-A")
    _git(v21, "commit", "-qm", "migrated")
    before = tree_digest(v21)
    again = migrate_project(v21)
    assert not again.changed and "Nothing to do" in again.to_markdown()
    assert tree_digest(v21) == before


def test_conflict_markers_are_reported_not_rewritten(v21: Path) -> None:
    markers = "<<<<<<< before updating\nx = 1\n=======\n>>>>>>> after updating\n"
    (v21 / "src/hello_world.py").write_text(markers)
    report = migrate_project(v21, allow_dirty=True)
    assert report.conflicts == ["src/hello_world.py"]
    assert "CONFLICTS" in (v21 / "MIGRATION_REPORT.md").read_text()


def test_module_entry_point_exit_codes(v21: Path) -> None:
    run = [sys.executable, "-m", "txo_tools.migrate", str(v21)]
    dry = subprocess.run([*run, "--dry-run"], capture_output=True, text=True, check=False)
    assert dry.returncode == 0 and "would change" in dry.stdout
    (v21 / "README.md").write_text("dirty\n")
    refused = subprocess.run(run, capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "uncommitted changes" in refused.stderr


def test_a_v30_patterns_file_without_personal_data_gains_the_classes_and_keeps_its_rules(
    v21: Path,
) -> None:
    import json

    migrate_project(v21)
    _git(v21, "add", "-A")
    _git(v21, "commit", "-qm", "migrated to v3.0")
    patterns = v21 / "config" / "log-redaction-patterns.json"
    data = json.loads(patterns.read_text())
    del data["personal-data"]  # a v3.0 file written before the personal-data classes
    own = {"name": "acme-key", "pattern": "acme_[0-9a-f]{32}", "replacement": "[REDACTED]"}
    data["patterns"].append(own)
    patterns.write_text(json.dumps(data, indent=2) + "\n")
    _git(v21, "commit", "-qam", "own rule, old file")
    report = migrate_project(v21)
    migrated = json.loads(patterns.read_text())
    assert migrated["personal-data"]["cards"] is True and migrated["personal-data"]["iban"]
    assert own in migrated["patterns"]
    assert "personal-data" in report.to_markdown()
    _git(v21, "add", "-A")
    _git(v21, "commit", "-qm", "classes added")
    assert not migrate_project(v21).changed  # idempotent
