"""Save and load project files with one call: ``TxoDataHandler().save(data, Dir.OUTPUT, name)``.

The writer is chosen from the type of the data and the file extension, so a script says
what to save and where, not how; unknown writer options are refused before anything is
written. Every write goes to a temp file in the same folder that replaces the target only
when complete, so a crash never leaves half a report. pandas, openpyxl and yaml are
imported on first use, thread-safely. The rules for JSON values (exact ``Decimal``, ISO
dates, NaN -> null) are in ``_json_codec.py`` and ``docs/save-and-load.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from txo_runtime.exceptions import (
    ConfigurationError,
    FileOperationError,
    HelpfulError,
    MissingConfigKeyError,
    TxoBaseError,
)
from txo_runtime.load_n_save import _readers as readers
from txo_runtime.load_n_save._atomic import atomic_target, leftover_temp_files, target_of_temp
from txo_runtime.path_helpers import Dir, find_project_root, get_path, resolve_dir
from txo_runtime.run_events import emit, rows_in

__all__ = [
    "HoldsSecrets",
    "TxoDataHandler",
    "leftover_temp_files",
    "output_filename",
    "target_of_temp",
]

logger = logging.getLogger(__name__)

OUTPUT_TIMESTAMP_FORMAT = "%Y-%m-%dT%H%MZ"
TEXT_EXTENSIONS = frozenset(
    {".txt", ".md", ".xml", ".html", ".htm", ".log", ".sql", ".ini", ".cfg", ".toml", ".tsv"}
)
_READERS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        ".json": readers.read_json,
        ".jsonl": readers.read_jsonl,
        ".yaml": readers.read_yaml,
        ".yml": readers.read_yaml,
        ".csv": readers.read_csv,
        ".xlsx": readers.read_excel,
        ".xlsm": readers.read_excel,
        ".parquet": readers.read_parquet,
    }
)


def _write_error(target: Path, exc: OSError) -> FileOperationError:
    if isinstance(exc, PermissionError):
        fix = (
            "Check the folder's permissions, and close the file if another program "
            "(Excel) has it open"
        )
        return FileOperationError(
            f"No permission to write '{target}'",
            path=str(target),
            how_to_fix=fix,
            example="Close report.xlsx in Excel, then run the script again",
        )
    return FileOperationError(
        f"Could not write '{target}': {exc.strerror or exc}",
        path=str(target),
        how_to_fix="Check free disk space and that the folder is writable",
    )


@contextlib.contextmanager
def _writing(target: Path) -> Iterator[None]:
    """The one place where errors from writing libraries become txo errors."""
    try:
        yield
    except TxoBaseError:
        raise
    except OSError as exc:
        raise _write_error(target, exc) from exc
    except (ValueError, NotImplementedError) as exc:  # pandas/openpyxl refusing the data
        raise FileOperationError(
            f"Could not write '{target}': {exc}",
            path=str(target),
            how_to_fix="Convert the offending column before saving (see the message)",
            example="df['created'] = df['created'].dt.tz_localize(None)",
        ) from exc


@runtime_checkable
class HoldsSecrets(Protocol):
    """Data that carries injected secrets (a loaded ``ConfigDict``) and can leave them out.

    ``save()`` writes ``without_secrets()`` instead, so no secret reaches ``output/``."""

    def __len__(self) -> int: ...

    def without_secrets(self) -> dict[str, Any]: ...


def _holds_secrets(value: Any) -> bool:
    """``isinstance(value, HoldsSecrets)`` at the cost of one type lookup: a runtime protocol
    check costs microseconds, which a save of many rows pays once per row."""
    return callable(getattr(type(value), "without_secrets", None)) and hasattr(value, "__len__")


def _without_secrets(data: Any, filename: str) -> Any:
    """``data`` with a loaded config in it (the data itself, or a value of a top-level dict
    or list) replaced by its copy without injected secrets; a warning says how many were
    left out. One level deep only: the rows of a large save are not walked."""
    counted = [0]

    def public(value: Any) -> Any:
        if not _holds_secrets(value):
            return value
        copy = value.without_secrets()
        counted[0] += len(value) - len(copy)
        return copy

    cleaned = public(data)
    if type(cleaned) is dict and any(_holds_secrets(v) for v in cleaned.values()):
        cleaned = {key: public(value) for key, value in cleaned.items()}
    elif type(cleaned) in (list, tuple) and any(_holds_secrets(v) for v in cleaned):
        cleaned = type(cleaned)(public(value) for value in cleaned)
    if counted[0]:
        logger.warning(
            "Saving %s without %d injected secret(s) of a loaded config: secrets belong in "
            "the secrets file only",
            filename,
            counted[0],
        )
    return cleaned


class TxoDataHandler:
    """Loads and saves files in the project's folders (``Dir.OUTPUT``, ``Dir.DATA`` ...).

    ``root`` defaults to the project found from the working directory, looked up at first
    use so a module-level ``TxoDataHandler()`` never fails at import time. ``fsync=False``
    skips flushing to disk (faster; still atomic against crashes of the script itself,
    but not against a power cut). Instances hold no other state and are thread-safe.
    """

    def __init__(self, root: Path | str | None = None, *, fsync: bool = True) -> None:
        self._root = Path(root).resolve() if root is not None else None
        self._fsync = fsync

    def __repr__(self) -> str:
        return f"TxoDataHandler(root={self._root!r}, fsync={self._fsync})"

    @property
    def root(self) -> Path:
        """The project root (found on first access when not given)."""
        if self._root is None:
            self._root = find_project_root()
        return self._root

    def path(self, directory: Dir | str, filename: str) -> Path:
        """Absolute path of ``filename`` in ``directory`` (no check that it exists)."""
        return self._locate(directory, filename, stacklevel=4)

    def _locate(
        self, directory: Dir | str, filename: str, *, stacklevel: int, create: bool = False
    ) -> Path:
        # stacklevel counts resolve_dir, this method and the public method: 4 = user's line.
        member = resolve_dir(directory, stacklevel=stacklevel)
        return get_path(member, filename, root=self.root, ensure_parent=create)

    # --- saving --------------------------------------------------------------------------

    def save(self, data: Any, directory: Dir | str, filename: str, **writer_kwargs: Any) -> Path:
        """Write ``data`` to ``directory/filename`` atomically and return the absolute path.

        The writer follows the data type and extension; ``writer_kwargs`` go to it (``indent``
        for JSON, ``sheet_name``/``index`` for Excel, pandas options for CSV/Excel).
        An iterator (a generator, ``iter_odata_entities(...)``) is streamed as by
        :meth:`save_rows`, never collected into a list first.
        """
        member = resolve_dir(directory, stacklevel=3)
        if isinstance(data, Iterator):
            return self._save_rows(data, member, filename, None, writer_kwargs)
        return self._save(data, member, filename, writer_kwargs)

    def save_rows(
        self,
        rows: Iterable[Mapping[str, Any]],
        directory: Dir | str,
        filename: str,
        *,
        columns: Sequence[str] | None = None,
        **writer_kwargs: Any,
    ) -> Path:
        """Write rows (dicts) to a .csv, .jsonl or .xlsx file as they come; memory stays flat.

        Atomic like :meth:`save`: the file appears complete or not at all, also when the
        iterator fails half-way. CSV and .xlsx take their columns from the first row unless
        ``columns`` lists them; a later row with another key is refused (its value would be
        lost). Options: ``encoding``/``delimiter`` (.csv), ``ensure_ascii`` (.jsonl),
        ``sheet_name`` (.xlsx).
        """
        member = resolve_dir(directory, stacklevel=3)
        return self._save_rows(rows, member, filename, columns, writer_kwargs)

    def _save_rows(
        self,
        rows: Iterable[Mapping[str, Any]],
        member: Dir,
        filename: str,
        columns: Sequence[str] | None,
        options: dict[str, Any],
    ) -> Path:
        from txo_runtime.load_n_save._row_stream import (  # only scripts that stream need it
            SourceError,
            check_stream_target,
            write_rows,
        )

        extension = check_stream_target(filename, options)
        if columns is not None and extension == ".jsonl":
            raise HelpfulError(
                what_went_wrong="columns= does not apply to .jsonl: each line keeps its own keys",
                how_to_fix="Leave out columns=, or save as .csv / .xlsx",
                example="handler.save_rows(rows, Dir.OUTPUT, 'orders.jsonl')",
            )
        target = get_path(member, filename, root=self.root)
        try:
            with _writing(target):
                target.parent.mkdir(parents=True, exist_ok=True)
                with atomic_target(target, fsync=self._fsync) as temp:
                    count = write_rows(rows, temp, extension, columns, options)
        except SourceError as failed:  # the rows' own error (an API call), as it was raised
            raise failed.original from None
        size = target.stat().st_size
        logger.debug("Saved %d rows as %s", count, target)
        emit("file.saved", path=str(target), rows=count, bytes=size)
        return target

    def _save(
        self, data: Any, member: Dir, filename: str, options: dict[str, Any], as_ext: str = ""
    ) -> Path:
        # The writers (csv, inspect, the routing table) load on the first save, not at
        # every start-up: a script's --help never saves.
        from txo_runtime.load_n_save._writers import find_route, write

        data = _without_secrets(data, filename)
        route = find_route(data, f"file{as_ext}" if as_ext else filename, options)
        target = get_path(member, filename, root=self.root)  # escape checks before any I/O
        with _writing(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_target(target, fsync=self._fsync) as temp:
                write(route, data, temp, options)
        emit("file.saved", path=str(target), rows=rows_in(data), bytes=target.stat().st_size)
        logger.debug("Saved %s as %s", type(data).__name__, target)
        return target

    def save_output(
        self,
        data: Any,
        config: Mapping[str, Any],
        stem: str,
        ext: str,
        *,
        directory: Dir = Dir.OUTPUT,
        now: dt.datetime | None = None,
        **writer_kwargs: Any,
    ) -> Path:
        """Save under the standard output name ``{org}-{env}-{stem}_{UTC time}.{ext}``."""
        name = output_filename(config, stem, ext, now=now)
        return self._save(data, resolve_dir(directory, stacklevel=3), name, writer_kwargs)

    # --- loading -------------------------------------------------------------------------

    def load(self, directory: Dir | str, filename: str, **kwargs: Any) -> Any:
        """Read a file by its extension: JSON/YAML data, CSV/Excel DataFrames, or text."""
        path = self._locate(directory, filename, stacklevel=4)
        extension = path.suffix.lower()
        if extension in TEXT_EXTENSIONS:
            return readers.read_text(path, **kwargs)
        reader = _READERS.get(extension)
        if reader is None:
            known = sorted({*_READERS, *TEXT_EXTENSIONS})
            raise HelpfulError(
                what_went_wrong=f"No reader for '{filename}' (extension {extension or 'none'})",
                how_to_fix=f"Use load_text or load_bytes, or one of: {', '.join(known)}",
                example=f"handler.load_bytes(Dir.DATA, '{filename}')",
            )
        return reader(path, **kwargs)

    def load_json(
        self, directory: Dir | str, filename: str, *, exact_decimals: bool = False
    ) -> Any:
        """Parsed JSON; ``exact_decimals=True`` reads fractional numbers as ``Decimal``."""
        path = self._locate(directory, filename, stacklevel=4)
        return readers.read_json(path, exact_decimals=exact_decimals)

    def load_yaml(
        self, directory: Dir | str, filename: str, *, exact_decimals: bool = False
    ) -> Any:
        """Parsed YAML (safe loader); ``exact_decimals`` as for :meth:`load_json`."""
        path = self._locate(directory, filename, stacklevel=4)
        return readers.read_yaml(path, exact_decimals=exact_decimals)

    def load_csv(self, directory: Dir | str, filename: str, **kwargs: Any) -> Any:
        """A DataFrame; ``kwargs`` go to ``pandas.read_csv`` (``sep``, ``dtype`` ...).

        CSV has no types: pandas guesses them, so "00123" becomes 123. Pass ``dtype=str`` to
        get every cell as written. Only empty cells are missing values ("NA" stays text)
        unless ``keep_default_na``/``na_values`` are given.
        """
        return readers.read_csv(self._locate(directory, filename, stacklevel=4), **kwargs)

    def load_excel(
        self, directory: Dir | str, filename: str, sheet_name: Any = 0, **kwargs: Any
    ) -> Any:
        """A DataFrame of one sheet (name or 0-based position); ``None`` -> dict of all."""
        path = self._locate(directory, filename, stacklevel=4)
        return readers.read_excel(path, sheet_name, **kwargs)

    def load_text(self, directory: Dir | str, filename: str, *, encoding: str = "utf-8") -> str:
        """The file's text exactly as stored (no newline translation)."""
        path = self._locate(directory, filename, stacklevel=4)
        return readers.read_text(path, encoding=encoding)

    def load_bytes(self, directory: Dir | str, filename: str) -> bytes:
        return readers.read_bytes(self._locate(directory, filename, stacklevel=4))

    # --- file operations -----------------------------------------------------------------

    def exists(self, directory: Dir | str, filename: str) -> bool:
        """Whether a file (not a folder) of that name exists."""
        return self._locate(directory, filename, stacklevel=4).is_file()

    def delete(self, directory: Dir | str, filename: str) -> bool:
        """Delete a file: True if it was deleted, False if there was none (as v2.1)."""
        path = self._locate(directory, filename, stacklevel=4)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise FileOperationError(
                f"Could not delete '{path}': {exc.strerror or exc}",
                path=str(path),
                how_to_fix="Check it is a file (not a folder) and that you may change it",
            ) from exc
        logger.debug("Deleted %s", path)
        return True

    def get_size(self, directory: Dir | str, filename: str) -> int:
        """Size in bytes; a missing file is a FileOperationError."""
        path = self._locate(directory, filename, stacklevel=4)
        with readers.reading(path):
            return path.stat().st_size

    # --- deprecated v2.1 names -----------------------------------------------------------

    def _deprecated_save(
        self, old: str, data: Any, directory: Dir | str, filename: str, as_ext: str, **kw: Any
    ) -> Path:
        shown = ", ".join(f"{key}={value!r}" for key, value in kw.items())
        warnings.warn(
            f"TxoDataHandler.{old}() is deprecated; use save(data, Dir.X, '{filename}'"
            f"{', ' + shown if shown else ''}) — the format follows the extension",
            DeprecationWarning,
            stacklevel=3,
        )
        member = resolve_dir(directory, stacklevel=4)
        return self._save(data, member, filename, kw, as_ext=as_ext)

    def save_json(self, data: Any, directory: Dir | str, filename: str, indent: int = 2) -> Path:
        """Deprecated: use :meth:`save`."""
        return self._deprecated_save("save_json", data, directory, filename, ".json", indent=indent)

    def save_excel(
        self, df: Any, directory: Dir | str, filename: str, sheet_name: str = "Sheet1",
        index: bool = False,
    ) -> Path:  # fmt: skip
        """Deprecated: use :meth:`save`."""
        return self._deprecated_save(
            "save_excel", df, directory, filename, ".xlsx", sheet_name=sheet_name, index=index
        )

    def save_csv(self, df: Any, directory: Dir | str, filename: str, index: bool = False) -> Path:
        """Deprecated: use :meth:`save`."""
        return self._deprecated_save("save_csv", df, directory, filename, ".csv", index=index)


