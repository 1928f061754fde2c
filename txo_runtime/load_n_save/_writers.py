"""One writer per (kind of data, file extension); the table drives both dispatch and errors.

Each writer writes to the temporary path it is given (see ``_atomic``), never to the target.
The options a caller passes are checked against the route before anything is written: a
fixed set for txo's own writers, the parameters of the pandas method for the writers that
pass options on to pandas.
"""

from __future__ import annotations

import csv
import inspect
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_runtime.extras import import_lazily, is_instance_of
from txo_runtime.load_n_save._excel_rules import check_fits_sheet, check_sheet_names
from txo_runtime.load_n_save._frame_rules import (
    check_flat_columns,
    check_unique_columns,
    with_index_as_columns,
)

__all__ = [
    "BINARY_EXTENSIONS",
    "Route",
    "csv_cell",
    "detect_kind",
    "find_route",
    "supported_combinations",
    "write",
]

Writer = Callable[..., None]

# Extensions a str must not be written to: the result would be a corrupt binary file that
# the program for it cannot open. Bytes are still accepted for all of them.
BINARY_EXTENSIONS = frozenset(
    {
        # office documents (zip or OLE containers)
        *(".xlsx", ".xlsm", ".xlsb", ".xls", ".xltx", ".xltm", ".ods", ".odt", ".odp"),
        *(".docx", ".docm", ".doc", ".dotx", ".pptx", ".pptm", ".ppt", ".pdf"),
        # archives and compressed files
        *(".zip", ".7z", ".rar", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".zst", ".lz4"),
        # data formats
        *(".parquet", ".feather", ".arrow", ".avro", ".orc", ".pkl", ".pickle", ".npy"),
        *(".npz", ".h5", ".hdf5", ".sqlite", ".sqlite3", ".db"),
        # images, audio, video, executables
        *(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ico"),
        *(".mp3", ".mp4", ".wav", ".avi", ".mov", ".exe", ".dll", ".whl", ".jar"),
    }
)
KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "structure": "dict or list",
        "records": "list of dicts",
        "dataframe": "pandas DataFrame",
        "frames": "dict of DataFrames",
        "workbook": "openpyxl Workbook",
        "text": "str",
        "bytes": "bytes",
    }
)


@dataclass(frozen=True)
class PandasOptions:
    """Options a writer passes on to a pandas ``DataFrame`` method (``to_csv`` ...).

    The accepted names are read from the method's signature (minus ``self``, the target
    and what the writer sets itself), so they follow the installed pandas version.
    """

    method: str
    set_by_writer: frozenset[str] = frozenset()

    def names(self) -> frozenset[str] | None:
        """The accepted option names; None when the method takes ``**kwargs`` too."""
        frame_class = _pandas(f"Saving with DataFrame.{self.method}").DataFrame
        parameters = list(inspect.signature(getattr(frame_class, self.method)).parameters.values())
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            return None  # to_parquet hands unknown options to pyarrow
        return frozenset(p.name for p in parameters[2:]) - self.set_by_writer


@dataclass(frozen=True)
class Route:
    """How one kind of data is written to some extensions.

    ``options`` are the keyword arguments the writer accepts: a fixed set, or those of the
    pandas method the writer passes them to.
    """

    kind: str
    extensions: frozenset[str] | None  # None: any extension (text and bytes)
    writer: Writer
    options: frozenset[str] | PandasOptions
    note: str = ""

    def accepted_options(self) -> frozenset[str] | None:
        """The option names this route accepts; None when they cannot be known up front."""
        if isinstance(self.options, PandasOptions):
            return self.options.names()
        return self.options


