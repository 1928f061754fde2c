"""DataFrame shapes a format cannot store, refused before writing instead of losing data.

JSON rows are objects (one value per name), so duplicate column names would silently keep
only the last column; Excel cannot write MultiIndex columns without the index. Every check
is O(number of columns): pandas caches ``is_unique``, so they cost nothing measurable.
"""

from __future__ import annotations

from typing import Any

from txo_runtime.exceptions import HelpfulError

__all__ = ["check_flat_columns", "check_unique_columns", "with_index_as_columns"]


def check_unique_columns(frame: Any, extension: str) -> None:
    """A format keyed by column name would drop all but one of same-named columns."""
    if frame.columns.is_unique:
        return
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    raise HelpfulError(
        what_went_wrong=f"The DataFrame has duplicate column names {duplicated}: {extension} "
        "keeps one value per name, so the other columns would be lost",
        how_to_fix="Rename the columns so each name is unique (or save as .csv/.xlsx, "
        "which keep every column)",
        example="df.columns = ['amount', 'amount_eur']\n"
        "handler.save(df, Dir.OUTPUT, 'report.json')",
    )


def check_flat_columns(frame: Any, extension: str, *, because: str, or_else: str = "") -> None:
    """MultiIndex (multi-level) column headers have no form in ``extension``."""
    if frame.columns.nlevels == 1:
        return
    raise HelpfulError(
        what_went_wrong=f"The DataFrame has {frame.columns.nlevels}-level (MultiIndex) "
        f"column names; {extension} {because}",
        how_to_fix=f"Join the levels into one name per column before saving{or_else}",
        example="df.columns = [' '.join(map(str, name)) for name in df.columns]\n"
        f"handler.save(df, Dir.OUTPUT, 'report{extension}')",
    )


def with_index_as_columns(frame: Any) -> Any:
    """The index as leading column(s), as ``index=True`` does for .csv and .xlsx."""
    try:
        return frame.reset_index()
    except ValueError as exc:  # "cannot insert x, already exists"
        raise HelpfulError(
            what_went_wrong=f"Cannot keep the index as a column: {exc} "
            f"(index names {list(frame.index.names)})",
            how_to_fix="Give the index a name no column has, or drop it with index=False",
            example="handler.save(df.rename_axis('row_id'), Dir.OUTPUT, 'report.json', index=True)",
        ) from exc
