"""Rows written as they arrive: CSV, JSON Lines and .xlsx with memory that does not grow.

For ``TxoDataHandler.save_rows`` (and ``save()`` given an iterator): the rows of an OData
pull or any generator of dicts go to the temporary file one at a time, so a million-row
export needs no more memory than one page of it. CSV and .xlsx take their columns from
the first row (or ``columns=``); a later row with a key outside them is refused instead
of losing that value. JSON Lines writes each row as it is.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_runtime.load_n_save._json_codec import encode_json
from txo_runtime.load_n_save._writers import csv_cell
from txo_runtime.load_n_save._xlsx_sheets import RowSheet, new_workbook

__all__ = ["STREAM_OPTIONS", "SourceError", "check_stream_target", "write_rows"]

STREAM_OPTIONS: Mapping[str, frozenset[str]] = {
    ".csv": frozenset({"encoding", "delimiter"}),
    ".jsonl": frozenset({"ensure_ascii"}),
    ".xlsx": frozenset({"sheet_name"}),
}
_WRITE_BUFFER = 1 << 20


class SourceError(Exception):
    """The row iterator itself failed (an API error half-way through a pull): the caller
    re-raises ``original`` as it was, so it is not mistaken for a failure to write."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def _from_source(rows: Iterable[Any]) -> Iterator[Any]:
    iterator = iter(rows)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            raise SourceError(exc) from exc
        yield row


def check_stream_target(filename: str, options: Mapping[str, Any]) -> str:
    """The extension, when rows can be streamed to ``filename`` with ``options``."""
    extension = Path(filename).suffix.lower()
    if extension not in STREAM_OPTIONS:
        raise HelpfulError(
            what_went_wrong=f"Rows from an iterator cannot be streamed to '{filename}': only "
            f"{', '.join(STREAM_OPTIONS)} are written row by row",
            how_to_fix="Save as .csv, .jsonl or .xlsx, or make a list first if the rows fit "
            "in memory (list(rows))",
            example="handler.save_rows(api.iter_odata_entities(url, 'Orders'), Dir.OUTPUT, "
            "'orders.csv')",
        )
    unknown = sorted(set(options) - STREAM_OPTIONS[extension])
    if unknown:
        accepted = ", ".join(sorted(STREAM_OPTIONS[extension]))
        raise HelpfulError(
            what_went_wrong=f"Unknown option(s) {', '.join(unknown)} for streaming rows "
            f"to {extension}",
            how_to_fix=f"Accepted options: {accepted}, and columns=[...]",
            example="handler.save_rows(rows, Dir.OUTPUT, 'orders.csv', delimiter=';')",
        )
    return extension


def _row_columns(row: Any, columns: Sequence[str] | None, number: int) -> list[str]:
    """The columns of a row: all its keys for the first, a check against ``columns`` after."""
    if not isinstance(row, Mapping):
        raise HelpfulError(
            what_went_wrong=f"Row {number} is a {type(row).__name__}, not a dict",
            how_to_fix="Stream an iterator of dicts (one per row)",
            example="handler.save_rows(({'id': n} for n in range(3)), Dir.OUTPUT, 'ids.csv')",
        )
    if columns is None:
        return list(row)
    if not row.keys() <= set(columns):
        extra = ", ".join(repr(key) for key in row if key not in columns)
        raise HelpfulError(
            what_went_wrong=f"Row {number} has column(s) {extra} that the file does not "
            "have: the columns are fixed by the first row, so that value would be lost",
            how_to_fix="Pass every column up front with columns=[...]",
            example="handler.save_rows(rows, Dir.OUTPUT, 'orders.csv', "
            "columns=['id', 'customer', 'amount', 'note'])",
        )
    return list(columns)


def _write_csv(
    rows: Iterable[Any], temp: Path, columns: Sequence[str] | None, *,
    encoding: str = "utf-8", delimiter: str = ",",
) -> int:  # fmt: skip
    count = 0
    known: list[str] | None = list(columns) if columns is not None else None
    allowed: set[str] = set(known or ())
    with open(temp, "w", encoding=encoding, newline="", buffering=_WRITE_BUFFER) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        if known is not None:
            writer.writerow(known)
        for count, row in enumerate(rows, start=1):  # noqa: B007 - the count is returned
            if known is None:
                known = _row_columns(row, None, count)
                allowed = set(known)
                writer.writerow(known)
            elif not (isinstance(row, Mapping) and row.keys() <= allowed):
                _row_columns(row, known, count)
            writer.writerow([csv_cell(row.get(column)) for column in known])
    return count


def _write_jsonl(rows: Iterable[Any], temp: Path, *, ensure_ascii: bool = False) -> int:
    count = 0
    with open(temp, "wb", buffering=_WRITE_BUFFER) as handle:
        for count, row in enumerate(rows, start=1):  # noqa: B007 - the count is returned
            _row_columns(row, None, count)
            handle.write(encode_json(row, indent=None, ensure_ascii=ensure_ascii).encode())
    return count


def _write_xlsx(
    rows: Iterable[Any], temp: Path, columns: Sequence[str] | None, *, sheet_name: str = "Sheet1"
) -> int:
    from txo_runtime.load_n_save._excel_rules import check_sheet_names

    check_sheet_names([sheet_name])
    workbook = new_workbook(str(temp), constant_memory=True)
    try:
        sheet = RowSheet(workbook, sheet_name, columns)
        sheet.write(rows, _row_columns)
    except BaseException:
        _discard(workbook)
        raise
    workbook.close()
    return sheet.rows


def _discard(workbook: Any) -> None:
    """Close and remove the row files xlsxwriter keeps per sheet (it does so only in close())."""
    for sheet in workbook.worksheets():
        handle = getattr(sheet, "row_data_fh", None)
        if handle is not None and not handle.closed:
            handle.close()
        name = getattr(sheet, "row_data_filename", None)
        if name:
            with contextlib.suppress(OSError):
                os.remove(name)
    workbook.fileclosed = True


def write_rows(
    rows: Iterable[Any],
    temp: Path,
    extension: str,
    columns: Sequence[str] | None,
    options: Mapping[str, Any],
) -> int:
    """Write ``rows`` to ``temp`` in the format of ``extension``; returns the row count.
    An exception of the iterator comes out as :class:`SourceError`."""
    rows = _from_source(rows)
    if extension == ".csv":
        return _write_csv(rows, temp, columns, **options)
    if extension == ".jsonl":
        return _write_jsonl(rows, temp, **options)
    return _write_xlsx(rows, temp, columns, **options)