def detect_kind(data: Any) -> str | None:
    """The kind of ``data`` for the routing table, without importing pandas/openpyxl."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(data, str):
        return "text"
    if is_instance_of(data, "pandas", "DataFrame"):
        return "dataframe"
    if is_instance_of(data, "openpyxl", "Workbook"):
        return "workbook"
    if isinstance(data, Mapping):
        values = list(data.values())
        if values and all(is_instance_of(v, "pandas", "DataFrame") for v in values):
            return "frames"
        return "structure"
    if isinstance(data, (list, tuple)):
        return "records" if all(isinstance(row, Mapping) for row in data) else "structure"
    return None


# --- writers -----------------------------------------------------------------------------


def _write_json(
    data: Any, temp: Path, *, indent: int | str | None = 2, sort_keys: bool = False,
    ensure_ascii: bool = False,
) -> None:  # fmt: skip
    # The codecs import uuid and decimal: imported on first write, not at every start-up.
    from txo_runtime.load_n_save._json_codec import encode_json

    text = encode_json(data, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    temp.write_bytes(text.encode("utf-8"))


def _write_jsonl(rows: list[Mapping[str, Any]], temp: Path, *, ensure_ascii: bool = False) -> None:
    """JSON Lines: one compact JSON object per line."""
    from txo_runtime.load_n_save._json_codec import encode_json  # see _write_json

    with open(temp, "wb") as handle:
        for row in rows:
            handle.write(encode_json(row, indent=None, ensure_ascii=ensure_ascii).encode())


def _write_yaml(data: Any, temp: Path, *, sort_keys: bool = False, indent: int = 2) -> None:
    from txo_runtime.load_n_save._yaml_codec import encode_yaml  # see _write_json

    temp.write_bytes(encode_yaml(data, sort_keys=sort_keys, indent=indent))


def csv_cell(value: Any) -> Any:
    """Cells as pandas would write them: missing -> empty, nested data -> compact JSON."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (Mapping, list, tuple, set)):
        from txo_runtime.load_n_save._json_codec import encode_json  # see _write_json

        return encode_json(value, indent=None).rstrip("\n")
    return value


def _write_records_csv(
    rows: list[Mapping[str, Any]], temp: Path, *, encoding: str = "utf-8", delimiter: str = ","
) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))  # first-seen order
    with open(temp, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(column)) for column in columns])


def _pandas(purpose: str) -> Any:
    return import_lazily("pandas", purpose=purpose)


def _write_frame_csv(frame: Any, temp: Path, **kwargs: Any) -> None:
    kwargs.setdefault("index", False)
    frame.to_csv(temp, **kwargs)


def _check_frame_for_excel(frame: Any, kwargs: Mapping[str, Any]) -> None:
    header = kwargs.get("header", True) is not False
    check_fits_sheet(frame, index=kwargs["index"], header=header)
    if not kwargs["index"] and header:
        check_flat_columns(
            frame,
            ".xlsx",
            because="cannot hold them without the index (pandas refuses)",
            or_else=", or pass index=True",
        )


def _write_frame_xlsx(frame: Any, temp: Path, **kwargs: Any) -> None:
    sheet_name = kwargs.pop("sheet_name", "Sheet1")
    kwargs.setdefault("index", False)
    check_sheet_names([sheet_name])
    _check_frame_for_excel(frame, kwargs)
    import_lazily("xlsxwriter", purpose="Saving .xlsx files")
    _write_sheets({sheet_name: frame}, temp, kwargs)


def _write_records_xlsx(rows: list[Mapping[str, Any]], temp: Path, **kwargs: Any) -> None:
    frame = _pandas("Saving a list of dicts as .xlsx").DataFrame.from_records(list(rows))
    _write_frame_xlsx(frame, temp, **kwargs)


def _write_frames_xlsx(frames: Mapping[str, Any], temp: Path, **kwargs: Any) -> None:
    if "sheet_name" in kwargs:
        raise HelpfulError(
            what_went_wrong="sheet_name= cannot be used when saving a dict of DataFrames",
            how_to_fix="The dict keys are the sheet names: rename the keys instead",
            example="handler.save({'Customers': df1, 'Orders': df2}, Dir.OUTPUT, 'report.xlsx')",
        )
    kwargs.setdefault("index", False)
    check_sheet_names(frames.keys())
    for frame in frames.values():
        _check_frame_for_excel(frame, kwargs)
    import_lazily("xlsxwriter", purpose="Saving .xlsx files")
    _write_sheets(frames, temp, kwargs)


