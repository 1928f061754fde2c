"""``copier update`` between two tags of a template repo built in a temp dir."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.template.conftest import REPO_ROOT, copier_copy, load_hooks_shared, run

pytestmark = pytest.mark.slow

TEMPLATE_PARTS = ("copier.yml", "cookiecutter.json", "template", "hooks")
OLD_TEST_LINE = "python -m pytest        # offline: a local API server stands in for the real one"
NEW_TEST_LINE = "python -m pytest -q     # offline: a local API server stands in for the real one"


def _git(repo: Path, home: Path, *args: str) -> str:
    return run(["git", *args], cwd=repo, home=home).stdout


def _commit_all(repo: Path, home: Path, message: str) -> None:
    _git(repo, home, "add", "-A")
    _git(repo, home, "commit", "-q", "-m", message)


@pytest.fixture
def template_repo(tmp_path: Path, home: Path) -> Path:
    """This template's files in a fresh git repo: v3.0.0, then v3.0.1 changing the README."""
    repo = tmp_path / "template-repo"
    repo.mkdir()
    for part in TEMPLATE_PARTS:
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source, repo / part)
    _git(repo, home, "init", "-q")
    _commit_all(repo, home, "template v3.0.0")
    _git(repo, home, "tag", "v3.0.0")
    readme = repo / "template" / "README.md"
    text = readme.read_text()
    assert OLD_TEST_LINE in text
    readme.write_text(text.replace(OLD_TEST_LINE, NEW_TEST_LINE))
    _commit_all(repo, home, "template v3.0.1: quieter test command")
    _git(repo, home, "tag", "v3.0.1")
    return repo


@pytest.fixture
def project(tmp_path: Path, home: Path, template_repo: Path) -> Path:
    """A project generated at v3.0.0 and committed, as a user would."""
    dst = tmp_path / "acme-integrations"
    copier_copy(dst, home, src=template_repo, vcs_ref="v3.0.0")
    _git(dst, home, "init", "-q")
    _commit_all(dst, home, "generated")
    return dst


def _update(project: Path, home: Path, *, check: bool = True) -> CompletedProcess[str]:
    command = [sys.executable, "-m", "copier", "update", "--trust", "--defaults"]
    return run([*command, "--vcs-ref", "v3.0.1"], cwd=project, home=home, check=check)


def test_project_generated_at_a_tag_pins_the_runtime_to_that_tag(
    project: Path, template_repo: Path
) -> None:
    pyproject = (project / "pyproject.toml").read_text()
    assert f'"txo-runtime[excel] @ git+file://{template_repo}@v3.0.0"' in pyproject
    assert f'"txo-tools @ git+file://{template_repo}@v3.0.0#subdirectory=tools"' in pyproject
    assert "_commit: v3.0.0" in (project / ".copier-answers.yml").read_text()


def test_update_keeps_user_edits_and_brings_the_template_change(project: Path, home: Path) -> None:
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("## Set up", "## Set up (ACME: ask Jo first)"))
    config = project / "config" / "acme-test-config.json"
    config.write_text(config.read_text().replace("api.example.com/odata", "acme.example/odata"))
    script = project / "src" / "fetch_customers.py"
    script.write_text(script.read_text() + "\n# ACME: tuned for the nightly run\n")
    _commit_all(project, home, "user edits")

    _update(project, home)

    text = readme.read_text()
    assert "## Set up (ACME: ask Jo first)" in text  # user edit kept
    assert NEW_TEST_LINE in text and OLD_TEST_LINE not in text  # template change arrived
    assert "acme.example/odata" in config.read_text()
    assert "# ACME: tuned for the nightly run" in script.read_text()
    assert "_commit: v3.0.1" in (project / ".copier-answers.yml").read_text()
    assert not (project / "config" / "_environment").exists()
    assert load_hooks_shared().find_update_conflicts(project) == []


def test_a_conflicting_edit_fails_the_update_loudly(project: Path, home: Path) -> None:
    readme = project / "README.md"
    mine = "python -m pytest -x    # ACME: stop at the first failure"
    readme.write_text(readme.read_text().replace(OLD_TEST_LINE, mine))
    _commit_all(project, home, "user edits the same line")

    result = _update(project, home, check=False)

    assert result.returncode != 0
    assert "README.md" in result.stderr and "conflict" in result.stderr
    text = readme.read_text()
    assert "<<<<<<<" in text and mine in text and NEW_TEST_LINE in text
    problems = load_hooks_shared().find_update_conflicts(project)
    assert any(problem.startswith("README.md") for problem in problems)
