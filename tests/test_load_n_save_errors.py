"""Bad input gives a txo error naming the file and the fix; failed writes change nothing."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from txo_runtime.exceptions import FileOperationError, HelpfulError
from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.path_helpers import Dir

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def handler(tmp_path: Path) -> TxoDataHandler:
    return TxoDataHandler(root=tmp_path)


def _write(handler: TxoDataHandler, name: str, content: str | bytes) -> Path:
    path = handler.root / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- reading -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "load",
    [
        lambda h: h.load_json(Dir.DATA, "missing.json"),
        lambda h: h.load_yaml(Dir.DATA, "missing.yaml"),
        lambda h: h.load_csv(Dir.DATA, "missing.csv"),
        lambda h: h.load_excel(Dir.DATA, "missing.xlsx"),
        lambda h: h.load_text(Dir.DATA, "missing.txt"),
        lambda h: h.load_bytes(Dir.DATA, "missing.bin"),
        lambda h: h.load(Dir.DATA, "missing.json"),
        lambda h: h.get_size(Dir.DATA, "missing.json"),
    ],
    ids=["json", "yaml", "csv", "excel", "text", "bytes", "load", "get_size"],
)
def test_missing_file_is_a_file_operation_error_naming_it(
    handler: TxoDataHandler, load: Any
) -> None:
    with pytest.raises(FileOperationError, match="File not found") as caught:
        load(handler)

    assert caught.value.path is not None
    assert caught.value.path.startswith(str(handler.root / "data" / "missing."))
    assert caught.value.how_to_fix


def test_missing_file_suggests_close_names(handler: TxoDataHandler) -> None:
    _write(handler, "customers.json", "{}")

    with pytest.raises(FileOperationError) as caught:
        handler.load_json(Dir.DATA, "customer.json")

    assert "customers.json" in (caught.value.how_to_fix or "")


def test_malformed_json_names_file_line_and_column(handler: TxoDataHandler) -> None:
    path = _write(handler, "bad.json", '{\n  "a": 1,\n  "b" 2\n}\n')

    with pytest.raises(FileOperationError) as caught:
        handler.load_json(Dir.DATA, "bad.json")

    assert str(path) in str(caught.value)
    assert "line 3, column 7" in str(caught.value)
    assert "Expecting ':' delimiter" in str(caught.value)


def test_malformed_yaml_names_file_line_and_column(handler: TxoDataHandler) -> None:
    path = _write(handler, "bad.yaml", "a: 1\nb: [1, 2\nc: 3\n")

    with pytest.raises(FileOperationError) as caught:
        handler.load_yaml(Dir.DATA, "bad.yaml")

    assert str(path) in str(caught.value)
    assert "line 3, column 2" in str(caught.value)


def test_parser_messages_never_quote_the_file_content(handler: TxoDataHandler) -> None:
    _write(handler, "secrets.yaml", "client-secret: s3cr3t-value: oops\n")

    with pytest.raises(FileOperationError) as caught:
        handler.load_yaml(Dir.DATA, "secrets.yaml")

    assert "s3cr3t" not in str(caught.value)


def test_json_with_a_byte_order_mark_is_read(handler: TxoDataHandler) -> None:
    _write(handler, "bom.json", '\ufeff{"a": 1}')

    assert handler.load_json(Dir.DATA, "bom.json") == {"a": 1}


def test_wrong_sheet_name_lists_the_sheets_that_exist(handler: TxoDataHandler) -> None:
    frame = pd.DataFrame({"a": [1]})
    handler.save({"Customers": frame, "Orders": frame}, Dir.DATA, "book.xlsx")

    with pytest.raises(FileOperationError, match="it has: Customers, Orders") as caught:
        handler.load_excel(Dir.DATA, "book.xlsx", sheet_name="Invoices")
    with pytest.raises(FileOperationError, match="Sheet 5 not found"):
        handler.load_excel(Dir.DATA, "book.xlsx", sheet_name=5)

    assert "book.xlsx" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "load", "message"),
    [
        ("fake.xlsx", b"not a zip", lambda h: h.load_excel(Dir.DATA, "fake.xlsx"), "not a valid"),
        ("latin.txt", b"caf\xe9", lambda h: h.load_text(Dir.DATA, "latin.txt"), "not valid utf-8"),
        ("empty.csv", b"", lambda h: h.load_csv(Dir.DATA, "empty.csv"), "Cannot read CSV"),
        (
            "ragged.csv",
            b"a,b\n1,2\n1,2,3\n",
            lambda h: h.load_csv(Dir.DATA, "ragged.csv"),
            "Expected 2 fields in line 3",
        ),
        ("dir.json/x", b"", lambda h: h.load_json(Dir.DATA, "dir.json"), "is a folder"),
    ],
    ids=["xlsx-not-zip", "bad-encoding", "empty-csv", "ragged-csv", "folder"],
)
def test_unreadable_content_is_a_file_operation_error(
    handler: TxoDataHandler, name: str, content: bytes, load: Any, message: str
) -> None:
    _write(handler, name, content)

    with pytest.raises(FileOperationError, match=message) as caught:
        load(handler)

    assert caught.value.path is not None and "data" in caught.value.path


def test_other_encodings_can_be_read_when_named(handler: TxoDataHandler) -> None:
    _write(handler, "latin.txt", b"caf\xe9")

    assert handler.load_text(Dir.DATA, "latin.txt", encoding="cp1252") == "café"


@pytest.mark.skipif(IS_ROOT or os.name != "posix", reason="root ignores file permissions")
def test_unreadable_file_is_a_file_operation_error(handler: TxoDataHandler) -> None:
    path = _write(handler, "locked.json", "{}")
    path.chmod(0)

    with pytest.raises(FileOperationError, match="permission denied"):
        handler.load_json(Dir.DATA, "locked.json")


def test_unknown_extension_on_load_says_what_to_use(handler: TxoDataHandler) -> None:
    _write(handler, "x.bin", b"1")

    with pytest.raises(HelpfulError, match="load_bytes"):
        handler.load(Dir.DATA, "x.bin")


# --- saving ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        ({"a": 1}, "data.csv", "Cannot save a dict or list as .csv"),
        (pd.DataFrame({"a": [1]}), "df.yaml", "Cannot save a pandas DataFrame as .yaml"),
        ({"S": pd.DataFrame({"a": [1]})}, "df.csv", "Cannot save a dict of DataFrames as .csv"),
        ({"a": 1}, "no_extension", "a file without extension"),
        (object(), "x.json", "Cannot save data of type object"),
        (42, "x.json", "Cannot save data of type int"),
    ],
    ids=["dict-csv", "frame-yaml", "frames-csv", "dict-noext", "object", "int"],
)
def test_unsupported_combination_lists_the_ones_that_exist(
    handler: TxoDataHandler, data: Any, filename: str, message: str
) -> None:
    with pytest.raises(HelpfulError, match=message) as caught:
        handler.save(data, Dir.OUTPUT, filename)

    text = str(caught.value)
    assert "pandas DataFrame -> .csv, .xlsx, .json, .parquet (needs pyarrow)" in text
    assert "dict or list -> .json, .yaml, .yml" in text
    assert not (handler.root / "output").exists()  # nothing touched


BINARY_NAMES = [
    *("r.xlsx", "r.XLSX", "r.xlsb", "r.ods", "r.docx", "r.odt", "r.pptx", "r.pdf"),
    *("r.zip", "r.7z", "r.tar", "r.tar.gz", "r.bz2", "r.xz", "r.avro", "r.pkl", "r.parquet"),
]


@pytest.mark.parametrize("filename", BINARY_NAMES)
def test_str_is_refused_for_binary_extensions_before_anything_is_written(
    handler: TxoDataHandler, filename: str
) -> None:
    with pytest.raises(HelpfulError, match="is a binary format") as caught:
        handler.save("not a document", Dir.OUTPUT, filename)

    assert "handler.save(buffer.getvalue()" in str(caught.value)  # the fix: pass bytes
    assert not (handler.root / "output").exists()


@pytest.mark.parametrize("filename", ["r.docx", "r.7z", "r.pkl"])
def test_bytes_are_still_accepted_for_binary_extensions(
    handler: TxoDataHandler, filename: str
) -> None:
    path = handler.save(b"PK\x03\x04 real bytes", Dir.OUTPUT, filename)

    assert path.read_bytes() == b"PK\x03\x04 real bytes"


@pytest.mark.parametrize("filename", ["d.json", "d.parquet"])
def test_duplicate_column_names_are_refused_where_columns_would_be_lost(
    handler: TxoDataHandler, filename: str
) -> None:
    target = handler.save(b"old", Dir.OUTPUT, filename)
    frame = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])

    with pytest.raises(HelpfulError, match=r"duplicate column names \['a'\]"):
        handler.save(frame, Dir.OUTPUT, filename)

    _assert_untouched(target, b"old")


def test_json_index_clashing_with_a_column_is_refused(handler: TxoDataHandler) -> None:
    frame = pd.DataFrame({"k": [1]}, index=pd.Index(["x"], name="k"))

    with pytest.raises(HelpfulError, match="Cannot keep the index as a column") as caught:
        handler.save(frame, Dir.OUTPUT, "clash.json", index=True)

    assert "rename_axis" in str(caught.value)
    assert list((handler.root / "output").iterdir()) == []  # no temp file left


MULTI_LEVEL = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")]))


@pytest.mark.parametrize(
    ("data", "filename"),
    [(MULTI_LEVEL, "m.xlsx"), ({"S": MULTI_LEVEL}, "m.xlsx"), (MULTI_LEVEL, "m.json")],
    ids=["frame-xlsx", "frames-xlsx", "frame-json"],
)
def test_multiindex_columns_are_a_helpful_error_and_leave_the_old_file(
    handler: TxoDataHandler, data: Any, filename: str
) -> None:
    target = handler.save(b"old", Dir.OUTPUT, filename)

    with pytest.raises(HelpfulError, match="MultiIndex") as caught:
        handler.save(data, Dir.OUTPUT, filename)

    assert "' '.join(map(str, name))" in str(caught.value)
    _assert_untouched(target, b"old")


def test_multiindex_columns_in_excel_work_with_the_index(handler: TxoDataHandler) -> None:
    path = handler.save(MULTI_LEVEL, Dir.OUTPUT, "m.xlsx", index=True)

    assert path.stat().st_size > 0


def test_sheet_name_for_a_dict_of_frames_says_the_keys_are_the_names(
    handler: TxoDataHandler,
) -> None:
    target = handler.save(b"old", Dir.OUTPUT, "s.xlsx")

    with pytest.raises(HelpfulError, match="dict keys are the sheet names"):
        handler.save({"A": pd.DataFrame({"a": [1]})}, Dir.OUTPUT, "s.xlsx", sheet_name="X")

    _assert_untouched(target, b"old")


def test_error_before_the_first_sheet_is_not_hidden_by_excel_writer(
    handler: TxoDataHandler,
) -> None:
    # pandas' ExcelWriter.close() on a book without sheets raises "At least one sheet must
    # be visible", which used to replace the real error.
    target = handler.save(b"old", Dir.OUTPUT, "s.xlsx")

    with pytest.raises(HelpfulError, match=r"Unknown option\(s\) no_such_option"):
        handler.save({"A": pd.DataFrame({"a": [1]})}, Dir.OUTPUT, "s.xlsx", no_such_option=1)

    _assert_untouched(target, b"old")


def test_unsupported_value_inside_json_data_names_its_type(handler: TxoDataHandler) -> None:
    with pytest.raises(HelpfulError, match="Cannot write a complex value as JSON"):
        handler.save({"z": 1j}, Dir.OUTPUT, "x.json")


def test_circular_data_is_refused(handler: TxoDataHandler) -> None:
    data: dict[str, Any] = {"a": 1}
    data["self"] = data

    with pytest.raises(HelpfulError, match="circular reference"):
        handler.save(data, Dir.OUTPUT, "loop.json")


def test_unknown_writer_option_is_refused(handler: TxoDataHandler) -> None:
    with pytest.raises(HelpfulError, match="Accepted options: ensure_ascii, indent, sort_keys"):
        handler.save({"a": 1}, Dir.OUTPUT, "x.json", sheet_name="A")


@pytest.mark.parametrize(
    ("data", "filename", "option", "method"),
    [
        (pd.DataFrame({"a": [1]}), "x.csv", "colour", "to_csv"),
        (pd.DataFrame({"a": [1]}), "x.xlsx", "colour", "to_excel"),
        (pd.DataFrame({"a": [1]}), "x.xlsx", "engine", "to_excel"),  # the writer sets it
        ([{"a": 1}], "x.xlsx", "colour", "to_excel"),
        ({"A": pd.DataFrame({"a": [1]})}, "x.xlsx", "colour", "to_excel"),
    ],
    ids=["frame-csv", "frame-xlsx", "engine-is-ours", "records-xlsx", "frames-xlsx"],
)
def test_options_passed_to_pandas_are_checked_against_its_signature_before_writing(
    handler: TxoDataHandler, data: Any, filename: str, option: str, method: str
) -> None:
    with pytest.raises(HelpfulError) as caught:
        handler.save(data, Dir.OUTPUT, filename, **{option: "x"})

    assert f"Unknown option(s) {option}" in caught.value.message
    assert f"pandas DataFrame.{method}" in str(caught.value.how_to_fix)
    assert not (handler.root / "output" / filename).exists()


@pytest.mark.parametrize(
    ("filename", "options"),
    [("x.csv", {"sep": ";", "na_rep": "-"}), ("x.xlsx", {"sheet_name": "Data", "index": True})],
)
def test_options_that_pandas_accepts_reach_it(
    handler: TxoDataHandler, filename: str, options: dict[str, Any]
) -> None:
    path = handler.save(pd.DataFrame({"a": [1], "b": [None]}), Dir.OUTPUT, filename, **options)

    assert path.stat().st_size > 0
    if filename.endswith(".csv"):
        assert path.read_text(encoding="utf-8") == "a;b\n1;-\n"


def test_a_type_error_from_inside_pandas_is_not_mistaken_for_an_unknown_option(
    handler: TxoDataHandler,
) -> None:
    # A known option whose content pandas passes on (to gzip) fails with the text
    # "unexpected keyword argument": it stays a TypeError, the file is left untouched.
    target = handler.save(b"old", Dir.OUTPUT, "x.csv")

    with pytest.raises(TypeError) as caught:
        handler.save(
            pd.DataFrame({"a": [1]}),
            Dir.OUTPUT,
            "x.csv",
            compression={"method": "gzip", "bogus": 1},
        )

    assert not isinstance(caught.value, HelpfulError)
    _assert_untouched(target, b"old")


@pytest.mark.parametrize(
    "sheet",
    ["x" * 32, "a/b", "a[1]", "why?", "star*", "c:d", "back\\slash", "", "'quoted'", "History"],
)
def test_invalid_sheet_names_are_refused_before_writing(
    handler: TxoDataHandler, sheet: str
) -> None:
    frame = pd.DataFrame({"a": [1]})

    with pytest.raises(HelpfulError, match="Invalid Excel sheet name"):
        handler.save({sheet: frame}, Dir.OUTPUT, "book.xlsx")
    with pytest.raises(HelpfulError, match="Invalid Excel sheet name"):
        handler.save(frame, Dir.OUTPUT, "one.xlsx", sheet_name=sheet)
    assert list((handler.root / "output").glob("*")) == []


def test_sheet_names_differing_only_in_case_are_refused(handler: TxoDataHandler) -> None:
    frame = pd.DataFrame({"a": [1]})

    with pytest.raises(HelpfulError, match="used twice"):
        handler.save({"Data": frame, "DATA": frame}, Dir.OUTPUT, "book.xlsx")


def test_timezone_aware_datetimes_in_excel_are_a_clear_error(handler: TxoDataHandler) -> None:
    frame = pd.DataFrame({"at": pd.to_datetime(["2025-01-01T10:00Z"])})

    with pytest.raises(FileOperationError, match="timezones") as caught:
        handler.save(frame, Dir.OUTPUT, "tz.xlsx")

    assert "tz_localize" in (caught.value.example or "")


@pytest.mark.parametrize(
    "name", ["../x.json", "../../etc/x.json", "sub/../../x.json", "/tmp/x.json"]
)
def test_file_names_escaping_the_folder_are_refused(handler: TxoDataHandler, name: str) -> None:
    with pytest.raises(HelpfulError):
        handler.save({"a": 1}, Dir.OUTPUT, name)
    with pytest.raises(HelpfulError):
        handler.load_json(Dir.OUTPUT, name)
    assert not (handler.root / "x.json").exists()


@pytest.mark.skipif(IS_ROOT or os.name != "posix", reason="root ignores file permissions")
def test_permission_error_on_write_is_a_file_operation_error(handler: TxoDataHandler) -> None:
    folder = handler.root / "output"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(FileOperationError, match="No permission to write") as caught:
            handler.save({"a": 1}, Dir.OUTPUT, "x.json")
    finally:
        folder.chmod(0o755)
    assert caught.value.path == str(folder / "x.json")


def test_target_locked_by_another_program_is_a_file_operation_error(
    handler: TxoDataHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = handler.save(b"old", Dir.OUTPUT, "report.xlsx")

    def locked(src: Any, dst: Any) -> None:  # what Windows does while Excel has the file open
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", locked)

    with pytest.raises(FileOperationError, match="No permission to write") as caught:
        handler.save(pd.DataFrame({"a": [1]}), Dir.OUTPUT, "report.xlsx")

    assert "close the file" in (caught.value.how_to_fix or "")
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["report.xlsx"]


def test_disk_full_is_a_file_operation_error(
    handler: TxoDataHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)

    with pytest.raises(FileOperationError, match="No space left on device"):
        handler.save({"a": 1}, Dir.OUTPUT, "x.json")


# --- atomic writes -----------------------------------------------------------------------


class Boom(RuntimeError):
    pass


class ExplodingCell:
    """A value whose text form fails: the CSV writer has written earlier rows by then."""

    def __str__(self) -> str:
        raise Boom("cannot format this cell")


def _half_write_then_fail(self: Any, path: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(path, (str, Path)):  # .xlsx sheets go to an in-memory ExcelWriter
        with open(path, "wb") as handle:
            handle.write(b"PARTIAL CONTENT")
    raise Boom("disk on fire")


def _assert_untouched(target: Path, before: bytes) -> None:
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temp file


@pytest.mark.parametrize("method", ["to_csv", "to_excel"])
def test_pandas_writer_failing_midway_leaves_old_file_identical(
    handler: TxoDataHandler, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    filename = "report.csv" if method == "to_csv" else "report.xlsx"
    target = handler.save(b"OLD BYTES \x00\xff", Dir.OUTPUT, filename)
    monkeypatch.setattr(pd.DataFrame, method, _half_write_then_fail)

    with pytest.raises(Boom):  # index=True: a frame .xlsx still writes through to_excel
        options = {"index": True} if method == "to_excel" else {}
        handler.save(pd.DataFrame({"a": [1]}), Dir.OUTPUT, filename, **options)

    _assert_untouched(target, b"OLD BYTES \x00\xff")


def test_xlsx_failing_after_some_rows_leaves_old_file_identical(handler: TxoDataHandler) -> None:
    target = handler.save(b"OLD BYTES", Dir.OUTPUT, "rows.xlsx")
    frame = pd.DataFrame({"id": [*range(5000), ExplodingCell()]})

    with pytest.raises(Boom):
        handler.save(frame, Dir.OUTPUT, "rows.xlsx")

    _assert_untouched(target, b"OLD BYTES")


def test_csv_failing_after_some_rows_leaves_old_file_identical(handler: TxoDataHandler) -> None:
    target = handler.save("id\n1\n", Dir.OUTPUT, "rows.csv")
    rows = [{"id": n} for n in range(5000)] + [{"id": ExplodingCell()}]

    with pytest.raises(Boom):
        handler.save(rows, Dir.OUTPUT, "rows.csv")

    _assert_untouched(target, b"id\n1\n")


@pytest.mark.parametrize(
    ("data", "filename"),
    [({"a": 1}, "r.json"), ({"a": 1}, "r.yaml"), ("text", "r.txt"), (b"bin", "r.bin")],
    ids=["json", "yaml", "text", "bytes"],
)
@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_any_writer_interrupted_midway_leaves_old_file_identical(
    handler: TxoDataHandler,
    monkeypatch: pytest.MonkeyPatch,
    data: Any,
    filename: str,
    error: type[BaseException],
) -> None:
    target = handler.save(b"previous", Dir.OUTPUT, filename)

    def interrupted(route: Any, data: Any, temp: Path, options: Any) -> None:
        temp.write_bytes(b"half")
        raise error()

    monkeypatch.setattr("txo_runtime.load_n_save._writers.write", interrupted)

    with pytest.raises(error):
        handler.save(data, Dir.OUTPUT, filename)

    _assert_untouched(target, b"previous")


def test_failed_first_write_leaves_no_file_at_all(
    handler: TxoDataHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pd.DataFrame, "to_csv", _half_write_then_fail)

    with pytest.raises(Boom):
        handler.save(pd.DataFrame({"a": [1]}), Dir.OUTPUT, "new.csv")

    assert list((handler.root / "output").iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_new_files_get_normal_permissions_and_overwrites_keep_theirs(
    handler: TxoDataHandler,
) -> None:
    umask = _current_umask()
    created = handler.save({"a": 1}, Dir.OUTPUT, "new.json")
    assert stat.S_IMODE(created.stat().st_mode) == 0o666 & ~umask

    created.chmod(0o640)
    handler.save({"a": 2}, Dir.OUTPUT, "new.json")
    assert stat.S_IMODE(created.stat().st_mode) == 0o640


def _current_umask() -> int:
    """The process umask, read by creating a file (os.umask would have to change it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe"
        with open(path, "w"):
            pass
        return 0o666 & ~stat.S_IMODE(path.stat().st_mode)


def test_save_without_fsync_is_still_atomic(tmp_path: Path) -> None:
    handler = TxoDataHandler(root=tmp_path, fsync=False)

    path = handler.save({"a": 1}, Dir.OUTPUT, "x.json")

    assert handler.load_json(Dir.OUTPUT, "x.json") == {"a": 1}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]
