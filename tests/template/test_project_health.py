"""A generated project keeps itself healthy: CI, pre-commit hooks, editor settings, upgrades.

The CI and bot files are validated offline against the schemas bundled with check-jsonschema;
the pre-commit hooks run for real in a generated project (local hooks, no download).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from tests.template.conftest import REPO_ROOT, cookiecutter_generate, copier_copy, run

BIN = Path(sys.executable).parent
CHECK_JSONSCHEMA = str(BIN / "check-jsonschema")
PRE_COMMIT = str(BIN / "pre-commit")


def _validate(project: Path, home: Path, schema: str, name: str) -> None:
    assert (project / name).is_file(), f"{name} was not generated"
    result = run([CHECK_JSONSCHEMA, "--builtin-schema", schema, name], cwd=project, home=home,
                 check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def gitlab_project(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    dst = tmp_path_factory.mktemp("gitlab") / "acme-integrations"
    copier_copy(dst, home, {"ci_provider": "gitlab", "dependency_updates": "dependabot"})
    return dst


def test_default_project_has_a_github_workflow_that_validates_against_the_schema(
    default_project: Path, home: Path
) -> None:
    _validate(default_project, home, "vendor.github-workflows", ".github/workflows/ci.yml")
    assert not (default_project / ".gitlab-ci.yml").exists()


def test_the_github_workflow_installs_lints_checks_and_runs_the_tests(
    default_project: Path,
) -> None:
    workflow = yaml.safe_load((default_project / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    for command in ('pip install -e ".[dev]"', "ruff check .", "ruff format --check .",
                    "txo check", "python -m pytest"):  # fmt: skip
        assert command in commands, command
    setup = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"


def test_default_project_has_a_renovate_config_that_validates_and_follows_git_tag_pins(
    default_project: Path, home: Path
) -> None:
    import json
    import re

    _validate(default_project, home, "vendor.renovate", "renovate.json")
    config = json.loads((default_project / "renovate.json").read_text())
    (manager,) = config["customManagers"]
    pattern = re.compile(manager["matchStrings"][0].replace("(?<", "(?P<"))
    line = '"txo-runtime[excel] @ git+https://git.example.com/txo.git@v3.0.1",'
    found = pattern.search(line)
    assert found and found["currentValue"] == "v3.0.1"
    assert found["packageName"] == "https://git.example.com/txo.git"
    assert found["depName"] == "txo-runtime"


def test_gitlab_choice_gives_a_gitlab_ci_file_that_validates_and_no_github_folder(
    gitlab_project: Path, home: Path
) -> None:
    _validate(gitlab_project, home, "vendor.gitlab-ci", ".gitlab-ci.yml")
    script = yaml.safe_load((gitlab_project / ".gitlab-ci.yml").read_text())["test"]["script"]
    assert "txo check" in script and "python -m pytest" in script
    assert not (gitlab_project / ".github" / "workflows").exists()


def test_dependabot_choice_gives_a_dependabot_config_that_validates(
    gitlab_project: Path, home: Path
) -> None:
    _validate(gitlab_project, home, "vendor.dependabot", ".github/dependabot.yml")
    assert not (gitlab_project / "renovate.json").exists()


def test_no_ci_and_no_bot_leave_no_empty_folders(tmp_path: Path, home: Path) -> None:
    dst = tmp_path / "bare"
    copier_copy(dst, home, {"ci_provider": "none", "dependency_updates": "none"})
    assert not (dst / ".github").exists()
    assert not (dst / ".gitlab-ci.yml").exists() and not (dst / "renovate.json").exists()
    assert (dst / ".editorconfig").is_file() and (dst / ".pre-commit-config.yaml").is_file()


def test_editorconfig_matches_the_ruff_settings(default_project: Path) -> None:
    text = (default_project / ".editorconfig").read_text()
    assert "root = true" in text and "indent_size = 4" in text and "end_of_line = lf" in text


@pytest.mark.slow
def test_pre_commit_run_all_files_passes_in_a_generated_project(
    default_project: Path, tmp_path: Path, home: Path
) -> None:
    project = tmp_path / "repo"
    run(["cp", "-r", str(default_project), str(project)], cwd=tmp_path, home=home)
    run(["git", "init", "-q"], cwd=project, home=home)
    run(["git", "add", "-A"], cwd=project, home=home)
    env = {**os.environ, "HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("TXO_PROJECT_ROOT", None)
    import subprocess

    result = subprocess.run([PRE_COMMIT, "run", "--all-files"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    for hook in ("ruff check", "ruff format", "txo check"):
        assert any(line.startswith(hook) and line.endswith("Passed")
                   for line in result.stdout.splitlines()), result.stdout  # fmt: skip


def test_the_hook_manifest_of_this_repository_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(REPO_ROOT / ".pre-commit-hooks.yaml"))
    (hook,) = [h for h in hooks if h["id"] == "txo-check"]
    assert hook["entry"] == "txo check" and hook["pass_filenames"] is False


@pytest.mark.parametrize(
    ("answer", "message"),
    [("ci_provider=jenkins", "ci_provider must be one of github, gitlab, none; got 'jenkins'"),
     ("dependency_updates=snyk", "dependency_updates must be one of renovate, dependabot, none"),
     ("python_version=2.7", "python_version must be one of 3.10, 3.11, 3.12, 3.13")],
)  # fmt: skip
def test_cookiecutter_rejects_an_unknown_choice_with_the_same_message_as_copier(
    tmp_path: Path, home: Path, answer: str, message: str
) -> None:
    key, value = answer.split("=")
    result = cookiecutter_generate(tmp_path / "out", home, {key: value}, check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    output = result.stdout + result.stderr
    # cookiecutter still logs its own "hook failed" trace; no ValueError from a choice list.
    assert "ValueError" not in output and "choice variable" not in output
    assert not (tmp_path / "out" / "acme-integrations").exists()


def test_readme_set_up_upgrades_pip_before_installing_the_project(default_project: Path) -> None:
    readme = (default_project / "README.md").read_text()
    upgrade = readme.index("python -m pip install --upgrade pip")
    assert upgrade < readme.index('python -m pip install -e ".[dev]"')


def test_readme_explains_running_a_script_against_the_local_server_with_real_config_keys(
    default_project: Path,
) -> None:
    import json

    readme = (default_project / "README.md").read_text()
    assert "python -m txo_runtime.testing.server --port 8765 --demo" in readme
    config = json.loads((default_project / "config/acme-test-config.json").read_text())
    for key in ("api-base-url", "oauth-token-url", "client-id"):
        assert f"`global.{key}`" in readme and key in config["global"], key
    example = json.loads(
        (default_project / "config/acme-test-config-secrets.json.example").read_text()
    )
    assert "`client-secret`" in readme and "client-secret" in example
