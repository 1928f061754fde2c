"""Reading and validating ``config/logging-config.json``.

The file is *our* format (v3.0), not ``logging.config.dictConfig`` input: dictConfig lets a
file name any handler and formatter class, and one such line would bypass redaction. Here
the file only chooses levels, formats and the log file name; :mod:`txo_runtime.logger`
builds the handlers, always with the redacting formatter.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_runtime.logger._redaction import _read_json
from txo_runtime.path_helpers import packaged_data

__all__ = [
    "LOGGING_CONFIG_FILE",
    "PATTERNS_FILE",
    "FileSettings",
    "LoggingSettings",
    "load_logging_settings",
]

LOGGING_CONFIG_FILE = "logging-config.json"
PATTERNS_FILE = "log-redaction-patterns.json"
SCHEMA_FILE = "logging-config.schema.json"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUP_COUNT = 5
NO_ORG_NAME = "txo"  # {org_id} in the log file name before an org is known
JSON_FORMAT = "json"  # "format": "json": one JSON object per line (datefmt ignored)


@dataclass(frozen=True, slots=True)
class FileSettings:
    enabled: bool
    level: str
    filename: str
    format: str
    datefmt: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    backup_count: int = DEFAULT_BACKUP_COUNT
    encoding: str = "utf-8"

    @property
    def json(self) -> bool:
        """One JSON object per record instead of a text format."""
        return self.format == JSON_FORMAT

    def render_filename(self, org_id: str | None, today: _dt.date) -> str:
        """``{org_id}_{date}.log`` -> ``acme_2026-11-25.log`` (``txo_...`` without an org)."""
        return self.filename.format(org_id=org_id or NO_ORG_NAME, date=today.isoformat())


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """The validated content of ``logging-config.json``."""

    console_level: str
    console_format: str
    file: FileSettings
    console_stream: str = "stderr"
    console_datefmt: str | None = None
    loggers: dict[str, str] = field(default_factory=dict)
    capture_warnings: bool = True
    capture_uncaught_exceptions: bool = True
    route_loguru: bool = True

    @property
    def console_json(self) -> bool:
        """The console writes one JSON object per record instead of a text format."""
        return self.console_format == JSON_FORMAT


def _problem(path: Path, problem: str, hint: str = "") -> HelpfulError:
    return HelpfulError(
        what_went_wrong=f"Logging config '{path}' is invalid: {problem}",
        how_to_fix=f"{hint}Correct it (format in docs/logging.md) or start again from the "
        f"packaged default: cp '{packaged_data(LOGGING_CONFIG_FILE)}' '{path}'",
        example='"console": {"level": "INFO", "format": "%(asctime)s %(levelname)s %(message)s"}',
    )


_ANNOTATIONS = frozenset({"$id", "$schema", "title", "description", "default"})
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _type_ok(value: Any, expected: str | list[str]) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    for name in names:
        is_bool = isinstance(value, bool)
        if isinstance(value, _JSON_TYPES[name]) and (name == "boolean" or not is_bool):
            return True
    return False


def _keyword_ok(data: Any, keyword: str, rule: Any, schema: dict[str, Any]) -> bool:
    checks = {
        "type": lambda: _type_ok(data, rule),
        "enum": lambda: data in rule,
        "const": lambda: data == rule,
        "minLength": lambda: not isinstance(data, str) or len(data) >= rule,
        "minimum": lambda: not _type_ok(data, "number") or data >= rule,
        "pattern": lambda: not isinstance(data, str) or re.search(rule, data) is not None,
        "required": lambda: not isinstance(data, dict) or all(k in data for k in rule),
        "properties": lambda: _properties_ok(data, rule, schema.get("additionalProperties", True)),
        # with "properties" it is checked there; alone it applies to every key
        "additionalProperties": lambda: "properties" in schema or _properties_ok(data, {}, rule),
    }
    check = checks.get(keyword)
    return check() if check is not None else keyword in _ANNOTATIONS


def _properties_ok(data: Any, properties: dict[str, Any], additional: Any) -> bool:
    if not isinstance(data, dict):
        return True
    for key, value in data.items():
        sub = properties.get(key, additional)
        if sub is False or (isinstance(sub, dict) and not _fast_valid(value, sub)):
            return False
    return True


def _fast_valid(data: Any, schema: dict[str, Any]) -> bool:
    """True only when ``data`` certainly satisfies ``schema``.

    Hand-written on purpose: importing jsonschema costs ~40 ms, which every script would pay
    at start-up (``--help`` included) for a file that is almost always valid. Any keyword
    this subset does not know makes it answer False, and jsonschema then gives the verdict
    and the precise message.
    """
    return all(_keyword_ok(data, key, rule, schema) for key, rule in schema.items())


def _validate_schema(data: Any, path: Path) -> None:
    schema = json.loads(packaged_data(SCHEMA_FILE).read_text(encoding="utf-8"))
    if _fast_valid(data, schema):
        return
    import jsonschema  # lazy: only a config that may be invalid pays for it

    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        first = errors[0]
        where = "$" + "".join(f".{p}" for p in first.absolute_path)
        raise _problem(path, f"at {where}: {first.message}")


def _check_format(fmt: str, datefmt: str | None, path: Path, where: str) -> None:
    """Format a sample record now, so a typo fails here and not on every log call."""
    if fmt == JSON_FORMAT:
        return
    record = logging.LogRecord("txo", logging.INFO, __file__, 1, "sample", None, None)
    record.org_id, record.env_type, record.elapsed = "acme", "test", 0.0
    record.script, record.run_id = "src.main", "20261125T100000Z-1a2b3c"
    try:
        logging.Formatter(fmt, datefmt, validate=True).format(record)
    except (ValueError, KeyError, TypeError) as exc:
        hint = f'Use a logging %-style format or "{JSON_FORMAT}" (one JSON object per line). '
        raise _problem(path, f"{where} format {fmt!r} does not work ({exc!r})", hint) from exc


def _file_settings(section: dict[str, Any], path: Path) -> FileSettings:
    settings = FileSettings(
        enabled=section["enabled"],
        level=section["level"],
        filename=section["filename"],
        format=section["format"],
        datefmt=section.get("datefmt"),
        max_bytes=section.get("max_bytes", DEFAULT_MAX_BYTES),
        backup_count=section.get("backup_count", DEFAULT_BACKUP_COUNT),
        encoding=section.get("encoding", "utf-8"),
    )
    try:
        settings.render_filename("acme", _dt.date.today())
    except (KeyError, IndexError, ValueError) as exc:
        raise _problem(
            path, f"file.filename '{settings.filename}' may only use {{org_id}} and {{date}}"
        ) from exc
    _check_format(settings.format, settings.datefmt, path, "file")
    return settings


def load_logging_settings(path: Path) -> LoggingSettings:
    """Read, validate (JSON schema + a trial format) and convert ``logging-config.json``."""
    data = _read_json(path, what="logging config")
    _validate_schema(data, path)
    console = data["console"]
    settings = LoggingSettings(
        console_level=console["level"],
        console_format=console["format"],
        console_stream=console.get("stream", "stderr"),
        console_datefmt=console.get("datefmt"),
        file=_file_settings(data["file"], path),
        loggers=dict(data.get("loggers", {})),
        capture_warnings=data.get("capture_warnings", True),
        capture_uncaught_exceptions=data.get("capture_uncaught_exceptions", True),
        route_loguru=data.get("route_loguru", True),
    )
    _check_format(settings.console_format, settings.console_datefmt, path, "console")
    return settings
