"""`txo check` end to end: a clean project passes, one violation of each kind is reported."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from cli_projects import SCHEMA, clean_project, git, run_txo, write_json

from txo_tools.checks import RULES

BAD_SCRIPT = '''\
"""A v2.1-style script breaking each script rule once."""
import os
import sys
from pathlib import Path


def main(config, handler):
    url = config.get("global", {}).get("api-base-url")
    print("starting")
    handler.save({}, "output", "out.json")
    settings = Path("config") / "settings.json"
    mapping = os.path.join("data", "mapping.csv")
    report = "output/report.txt"
    if not url:
        sys.exit(1)


if __name__ == "__main__":
    main({}, None)
'''


STALE_TEMP = "output/.customers.json.1a2b3c4d.tmp.json"


def _line_of(path: Path, needle: str) -> int:
    """Expected line, found by plain text search (independent of txo's JSON scanner)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, 1) if needle in text)


def _seed_violations(root: Path) -> dict[str, tuple[str, int | None]]:
    """Break each rule once; returns code -> (file, line) where it must be reported."""
    clean_project(root)
    schema = json.loads((root / SCHEMA).read_text())
    schema["properties"]["custom"] = {
        "type": "object",
        "properties": {
            "enabled": {"type": "boolean"},
            "batchSize": {"type": "integer"},
            "old-flag": {"type": "boolean"},
        },
        "additionalProperties": False,
    }
    write_json(root / SCHEMA, schema)
    config = json.loads((root / "config/acme-test-config.json").read_text())
    config["global"]["api-version"] = 7  # schema says string
    config["custom"] = {"enabled": True, "batchSize": 5, "extra-key": 1}
    write_json(root / "config/acme-test-config.json", config)
    write_json(root / "config/acme-prod-config-secrets.json", {"client-secret": "x"})
    (root / ".gitignore").write_text("config/acme-*-config-secrets.json\n")
    (root / "src/legacy.py").write_text(BAD_SCRIPT)
    (root / "src/broken.py").write_text("# src/broken.py\ndef f(:\n    pass\n")
    (root / "config/logging-config.json").unlink()
    (root / "config/log-redaction-patterns.json").unlink()
    git(root, "add", "-A")
    git(root, "add", "-f", "config/acme-prod-config-secrets.json")
    # untracked and not matched by .gitignore: the next `git add .` would commit it
    write_json(root / "config/beta-test-config-secrets.json", {"client-secret": "y"})
    (root / "output").mkdir(exist_ok=True)
    (root / STALE_TEMP).write_text("{")  # a save() killed before its rename
    long_ago = time.time() - 3600
    os.utime(root / STALE_TEMP, (long_ago, long_ago))
    cfg, script = root / "config/acme-test-config.json", root / "src/legacy.py"
    return {
        "TXO001": ("config/acme-test-config.json", _line_of(cfg, '"api-version"')),
        "TXO002": ("config/acme-test-config.json", _line_of(cfg, '"extra-key"')),
        "TXO003": (SCHEMA, _line_of(root / SCHEMA, '"old-flag"')),
        "TXO004": ("config/acme-test-config.json", _line_of(cfg, '"batchSize"')),
        "TXO005": ("config/acme-prod-config-secrets.json", 1),
        "TXO006": ("config/beta-test-config-secrets.json", 1),
        "TXO007": ("src/legacy.py", _line_of(script, "config.get(")),
        "TXO008": ("src/legacy.py", _line_of(script, "print(")),
        "TXO009": ("src/legacy.py", _line_of(script, '"output"')),
        "TXO010": ("src/legacy.py", _line_of(script, "sys.exit(1)")),
        "TXO011": ("config/logging-config.json", None),
        "TXO012": ("config/log-redaction-patterns.json", None),
        "TXO014": ("src/broken.py", 2),
        "TXO016": (STALE_TEMP, None),
        "TXO017": ("src/legacy.py", _line_of(script, 'Path("config")')),
        "TXO018": ("src/legacy.py", _line_of(script, "os.path.join(")),
        "TXO019": ("src/legacy.py", _line_of(script, '"output/report.txt"')),
        "TXO020": ("src/legacy.py", 1),
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, list[dict]]:
    root = tmp_path_factory.mktemp("seeded")
    expected = _seed_violations(root)
    result = run_txo("check", str(root), "--format", "json")
    assert result.returncode == 1, result.stderr
    return root, expected, json.loads(result.stdout)


def test_check_on_a_clean_project_finds_nothing_and_exits_0(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    result = run_txo("check", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found" in result.stdout


def test_check_finds_the_project_from_the_working_directory(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "TXO_PROJECT_ROOT"}
    result = run_txo("check", "--format", "json", cwd=root / "src", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("code", sorted(set(RULES) - {"TXO013", "TXO015"}))
def test_each_seeded_violation_is_reported_at_its_file_and_line(seeded, code: str) -> None:
    _, expected, findings = seeded
    file, line = expected[code]
    located = [(f["file"], f["line"]) for f in findings if f["code"] == code]
    assert located == [(file, line)]


def test_json_findings_carry_code_file_line_message_and_fix(seeded) -> None:
    _, expected, findings = seeded
    assert {f["code"] for f in findings} == set(expected)
    for item in findings:
        assert set(item) == {"code", "file", "line", "column", "message", "how_to_fix"}
        assert item["message"] and item["how_to_fix"]


def test_findings_never_show_secret_values(seeded) -> None:
    root, _, findings = seeded
    text = json.dumps(findings) + run_txo("check", str(root)).stdout
    assert '"x"' not in text and '"y"' not in text and "s3cr3t" not in text


def test_text_output_is_one_line_per_finding_with_path_line_code_and_fix(seeded) -> None:
    root, expected, _ = seeded
    result = run_txo("check", str(root))
    assert result.returncode == 1
    file, line = expected["TXO008"]
    column = BAD_SCRIPT.splitlines()[line - 1].index("print(") + 1
    printed = [row for row in result.stdout.splitlines() if " TXO008 " in row]
    assert printed == [
        f"{file}:{line}:{column}: TXO008 print() in a script bypasses logging and "
        f"redaction — {RULES['TXO008'].how_to_fix}"
    ]
    assert f"{len(expected)} problem(s) found" in result.stdout


def test_missing_project_schema_is_reported(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    (root / SCHEMA).unlink()
    result = run_txo("check", str(root), "--format", "json")
    assert result.returncode == 1
    assert [(f["code"], f["file"]) for f in json.loads(result.stdout)] == [("TXO013", SCHEMA)]


def test_check_of_a_missing_folder_fails_with_a_helpful_message(tmp_path: Path) -> None:
    result = run_txo("check", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "Problem:" in result.stderr and "Solution:" in result.stderr


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run_txo("check", str(tmp_path), "--format", "xml")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


@pytest.mark.parametrize(
    "layout",
    [{}, {"notes.txt": "x"}, {"pyproject.toml": "[project]\n"}],
    ids=["empty", "a-text-file", "pyproject-without-config"],
)
def test_check_of_a_folder_that_is_not_a_txo_project_says_so(
    tmp_path: Path, layout: dict[str, str]
) -> None:
    folder = tmp_path / "not-a-project"
    folder.mkdir()
    for name, text in layout.items():
        (folder / name).write_text(text)
    result = run_txo("check", str(folder))
    assert result.returncode == 1
    assert "is not a txo project" in result.stderr
    assert "Problem:" in result.stderr and "Solution:" in result.stderr
    assert "Example:" in result.stderr
    assert "TXO01" not in result.stdout + result.stderr


def test_check_of_a_project_subfolder_names_the_project_root(tmp_path: Path) -> None:
    root = clean_project(tmp_path / "acme")
    result = run_txo("check", str(root / "src"))
    assert result.returncode == 1
    assert "is not a txo project" in result.stderr
    assert str(root.resolve()) in result.stderr


def test_a_project_with_only_an_answers_file_is_checked(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("_src_path: x\n")
    result = run_txo("check", str(tmp_path), "--format", "json")
    assert result.returncode == 1
    assert {"TXO011", "TXO012", "TXO013"} <= {f["code"] for f in json.loads(result.stdout)}


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("config/logging-config.json", ("console", "level", "LOUD"), "LOUD"),
        ("config/log-redaction-patterns.json", None, "pattern"),
    ],
)
def test_logging_files_the_runtime_refuses_are_reported(
    tmp_path: Path, name: str, change: tuple[str, str, str] | None, expected: str
) -> None:
    root = clean_project(tmp_path)
    data = json.loads((root / name).read_text())
    if change is None:  # an invalid regular expression in a custom pattern
        data["patterns"].append({"name": "mine", "pattern": "(unclosed", "replacement": "x"})
    else:
        data[change[0]][change[1]] = change[2]
    write_json(root / name, data)
    result = run_txo("check", str(root), "--format", "json")
    assert result.returncode == 1
    found = [f for f in json.loads(result.stdout) if f["code"] == "TXO015"]
    assert [f["file"] for f in found] == [name]
    assert expected in found[0]["message"]