# --- output names ----------------------------------------------------------------------------


def _config_text(config: Mapping[str, Any], key: str) -> str:
    try:
        value = config[key]
    except MissingConfigKeyError:  # a loaded config names its file itself
        raise
    except KeyError:
        source = getattr(config, "source_file", None)
        raise MissingConfigKeyError.for_key(
            key, config_file=source if isinstance(source, str) else None
        ) from None
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"Config '{key}' must be a non-empty string", key_path=key)
    return value


def _name_part(value: str, what: str) -> str:
    if not value or any(sep in value for sep in ("/", "\\")):
        raise HelpfulError(
            what_went_wrong=f"Invalid output {what} {value!r}: it must be a non-empty name "
            "without / or \\",
            how_to_fix=f"Pass a plain {what}; choose the folder with the Dir argument",
            example="output_filename(config, 'customers', 'xlsx')",
        )
    return value


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise HelpfulError(
            what_went_wrong="output_filename() got a naive datetime (no time zone)",
            how_to_fix="Pass an aware datetime; output names are in UTC",
            example="now=datetime.now(timezone.utc)",
        )
    return now.astimezone(dt.timezone.utc)


def output_filename(
    config: Mapping[str, Any], stem: str, ext: str, *, now: dt.datetime | None = None
) -> str:
    """``{org}-{env}-{stem}_{YYYY-MM-DDTHHMMZ}.{ext}`` in UTC: sortable, and unique per org/env.

    ``ext`` may be given with or without the dot. Two saves in the same minute get the same
    name; add a distinguishing ``stem`` if a script writes that often.
    """
    org = _config_text(config, "_org_id")
    env = _config_text(config, "_env_type")
    extension = _name_part(ext[1:] if ext.startswith(".") else ext, "extension")
    stamp = _utc(now).strftime(OUTPUT_TIMESTAMP_FORMAT)
    return f"{org}-{env}-{_name_part(stem, 'stem')}_{stamp}.{extension}"
