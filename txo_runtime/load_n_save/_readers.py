"""Readers for each supported format; every failure becomes a FileOperationError naming the file.

Parser messages are reduced to line, column and the parser's one-line problem: the
offending line itself is never quoted, because the file may be a secrets file.
"""

from __future__ import annotations

import contextlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from txo_runtime.exceptions import FileOperationError
from txo_runtime.extras import import_lazily

__all__ = [
    "missing_file_error",
    "only_empty_cells_missing",
    "read_bytes",
    "read_csv",
    "read_excel",
    "read_json",
    "read_jsonl",
    "read_parquet",
    "read_text",
    "read_yaml",
    "reading",
]

_MAX_SUGGESTIONS = 5


def missing_file_error(path: Path) -> FileOperationError:
    """'File not found', with the closest names in that folder as the fix."""
    folder = path.parent
    if not folder.is_dir():
        hint = f"The folder '{folder}' does not exist either; check the Dir constant"
    else:
        names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        import difflib  # only a missing file's suggestions need it; start-up stays light

        close = difflib.get_close_matches(path.name, names, n=_MAX_SUGGESTIONS, cutoff=0.5)
        shown = close or names[:_MAX_SUGGESTIONS]
        hint = "Check the file name. " + (
            f"Files in {folder.name}/ that come close: {', '.join(shown)}"
            if shown
            else f"{folder.name}/ is empty"
        )
    return FileOperationError(
        f"File not found: {path}",
        path=str(path),
        how_to_fix=hint,
        example="handler.exists(Dir.DATA, 'input.csv')  # check before loading",
    )


def _os_error(path: Path, exc: OSError) -> FileOperationError:
    if isinstance(exc, FileNotFoundError):
        return missing_file_error(path)
    if isinstance(exc, IsADirectoryError):
        problem, fix = "is a folder, not a file", "Pass the name of a file inside it"
    elif isinstance(exc, PermissionError):
        problem, fix = "cannot be read (permission denied)", "Check the file's permissions"
    else:
        problem, fix = f"cannot be read ({exc.strerror or exc})", "Check the disk and the file"
    return FileOperationError(f"'{path}' {problem}", path=str(path), how_to_fix=fix)


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Translate OS and decoding errors met while reading ``path``."""
    try:
        yield
    except OSError as exc:
        raise _os_error(path, exc) from exc
    except UnicodeDecodeError as exc:
        raise FileOperationError(
            f"'{path}' is not valid {exc.encoding} text (byte {exc.start})",
            path=str(path),
            how_to_fix="Pass the file's real encoding, or save the file as UTF-8",
            example="handler.load_text(Dir.DATA, 'legacy.txt', encoding='cp1252')",
        ) from exc


def _malformed(path: Path, kind: str, line: int, column: int, problem: str) -> FileOperationError:
    return FileOperationError(
        f"Invalid {kind} in {path} at line {line}, column {column}: {problem}",
        path=str(path),
        how_to_fix=f"Fix the {kind} syntax at that position (a validator or editor helps)",
        example='{"name": "value", "count": 1}' if kind == "JSON" else "name: value\ncount: 1",
    )


def read_text(path: Path, *, encoding: str = "utf-8") -> str:
    # newline="": the text comes back exactly as written ("\r\n" stays "\r\n").
    with reading(path), open(path, encoding=encoding, newline="") as handle:
        return handle.read()


def read_bytes(path: Path) -> bytes:
    with reading(path):
        return path.read_bytes()


def read_json(path: Path, *, exact_decimals: bool = False) -> Any:
    # The codecs import uuid and decimal: imported on first read, not at every start-up.
    from txo_runtime.load_n_save._json_codec import decode_json

    # One bytes.decode instead of a text stream (measurably faster on large files);
    # utf-8-sig tolerates a BOM (Windows editors).
    with reading(path):
        text = path.read_bytes().decode("utf-8-sig")
    try:
        return decode_json(text, exact_decimals=exact_decimals)
    except json.JSONDecodeError as exc:
        raise _malformed(path, "JSON", exc.lineno, exc.colno, exc.msg) from exc


def read_jsonl(path: Path, *, exact_decimals: bool = False) -> list[Any]:
    """JSON Lines: a list of the values of the non-blank lines."""
    from txo_runtime.load_n_save._json_codec import decode_json  # see read_json

    with reading(path):
        text = path.read_bytes().decode("utf-8-sig")
    values = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append(decode_json(line, exact_decimals=exact_decimals))
        except json.JSONDecodeError as exc:
            raise _malformed(path, "JSON", number, exc.colno, exc.msg) from exc
    return values


def read_yaml(path: Path, *, exact_decimals: bool = False) -> Any:
    from txo_runtime.load_n_save._yaml_codec import decode_yaml  # see read_json

    yaml = import_lazily("yaml", purpose="Reading .yaml files")
    text = read_text(path, encoding="utf-8-sig")
    try:
        return decode_yaml(text, exact_decimals=exact_decimals)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise _malformed(path, "YAML", line, column, problem) from exc


def only_empty_cells_missing(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Only an empty cell is a missing value, unless the caller chose the NA rules.

    pandas' default also turns the text "NA", "N/A", "NULL", "nan", "None" ... into NaN, so a
    country code "NA" (Namibia) or a surname "Null" would vanish. save() writes missing
    values as empty cells, so reading only those as missing returns what was saved.
    """
    if "keep_default_na" in kwargs or "na_values" in kwargs:
        return kwargs
    return {**kwargs, "keep_default_na": False, "na_values": [""]}


