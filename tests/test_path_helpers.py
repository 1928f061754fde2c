"""Project folders: Dir constants, root discovery, and refusal of escaping names."""

from __future__ import annotations

from pathlib import Path

import pytest

from txo_runtime.exceptions import HelpfulError
from txo_runtime.path_helpers import PROJECT_ROOT_ENV, Dir, find_project_root, get_path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(PROJECT_ROOT_ENV, raising=False)
    (tmp_path / "config").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "src" / "deep").mkdir(parents=True)
    return tmp_path


def test_dir_values_are_the_generated_project_folders() -> None:
    assert {d.value for d in Dir} >= {"config", "schemas", "data", "output", "logs", "tmp"}
    assert f"{Dir.OUTPUT}" == "output"


def test_root_is_found_from_a_subfolder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "src" / "deep")
    assert find_project_root() == project.resolve()


def test_answers_file_marks_a_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROJECT_ROOT_ENV, raising=False)
    (tmp_path / ".copier-answers.yml").write_text("_commit: v3.0.0\n")
    (tmp_path / "a").mkdir()
    assert find_project_root(tmp_path / "a") == tmp_path.resolve()


def test_env_override_wins(project: Path, tmp_path_factory, monkeypatch) -> None:
    other = tmp_path_factory.mktemp("other")
    monkeypatch.setenv(PROJECT_ROOT_ENV, str(other))
    monkeypatch.chdir(project)
    assert find_project_root() == other.resolve()


def test_env_override_to_a_missing_folder_is_a_helpful_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(PROJECT_ROOT_ENV, str(tmp_path / "nope"))
    with pytest.raises(HelpfulError, match=PROJECT_ROOT_ENV):
        find_project_root()


def test_no_project_found_never_guesses(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(PROJECT_ROOT_ENV, raising=False)
    with pytest.raises(HelpfulError, match="No txo project found") as info:
        find_project_root(tmp_path)
    assert "Solution:" in str(info.value)


def test_get_path_joins_folder_and_name(project: Path) -> None:
    assert get_path(Dir.OUTPUT, "r.xlsx", root=project) == project.resolve() / "output" / "r.xlsx"
    assert get_path(Dir.DATA, root=project) == project.resolve() / "data"


def test_ensure_parent_creates_only_when_asked(project: Path) -> None:
    target = get_path(Dir.OUTPUT, "sub/r.json", root=project)
    assert not target.parent.exists()
    get_path(Dir.OUTPUT, "sub/r.json", root=project, ensure_parent=True)
    assert target.parent.is_dir()


def test_string_folder_still_works_with_deprecation_warning(project: Path) -> None:
    with pytest.warns(DeprecationWarning, match=r"Dir\.OUTPUT") as record:
        path = get_path("output", "x.csv", root=project)
    assert path == project.resolve() / "output" / "x.csv"
    assert record[0].filename == __file__  # the warning points at the caller's line


def test_unknown_folder_lists_the_valid_ones(project: Path) -> None:
    with pytest.raises(HelpfulError) as info:
        get_path("outputs", "x.csv", root=project)
    assert "Dir.OUTPUT" in str(info.value) and "Dir.CONFIG" in str(info.value)


@pytest.mark.parametrize("name", ["../secrets.json", "a/../../x", "/etc/passwd"])
def test_names_escaping_the_folder_are_refused(project: Path, name: str) -> None:
    with pytest.raises(HelpfulError):
        get_path(Dir.OUTPUT, name, root=project)


def test_non_string_folder_is_refused(project: Path) -> None:
    with pytest.raises(HelpfulError, match="Dir constant"):
        get_path(42, "x", root=project)  # type: ignore[arg-type]
