"""A cloned v2.1 project adopted by ``txo migrate`` takes later template updates.

The template repository gets v2.1.0 (frozen fixture), v3.0.0 (this repository's template)
and v3.0.1 (a new log redaction rule, a new test in tests/test_config.py, a new ruff rule in
pyproject.toml). A project generated at v2.1.0, with a test of its own, loses its answers
file (a clone), is migrated by ``python -m txo_tools.migrate --template-src``, committed,
then ``copier update --vcs-ref v3.0.1`` must bring every change and keep every migrated file.

With ``--template-src`` the migration renders the template at v3.0.0 and adds the files the
clone lacks (pyproject.toml, tests/conftest.py, tests/test_config.py, ...): otherwise copier
counts them as deleted by the user and never brings their later changes. The adopted
project's README.md, .gitignore and schema are its own v2.1 files, so for copier every line
of them is a user edit: a template change there is a conflict (reported, never lost); the
migration lists them as follow-ups.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.migrate.v21_project import (
    COPIER,
    build_template_repo,
    commit_all,
    git,
    make_v21_project,
    run,
    tree_digest,
)
from txo_tools.migrate import migrate_project

pytestmark = pytest.mark.slow
MIGRATE = [sys.executable, "-m", "txo_tools.migrate"]
REDACTION = "config/log-redaction-patterns.json"
TEST_CONFIG = "tests/test_config.py"
V301_CHANGED = (REDACTION, TEST_CONFIG)
# Files of the v3.0.0 template a v2.1 clone lacks (tmp/.gitkeep comes from the copy task).
FORMERLY_MISSING = ("pyproject.toml", "src/__init__.py", "tests/__init__.py",
                    "tests/conftest.py", TEST_CONFIG, "tmp/.gitkeep", ".editorconfig",
                    ".pre-commit-config.yaml", ".github/workflows/ci.yml",
                    "renovate.json")  # fmt: skip
OWN_V21_FILES = (".gitignore", "README.md", "schemas/org-env-config-schema.json")
V301_TEST = """

def test_the_redaction_rules_are_not_empty() -> None:  # added in template v3.0.1
    assert _read(CONFIG_DIR / "log-redaction-patterns.json")["patterns"]
"""
V301_RUFF_OLD = 'select = ["E", "F", "W", "I", "B", "UP", "C4", "SIM", "T20"]'
V301_RUFF_NEW = 'select = ["E", "F", "W", "I", "B", "UP", "C4", "SIM", "T20", "PT"]'
V301_RULE = """\
    {
      "name": "acme-session-id",
      "description": "ACME ERP session ids (added in template v3.0.1)",
      "pattern": "acme-sid-[0-9a-f]{16}",
      "replacement": "[REDACTED_SESSION]",
      "requires": ["acme-sid-"]
    },
"""
USER_TEST = """\
\"\"\"The user's own v2.1 test: every config matches the schema, every script imports.\"\"\"

import importlib
import json
from pathlib import Path

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent


def test_configs_match_the_schema():
    schema = json.loads((ROOT / "schemas/org-env-config-schema.json").read_text())
    for path in sorted((ROOT / "config").glob("acme-*-config.json")):
        errors = list(Draft202012Validator(schema).iter_errors(json.loads(path.read_text())))
        assert errors == [], path.name


def test_scripts_import():
    for name in ("hello_world", "sales_report"):
        assert callable(importlib.import_module(f"src.{name}").main)
