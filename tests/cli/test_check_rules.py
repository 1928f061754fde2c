"""The `txo check` rules on small inputs: what is a finding and what is not."""

from __future__ import annotations

import json

import pytest

from txo_tools.checks import check_source
from txo_tools.checks._json_lines import json_line_index
from txo_tools.checks._schema_walk import declared_properties, walk_config


def _codes(source: str) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in check_source(source, "src/x.py")]


@pytest.mark.parametrize(
    "source",
    [
        "url = config.get('global')",
        "url = cfg.get('api-url')",
        "url = self.config.get('global')",
        "url = config['global'].get('api-base-url')",
        "url = config['script-behavior']['jitter'].get('min-factor')",
        "url = settings.get('global', {})",  # a section name is config whatever the variable
    ],
)
def test_soft_fail_reads_of_config_are_reported(source: str) -> None:
    assert _codes(source) == [("TXO007", 1)]


def test_a_chained_soft_fail_read_is_reported_once_per_line() -> None:
    assert _codes("url = config.get('global', {}).get('api-base-url', 'x')") == [("TXO007", 1)]


@pytest.mark.parametrize(
    "source",
    [
        "token = config.get('_token')",  # injected only when a token was obtained
        "size = config['_args'].get('batch-size')",
        "email = response.get('email')",  # API data may be optional
        "value = os.environ.get('HOME')",
        "url = config['global']['api-base-url']",
    ],
)
def test_optional_data_and_injected_values_are_not_soft_fail(source: str) -> None:
    assert _codes(source) == []


def test_print_in_strings_and_comments_is_not_a_call() -> None:
    assert _codes("logger.info('print(x)')  # print(y)\nlog = 'print('") == []


def test_print_calls_are_reported_at_their_line() -> None:
    assert _codes("x = 1\nprint(x)\n") == [("TXO008", 2)]


@pytest.mark.parametrize(
    ("source", "folder"),
    [
        ("get_path('output', 'a.csv')", "output"),
        ("handler.save(df, 'output', 'a.csv')", "output"),
        ("handler.load_json('config', 'a.json')", "config"),
        ("handler.exists('data/', 'a.csv')", "data"),
        ("handler.delete(directory='tmp', filename='a')", "tmp"),
    ],
)
def test_folder_strings_where_dir_is_expected_are_reported(source: str, folder: str) -> None:
    (found,) = check_source(source, "src/x.py")
    assert (found.code, f"'{folder}'" in found.message) == ("TXO009", True)
    assert f"Dir.{folder.upper()}" in found.how_to_fix


@pytest.mark.parametrize(
    "source",
    [
        "get_path(Dir.OUTPUT, 'a.csv')",
        "handler.save('output', Dir.OUTPUT, 'a.txt')",  # the data may be any string
        "os.path.exists('data')",
        "json.load(open('output'))",
        "get_path(Dir.DATA, 'output')",  # a file called output
    ],
)
def test_dir_constants_and_non_txo_calls_are_not_folder_findings(source: str) -> None:
    assert _codes(source) == []


@pytest.mark.parametrize(
    "source",
    [
        "import sys\ndef f():\n    sys.exit(1)\n",
        "import sys as system\nsystem.exit(2)\n",
        "from sys import exit\ndef f():\n    exit(3)\n",
        "def f():\n    quit()\n",
    ],
)
def test_sys_exit_outside_the_entry_point_is_reported(source: str) -> None:
    assert [code for code, _ in _codes(source)] == ["TXO010"]


def test_sys_exit_inside_the_main_guard_is_allowed() -> None:
    source = "import sys\nif __name__ == '__main__':\n    sys.exit(main())\n"
    assert _codes(source) == []


def test_a_function_of_the_script_called_exit_is_not_sys_exit() -> None:
    assert _codes("def exit(code):\n    return code\nexit(1)\n") == []


def test_a_method_called_exit_does_not_hide_the_builtin_exit() -> None:
    source = "class Job:\n    def exit(self):\n        pass\n\n\ndef f():\n    exit(2)\n"
    assert _codes(source) == [("TXO010", 7)]


@pytest.mark.parametrize(
    "guard", ['__name__ == "__main__"', '"__main__" == __name__', "'__main__' == __name__"]
)
def test_sys_exit_inside_either_spelling_of_the_main_guard_is_allowed(guard: str) -> None:
    source = f"import sys\nif {guard}:\n    sys.exit(main())\n"
    assert _codes(source) == []


def test_sys_exit_under_a_not_main_guard_is_reported() -> None:
    source = "import sys\nif __name__ != '__main__':\n    sys.exit(1)\n"
    assert _codes(source) == [("TXO010", 3)]


def test_a_syntax_error_is_reported_at_its_line() -> None:
    assert _codes("x = 1\ny = (\n") == [("TXO014", 2)]


def test_json_line_index_finds_keys_and_items_with_escapes_and_nesting() -> None:
    text = '{\n  "a": {"b": [1,\n    {"c\\"": "}"}]},\n  "e": []\n}'
    assert json.loads(text)  # valid JSON
    assert json_line_index(text) == {
        (): 1,
        ("a",): 2,
        ("a", "b"): 2,
        ("a", "b", 0): 2,
        ("a", "b", 1): 3,
        ("a", "b", 1, 'c"'): 3,
        ("e",): 4,
    }


SCHEMA = {
    "$defs": {"endpoint": {"type": "object", "properties": {"url": {"type": "string"}}}},
    "properties": {
        "endpoints": {"type": "object", "additionalProperties": {"$ref": "#/$defs/endpoint"}},
        "flags": {"type": "object", "patternProperties": {"^enable-": {"type": "boolean"}}},
        "list": {"type": "array", "items": {"properties": {"id": {"type": "integer"}}}},
        "either": {"anyOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]},
        "unused": {"type": "string"},
    },
}


def test_walker_follows_refs_patterns_additional_properties_items_and_combinators() -> None:
    config = {
        "endpoints": {"orders": {"url": "u", "typo": 1}},
        "flags": {"enable-x": True, "disable-y": False},
        "list": [{"id": 1}, {"name": "n"}],
        "either": {"a": 1, "b": 2},
        "$schema": "../schemas/x.json",
    }
    use = walk_config(config, SCHEMA)
    assert sorted(use.undeclared, key=str) == sorted(
        [("endpoints", "orders", "typo"), ("flags", "disable-y"), ("list", 1, "name")], key=str
    )
    unused = set(declared_properties(SCHEMA)) - use.used
    assert unused == {("properties", "unused")}


def test_keys_below_an_undeclared_key_are_reported_once_at_the_top() -> None:
    use = walk_config({"extra": {"deep": {"deeper": 1}}}, {"properties": {}})
    assert use.undeclared == [("extra",)]