def read_csv(path: Path, **kwargs: Any) -> Any:
    pandas = import_lazily("pandas", purpose="Reading .csv files")
    with reading(path):
        try:
            return pandas.read_csv(path, **only_empty_cells_missing(kwargs))
        except (pandas.errors.EmptyDataError, pandas.errors.ParserError) as exc:
            raise FileOperationError(
                f"Cannot read CSV {path}: {str(exc).strip()}",
                path=str(path),
                how_to_fix="Check the delimiter and that every row has the same columns",
                example="handler.load_csv(Dir.DATA, 'input.csv', sep=';')",
            ) from exc


def _check_sheets(path: Path, existing: list[str], wanted: Any) -> None:
    requested = wanted if isinstance(wanted, list) else [] if wanted is None else [wanted]
    for sheet in requested:
        ok = sheet in existing if isinstance(sheet, str) else 0 <= sheet < len(existing)
        if not ok:
            raise FileOperationError(
                f"Sheet {sheet!r} not found in {path}; it has: {', '.join(existing)}",
                path=str(path),
                how_to_fix=f"Use one of the sheet names ({', '.join(existing)}), "
                "a 0-based position, or sheet_name=None for all sheets",
                example=f"handler.load_excel(Dir.DATA, '{path.name}', sheet_name={existing[0]!r})",
            )


def _open_workbook(pandas: Any, path: Path) -> Any:
    """The workbook through calamine (Rust; a fraction of openpyxl's time for the same
    cells); every way a file can fail to be a workbook is one FileOperationError."""
    calamine = import_lazily("python_calamine", purpose="Reading .xlsx files")
    invalid = (zipfile.BadZipFile, KeyError, ValueError, calamine.CalamineError)
    with reading(path):
        try:
            return pandas.ExcelFile(path, engine="calamine")
        except invalid as exc:
            raise FileOperationError(
                f"'{path}' is not a valid Excel .xlsx workbook ({type(exc).__name__})",
                path=str(path),
                how_to_fix="Open and re-save it in Excel as .xlsx, or check it is not a .csv/.xls",
                example="handler.load_csv(Dir.DATA, 'export.csv')",
            ) from exc


def read_excel(path: Path, sheet_name: Any = 0, **kwargs: Any) -> Any:
    """One sheet as a DataFrame; ``sheet_name=None`` (or a list) gives a dict of them."""
    pandas = import_lazily("pandas", purpose="Reading .xlsx files")
    with _open_workbook(pandas, path) as book:
        _check_sheets(path, list(book.sheet_names), sheet_name)
        return pandas.read_excel(book, sheet_name=sheet_name, **only_empty_cells_missing(kwargs))


def read_parquet(path: Path, **kwargs: Any) -> Any:
    pandas = import_lazily("pandas", purpose="Reading .parquet files")
    import_lazily("pyarrow", purpose="Reading .parquet files")
    with reading(path):
        return pandas.read_parquet(path, **kwargs)
