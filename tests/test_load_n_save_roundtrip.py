"""Every supported (data type, extension) combination is written and read back unchanged."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import openpyxl
import pandas as pd
import pytest

from txo_runtime.exceptions import HelpfulError
from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.path_helpers import Dir

NESTED = {"name": "Zoë", "count": 3, "ratio": 0.25, "ok": True, "none": None, "tags": ["a", "b"]}
RECORDS = [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bob"}]


@pytest.fixture
def handler(tmp_path: Path) -> TxoDataHandler:
    return TxoDataHandler(root=tmp_path)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "name": ["Ann", "Bob", "Cé"], "amount": [1.5, 2.0, 3.25]})


def _frames_equal(expected: pd.DataFrame) -> Any:
    def check(loaded: Any) -> None:
        pd.testing.assert_frame_equal(pd.DataFrame(loaded), expected, check_dtype=False)

    return check


def _equals(expected: Any) -> Any:
    def check(loaded: Any) -> None:
        assert loaded == expected

    return check


def _sheets_equal(expected: dict[str, pd.DataFrame]) -> Any:
    def check(loaded: Any) -> None:
        assert list(loaded) == list(expected)
        for name, frame in expected.items():
            pd.testing.assert_frame_equal(loaded[name], frame, check_dtype=False)

    return check


ROUND_TRIPS = [
    # id, data factory, filename, save kwargs, load kwargs, check
    ("dict-json", lambda: NESTED, "d.json", {}, {}, _equals(NESTED)),
    ("list-json", lambda: [1, "two", None], "l.json", {}, {}, _equals([1, "two", None])),
    ("dict-yaml", lambda: NESTED, "d.yaml", {}, {}, _equals(NESTED)),
    ("dict-yml", lambda: NESTED, "d.yml", {}, {}, _equals(NESTED)),
    ("records-json", lambda: RECORDS, "r.json", {}, {}, _equals(RECORDS)),
    ("records-yaml", lambda: RECORDS, "r.yaml", {}, {}, _equals(RECORDS)),
    ("records-csv", lambda: RECORDS, "r.csv", {}, {}, _frames_equal(pd.DataFrame(RECORDS))),
    ("records-xlsx", lambda: RECORDS, "r.xlsx", {}, {}, _frames_equal(pd.DataFrame(RECORDS))),
    ("frame-csv", _frame, "f.csv", {}, {}, _frames_equal(_frame())),
    ("frame-xlsx", _frame, "f.xlsx", {}, {}, _frames_equal(_frame())),
    (
        "frame-xlsx-sheet",
        _frame,
        "s.xlsx",
        {"sheet_name": "Results"},
        {"sheet_name": "Results"},
        _frames_equal(_frame()),
    ),
    ("frame-json", _frame, "f.json", {}, {}, _frames_equal(_frame())),
    (
        "frames-xlsx",
        lambda: {"Customers": _frame(), "Top": _frame().head(1)},
        "m.xlsx",
        {},
        {"sheet_name": None},
        _sheets_equal({"Customers": _frame(), "Top": _frame().head(1)}),
    ),
    ("text-txt", lambda: "line 1\r\nline 2\n", "t.txt", {}, {}, _equals("line 1\r\nline 2\n")),
    ("text-md", lambda: "# Title\n", "t.md", {}, {}, _equals("# Title\n")),
    ("text-xml", lambda: "<a>ü</a>", "t.xml", {}, {}, _equals("<a>ü</a>")),
    ("text-html", lambda: "<p>x</p>", "t.html", {}, {}, _equals("<p>x</p>")),
    ("text-log", lambda: "INFO ok\n", "t.log", {}, {}, _equals("INFO ok\n")),
]


@pytest.mark.parametrize(
    ("make", "filename", "save_kwargs", "load_kwargs", "check"),
    [pytest.param(*row[1:], id=row[0]) for row in ROUND_TRIPS],
)
def test_every_supported_combination_round_trips_through_generic_load(
    handler: TxoDataHandler,
    make: Any,
    filename: str,
    save_kwargs: dict[str, Any],
    load_kwargs: dict[str, Any],
    check: Any,
) -> None:
    path = handler.save(make(), Dir.OUTPUT, filename, **save_kwargs)

    assert path == handler.root / "output" / filename
    assert path.is_absolute()
    check(handler.load(Dir.OUTPUT, filename, **load_kwargs))


def test_str_to_csv_is_written_as_is(handler: TxoDataHandler) -> None:
    handler.save("a;b\n1;2\n", Dir.DATA, "semi.csv")

    assert handler.load_text(Dir.DATA, "semi.csv") == "a;b\n1;2\n"
    assert handler.load_csv(Dir.DATA, "semi.csv", sep=";").to_dict("list") == {"a": [1], "b": [2]}


def test_bytes_are_written_unchanged_with_any_extension(handler: TxoDataHandler) -> None:
    payload = bytes(range(256))
    for name in ("blob.bin", "copy.xlsx", "no_extension"):
        handler.save(payload, Dir.FILES, name)
        assert handler.load_bytes(Dir.FILES, name) == payload
    handler.save(bytearray(b"xy"), Dir.FILES, "ba.bin")
    assert handler.load_bytes(Dir.FILES, "ba.bin") == b"xy"


def test_openpyxl_workbook_is_saved_as_xlsx(handler: TxoDataHandler) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Raw"
    workbook.active.append(["id", "name"])
    workbook.active.append([7, "Ann"])

    handler.save(workbook, Dir.OUTPUT, "wb.xlsx")

    loaded = handler.load_excel(Dir.OUTPUT, "wb.xlsx", sheet_name="Raw")
    assert loaded.to_dict("records") == [{"id": 7, "name": "Ann"}]


def test_decimal_keeps_every_digit_in_json(handler: TxoDataHandler) -> None:
    amount = Decimal("12345678901234567890.123456789")
    data = {"amount": amount, "small": Decimal("0.000000001"), "neg": Decimal("-1.10")}

    path = handler.save(data, Dir.OUTPUT, "amounts.json")

    text = path.read_text(encoding="utf-8")
    assert '"amount": 12345678901234567890.123456789' in text
    assert '"neg": -1.10' in text
    loaded = handler.load_json(Dir.OUTPUT, "amounts.json", exact_decimals=True)
    assert loaded == data
    assert isinstance(loaded["amount"], Decimal)
    assert json.loads(text)["small"] == pytest.approx(1e-9)  # still standard JSON


def test_decimal_keeps_every_digit_in_yaml(handler: TxoDataHandler) -> None:
    data = {"amount": Decimal("12345678901234567890.123456789"), "whole": Decimal("100")}

    handler.save(data, Dir.OUTPUT, "amounts.yaml")

    assert handler.load_yaml(Dir.OUTPUT, "amounts.yaml", exact_decimals=True) == data
    assert "12345678901234567890.123456789" in handler.load_text(Dir.OUTPUT, "amounts.yaml")


def test_decimal_column_of_a_dataframe_keeps_digits_in_json(handler: TxoDataHandler) -> None:
    frame = pd.DataFrame({"amount": [Decimal("99999999999999999.99"), Decimal("0.10")]})

    handler.save(frame, Dir.OUTPUT, "frame.json")

    loaded = handler.load_json(Dir.OUTPUT, "frame.json", exact_decimals=True)
    assert loaded == [{"amount": Decimal("99999999999999999.99")}, {"amount": Decimal("0.10")}]


def test_dates_and_times_are_written_as_iso_8601(handler: TxoDataHandler) -> None:
    data = {
        "at": dt.datetime(2025, 1, 15, 14, 30, 5, tzinfo=dt.timezone.utc),
        "naive": dt.datetime(2025, 1, 15, 14, 30),
        "day": dt.date(2025, 1, 15),
        "clock": dt.time(9, 5),
        "stamp": pd.Timestamp("2025-01-15 14:30:00"),
    }

    handler.save(data, Dir.OUTPUT, "dates.json")

    assert handler.load_json(Dir.OUTPUT, "dates.json") == {
        "at": "2025-01-15T14:30:05+00:00",
        "naive": "2025-01-15T14:30:00",
        "day": "2025-01-15",
        "clock": "09:05:00",
        "stamp": "2025-01-15T14:30:00",
    }


def test_nan_infinity_and_nat_become_null_never_invalid_json(handler: TxoDataHandler) -> None:
    data = {
        "nan": float("nan"),
        "inf": float("inf"),
        "minus_inf": -math.inf,
        "dec_nan": Decimal("NaN"),
        "dec_inf": Decimal("-Infinity"),
        "nat": pd.NaT,
        "na": pd.NA,
        "list": [1.0, float("nan")],
    }

    path = handler.save(data, Dir.OUTPUT, "nan.json")

    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    strict = json.loads(text, parse_constant=lambda name: pytest.fail(f"invalid JSON {name}"))
    assert strict == dict.fromkeys(data) | {"list": [1.0, None]}


def test_dataframe_missing_values_and_timestamps_in_json(handler: TxoDataHandler) -> None:
    frame = pd.DataFrame(
        {"when": [pd.Timestamp("2025-01-15 14:30"), pd.NaT], "value": [1.5, float("nan")]}
    )

    handler.save(frame, Dir.OUTPUT, "frame.json")

    assert handler.load_json(Dir.OUTPUT, "frame.json") == [
        {"when": "2025-01-15T14:30:00", "value": 1.5},
        {"when": None, "value": None},
    ]


def test_other_python_types_have_a_json_form(handler: TxoDataHandler) -> None:
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = {
        "id": ident,
        "path": PurePosixPath("a/b.txt"),
        "set": {3, 1, 2},
        "tuple": (1, 2),
        1: "int key",
        Dir.OUTPUT: "enum key",
    }

    handler.save(data, Dir.OUTPUT, "types.json")

    assert handler.load_json(Dir.OUTPUT, "types.json") == {
        "id": str(ident),
        "path": "a/b.txt",
        "set": [1, 2, 3],
        "tuple": [1, 2],
        "1": "int key",
        "output": "enum key",
    }


def test_json_options_and_default_output_match_the_json_module(handler: TxoDataHandler) -> None:
    data = {"b": [1, {"c": "ü"}], "a": {}}

    default = handler.save(data, Dir.OUTPUT, "default.json")
    compact = handler.save(data, Dir.OUTPUT, "compact.json", indent=None, sort_keys=True)
    ascii_ = handler.save(data, Dir.OUTPUT, "ascii.json", indent=4, ensure_ascii=True)

    assert default.read_text("utf-8") == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert compact.read_text("utf-8") == json.dumps(data, sort_keys=True, ensure_ascii=False) + "\n"
    assert ascii_.read_text("utf-8") == json.dumps(data, indent=4) + "\n"


def test_dataframe_index_is_written_only_when_asked(handler: TxoDataHandler) -> None:
    frame = _frame().set_index("id")

    handler.save(frame, Dir.OUTPUT, "no_index.csv")
    handler.save(frame, Dir.OUTPUT, "with_index.csv", index=True)

    assert handler.load_text(Dir.OUTPUT, "no_index.csv").splitlines()[0] == "name,amount"
    assert handler.load_text(Dir.OUTPUT, "with_index.csv").splitlines()[0] == "id,name,amount"


def test_json_keeps_the_index_only_when_asked(handler: TxoDataHandler) -> None:
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["x", "y"], name="k"))

    handler.save(frame, Dir.OUTPUT, "plain.json")
    handler.save(frame, Dir.OUTPUT, "indexed.json", index=True)
    handler.save(frame.reset_index(drop=True), Dir.OUTPUT, "unnamed.json", index=True)

    assert handler.load_json(Dir.OUTPUT, "plain.json") == [{"v": 1}, {"v": 2}]
    assert handler.load_json(Dir.OUTPUT, "indexed.json") == [{"k": "x", "v": 1}, {"k": "y", "v": 2}]
    assert handler.load_json(Dir.OUTPUT, "unnamed.json") == [
        {"index": 0, "v": 1},
        {"index": 1, "v": 2},
    ]


@pytest.mark.parametrize("filename", ["d.csv", "d.xlsx"])
def test_duplicate_column_names_keep_every_column_in_csv_and_xlsx(
    handler: TxoDataHandler, filename: str
) -> None:
    frame = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])

    handler.save(frame, Dir.OUTPUT, filename)

    back = handler.load(Dir.OUTPUT, filename)
    assert back.values.tolist() == [[1, 2], [3, 4]]  # pandas renames the second to "a.1"


SAVED_ROWS = [
    {"no": "00123", "amt": Decimal("1.10"), "country": "NA", "name": "Null", "note": None},
    {"no": "00456", "amt": Decimal("2.50"), "country": "FI", "name": "nan", "note": "ok"},
]


def test_load_csv_with_dtype_str_returns_every_cell_as_saved(handler: TxoDataHandler) -> None:
    handler.save(SAVED_ROWS, Dir.OUTPUT, "rows.csv")

    text = handler.load_csv(Dir.OUTPUT, "rows.csv", dtype=str)
    exact = handler.load_csv(Dir.OUTPUT, "rows.csv", dtype={"no": str}, converters={"amt": Decimal})

    assert text["no"].tolist() == ["00123", "00456"]
    assert text["amt"].tolist() == ["1.10", "2.50"]
    assert exact["amt"].tolist() == [Decimal("1.10"), Decimal("2.50")]
    assert exact["no"].tolist() == ["00123", "00456"]


def test_load_csv_by_default_guesses_numbers_but_only_empty_cells_are_missing(
    handler: TxoDataHandler,
) -> None:
    handler.save(SAVED_ROWS, Dir.OUTPUT, "rows.csv")

    frame = handler.load(Dir.OUTPUT, "rows.csv")

    assert frame["no"].tolist() == [123, 456]  # CSV has no types: documented, use dtype=str
    assert frame["country"].tolist() == ["NA", "FI"]  # Namibia is not a missing value
    assert frame["name"].tolist() == ["Null", "nan"]
    assert frame["note"].isna().tolist() == [True, False]


def test_load_csv_with_own_na_rules_gets_pandas_behaviour(handler: TxoDataHandler) -> None:
    handler.save(SAVED_ROWS, Dir.OUTPUT, "rows.csv")

    frame = handler.load_csv(Dir.OUTPUT, "rows.csv", keep_default_na=True)

    assert frame["country"].isna().tolist() == [True, False]


def test_load_excel_keeps_na_like_text_and_dtype_str_keeps_zeros(handler: TxoDataHandler) -> None:
    handler.save(SAVED_ROWS, Dir.OUTPUT, "rows.xlsx")

    frame = handler.load_excel(Dir.OUTPUT, "rows.xlsx")
    text = handler.load_excel(Dir.OUTPUT, "rows.xlsx", dtype={"no": str})

    assert frame["no"].tolist() == [123, 456]  # pandas turns number-like text into numbers
    assert text["no"].tolist() == ["00123", "00456"]
    assert frame["country"].tolist() == ["NA", "FI"]
    assert frame["name"].tolist() == ["Null", "nan"]
    assert frame["note"].isna().tolist() == [True, False]


def test_records_csv_uses_all_keys_and_blank_cells_for_missing(handler: TxoDataHandler) -> None:
    rows = [{"a": 1, "nested": {"x": 1}}, {"a": None, "b": Decimal("0.10")}]

    handler.save(rows, Dir.OUTPUT, "rows.csv")

    assert (
        handler.load_text(Dir.OUTPUT, "rows.csv") == 'a,nested,b\r\n1,"{""x"": 1}",\r\n,,0.10\r\n'
    )


def test_folders_are_created_and_subfolders_allowed(handler: TxoDataHandler) -> None:
    path = handler.save({"a": 1}, Dir.OUTPUT, "2025/01/run.json")

    assert path == handler.root / "output" / "2025" / "01" / "run.json"
    assert handler.load_json(Dir.OUTPUT, "2025/01/run.json") == {"a": 1}


def test_excel_keeps_all_sheets_when_sheet_name_is_none(handler: TxoDataHandler) -> None:
    handler.save({"A": _frame(), "B": _frame()}, Dir.OUTPUT, "two.xlsx")

    sheets = handler.load_excel(Dir.OUTPUT, "two.xlsx", sheet_name=None)
    by_position = handler.load_excel(Dir.OUTPUT, "two.xlsx", sheet_name=1)

    assert sorted(sheets) == ["A", "B"]
    pd.testing.assert_frame_equal(by_position, _frame())


def test_parquet_round_trips_when_pyarrow_is_installed(handler: TxoDataHandler) -> None:
    pytest.importorskip("pyarrow")
    handler.save(_frame(), Dir.OUTPUT, "f.parquet")
    pd.testing.assert_frame_equal(handler.load(Dir.OUTPUT, "f.parquet"), _frame())


def test_parquet_without_pyarrow_says_what_to_install(
    handler: TxoDataHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail

    with pytest.raises(HelpfulError, match=re.escape('pip install "txo-runtime[parquet]"')):
        handler.save(_frame(), Dir.OUTPUT, "f.parquet")
    assert list((handler.root / "output").iterdir()) == []  # no target, no temp file


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"indent": None},
        {"indent": 4, "sort_keys": True},
        {"ensure_ascii": True},
        {"indent": "\t"},
    ],
    ids=["default", "compact", "sorted", "ascii", "tab"],
)
def test_exact_encoder_writes_the_same_text_as_the_stdlib_fast_path(
    options: dict[str, Any],
) -> None:
    from types import MappingProxyType

    from txo_runtime.load_n_save._json_codec import _Encoder, encode_json

    data = {
        "z": [1, 2.5, True, None, 'ü\n"', (1, 2), {3, 1}],
        "a": {10: "ten", 2: "two", 1.5: "x"},
        "b": {"": [], "e": {}},
        "when": [dt.datetime(2025, 1, 1, 12), dt.date(2025, 1, 1), dt.time(1, 2), pd.NaT],
        "ids": [uuid.UUID(int=1), PurePosixPath("a/b")],
        "proxy": MappingProxyType({"k": "v"}),
        "frame_values": _frame().to_dict("records"),
    }

    fast = encode_json(data, **options)
    exact = _Encoder(
        options.get("indent", 2),
        options.get("sort_keys", False),
        options.get("ensure_ascii", False),
    ).encode(data)

    assert fast == exact + "\n"