"""


def tag_v301(template: Path, home: Path) -> None:
    """Small template changes on top of v3.0.0, tagged v3.0.1: a redaction rule (a file the
    clone had) and a new test and ruff rule (files only the template had)."""
    rules = template / "template" / REDACTION
    text = rules.read_text(encoding="utf-8")
    assert text.count('"patterns": [\n') == 1
    rules.write_text(text.replace('"patterns": [\n', '"patterns": [\n' + V301_RULE), "utf-8")
    test_config = template / "template" / TEST_CONFIG
    test_config.write_text(test_config.read_text(encoding="utf-8") + V301_TEST, "utf-8")
    pyproject = template / "template/pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert text.count(V301_RUFF_OLD) == 1
    pyproject.write_text(text.replace(V301_RUFF_OLD, V301_RUFF_NEW), "utf-8")
    commit_all(template, home, "v3.0.1: redact ACME session ids")
    git(template, home, "tag", "v3.0.1")


def snapshot(project: Path) -> dict[str, bytes]:
    """Bytes of the migrated scripts, configs (not the template's rules) and schema."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for folder in ("src", "config", "schemas", "tests")
        for path in sorted((project / folder).rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.relative_to(project).as_posix() not in V301_CHANGED
    }


@dataclass(frozen=True)
class Adopted:
    """The project after ``txo migrate --template-src`` (committed) and ``copier update``."""

    project: Path
    home: Path
    template: Path
    before: dict[str, bytes]  # snapshot() right after the migration
    files_after_migration: frozenset[str]
    report: str  # MIGRATION_REPORT.md of the migration


def project_files(project: Path) -> frozenset[str]:
    return frozenset(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts and "__pycache__" not in path.parts
    )


def make_clone(root: Path, home: Path, template: Path, name: str) -> Path:
    """A v2.1 project with a test of its own and no answers file (a clone), committed."""
    project = make_v21_project(root, home, template, name)
    git(project, home, "rm", "-q", ".copier-answers.yml")
    (project / "tests").mkdir()
    (project / "tests/test_project.py").write_text(USER_TEST, encoding="utf-8")
    commit_all(project, home, "a clone has no answers file; the user's own test")
    return project


@pytest.fixture(scope="module")
def adopted_then_updated(tmp_path_factory: pytest.TempPathFactory) -> Adopted:
    root = tmp_path_factory.mktemp("adopt")
    home = root / "home"
    home.mkdir()
    template = build_template_repo(root, home)
    tag_v301(template, home)
    project = make_clone(root, home, template, "cloned")
    run([*MIGRATE, str(project), "--template-src", str(template)], root, home)
    report = (project / "MIGRATION_REPORT.md").read_text(encoding="utf-8")
    files = project_files(project)
    commit_all(project, home, "migrated to v3.0 by txo migrate")
    before = snapshot(project)
    update = [*COPIER, "update", "--trust", "--defaults", "--vcs-ref", "v3.0.1"]
    result = run(update, project, home, check=False)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "src/sales_report.py" in before and "tests/test_project.py" in before
    return Adopted(project, home, template, before, files, report)


def test_adoption_adds_the_template_files_the_clone_lacked(adopted_then_updated: Adopted) -> None:
    adopted = adopted_then_updated
    missing = sorted(set(FORMERLY_MISSING) - adopted.files_after_migration)
    assert missing == [], missing
    for rel in FORMERLY_MISSING:
        assert f"### `{rel}`\n\n- **template file**: added from the template at v3.0.0" in (
            adopted.report
        ), rel
    answers = yaml.safe_load((adopted.project / ".copier-answers.yml").read_text("utf-8"))
    assert answers["txo_runtime_requirement"] == ""  # rendered by copier (follow the template)


def test_adoption_lists_the_projects_own_versions_of_template_files(
    adopted_then_updated: Adopted,
) -> None:
    follow_ups = adopted_then_updated.report.split("## Manual follow-ups", 1)[1]
    for rel in OWN_V21_FILES:
        assert f"- [ ] `{rel}`: differs from the template's v3.0.0 version" in follow_ups, rel
    for rel in FORMERLY_MISSING:
        assert f"`{rel}`: differs" not in follow_ups, rel
    assert "s3cr3t" not in adopted_then_updated.report


def test_update_brings_the_template_changes_without_conflicts(
    adopted_then_updated: Adopted,
) -> None:
    project, home = adopted_then_updated.project, adopted_then_updated.home
    rules = json.loads((project / REDACTION).read_text(encoding="utf-8"))
    assert rules["patterns"][0]["name"] == "acme-session-id"
    assert V301_TEST in (project / TEST_CONFIG).read_text(encoding="utf-8")
    assert V301_RUFF_NEW in (project / "pyproject.toml").read_text(encoding="utf-8")
    status = git(project, home, "status", "--porcelain", "--untracked-files=all")
    assert not [line for line in status.splitlines() if line.endswith(".rej")], status
    grep = ["git", "grep", "--untracked", "-l", "-E", "^(<<<<<<<|>>>>>>>) "]
    marked = run(grep, project, home, check=False)
    assert marked.stdout == "", marked.stdout
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["_commit"] == "v3.0.1"


def test_update_keeps_the_migrated_scripts_and_configs(adopted_then_updated: Adopted) -> None:
    before = adopted_then_updated.before
    after = snapshot(adopted_then_updated.project)
    changed = sorted(rel for rel in before if after.get(rel) != before[rel])
    assert changed == [], changed


def test_adopted_project_tests_pass_after_the_update(adopted_then_updated: Adopted) -> None:
    project, home = adopted_then_updated.project, adopted_then_updated.home
    result = run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider"],
                 project, home, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    for test in ("test_project.py::test_scripts_import", "test_the_redaction_rules_are_not_empty",
                 "test_real_secrets_files_are_git_ignored"):  # fmt: skip
        assert f"{test} PASSED" in result.stdout, test


def test_dry_run_reports_the_template_files_and_writes_nothing(
    adopted_then_updated: Adopted, tmp_path: Path
) -> None:
    home, template = adopted_then_updated.home, adopted_then_updated.template
    project = make_clone(tmp_path, home, template, "dry")
    before = tree_digest(project)
    report = migrate_project(project, dry_run=True, template_src=str(template))
    added = {c.file for c in report.changes if c.kind == "template file"}
    assert added == set(FORMERLY_MISSING)
    assert tree_digest(project) == before


def test_a_second_adoption_run_adds_nothing(adopted_then_updated: Adopted, tmp_path: Path) -> None:
    home, template = adopted_then_updated.home, adopted_then_updated.template
    project = make_clone(tmp_path, home, template, "twice")
    first = migrate_project(project, template_src=str(template))
    assert {c.file for c in first.changes if c.kind == "template file"} == set(FORMERLY_MISSING)
    commit_all(project, home, "migrated")
    before = tree_digest(project)
    again = migrate_project(project, template_src=str(template))
    assert again.changes == [] and tree_digest(project) == before


def test_an_unreachable_template_keeps_the_inferred_answers_and_says_what_to_do(
    adopted_then_updated: Adopted, tmp_path: Path
) -> None:
    home, template = adopted_then_updated.home, adopted_then_updated.template
    project = make_clone(tmp_path, home, template, "unreachable")
    report = migrate_project(project, template_src=str(tmp_path / "no-such-template"))
    assert not [c for c in report.changes if c.kind == "template file"]
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["_commit"] == "v3.0.0" and "txo_runtime_requirement" not in answers
    assert any("could not render the template" in f.description for f in report.follow_ups)
