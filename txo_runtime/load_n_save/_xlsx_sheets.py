"""Writing .xlsx sheets with xlsxwriter: DataFrames column-typed, and rows as they come.

Why not ``DataFrame.to_excel``: pandas' Excel path builds one cell object per value and
hands it to the engine one by one (with a style lookup per cell), which costs more than
the engine itself; openpyxl on top of that builds the whole workbook in memory. Here each
column's type is decided once and its values go straight to xlsxwriter's typed
``write_number``/``write_string``/... calls; datetimes become Excel serial numbers for the
whole column at once. The cells are the ones ``to_excel(index=False)`` writes (missing
values -> no cell, +-inf -> the text ``inf``/``-inf``, dates with pandas' default formats,
``Decimal`` as a number), so ``load()`` returns the same frame. Options this fast path
does not cover (``index=True``, ``na_rep``, ``startrow`` ...) go to ``to_excel`` with the
xlsxwriter engine.

Text is always written as text: a value starting with ``=`` is not turned into a formula
(no formula injection from API data, and it reads back as written) and URLs do not become
hyperlinks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_runtime.extras import import_lazily
from txo_runtime.load_n_save._excel_rules import MAX_ROWS

__all__ = [
    "WORKBOOK_OPTIONS",
    "RowSheet",
    "fast_path_fits",
    "new_workbook",
    "write_frame_sheet",
]

DATETIME_FORMAT = "YYYY-MM-DD HH:MM:SS"  # pandas' defaults for Excel
DATE_FORMAT = "YYYY-MM-DD"
WORKBOOK_OPTIONS: Mapping[str, bool] = {"strings_to_formulas": False, "strings_to_urls": False}
# Excel day 25569 is 1970-01-01; days before 1900-03-01 carry Excel's 1900 leap-year bug,
# left to xlsxwriter's own conversion.
_UNIX_EPOCH_SERIAL = 25569
_FIRST_PLAIN_SERIAL = 61
_US_PER_DAY = 86_400_000_000
_FAST_OPTIONS = frozenset({"index", "header"})

CellWriter = Callable[[int, int, Any], Any]


def new_workbook(target: Path | Any, *, constant_memory: bool) -> Any:
    """An xlsxwriter Workbook with the text rules above."""
    xlsxwriter = import_lazily("xlsxwriter", purpose="Saving .xlsx files")
    options = {**WORKBOOK_OPTIONS, "constant_memory": constant_memory}
    return xlsxwriter.Workbook(target, options)


def fast_path_fits(frame: Any, options: Mapping[str, Any]) -> bool:
    """Whether :func:`write_frame_sheet` writes exactly what ``to_excel`` would."""
    if set(options) - _FAST_OPTIONS or options.get("index") or options.get("header") is False:
        return False
    columns = (frame.iloc[:, position] for position in range(frame.shape[1]))
    return frame.columns.nlevels == 1 and all(_kind(column) for column in columns)


def _kind(column: Any) -> str | None:
    dtype = column.dtype
    if getattr(dtype, "tz", None) is not None:
        return None  # pandas' own error names the time zone problem
    return {"i": "number", "u": "number", "f": "float", "b": "bool", "M": "datetime",
            "m": "days", "O": "object"}.get(dtype.kind)  # fmt: skip


def _serial_numbers(column: Any) -> tuple[list[Any], bool]:
    """Excel serial numbers of a datetime column (None for NaT), computed as xlsxwriter does
    (whole days, then the day's fraction); False when a date needs xlsxwriter's own rules."""
    numpy = import_lazily("numpy", purpose="Saving .xlsx files")
    values = column.to_numpy(dtype="datetime64[us]")
    missing = numpy.isnat(values)
    micros = values.astype("int64")
    days = micros // _US_PER_DAY
    rest = micros - days * _US_PER_DAY
    fraction = ((rest // 1_000_000) + (rest % 1_000_000) / 1e6) / 86400.0
    serial = ((days + (_UNIX_EPOCH_SERIAL - 1)) + fraction) + 1
    if (serial[~missing] < _FIRST_PLAIN_SERIAL).any():
        return [], False
    pairs = zip(missing.tolist(), serial.tolist(), strict=True)
    return [None if gap else value for gap, value in pairs], True


class _Cells:
    """The typed cell writers of one worksheet."""

    def __init__(self, workbook: Any, sheet: Any) -> None:
        self.sheet = sheet
        self.datetime_format = workbook.add_format({"num_format": DATETIME_FORMAT})
        self.date_format = workbook.add_format({"num_format": DATE_FORMAT})
        self.whole_format = workbook.add_format({"num_format": "0"})  # pandas' timedelta

    def number(self, row: int, col: int, value: Any) -> None:
        self.sheet.write_number(row, col, value)

    def floating(self, row: int, col: int, value: float) -> None:
        if math.isfinite(value):
            self.sheet.write_number(row, col, value)
        elif value == value:  # +-inf: pandas writes the text
            self.sheet.write_string(row, col, "inf" if value > 0 else "-inf")

    def days(self, row: int, col: int, value: float) -> None:
        if value == value:  # NaT became NaN
            self.sheet.write_number(row, col, value, self.whole_format)

    def serial(self, row: int, col: int, value: float | None) -> None:
        if value is not None:
            self.sheet.write_number(row, col, value, self.datetime_format)

    def any_value(self, row: int, col: int, value: Any) -> None:  # noqa: PLR0911
        """One cell of an object column, converted as pandas converts it for Excel."""
        if isinstance(value, str):
            if value:
                self.sheet.write_string(row, col, value)
            return
        if value is None or _is_missing(value):
            return
        if isinstance(value, bool):
            self.sheet.write_boolean(row, col, value)
        elif isinstance(value, (int, Decimal)):
            self.sheet.write_number(row, col, value)
        elif isinstance(value, float):
            self.floating(row, col, value)
        elif isinstance(value, dt.datetime):
            _refuse_time_zone(value)
            self.sheet.write_datetime(row, col, value, self.datetime_format)
        elif isinstance(value, dt.date):
            self.sheet.write_datetime(row, col, value, self.date_format)
        elif isinstance(value, dt.timedelta):
            days = value.total_seconds() / 86400
            self.sheet.write_number(row, col, days, self.whole_format)
        else:
            self.any_value(row, col, _plain(value))


def _is_missing(value: Any) -> bool:
    """NaN, NaT and pandas NA: the values that are not equal to themselves."""
    try:
        return bool(value != value)
    except TypeError:  # pandas NA refuses to be a bool
        return True
    except ValueError:  # an array: a value, not a missing one
        return False


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalars
        return value.item()
    return str(value)


def _refuse_time_zone(value: dt.datetime) -> None:
    if value.tzinfo is not None:
        raise ValueError(
            "Excel does not support datetimes with timezones. Please ensure that datetimes "
            "are timezone unaware before writing to Excel."
        )


def _column_plan(frame: Any, cells: _Cells) -> tuple[list[list[Any]], list[CellWriter]]:
    values: list[list[Any]] = []
    writers: list[CellWriter] = []
    by_kind: dict[str, CellWriter] = {
        "number": cells.number, "float": cells.floating, "object": cells.any_value,
        "bool": lambda row, col, value: cells.sheet.write_boolean(row, col, value),
    }  # fmt: skip
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        kind = _kind(column)
        if kind == "datetime":
            serials, plain = _serial_numbers(column)
            if plain:
                values.append(serials)
                writers.append(cells.serial)
                continue
            kind = "object"
        if kind == "days":  # as pandas writes a timedelta: days as a number, format "0"
            values.append((column.dt.total_seconds() / 86400).tolist())
            writers.append(cells.days)
            continue
        values.append(column.tolist() if kind != "object" else list(column.array))
        writers.append(by_kind[str(kind)])
    return values, writers


def write_frame_sheet(workbook: Any, name: str, frame: Any) -> None:
    """``frame`` as sheet ``name``: a header row of the column labels, then the values."""
    sheet = workbook.add_worksheet(name)
    cells = _Cells(workbook, sheet)
    for col, label in enumerate(frame.columns):
        cells.any_value(0, col, label)
    values, writers = _column_plan(frame, cells)
    pairs = list(enumerate(writers))
    for row, record in enumerate(zip(*values, strict=True), start=1):
        for col, writer in pairs:
            writer(row, col, record[col])


class RowSheet:
    """A sheet filled one row (a mapping) at a time, for rows that do not fit in memory.

    Columns are those of the first row, or ``columns`` when given; a later row with a key
    outside them is refused (its values would be lost), a missing key is an empty cell.
    """

    def __init__(self, workbook: Any, name: str, columns: Sequence[str] | None) -> None:
        self._cells = _Cells(workbook, workbook.add_worksheet(name))
        self._columns: list[str] | None = list(columns) if columns is not None else None
        self.rows = 0

    def write(self, rows: Iterable[Mapping[str, Any]], check: Callable[..., list[str]]) -> None:
        """Write every row; ``check(row, columns, number)`` returns the row's columns."""
        if self._columns is not None:
            self._header(self._columns)
        for record in rows:
            if self._columns is None:
                self._columns = check(record, None, 1)
                self._header(self._columns)
            else:
                check(record, self._columns, self.rows + 1)
            if self.rows + 1 >= MAX_ROWS:
                raise _too_many_rows()
            self.rows += 1
            for col, key in enumerate(self._columns):
                self._cells.any_value(self.rows, col, _cell_value(record.get(key)))
        if self._columns is None:
            self._columns = []

    def _header(self, columns: Iterable[str]) -> None:
        for col, label in enumerate(columns):
            self._cells.any_value(0, col, label)


def _cell_value(value: Any) -> Any:
    """Nested data in a cell is written as compact JSON, as in a CSV file."""
    if isinstance(value, (Mapping, list, tuple, set)):
        from txo_runtime.load_n_save._json_codec import encode_json

        return encode_json(value, indent=None).rstrip("\n")
    return value


def _too_many_rows() -> HelpfulError:
    return HelpfulError(
        what_went_wrong=f"More than {MAX_ROWS - 1:,} rows: an Excel sheet holds at most "
        f"{MAX_ROWS:,} rows including the header",
        how_to_fix="Save the rows as .csv or .jsonl (no size limit)",
        example="handler.save_rows(api.iter_odata_entities('Orders'), Dir.OUTPUT, 'orders.csv')",
    )
