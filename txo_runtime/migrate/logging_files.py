"""v2.1 ``config/logging-config.json`` (a ``logging.config.dictConfig`` document) -> v3.0.

v3.0 starts from the packaged default (``txo_runtime/data/logging-config.json``). A v2.1
value is carried over only when the user had changed it from the v2.1 default: keeping an
untouched v2.1 default would throw away the v3.0 improvement (context fields in the file
format) for no one's benefit.
"""

from __future__ import annotations

import copy
from typing import Any

from txo_runtime.migrate.config import JsonDict, Outcome

# (v2.1 path, v3.0 path, v2.1 default). Paths are tuples of keys; "@console"/"@file" are the
# handler names and "@console-format"/"@file-format" the formatter each handler uses.
_V21_FIELDS: tuple[tuple[tuple[str, ...], tuple[str, ...], Any], ...] = (
    (("@console", "level"), ("console", "level"), "INFO"),
    (("@console", "stream"), ("console", "stream"), "ext://sys.stdout"),
    (("@console-format", "format"), ("console", "format"),
     "%(asctime)s - %(levelname)s - %(message)s"),
    (("@console-format", "datefmt"), ("console", "datefmt"), "%H:%M:%S"),
    (("@file", "level"), ("file", "level"), "DEBUG"),
    (("@file", "filename"), ("file", "filename"), "logs/app.log"),
    (("@file", "maxBytes"), ("file", "max_bytes"), 10485760),
    (("@file", "backupCount"), ("file", "backup_count"), 5),
    (("@file", "encoding"), ("file", "encoding"), "utf-8"),
    (("@file-format", "format"), ("file", "format"),
     "%(asctime)s - %(name)s - %(levelname)s - %(funcName)s:%(lineno)d - %(message)s"),
    (("@file-format", "datefmt"), ("file", "datefmt"), None),
)  # fmt: skip
_V21_LOGGER_DEFAULTS = {"urllib3": "WARNING"}
_STREAMS = {"ext://sys.stdout": "stdout", "ext://sys.stderr": "stderr"}


def is_v21_logging(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("handlers"), dict)


def migrate_logging(old: JsonDict | None, default: JsonDict) -> Outcome:
    """The v3.0 document: the packaged default plus the user's own v2.1 choices."""
    new = copy.deepcopy(default)
    out = Outcome(new)
    if old is None or not is_v21_logging(old):
        out.notes.append("wrote the v3.0 default logging configuration")
        return out
    handlers = _named_handlers(old)
    for old_path, new_path, v21_default in _V21_FIELDS:
        value = _lookup(old, handlers, old_path)
        if value is _MISSING or value == v21_default:
            continue
        value = _convert(new_path, value)
        new[new_path[0]][new_path[1]] = value
        out.notes.append(f"kept your {'.'.join(new_path)} = {value!r}")
    _carry_loggers(old, new, out)
    _report_unmapped(old, handlers, out)
    out.notes.insert(0, "converted to the v3.0 format (txo_runtime/data/logging-config.json)")
    return out


_MISSING = object()


def _named_handlers(old: JsonDict) -> dict[str, Any]:
    handlers = old["handlers"]
    found: dict[str, Any] = {}
    for name, handler in handlers.items():
        cls = str(handler.get("class", ""))
        role = "@file" if "File" in cls or "filename" in handler else "@console"
        found.setdefault(role, handler)
        formatter = old.get("formatters", {}).get(handler.get("formatter"), {})
        found.setdefault(f"{role}-format", formatter)
        found.setdefault(f"{role}-name", name)
    return found


def _lookup(old: JsonDict, handlers: dict[str, Any], path: tuple[str, ...]) -> Any:
    node = handlers.get(path[0], _MISSING)
    if not isinstance(node, dict) or path[1] not in node:
        return _MISSING
    return node[path[1]]


def _convert(new_path: tuple[str, ...], value: Any) -> Any:
    if new_path == ("console", "stream"):
        return _STREAMS.get(str(value), "stderr")
    if new_path == ("file", "filename"):
        return str(value).replace("\\", "/").rsplit("/", 1)[-1]  # v3.0: a name inside logs/
    if new_path[1] == "level":
        return str(value).upper()
    return value


def _carry_loggers(old: JsonDict, new: JsonDict, out: Outcome) -> None:
    for name, settings in (old.get("loggers") or {}).items():
        level = settings.get("level") if isinstance(settings, dict) else settings
        if level is None or _V21_LOGGER_DEFAULTS.get(name) == level:
            continue
        new.setdefault("loggers", {})[name] = str(level).upper()
        out.notes.append(f"kept your level {str(level).upper()} for logger '{name}'")


def _report_unmapped(old: JsonDict, handlers: dict[str, Any], out: Outcome) -> None:
    used = {handlers.get("@console-name"), handlers.get("@file-name")}
    extra = [name for name in old["handlers"] if name not in used]
    if extra:
        out.follow_ups.append(
            f"v2.1 handlers {extra} have no v3.0 equivalent; add them in code if you need them"
        )
    if old.get("filters"):
        out.follow_ups.append("v2.1 logging filters were not carried over (v3.0 redacts anyway)")
