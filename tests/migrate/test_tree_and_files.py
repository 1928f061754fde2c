"""Which files the migration reads, and what it writes back: secrets by exact name, the
baseline of a copier update, run folders, soft-fail reads, the file's own JSON indent."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.migrate.v21_project import FIXTURE, SECRET_BYTES, SECRETS
from txo_tools.migrate import migrate_project
from txo_tools.migrate._tree import ProjectTree, is_secret
from txo_tools.migrate.config import dumps, indent_of

LEGACY = "from utils.logger import setup_logger\n\nlogger = setup_logger()\n"


@pytest.mark.parametrize(
    ("relpath", "secret"),
    [
        ("config/acme-test-config-secrets.json", True),
        ("config/acme-test-config-secrets.json.example", False),
        (".env", True),
        ("certs/client.pem", True),
        ("certs/client.key", True),
        ("certs/client.pfx", True),
        ("certs/CLIENT.P12", True),
        ("src/rotate_secrets.py", False),
        ("src/secret_santa.py", False),
        ("docs/secrets.md", False),
        ("config/acme-test-config.json", False),
    ],
)
def test_secrets_files_are_identified_by_their_exact_name(relpath: str, secret: bool) -> None:
    assert is_secret(relpath) is secret


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def v21(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import copier

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    project = tmp_path / "acme"
    copier.run_copy(str(FIXTURE), project, defaults=True, quiet=True)
    (project / SECRETS).write_bytes(SECRET_BYTES)
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "v2.1")
    return project


def test_with_a_baseline_a_file_the_baseline_lacks_has_no_original(v21: Path) -> None:
    (v21 / "config/log-redaction-patterns.json").write_text('{"patterns": []}\n')
    tree = ProjectTree(v21, baseline="HEAD")
    assert tree.original("config/log-redaction-patterns.json") is None
    assert tree.original("config/logging-config.json") is not None
    assert ProjectTree(v21).original("config/log-redaction-patterns.json") is not None


def test_scripts_named_like_secrets_and_packages_named_like_run_folders_are_migrated(
    v21: Path,
) -> None:
    (v21 / "src/rotate_secrets.py").write_text(LEGACY)
    (v21 / "src/data").mkdir()
    (v21 / "src/data/readers.py").write_text(LEGACY)
    (v21 / "data/scratch.py").write_text(LEGACY)
    _git(v21, "add", "-A")
    _git(v21, "commit", "-qm", "more")
    report = migrate_project(v21)
    for rel in ("src/rotate_secrets.py", "src/data/readers.py"):
        assert "from txo_runtime.logger import" in (v21 / rel).read_text(), rel
    assert (v21 / "data/scratch.py").read_text() == LEGACY  # a run folder: not code
    skipped = [f for f in report.follow_ups if f.file == "data/scratch.py"]
    assert skipped and "not migrated" in skipped[0].description
    assert (v21 / SECRETS).read_bytes() == SECRET_BYTES


def test_soft_fail_config_reads_in_scripts_are_follow_ups_with_their_line(v21: Path) -> None:
    script = LEGACY + "\n\ndef main(config):\n    return config['global'].get('api-base-url')\n"
    (v21 / "src/reader.py").write_text(script)
    _git(v21, "add", "-A")
    _git(v21, "commit", "-qm", "reader")
    report = migrate_project(v21)
    migrated = (v21 / "src/reader.py").read_text().splitlines()
    line = next(n for n, text in enumerate(migrated, 1) if ".get('api-base-url')" in text)
    assert (migrated[0], line) == ("# src/reader.py", 8)  # line 7 before the path comment
    found = [f.location for f in report.follow_ups if "`.get(...)`" in f.description]
    assert found == ["src/reader.py:8"]
    assert "`src/reader.py:8`: reads config with `.get(...)`" in report.to_markdown()


def test_migrated_configs_keep_the_files_own_indent(v21: Path) -> None:
    path = v21 / "config/acme-test-config.json"
    path.write_text(json.dumps(json.loads(path.read_text()), indent=4) + "\n")
    _git(v21, "commit", "-qam", "four spaces")
    migrate_project(v21)
    text = path.read_text()
    assert text.startswith('{\n    "global": {\n        "')
    assert text == dumps(json.loads(text), indent=4)


@pytest.mark.parametrize(
    ("text", "indent"),
    [('{\n    "a": 1\n}\n', 4), ('{\n  "a": 1\n}', 2), ('{\n\t"a": 1\n}', "\t"),
     ('{"a": 1}', 2), ("", 2)],
)  # fmt: skip
def test_indent_of_reads_the_json_files_indent(text: str, indent: int | str) -> None:
    assert indent_of(text) == indent
