"""A cloned v2.1 project adopted by ``txo migrate`` takes later template updates.

The template repository gets v2.1.0 (frozen fixture), v3.0.0 (this repository's template)
and v3.0.1 (a new log redaction rule). A project generated at v2.1.0, with a test of its
own, loses its answers file (a clone), is migrated by ``python -m txo_runtime.migrate
--template-src``, committed, then ``copier update --vcs-ref v3.0.1`` must bring the rule and
keep every migrated file.

The change is in a file the adopted project shares with the v3.0.0 template. The adopted
project's README.md, .gitignore and schema are its own v2.1 files, so for copier every line
of them is a user edit: a template change there is a conflict (reported, never lost).
"""

from __future__ import annotations

import json
import sys
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
)

pytestmark = pytest.mark.slow
MIGRATE = [sys.executable, "-m", "txo_runtime.migrate"]
REDACTION = "config/log-redaction-patterns.json"
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
    """One small template change on top of v3.0.0 (a redaction rule), tagged v3.0.1."""
    rules = template / "template" / REDACTION
    text = rules.read_text(encoding="utf-8")
    assert text.count('"patterns": [\n') == 1
    rules.write_text(text.replace('"patterns": [\n', '"patterns": [\n' + V301_RULE), "utf-8")
    commit_all(template, home, "v3.0.1: redact ACME session ids")
    git(template, home, "tag", "v3.0.1")


def snapshot(project: Path) -> dict[str, bytes]:
    """Bytes of the migrated scripts, configs (not the template's rules) and schema."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for folder in ("src", "config", "schemas", "tests")
        for path in sorted((project / folder).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and not path.match(REDACTION)
    }


@pytest.fixture(scope="module")
def adopted_then_updated(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, dict[str, bytes], str]:
    root = tmp_path_factory.mktemp("adopt")
    home = root / "home"
    home.mkdir()
    template = build_template_repo(root, home)
    tag_v301(template, home)
    project = make_v21_project(root, home, template, "cloned")
    git(project, home, "rm", "-q", ".copier-answers.yml")
    (project / "tests").mkdir()
    (project / "tests/test_project.py").write_text(USER_TEST, encoding="utf-8")
    commit_all(project, home, "a clone has no answers file; the user's own test")
    run([*MIGRATE, str(project), "--template-src", str(template)], root, home)
    commit_all(project, home, "migrated to v3.0 by txo migrate")
    before = snapshot(project)
    update = [*COPIER, "update", "--trust", "--defaults", "--vcs-ref", "v3.0.1"]
    result = run(update, project, home, check=False)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "src/sales_report.py" in before and "tests/test_project.py" in before
    return project, home, before, result.stderr


def test_update_brings_the_template_change_without_conflicts(
    adopted_then_updated: tuple[Path, Path, dict[str, bytes], str],
) -> None:
    project, home, _, _ = adopted_then_updated
    rules = json.loads((project / REDACTION).read_text(encoding="utf-8"))
    assert rules["patterns"][0]["name"] == "acme-session-id"
    status = git(project, home, "status", "--porcelain", "--untracked-files=all")
    assert not [line for line in status.splitlines() if line.endswith(".rej")], status
    grep = ["git", "grep", "--untracked", "-l", "-E", "^(<<<<<<<|>>>>>>>) "]
    marked = run(grep, project, home, check=False)
    assert marked.stdout == "", marked.stdout
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["_commit"] == "v3.0.1"


def test_update_keeps_the_migrated_scripts_and_configs(
    adopted_then_updated: tuple[Path, Path, dict[str, bytes], str],
) -> None:
    project, _, before, _ = adopted_then_updated
    after = snapshot(project)
    changed = sorted(rel for rel in before if after.get(rel) != before[rel])
    assert changed == [], changed


def test_adopted_project_tests_pass_after_the_update(
    adopted_then_updated: tuple[Path, Path, dict[str, bytes], str],
) -> None:
    project, home, _, _ = adopted_then_updated
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                 project, home, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
