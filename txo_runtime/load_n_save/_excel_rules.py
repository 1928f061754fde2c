"""Excel limits checked before writing, so the error names the rule instead of a corrupt file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from txo_runtime.exceptions import HelpfulError

__all__ = ["check_fits_sheet", "check_sheet_names"]

MAX_SHEET_NAME = 31
FORBIDDEN_SHEET_CHARS = frozenset("[]:*?/\\")
RESERVED_SHEET_NAMES = frozenset({"history"})
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384


def _sheet_name_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"must be text, got {type(name).__name__}"
    if not name or len(name) > MAX_SHEET_NAME:
        return f"must be 1 to {MAX_SHEET_NAME} characters long (it has {len(name)})"
    bad = sorted(FORBIDDEN_SHEET_CHARS.intersection(name))
    if bad:
        return f"must not contain {' '.join(bad)}"
    if name.startswith("'") or name.endswith("'"):
        return "must not start or end with an apostrophe"
    if name.lower() in RESERVED_SHEET_NAMES:
        return "'History' is reserved by Excel"
    return None


def check_sheet_names(names: Iterable[object]) -> None:
    """Excel's sheet-name rules; names are compared case-insensitively, as Excel does."""
    seen: set[str] = set()
    for name in names:
        problem = _sheet_name_problem(name)
        if problem is None and str(name).lower() in seen:
            problem = "is used twice (Excel ignores case in sheet names)"
        if problem is not None:
            raise HelpfulError(
                what_went_wrong=f"Invalid Excel sheet name {name!r}: it {problem}",
                how_to_fix=f"Use 1-{MAX_SHEET_NAME} characters without [ ] : * ? / \\, "
                "unique regardless of case",
                example="handler.save({'Customers': df1, 'Orders 2025': df2}, Dir.OUTPUT, "
                "'report.xlsx')",
            )
        seen.add(str(name).lower())


def check_fits_sheet(frame: Any, *, index: bool, header: bool = True) -> None:
    """A DataFrame larger than one worksheet would fail deep inside openpyxl."""
    rows = len(frame) + (1 if header else 0)
    columns = len(frame.columns) + (frame.index.nlevels if index else 0)
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise HelpfulError(
            what_went_wrong=f"The data has {rows:,} rows x {columns:,} columns; an Excel "
            f"sheet holds at most {MAX_ROWS:,} x {MAX_COLUMNS:,}",
            how_to_fix="Save it as .csv (no size limit), or split it into several sheets",
            example="handler.save(df, Dir.OUTPUT, 'report.csv')",
        )