def _write_sheets(frames: Mapping[str, Any], temp: Path, kwargs: Mapping[str, Any]) -> None:
    """One sheet per frame, with xlsxwriter: the column-typed fast path where it writes what
    ``to_excel`` would, ``to_excel`` for the other options. The workbook is zipped into
    memory, then written in one call: a full disk then fails that one write, and no
    half-written zip file is left behind."""
    from txo_runtime.load_n_save._xlsx_sheets import (  # noqa: PLC0415 - only .xlsx saves
        WORKBOOK_OPTIONS,
        fast_path_fits,
        write_frame_sheet,
    )

    pandas = _pandas("Saving DataFrames as .xlsx")
    # Not "with ExcelWriter": on an error before the first sheet exists, its close() raises
    # and hides the real error.
    buffer = io.BytesIO()
    options = {"options": dict(WORKBOOK_OPTIONS)}
    excel = pandas.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs=options)
    for name, frame in frames.items():
        if fast_path_fits(frame, kwargs):
            write_frame_sheet(excel.book, name, frame)
        else:
            frame.to_excel(excel, sheet_name=name, **kwargs)
    excel.close()
    with open(temp, "wb") as handle:
        handle.write(buffer.getbuffer())


def _write_frame_json(
    frame: Any, temp: Path, *, index: bool = False, indent: int | str | None = 2,
    sort_keys: bool = False, ensure_ascii: bool = False,
) -> None:  # fmt: skip
    # Through our encoder, not DataFrame.to_json: Decimal columns keep their digits and
    # NaN/NaT/dates follow the same rules as dict data.
    if index:
        frame = with_index_as_columns(frame)
    check_unique_columns(frame, ".json")
    check_flat_columns(frame, ".json", because="row objects need one text name per column")
    records = frame.to_dict(orient="records")
    _write_json(records, temp, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)


def _write_frame_parquet(frame: Any, temp: Path, **kwargs: Any) -> None:
    check_unique_columns(frame, ".parquet")
    import_lazily("pyarrow", purpose="Saving .parquet files")
    kwargs.setdefault("index", False)
    frame.to_parquet(temp, **kwargs)


def _write_workbook(workbook: Any, temp: Path) -> None:
    buffer = io.BytesIO()  # zipped in memory, written in one call: see _write_sheets
    workbook.save(buffer)
    with open(temp, "wb") as handle:
        handle.write(buffer.getbuffer())


def _write_text(text: str, temp: Path, *, encoding: str = "utf-8") -> None:
    # newline="": the text is written exactly as given, "\n" stays "\n" on Windows too.
    with open(temp, "w", encoding=encoding, newline="") as handle:
        handle.write(text)


def _write_bytes(data: bytes | bytearray | memoryview, temp: Path) -> None:
    temp.write_bytes(bytes(data))


# --- routing -----------------------------------------------------------------------------

_JSON_OPTIONS = frozenset({"indent", "sort_keys", "ensure_ascii"})
_YAML_OPTIONS = frozenset({"sort_keys", "indent"})
_TO_CSV = PandasOptions("to_csv")
_TO_EXCEL = PandasOptions("to_excel", set_by_writer=frozenset({"engine"}))
_TO_PARQUET = PandasOptions("to_parquet")
_YAML = frozenset({".yaml", ".yml"})

ROUTES: tuple[Route, ...] = (
    Route("structure", frozenset({".json"}), _write_json, _JSON_OPTIONS),
    Route("structure", _YAML, _write_yaml, _YAML_OPTIONS),
    Route("records", frozenset({".json"}), _write_json, _JSON_OPTIONS),
    Route("records", _YAML, _write_yaml, _YAML_OPTIONS),
    Route("records", frozenset({".jsonl"}), _write_jsonl, frozenset({"ensure_ascii"})),
    Route("records", frozenset({".csv"}), _write_records_csv, frozenset({"encoding", "delimiter"})),
    Route("records", frozenset({".xlsx"}), _write_records_xlsx, _TO_EXCEL),
    Route("dataframe", frozenset({".csv"}), _write_frame_csv, _TO_CSV),
    Route("dataframe", frozenset({".xlsx"}), _write_frame_xlsx, _TO_EXCEL),
    Route("dataframe", frozenset({".json"}), _write_frame_json, _JSON_OPTIONS | {"index"}),
    Route("dataframe", frozenset({".parquet"}), _write_frame_parquet, _TO_PARQUET, "needs pyarrow"),
    Route("frames", frozenset({".xlsx"}), _write_frames_xlsx, _TO_EXCEL, "one sheet per key"),
    Route("workbook", frozenset({".xlsx"}), _write_workbook, frozenset()),
    Route(
        "text",
        None,
        _write_text,
        frozenset({"encoding"}),
        "any extension except binary ones (.xlsx, .docx, .pdf, .zip, .parquet ...)",
    ),
    Route("bytes", None, _write_bytes, frozenset(), "any extension"),
)


