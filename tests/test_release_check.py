"""``scripts/release_check.py``: a release tag must name the version (real git, temp repos)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _release_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "release_check", ROOT / "scripts/release_check.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## 3.1.0\n\n- Added things.\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "c")
    return tmp_path


def test_an_untagged_head_passes_the_tag_check(repo: Path) -> None:
    assert _release_check().tag_problem(repo, "3.1.0") is None


def test_a_tag_naming_the_version_with_a_changelog_section_passes(repo: Path) -> None:
    _git(repo, "tag", "v3.1.0")
    assert _release_check().tag_problem(repo, "3.1.0") is None


def test_a_tag_that_differs_from_the_version_fails_and_names_both(repo: Path) -> None:
    _git(repo, "tag", "v3.2.0")
    problem = _release_check().tag_problem(repo, "3.1.0")
    assert problem is not None and "v3.2.0" in problem and "3.1.0" in problem


def test_a_tagged_release_without_a_changelog_section_fails(repo: Path) -> None:
    _git(repo, "tag", "v3.0.5")
    problem = _release_check().tag_problem(repo, "3.0.5")
    assert problem is not None and "CHANGELOG.md" in problem


def test_the_package_version_is_read_from_the_runtime() -> None:
    from txo_runtime import __version__

    assert _release_check().version() == __version__
