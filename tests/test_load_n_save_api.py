"""Handler API: file operations, output names, deprecated v2.1 names, lazy imports."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from txo_runtime.exceptions import ConfigurationError, HelpfulError, MissingConfigKeyError
from txo_runtime.load_n_save import TxoDataHandler, output_filename
from txo_runtime.path_helpers import PROJECT_ROOT_ENV, Dir

CONFIG = {"_org_id": "acme", "_env_type": "prod"}
FIXED_NOW = dt.datetime(2025, 1, 15, 14, 30, 59, tzinfo=dt.timezone.utc)


@pytest.fixture
def handler(tmp_path: Path) -> TxoDataHandler:
    return TxoDataHandler(root=tmp_path)


# --- file operations ---------------------------------------------------------------------


def test_exists_delete_and_get_size(handler: TxoDataHandler) -> None:
    path = handler.save("12345", Dir.TMP, "scratch.txt")

    assert handler.exists(Dir.TMP, "scratch.txt")
    assert handler.get_size(Dir.TMP, "scratch.txt") == 5 == path.stat().st_size
    assert handler.delete(Dir.TMP, "scratch.txt") is True
    assert not path.exists()
    assert handler.exists(Dir.TMP, "scratch.txt") is False
    assert handler.delete(Dir.TMP, "scratch.txt") is False  # missing: False, as in v2.1


def test_exists_is_false_for_a_folder_and_delete_refuses_it(handler: TxoDataHandler) -> None:
    (handler.root / "tmp" / "sub").mkdir(parents=True)

    assert handler.exists(Dir.TMP, "sub") is False
    with pytest.raises(Exception, match="Could not delete"):
        handler.delete(Dir.TMP, "sub")


def test_path_gives_the_absolute_location(handler: TxoDataHandler) -> None:
    assert handler.path(Dir.LOGS, "a.log") == handler.root / "logs" / "a.log"


def test_root_is_found_lazily_at_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROJECT_ROOT_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # not a project: constructing must still work
    handler = TxoDataHandler()
    with pytest.raises(HelpfulError, match="No txo project found"):
        handler.save({"a": 1}, Dir.OUTPUT, "x.json")

    monkeypatch.setenv(PROJECT_ROOT_ENV, str(tmp_path))
    path = handler.save({"a": 1}, Dir.OUTPUT, "x.json")

    assert path == tmp_path.resolve() / "output" / "x.json"
    assert repr(handler) == f"TxoDataHandler(root={tmp_path.resolve()!r}, fsync=True)"


# --- output names ------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["xlsx", ".xlsx"])
def test_output_filename_uses_org_env_stem_and_utc_minute(ext: str) -> None:
    assert output_filename(CONFIG, "report", ext, now=FIXED_NOW) == (
        "acme-prod-report_2025-01-15T1430Z.xlsx"
    )


def test_output_filename_converts_other_time_zones_to_utc() -> None:
    helsinki = dt.timezone(dt.timedelta(hours=2))
    now = dt.datetime(2025, 1, 1, 1, 5, tzinfo=helsinki)

    assert output_filename(CONFIG, "r", "csv", now=now) == "acme-prod-r_2024-12-31T2305Z.csv"


def test_output_filename_defaults_to_the_current_utc_time() -> None:
    before = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    name = output_filename(CONFIG, "r", "json")
    after = dt.datetime.now(dt.timezone.utc)

    stamp = dt.datetime.strptime(name, "acme-prod-r_%Y-%m-%dT%H%MZ.json")
    assert before <= stamp.replace(tzinfo=dt.timezone.utc) <= after


@pytest.mark.parametrize("missing", ["_org_id", "_env_type"])
def test_output_filename_without_org_or_env_is_a_configuration_error(missing: str) -> None:
    config = {key: value for key, value in CONFIG.items() if key != missing}

    with pytest.raises(MissingConfigKeyError, match=missing) as caught:
        output_filename(config, "report", "xlsx", now=FIXED_NOW)

    assert isinstance(caught.value, ConfigurationError)
    assert caught.value.key_path == missing


@pytest.mark.parametrize(
    ("stem", "ext", "now"),
    [
        ("a/b", "csv", FIXED_NOW),
        ("", "csv", FIXED_NOW),
        ("r", "", FIXED_NOW),
        ("r", "csv", dt.datetime(2025, 1, 1)),  # naive: local or UTC? refuse to guess
    ],
    ids=["slash", "empty-stem", "empty-ext", "naive-now"],
)
def test_output_filename_refuses_bad_parts(stem: str, ext: str, now: dt.datetime) -> None:
    with pytest.raises(HelpfulError):
        output_filename(CONFIG, stem, ext, now=now)


def test_output_filename_refuses_empty_org() -> None:
    with pytest.raises(ConfigurationError, match="non-empty string"):
        output_filename({"_org_id": "", "_env_type": "prod"}, "r", "csv", now=FIXED_NOW)


def test_save_output_saves_under_the_standard_name(handler: TxoDataHandler) -> None:
    path = handler.save_output({"a": 1}, CONFIG, "summary", "json", now=FIXED_NOW, indent=None)

    assert path == handler.root / "output" / "acme-prod-summary_2025-01-15T1430Z.json"
    assert path.read_text(encoding="utf-8") == '{"a": 1}\n'


# --- deprecated v2.1 names ---------------------------------------------------------------


def test_save_json_warns_naming_save_and_still_writes(handler: TxoDataHandler) -> None:
    with pytest.warns(DeprecationWarning, match=r"save_json\(\) is deprecated; use save\(") as rec:
        path = handler.save_json({"a": 1}, Dir.OUTPUT, "old.json", indent=4)

    assert path.read_text(encoding="utf-8") == json.dumps({"a": 1}, indent=4) + "\n"
    assert rec[0].filename == __file__  # the warning points at the caller's line


def test_save_json_writes_json_whatever_the_extension(handler: TxoDataHandler) -> None:
    with pytest.warns(DeprecationWarning):
        path = handler.save_json({"a": 1}, Dir.OUTPUT, "old.txt")

    assert json.loads(path.read_text(encoding="utf-8")) == {"a": 1}


def test_save_excel_and_save_csv_warn_and_write(handler: TxoDataHandler) -> None:
    frame = pd.DataFrame({"a": [1, 2]})

    with pytest.warns(DeprecationWarning, match=r"use save\(data, Dir.X, 'old.xlsx'"):
        handler.save_excel(frame, Dir.OUTPUT, "old.xlsx", sheet_name="Data")
    with pytest.warns(DeprecationWarning, match=r"save_csv\(\) is deprecated"):
        handler.save_csv(frame, Dir.OUTPUT, "old.csv")

    loaded = handler.load_excel(Dir.OUTPUT, "old.xlsx", sheet_name="Data")
    pd.testing.assert_frame_equal(loaded, frame)
    pd.testing.assert_frame_equal(handler.load_csv(Dir.OUTPUT, "old.csv"), frame)


@pytest.mark.parametrize(
    "call",
    [
        lambda h: h.save({"a": 1}, "output", "s.json"),
        lambda h: h.load_json("output", "s.json"),
        lambda h: h.exists("output", "s.json"),
        lambda h: h.get_size("output", "s.json"),
    ],
    ids=["save", "load_json", "exists", "get_size"],
)
def test_string_folders_still_work_with_a_warning_at_the_callers_line(
    handler: TxoDataHandler, call: object
) -> None:
    handler.save({"a": 1}, Dir.OUTPUT, "s.json")

    with pytest.warns(DeprecationWarning, match="use Dir.OUTPUT") as rec:
        assert call(handler)  # type: ignore[operator]

    assert [w.filename for w in rec] == [__file__]


def test_deprecated_name_with_string_folder_gives_both_warnings_at_callers_line(
    handler: TxoDataHandler,
) -> None:
    with pytest.warns(DeprecationWarning) as rec:
        handler.save_json({"a": 1}, "output", "both.json")

    assert len(rec) == 2
    assert {w.filename for w in rec} == {__file__}


# --- lazy, thread-safe imports -----------------------------------------------------------


def _run_python(code: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PROJECT_ROOT_ENV: str(root)}
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_importing_the_module_imports_no_heavy_library(tmp_path: Path) -> None:
    result = _run_python(
        """
        import sys
        import txo_runtime.load_n_save as lns
        handler = lns.TxoDataHandler()
        handler.save({"a": 1}, lns.Dir.OUTPUT, "plain.json")
        handler.save("x", lns.Dir.OUTPUT, "plain.txt")
        heavy = sorted(m for m in ("pandas", "openpyxl", "yaml", "numpy") if m in sys.modules)
        print(heavy)
        """,
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_first_use_from_8_threads_at_once_imports_safely(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = _run_python(
        """
        import sys, threading
        from concurrent.futures import ThreadPoolExecutor
        from txo_runtime.load_n_save import TxoDataHandler
        from txo_runtime.path_helpers import Dir

        assert "pandas" not in sys.modules and "yaml" not in sys.modules
        handler = TxoDataHandler()
        start = threading.Barrier(8)

        def first_use(n):
            start.wait()
            if n % 4 == 0:
                return handler.save([{"n": n}], Dir.OUTPUT, f"t{n}.xlsx").name
            if n % 4 == 1:
                return handler.save({"n": n}, Dir.OUTPUT, f"t{n}.yaml").name
            if n % 4 == 2:
                return str(handler.load_csv(Dir.DATA, "in.csv").shape)
            return handler.save([{"n": n}], Dir.OUTPUT, f"t{n}.csv").name

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(first_use, range(8)))
        print(results)
        print(handler.load_excel(Dir.OUTPUT, "t4.xlsx").to_dict("records"))
        print(handler.load_yaml(Dir.OUTPUT, "t5.yaml"))
        """,
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == str(
        ["t0.xlsx", "t1.yaml", "(1, 2)", "t3.csv", "t4.xlsx", "t5.yaml", "(1, 2)", "t7.csv"]
    )
    assert lines[1:] == ["[{'n': 4}]", "{'n': 5}"]
