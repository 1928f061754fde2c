"""Script rewrites (libcst): before/after table, comments and layout kept, idempotent."""

from __future__ import annotations

import pytest

from txo_tools.migrate.code_rewrite import rewrite_source

HEADER = "from utils.load_n_save import TxoDataHandler\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("from utils.logger import setup_logger\n",
         "from txo_runtime.logger import setup_logger\n"),
        ("import utils.api_factory\nutils.api_factory.create_rest_api(c)\n",
         "import txo_runtime.api_factory\ntxo_runtime.api_factory.create_rest_api(c)\n"),
        ("from utils import logger\n", "from txo_runtime import logger\n"),
        ("from utils.rest_api_helpers import TxoRestAPI\napi = TxoRestAPI(t)\n",
         "from txo_runtime.rest_api_helpers import MinimalRestAPI\napi = MinimalRestAPI(t)\n"),
        (HEADER + "h.save_json(d, 'output', 'a.json')\n",
         "save(d, Dir.OUTPUT, 'a.json')"),
        (HEADER + "h.save_excel(df, \"output\", f\"{o}-r.xlsx\", sheet_name='S')\n",
         "h.save(df, Dir.OUTPUT, f\"{o}-r.xlsx\", sheet_name='S')"),
        (HEADER + "h.load_json('config', 'x.json')\n", "h.load_json(Dir.CONFIG, 'x.json')"),
        (HEADER + "get_path('OUTPUT/', 'r.csv')\n", "get_path(Dir.OUTPUT, 'r.csv')"),
        (HEADER + "h.exists('tmp', 'x')\nh.delete('tmp', 'x')\nh.get_size('data', 'y')\n",
         "h.get_size(Dir.DATA, 'y')"),
        (HEADER + "c = parse_args_and_load_config('S')\n",
         "parse_args_and_load_config('S', require_token=True)"),
        (HEADER + "c = parse_args_and_load_config('S', require_token=False)\n",
         "parse_args_and_load_config('S', require_token=False)\n"),
        (HEADER + "c = parse_args_and_load_config('S', require_token=True, validate_config=True)\n",
         "parse_args_and_load_config('S', require_token=True)\n"),
        (HEADER + "c = parse_args_and_load_config(\n    'S',\n    validate_config=True\n)\n",
         "parse_args_and_load_config(\n    'S',\n    require_token=True\n)\n"),
        (HEADER + "c = parse_custom_args_and_load_config('S', extra)\n",
         "parse_args_and_load_config('S', extra_args=extra, require_token=True)"),
        (HEADER + "os.path.exists('output')\n", "os.path.exists('output')\n"),
    ],
)  # fmt: skip
def test_v21_call_becomes_v3(before: str, after: str) -> None:
    result = rewrite_source(before)
    assert result.source is not None
    assert after in result.source
    assert "utils" not in result.source.replace("txo_runtime", "")


def test_dir_import_is_added_once() -> None:
    source = HEADER + "h.save(d, 'output', 'a.json')\nh.load('data', 'b.csv')\n"
    new = rewrite_source(source).source or ""
    assert new.count("import Dir") == 1
    assert "from txo_runtime.path_helpers import Dir" in new


def test_comments_and_blank_lines_survive() -> None:
    source = HEADER + "\n\n# why: customer wants JSON\nh.save_json(d, 'output', 'a.json')  # end\n"
    new = rewrite_source(source).source or ""
    assert "\n\n# why: customer wants JSON\n" in new and "# end\n" in new


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("h.save_json(d, folder_var, 'a.json')", "dynamic folder `folder_var`"),
        ("h.save(d, 'reports', 'a.json')", "folder `'reports'`"),
        ("h.save_excel(df, 'output', name)", "make sure name ends with .xlsx"),
        ("h.save_excel(df, 'output', 'r.csv')", "ends with .xlsx"),
    ],
)
def test_what_cannot_be_converted_becomes_a_follow_up_with_its_line(
    call: str, expected: str
) -> None:
    result = rewrite_source(HEADER + "\n" + call + "\n")
    assert [(line, text) for line, text in result.follow_ups if expected in text][0][0] == 3


def test_v3_files_are_left_alone_so_the_rewrite_is_idempotent() -> None:
    v3 = "from txo_runtime.script_runner import parse_args_and_load_config\n"
    v3 += "config = parse_args_and_load_config('S')\n"
    assert rewrite_source(v3).source is None
    first = rewrite_source(HEADER + "c = parse_args_and_load_config('S')\n").source or ""
    assert rewrite_source(first).source is None


def test_a_users_own_utils_module_is_kept_and_listed() -> None:
    result = rewrite_source("from utils.my_helpers import thing\nfrom utils.logger import x\n")
    assert "from utils.my_helpers import thing" in (result.source or "")
    assert any("my_helpers" in text for _, text in result.follow_ups)


def test_unparseable_file_is_a_follow_up_not_a_crash() -> None:
    result = rewrite_source("<<<<<<< before updating\nx = 1\n")
    assert result.source is None and result.follow_ups


def test_dir_joins_an_existing_path_helpers_import_below_sys_path_insert() -> None:
    source = (
        "import sys\nsys.path.insert(0, '.')\n"
        "from utils.path_helpers import get_path  # noqa: E402\n"
        "get_path('output', 'r.csv')\n"
    )
    new = rewrite_source(source).source
    assert new is not None
    assert "from txo_runtime.path_helpers import get_path, Dir  # noqa: E402\n" in new
    assert new.count("import Dir") == 0 and new.count("txo_runtime.path_helpers") == 1


@pytest.mark.parametrize(
    ("before", "first_lines"),
    [
        (HEADER, ["# src/report.py", "from txo_runtime"]),
        ('"""Doc."""\n' + HEADER, ["# src/report.py", '"""Doc."""']),
        ("# src/old_name.py\n" + HEADER, ["# src/report.py", "from txo_runtime"]),
        ("#!/usr/bin/env python\n" + HEADER, ["#!/usr/bin/env python", "# src/report.py"]),
        ("# src/report.py\n" + HEADER, ["# src/report.py", "from txo_runtime"]),
    ],
    ids=["none", "before-docstring", "stale", "after-shebang", "already-right"],
)
def test_a_rewritten_script_starts_with_its_path_comment(before: str, first_lines: list) -> None:
    result = rewrite_source(before, "src/report.py")
    lines = (result.source or "").splitlines()
    assert [line[: len(p)] for line, p in zip(lines, first_lines, strict=False)] == first_lines
    assert sum(line.startswith("# src/") for line in lines) == 1
    added = [c for c in result.changes if c[1] == "path-comment"]
    assert bool(added) == (not before.startswith("# src/report.py"))


def test_the_path_comment_is_added_only_to_files_the_migration_rewrites() -> None:
    v3 = "from txo_runtime.logger import setup_logger\n"
    assert rewrite_source(v3, "src/new.py").source is None
    once = rewrite_source(HEADER, "src/a.py").source or ""
    assert rewrite_source(once, "src/a.py").source is None  # idempotent
