"""Rows streamed to .csv / .jsonl / .xlsx: written as they come, atomic, columns kept."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from txo_runtime.exceptions import HelpfulError
from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.path_helpers import Dir
from txo_runtime.run_events import listening

STREAMED = [".csv", ".jsonl", ".xlsx"]


@pytest.fixture
def handler(tmp_path: Path) -> TxoDataHandler:
    return TxoDataHandler(root=tmp_path)


def rows(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield {"id": n, "name": f"Customer {n}", "country": "NA", "note": None}


@pytest.mark.parametrize("ext", STREAMED)
def test_save_rows_writes_every_row_of_a_generator(handler: TxoDataHandler, ext: str) -> None:
    handler.save_rows(rows(250), Dir.OUTPUT, f"customers{ext}")

    if ext == ".jsonl":
        loaded = handler.load(Dir.OUTPUT, f"customers{ext}")
        assert loaded == list(rows(250))
    else:
        frame = handler.load(Dir.OUTPUT, f"customers{ext}")
        assert frame["id"].tolist() == list(range(250))
        assert frame["country"].tolist() == ["NA"] * 250  # "NA" stays text
        assert frame["note"].isna().all()


@pytest.mark.parametrize("ext", STREAMED)
def test_save_given_an_iterator_streams_it_instead_of_collecting_it(
    handler: TxoDataHandler, ext: str
) -> None:
    output = handler.root / "output"
    temp_sizes: list[int] = []

    def watched() -> Iterator[dict[str, Any]]:
        for n, row in enumerate(rows(60_000)):
            if n == 59_999:  # before the last row: the earlier ones are already on disk
                temp_sizes.extend(p.stat().st_size for p in output.glob(".*.tmp*"))
            yield row

    handler.save(watched(), Dir.OUTPUT, f"big{ext}")

    if ext != ".xlsx":  # xlsxwriter keeps its rows in its own temporary file until close()
        assert temp_sizes and max(temp_sizes) > 0
    else:
        assert temp_sizes == [0]  # created empty, filled on close: still streamed
    assert (output / f"big{ext}").stat().st_size > 0


@pytest.mark.parametrize("ext", STREAMED)
def test_an_iterator_failing_half_way_leaves_the_old_file_untouched(
    handler: TxoDataHandler, ext: str
) -> None:
    target = handler.save(b"OLD", Dir.OUTPUT, f"x{ext}")

    def failing() -> Iterator[dict[str, Any]]:
        yield from rows(1000)
        raise ConnectionError("page 11 failed")

    with pytest.raises(ConnectionError):
        handler.save_rows(failing(), Dir.OUTPUT, f"x{ext}")

    assert target.read_bytes() == b"OLD"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_a_row_with_a_column_the_first_row_lacked_is_refused_not_dropped(
    handler: TxoDataHandler, ext: str
) -> None:
    data = iter([{"id": 1}, {"id": 2, "vip": True}])

    with pytest.raises(HelpfulError, match="Row 2 has column.*'vip'") as caught:
        handler.save_rows(data, Dir.OUTPUT, f"x{ext}")

    assert "columns=" in caught.value.how_to_fix
    assert not (handler.root / "output" / f"x{ext}").exists()


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_columns_given_up_front_take_later_keys_and_leave_missing_ones_empty(
    handler: TxoDataHandler, ext: str
) -> None:
    data = iter([{"id": 1}, {"id": 2, "vip": True}])

    handler.save_rows(data, Dir.OUTPUT, f"x{ext}", columns=["id", "vip"])

    frame = handler.load(Dir.OUTPUT, f"x{ext}")
    assert frame.columns.tolist() == ["id", "vip"]
    assert frame["id"].tolist() == [1, 2]
    assert frame["vip"].isna().tolist() == [True, False]


def test_streamed_values_keep_exact_decimals_dates_and_nested_data(
    handler: TxoDataHandler,
) -> None:
    row = {"amount": Decimal("12345678901234567890.123456789"), "at": dt.date(2025, 1, 2),
           "tags": ["a", "b"]}  # fmt: skip

    handler.save_rows(iter([row]), Dir.OUTPUT, "x.jsonl")
    handler.save_rows(iter([row]), Dir.OUTPUT, "x.csv")

    assert (handler.root / "output" / "x.jsonl").read_text() == (
        '{"amount": 12345678901234567890.123456789, "at": "2025-01-02", "tags": ["a", "b"]}\n'
    )
    assert handler.load_text(Dir.OUTPUT, "x.csv").splitlines()[1] == (
        '12345678901234567890.123456789,2025-01-02,"[""a"", ""b""]"'
    )


def test_streamed_save_emits_file_saved_with_rows_and_bytes(handler: TxoDataHandler) -> None:
    events: list[tuple[str, dict[str, Any]]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            events.append((record.getMessage(), record.txo_event))  # type: ignore[attr-defined]

    with listening(Collect()):
        target = handler.save_rows(rows(10), Dir.OUTPUT, "x.csv")

    assert events == [
        ("file.saved", {"path": str(target), "rows": 10, "bytes": target.stat().st_size})
    ]


def test_an_iterator_saved_as_json_is_refused_naming_the_streamed_formats(
    handler: TxoDataHandler,
) -> None:
    with pytest.raises(HelpfulError, match=r"\.csv, \.jsonl, \.xlsx") as caught:
        handler.save(rows(3), Dir.OUTPUT, "x.json")

    assert "list(rows)" in caught.value.how_to_fix


def test_a_list_of_dicts_saves_as_json_lines_and_loads_back(handler: TxoDataHandler) -> None:
    data = [{"id": 1, "name": "Anna"}, {"id": 2, "name": "Ben\nLine"}]

    handler.save(data, Dir.OUTPUT, "people.jsonl")

    assert handler.load_text(Dir.OUTPUT, "people.jsonl").count("\n") == 2
    assert handler.load(Dir.OUTPUT, "people.jsonl") == data
