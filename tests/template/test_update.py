"""``copier update`` between two tags of a template repo built in a temp dir."""

from __future__ import annotations

import json
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
    (repo / "{{cookiecutter.project_slug}}").symlink_to("template")  # cookiecutter's entry
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


def _copy_at_v300(tmp_path: Path, home: Path, template: Path, answers: dict[str, str]) -> Path:
    dst = tmp_path / "own-answers"
    copier_copy(dst, home, answers, src=template, vcs_ref="v3.0.0")
    _git(dst, home, "init", "-q")
    _commit_all(dst, home, "generated")
    return dst


def _add_dependency(project: Path, marker: str, requirement: str) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert marker in text
    pyproject.write_text(text.replace(marker, f'{marker}\n  "{requirement}",', 1))


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
    assert "conflicts in 1 file(s)" in result.stderr
    assert "README.md: 1 conflicting hunk(s)" in result.stderr
    text = readme.read_text()
    assert "<<<<<<<" in text and mine in text and NEW_TEST_LINE in text
    problems = load_hooks_shared().find_update_conflicts(project)
    assert any(problem.startswith("README.md") for problem in problems)


def test_update_moves_the_runtime_pin_to_the_new_tag_and_keeps_the_users_dependency(
    project: Path, home: Path, template_repo: Path
) -> None:
    script = project / "src" / "fetch_customers.py"
    script.write_text(script.read_text() + "\n# ACME: tuned for the nightly run\n")
    _add_dependency(project, "# your dependencies:", "httpx>=0.27")
    _add_dependency(project, "# your development dependencies:", "freezegun>=1.4")
    _commit_all(project, home, "user edits a script and adds dependencies")

    result = _update(project, home)

    pyproject = (project / "pyproject.toml").read_text()
    assert f'"txo-runtime[excel] @ git+file://{template_repo}@v3.0.1",' in pyproject
    assert f'"txo-tools @ git+file://{template_repo}@v3.0.1#subdirectory=tools",' in pyproject
    assert "@v3.0.0" not in pyproject
    assert '"httpx>=0.27",' in pyproject and '"freezegun>=1.4",' in pyproject
    assert "# ACME: tuned for the nightly run" in script.read_text()
    assert "txo_runtime_requirement: ''" in (project / ".copier-answers.yml").read_text()
    output = result.stdout + result.stderr
    assert f"pyproject.toml now requires txo-runtime @ git+file://{template_repo}@v3.0.1" in output
    assert load_hooks_shared().find_update_conflicts(project) == []


def test_a_requirement_the_user_gave_is_kept_on_update_and_the_update_says_so(
    tmp_path: Path, home: Path, template_repo: Path
) -> None:
    own = "txo-runtime @ git+https://git.example.invalid/txo.git@v3.0.0"
    project = _copy_at_v300(tmp_path, home, template_repo, {"txo_runtime_requirement": own})

    result = _update(project, home)

    pyproject = (project / "pyproject.toml").read_text()
    assert '"txo-runtime[excel] @ git+https://git.example.invalid/txo.git@v3.0.0",' in pyproject
    assert "_commit: v3.0.1" in (project / ".copier-answers.yml").read_text()
    output = result.stdout + result.stderr
    assert f"pyproject.toml keeps your own txo-runtime requirement '{own}'" in output
    assert 'copier update --trust --defaults --data txo_runtime_requirement=""' in output


def test_an_index_requirement_follows_the_template_version_on_update(
    tmp_path: Path, home: Path, template_repo: Path
) -> None:
    project = _copy_at_v300(tmp_path, home, template_repo, {"runtime_from_index": "true"})
    before = (project / "pyproject.toml").read_text()
    assert '"txo-runtime[excel]>=3.0.0,<4",' in before and '"txo-tools>=3.0.0,<4",' in before

    _update(project, home)

    after = (project / "pyproject.toml").read_text()
    assert '"txo-runtime[excel]>=3.0.1,<4",' in after and '"txo-tools>=3.0.1,<4",' in after


def _conflict_block(mine: str, theirs: str) -> str:
    return f"<<<<<<< before updating\n{mine}\n=======\n{theirs}\n>>>>>>> after updating\n"


def test_conflicts_are_counted_once_per_file_with_their_hunks(tmp_path: Path, home: Path) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "README.md").write_text("a\n")
    (repo / "pyproject.toml").write_text("b\n")
    (repo / "clean.txt").write_text("c\n")
    _git(repo, home, "init", "-q")
    _commit_all(repo, home, "generated")
    (repo / "README.md").write_text(_conflict_block("x", "y") + "a\n" + _conflict_block("p", "q"))
    (repo / "pyproject.toml").write_text(_conflict_block("mine", "theirs"))
    (repo / "clean.txt").write_text("changed without conflict\n")

    problems = load_hooks_shared().find_update_conflicts(repo)

    assert problems == [
        "README.md: 2 conflicting hunk(s) marked <<<<<<< / >>>>>>>",
        "pyproject.toml: 1 conflicting hunk(s) marked <<<<<<< / >>>>>>>",
    ]


CRUFT = str(Path(sys.executable).with_name("cruft"))


@pytest.fixture
def cruft_project(tmp_path: Path, home: Path, template_repo: Path) -> Path:
    """A cookiecutter project generated from the template checked out at v3.0.0."""
    _git(template_repo, home, "checkout", "-q", "v3.0.0")
    out = tmp_path / "cc"
    out.mkdir()
    command = [
        sys.executable,
        "-m",
        "cookiecutter",
        "--no-input",
        "-o",
        str(out),
        str(template_repo),
    ]
    run(command, cwd=out, home=home)
    _git(template_repo, home, "checkout", "-q", "-")
    project = out / "acme-integrations"
    _git(project, home, "init", "-q")
    _commit_all(project, home, "generated with cookiecutter")
    return project


def test_cruft_update_moves_the_runtime_pin_and_keeps_the_users_edits(
    cruft_project: Path, home: Path, template_repo: Path
) -> None:
    project = cruft_project
    state = json.loads((project / ".cruft.json").read_text())
    assert state["template"] == str(template_repo)
    assert state["context"]["cookiecutter"]["txo_runtime_requirement"] == "from-template-source"
    pyproject = project / "pyproject.toml"
    assert f'"txo-runtime[excel] @ git+file://{template_repo}@v3.0.0",' in pyproject.read_text()
    script = project / "src" / "fetch_customers.py"
    script.write_text(script.read_text() + "\n# ACME: tuned for the nightly run\n")
    _add_dependency(project, "# your dependencies:", "httpx>=0.27")
    _commit_all(project, home, "user edits")

    run([CRUFT, "update", "--skip-apply-ask", "--checkout", "v3.0.1"], cwd=project, home=home)

    text = pyproject.read_text()
    assert f'"txo-runtime[excel] @ git+file://{template_repo}@v3.0.1",' in text
    assert f'"txo-tools @ git+file://{template_repo}@v3.0.1#subdirectory=tools",' in text
    assert '"httpx>=0.27",' in text
    assert "# ACME: tuned for the nightly run" in script.read_text()
    readme = (project / "README.md").read_text()
    assert NEW_TEST_LINE in readme and OLD_TEST_LINE not in readme
    assert load_hooks_shared().find_update_conflicts(project) == []