def supported_combinations() -> str:
    """One line per kind of data: the extensions it can be saved as."""
    lines: dict[str, list[str]] = {}
    for route in ROUTES:
        if route.extensions is None:
            text = route.note
        else:
            text = ", ".join(sorted(route.extensions)) + (f" ({route.note})" if route.note else "")
        lines.setdefault(KIND_LABELS[route.kind], []).append(text)
    return "\n".join(f"  {label} -> {', '.join(parts)}" for label, parts in lines.items())


def _unsupported(what: str) -> HelpfulError:
    return HelpfulError(
        what_went_wrong=what,
        how_to_fix="Use one of the supported combinations of data and extension:\n"
        + supported_combinations(),
        example="handler.save(df, Dir.OUTPUT, 'report.xlsx')\n"
        "handler.save({'total': Decimal('9.99')}, Dir.OUTPUT, 'summary.json')",
    )


def _matches(route: Route, kind: str, extension: str) -> bool:
    if route.kind != kind:
        return False
    if route.extensions is None:
        return kind != "text" or extension not in BINARY_EXTENSIONS
    return extension in route.extensions


def _text_as_binary(filename: str, extension: str) -> HelpfulError:
    return HelpfulError(
        what_went_wrong=f"Cannot save a str as '{filename}': {extension} is a binary format, "
        "so the file would be corrupt and its program could not open it",
        how_to_fix="Pass the file's bytes (from the library that builds the document), or "
        "use a text extension such as .txt, .csv or .json",
        example="buffer = io.BytesIO()\ndocument.save(buffer)  # e.g. python-docx\n"
        f"handler.save(buffer.getvalue(), Dir.OUTPUT, 'letter{extension}')",
    )


def find_route(data: Any, filename: str, options: Mapping[str, Any]) -> Route:
    """The route for ``data`` saved as ``filename``; a HelpfulError lists what exists."""
    kind = detect_kind(data)
    if kind is None:
        raise _unsupported(f"Cannot save data of type {type(data).__name__}")
    extension = Path(filename).suffix.lower()
    if kind == "text" and extension in BINARY_EXTENSIONS:
        raise _text_as_binary(filename, extension)
    route = next((r for r in ROUTES if _matches(r, kind, extension)), None)
    if route is None:
        shown = extension or "a file without extension"
        raise _unsupported(f"Cannot save a {KIND_LABELS[kind]} as {shown} ('{filename}')")
    _check_options(route, options, f"a {KIND_LABELS[kind]} as {extension or 'text'}")
    return route


def _check_options(route: Route, options: Mapping[str, Any], saving: str) -> None:
    accepted = route.accepted_options() if options else frozenset()
    if accepted is None:
        return
    unknown = sorted(set(options) - accepted)
    if not unknown:
        return
    source = ""
    if isinstance(route.options, PandasOptions):
        source = f" (those of pandas DataFrame.{route.options.method})"
    raise HelpfulError(
        what_went_wrong=f"Unknown option(s) {', '.join(unknown)} for saving {saving}",
        how_to_fix=f"Accepted options{source}: {', '.join(sorted(accepted)) or 'none'}",
        example="handler.save(data, Dir.OUTPUT, 'data.json', indent=4)\n"
        "handler.save(df, Dir.OUTPUT, 'report.xlsx', sheet_name='Data')",
    )


def write(route: Route, data: Any, temp: Path, options: Mapping[str, Any]) -> None:
    """Run the route's writer on the temporary path."""
    route.writer(data, temp, **options)
