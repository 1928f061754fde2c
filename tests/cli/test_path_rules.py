"""`txo check` TXO017-TXO019: paths built by hand are reported with the get_path(Dir.X) fix."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from cli_projects import clean_project, run_txo

from txo_tools.checks import check_source, run_checks

HEADER = "import os\nimport os.path\nfrom pathlib import Path\n"


def findings(body: str) -> list[tuple[str, int, str]]:
    source = HEADER + textwrap.dedent(body)
    return [
        (f.code, f.line - 3, f.how_to_fix.split(" (from")[0])  # line within ``body``
        for f in check_source(source, "src/x.py")
        if f.code in {"TXO017", "TXO018", "TXO019"}
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('p = Path("config/settings.json")', ("TXO017", 'Dir.CONFIG, "settings.json"')),
        ('p = Path("config") / "settings.json"', ("TXO017", 'Dir.CONFIG, "settings.json"')),
        ('p = Path("data") / "in" / "a.csv"', ("TXO017", 'Dir.DATA, "in/a.csv"')),
        ('p = Path("output", "report.xlsx")', ("TXO017", 'Dir.OUTPUT, "report.xlsx"')),
        ('p = Path("./logs/run.log")', ("TXO017", 'Dir.LOGS, "run.log"')),
        ('p = Path("tmp")', ("TXO017", "Dir.TMP")),
        ('p = Path("config") / name', ("TXO017", "Dir.CONFIG, name")),
        ('p = os.path.join("config", "settings.json")', ("TXO018", 'Dir.CONFIG, "settings.json"')),
        ('p = os.path.join("data", sub, "a.csv")', ("TXO018", 'Dir.DATA, "<file name>"')),
        ('p = "config/settings.json"', ("TXO019", 'Dir.CONFIG, "settings.json"')),
        ('f = open("data/input.csv")', ("TXO019", 'Dir.DATA, "input.csv"')),
        ('p = f"output/{org}-report.xlsx"', ("TXO019", "Dir.OUTPUT, f'{org}-report.xlsx'")),
        (
            'p = "schemas\\\\org-env-config-schema.json"',
            ("TXO019", 'Dir.SCHEMAS, "org-env-config-schema.json"'),
        ),
    ],
)
def test_a_hand_built_path_is_reported_with_the_get_path_fix(body: str, expected: tuple) -> None:
    code, fix = expected
    assert findings(body) == [(code, 1, f"Use get_path({fix})")]


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        ("import pathlib", 'pathlib.Path("config/a.json")'),
        ("from pathlib import PurePath as PP", 'PP("config/a.json")'),
        ("import os.path as osp", 'osp.join("config", "a.json")'),
        ("from os.path import join", 'join("config", "a.json")'),
        ("from os import path", 'path.join("config", "a.json")'),
        ("import posixpath", 'posixpath.join("config", "a.json")'),
    ],
)
def test_path_builders_are_recognised_under_any_import_alias(imports: str, call: str) -> None:
    source = f"{imports}\n\nx = {call}\n"
    codes = [f.code for f in check_source(source, "src/x.py")]
    assert codes in (["TXO017"], ["TXO018"])


@pytest.mark.parametrize(
    "body",
    [
        'p = get_path(Dir.CONFIG, "settings.json")',
        'p = Path(__file__).parent / "helpers"',
        'p = Path("/etc/hosts")',
        'p = "configuration/x.json"',  # not a project folder
        'logger.info("Wrote output/report.xlsx")',  # a sentence, not a path
        'logger.info("see config/ for details")',
        'p = os.path.join(base, "config")',  # the folder is not where the path starts
        'p = Path.home() / "config" / "x.json"',
        'def f():\n    """Reads config/settings.json."""\n',  # a docstring
        'p = f"{org}-output/x"',
    ],
)
def test_paths_that_are_not_hand_built_project_paths_are_not_reported(body: str) -> None:
    assert findings(body) == []


def test_a_path_call_with_a_folder_argument_is_reported_once_not_also_as_a_string() -> None:
    assert [code for code, _, _ in findings('p = Path("config/a.json")')] == ["TXO017"]


def test_the_seed_pitfall_examples_are_each_reported(tmp_path: Path) -> None:
    # "Building paths manually" and "Path Centralization": every WRONG line is found
    source = textwrap.dedent(
        """\
        import os
        from pathlib import Path

        config_file = Path('config/settings.json')
        config_file = 'config/settings.json'
        config_file = os.path.join('config', 'settings.json')
        path = "config/settings.json"
        path = Path("config") / "settings.json"
        """
    )
    found = [(f.code, f.line) for f in check_source(source, "src/x.py") if f.code >= "TXO017"]
    assert found == [("TXO017", 4), ("TXO019", 5), ("TXO018", 6), ("TXO019", 7), ("TXO017", 8)]


def test_hand_built_paths_obey_select_ignore_and_inline_suppression(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    (root / "src" / "paths.py").write_text(
        "# src/paths.py\n"
        "from pathlib import Path\n\n"
        'A = Path("config/a.json")\n'
        'B = Path("config/b.json")  # txo: ignore[TXO017]\n'
        'C = "output/c.txt"\n'
    )
    codes = [(f.code, f.line) for f in run_checks(root) if f.file == "src/paths.py"]
    assert codes == [("TXO017", 4), ("TXO019", 6)]
    assert [f.code for f in run_checks(root, select=["TXO017"])] == ["TXO017"]
    assert all(f.code != "TXO019" for f in run_checks(root, ignore=["TXO019"]))


def test_hand_built_paths_appear_in_json_and_sarif_output(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    (root / "src" / "paths.py").write_text(
        '# src/paths.py\nimport os\n\nA = os.path.join("data", "a.csv")\n'
    )

    as_json = json.loads(run_txo("check", str(root), "--format", "json").stdout)
    sarif = json.loads(run_txo("check", str(root), "--format", "sarif").stdout)

    (item,) = [f for f in as_json if f["file"] == "src/paths.py"]
    assert (item["code"], item["line"], item["column"]) == ("TXO018", 4, 5)
    assert 'get_path(Dir.DATA, "a.csv")' in item["how_to_fix"]
    run = sarif["runs"][0]
    assert {"TXO017", "TXO018", "TXO019"} <= {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert [r["ruleId"] for r in run["results"]] == ["TXO018"]
