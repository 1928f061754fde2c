"""The xlsxwriter/calamine Excel path writes and reads what pandas' openpyxl path did."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.load_n_save._xlsx_sheets import fast_path_fits
from txo_runtime.path_helpers import Dir


@pytest.fixture
def handler(tmp_path: Path) -> TxoDataHandler:
    return TxoDataHandler(root=tmp_path)


def _every_kind_of_column() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "amount": [1.5, np.nan, np.inf, -np.inf],
            "active": [True, False, True, False],
            "created": pd.to_datetime(
                ["2025-01-01 12:30:45.5", None, "1999-12-31 00:00:00", "2030-06-01 00:00:01"],
                format="ISO8601",
            ),
            "price": [Decimal("12.34"), None, Decimal("0.1"), Decimal("-7")],
            "day": [dt.date(2025, 1, 2), None, dt.date(1901, 1, 1), dt.date(2030, 1, 1)],
            "text": ["NA", "", None, "Null"],
            "mixed": [1, "two", 3.5, dt.datetime(2024, 2, 29, 23, 59)],
            "wait": [dt.timedelta(hours=6), None, dt.timedelta(days=2), dt.timedelta(0)],
            7: ["int label", "b", "c", "d"],
        }
    )


def _cells(path: Path) -> list[list[tuple[Any, str]]]:
    """Every cell's value and number format, as openpyxl reads the file."""
    sheet = openpyxl.load_workbook(path).active
    return [[(cell.value, cell.number_format) for cell in row] for row in sheet.iter_rows()]


def test_xlsx_save_writes_the_cells_pandas_openpyxl_writes(
    handler: TxoDataHandler, tmp_path: Path
) -> None:
    frame = _every_kind_of_column()
    assert fast_path_fits(frame, {})  # every column goes through the typed writers
    reference = tmp_path / "reference.xlsx"
    frame.to_excel(reference, engine="openpyxl", index=False)

    saved = handler.save(frame, Dir.OUTPUT, "fast.xlsx")

    assert _cells(saved) == _cells(reference)


def test_xlsx_load_reads_what_the_openpyxl_reader_reads(handler: TxoDataHandler) -> None:
    saved = handler.save(_every_kind_of_column(), Dir.OUTPUT, "kinds.xlsx")
    options: dict[str, Any] = {"keep_default_na": False, "na_values": [""]}

    loaded = handler.load_excel(Dir.OUTPUT, "kinds.xlsx")

    pd.testing.assert_frame_equal(loaded, pd.read_excel(saved, engine="openpyxl", **options))


def test_text_starting_with_equals_is_saved_as_text_not_as_a_formula(
    handler: TxoDataHandler,
) -> None:
    frame = pd.DataFrame({"note": ['=HYPERLINK("http://evil")', "=1+1", "https://example.com"]})

    handler.save(frame, Dir.OUTPUT, "notes.xlsx")

    loaded = handler.load_excel(Dir.OUTPUT, "notes.xlsx")
    assert loaded["note"].tolist() == frame["note"].tolist()


def test_options_outside_the_fast_path_still_write_through_to_excel(
    handler: TxoDataHandler,
) -> None:
    frame = pd.DataFrame({"a": [1, None]}, index=pd.Index(["x", "y"], name="key"))

    handler.save(frame, Dir.OUTPUT, "indexed.xlsx", index=True, na_rep="missing")

    loaded = handler.load_excel(Dir.OUTPUT, "indexed.xlsx", dtype=str)
    assert loaded.to_dict("list") == {"key": ["x", "y"], "a": ["1", "missing"]}


def test_time_zone_aware_datetimes_are_refused_as_pandas_refuses_them(
    handler: TxoDataHandler,
) -> None:
    frame = pd.DataFrame({"when": [dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)]}, dtype=object)

    with pytest.raises(Exception, match="timezone") as caught:
        handler.save(frame, Dir.OUTPUT, "tz.xlsx")

    assert "tz_localize" in str(getattr(caught.value, "example", "")) or caught.value
    assert not (handler.root / "output" / "tz.xlsx").exists()
