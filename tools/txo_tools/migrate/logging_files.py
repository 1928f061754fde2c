"""v2.1 ``config/logging-config.json`` (a ``logging.config.dictConfig`` document) -> v3.0.

v3.0 starts from the packaged default (``txo_runtime/data/logging-config.json``). A v2.1
value is carried over only when the user had changed it from the v2.1 default: keeping an
untouched v2.1 default would throw away the v3.0 improvement (context fields in the file
format) for no one's benefit.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from txo_tools.migrate.config import JsonDict, Outcome

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
# The levels a v3.0 logging config accepts (its JSON schema), highest first with numbers.
_NUMBERS = (("CRITICAL", 50), ("ERROR", 40), ("WARNING", 30), ("INFO", 20), ("DEBUG", 10))
LEVELS = tuple(name for name, _ in reversed(_NUMBERS))
_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "NOTSET": "DEBUG"}
_STREAMS = {"ext://sys.stdout": "stdout", "ext://sys.stderr": "stderr"}
JSON_FORMAT = "json"  # v3.0 "format": one JSON object per line (the runtime's JsonFormatter)


def is_v21_logging(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("handlers"), dict)


Validator = Callable[[JsonDict], "str | None"]


def logging_problem(doc: JsonDict) -> str | None:
    """Why the runtime's own loader refuses ``doc`` (None when every script can start).

    The loader is the judge, not a copy of its rules: a level, format or file name it would
    refuse at start-up is caught here, before the file is written.
    """
    from txo_runtime.exceptions import HelpfulError
    from txo_runtime.logger import LOGGING_CONFIG_FILE, load_logging_settings

    with tempfile.TemporaryDirectory(prefix="txo-migrate-") as tmp:
        path = Path(tmp) / LOGGING_CONFIG_FILE
        path.write_text(json.dumps(doc), encoding="utf-8")
        try:
            load_logging_settings(path)
        except HelpfulError as error:
            return error.what_went_wrong.rpartition("is invalid: ")[2]
    return None


def migrate_logging(
    old: JsonDict | None, default: JsonDict, validate: Validator = logging_problem
) -> Outcome:
    """The v3.0 document: the packaged default plus the user's own v2.1 choices.

    Each choice is applied and checked with ``validate`` on its own: one the v3.0 runtime
    would refuse keeps the default and becomes a follow-up; the others still carry over.
    """
    new = copy.deepcopy(default)
    out = Outcome(new)
    if old is None or not is_v21_logging(old):
        out.notes.append("wrote the v3.0 default logging configuration")
        return out
    handlers = _named_handlers(old)
    for old_path, new_path, v21_default in _V21_FIELDS:
        value = _lookup(old, handlers, old_path)
        if value is not _MISSING and value != v21_default:
            _carry(new, new_path, value, out, validate)
    _carry_loggers(old, new, out)
    _report_unmapped(old, handlers, out)
    out.notes.insert(0, "converted to the v3.0 format (txo_runtime/data/logging-config.json)")
    problem = validate(new)
    if problem is not None:  # not expected: every step was checked; never write a broken file
        out.data = copy.deepcopy(default)
        out.follow_ups.append(f"the converted file was invalid ({problem}): wrote the default")
    return out


def _carry(
    new: JsonDict, new_path: tuple[str, ...], value: Any, out: Outcome, validate: Validator
) -> None:
    section, key = new_path
    where = ".".join(new_path)
    converted = _convert(new_path, value)
    if converted is _MISSING:
        out.follow_ups.append(
            f"your v2.1 {where} {value!r} is not a standard level: the v3.0 default "
            f"{new[section][key]!r} was kept; set one of {', '.join(LEVELS)}"
        )
        return
    previous = new[section][key]
    new[section][key] = converted
    problem = validate(new)
    if problem is not None:
        new[section][key] = previous
        out.follow_ups.append(
            f"your v2.1 {where} {value!r} does not work in v3.0 ({problem}): "
            f"the v3.0 default {previous!r} was kept"
        )
        return
    shown = f"{converted!r}" + ("" if converted == value else f" (was {value!r})")
    out.notes.append(f"kept your {where} = {shown}")


def level_name(value: Any) -> str | None:
    """The standard level for a v2.1 level: a name, or a number mapped to the nearest
    standard level at or below it (15 -> DEBUG, 25 -> INFO); None for an unknown name."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return next((name for name, number in _NUMBERS if value >= number), "DEBUG")
    if isinstance(value, str):
        name = _ALIASES.get(value.strip().upper(), value.strip().upper())
        return name if name in LEVELS else None
    return None


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


def _is_json_formatter(formatter: Any) -> bool:
    """A v2.1 formatter built by a JSON formatter class (python-json-logger and the like)."""
    if not isinstance(formatter, dict):
        return False
    factory = str(formatter.get("()", formatter.get("class", "")))
    return "json" in factory.lower()


def _lookup(old: JsonDict, handlers: dict[str, Any], path: tuple[str, ...]) -> Any:
    node = handlers.get(path[0], _MISSING)
    if path[0].endswith("-format") and _is_json_formatter(node):  # v3.0 has it built in
        return JSON_FORMAT if path[1] == "format" else _MISSING
    if not isinstance(node, dict) or path[1] not in node:
        return _MISSING
    return node[path[1]]


def _convert(new_path: tuple[str, ...], value: Any) -> Any:
    """The v3.0 value, or ``_MISSING`` when a level has no standard equivalent."""
    if new_path == ("console", "stream"):
        return _STREAMS.get(str(value), "stderr")
    if new_path == ("file", "filename"):
        return str(value).replace("\\", "/").rsplit("/", 1)[-1]  # v3.0: a name inside logs/
    if new_path[1] == "level":
        level = level_name(value)
        return _MISSING if level is None else level
    return value


def _carry_loggers(old: JsonDict, new: JsonDict, out: Outcome) -> None:
    for name, settings in (old.get("loggers") or {}).items():
        level = settings.get("level") if isinstance(settings, dict) else settings
        if level is None or _V21_LOGGER_DEFAULTS.get(name) == level:
            continue
        converted = level_name(level)
        if converted is None:
            kept = new.get("loggers", {}).get(name)
            now = f"the v3.0 default {kept!r} was kept" if kept else "it logs at the root level"
            out.follow_ups.append(
                f"your v2.1 level {level!r} of logger '{name}' is not a standard level: {now}; "
                f"add it to 'loggers' with one of {', '.join(LEVELS)}"
            )
            continue
        new.setdefault("loggers", {})[name] = converted  # a standard name: always valid
        shown = converted + ("" if converted == level else f" (was {level!r})")
        out.notes.append(f"kept your level {shown} for logger '{name}'")


def _report_unmapped(old: JsonDict, handlers: dict[str, Any], out: Outcome) -> None:
    used = {handlers.get("@console-name"), handlers.get("@file-name")}
    extra = [name for name in old["handlers"] if name not in used]
    if extra:
        out.follow_ups.append(
            f"v2.1 handlers {extra} have no v3.0 equivalent; add them in code if you need them"
        )
    if old.get("filters"):
        out.follow_ups.append("v2.1 logging filters were not carried over (v3.0 redacts anyway)")


# --- log-redaction-patterns.json ---------------------------------------------------------------

PERSONAL_DATA = "personal-data"
# Rules of the redaction file the v2.1 project template shipped ("redaction-patterns"): the
# v3.0 defaults replace them, so only rules a user added are carried over.
_REFERENCE_PATTERNS = frozenset(
    [
        "bearer-token",
        "jwt-token",
        "password-json",
        "client-secret-json",
        "api-token-json",
        "access-token-json",
        "auth-token-json",
        "app-secret-json",
        "azure-storage-accountkey",
        "azure-storage-full",
        "connection-string-password",
        "url-api-key",
        "url-access-key",
        "url-auth-token",
        "url-access-token",
        "url-client-secret",
        "url-app-secret",
        "shared-access-key",
        "primary-key",
        "secondary-key",
        "secret-param",
        "long-token",
    ]
)
_REFERENCE_SIMPLE = frozenset(
    f"{name}-variations"
    for name in [
        "api-key",
        "access-key",
        "account-key",
        "client-secret",
        "app-secret",
        "auth-token",
        "access-token",
        "shared-access-key",
        "primary-key",
        "secondary-key",
        "password",
        "token",
        "secret",
    ]
)
_KEY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def migrate_redaction_patterns(old: Any, default: JsonDict) -> Outcome:
    """``log-redaction-patterns.json`` with the personal-data classes, the user's rules kept.

    A v3.0 file keeps every pattern and key and gains the ``personal-data`` section (the
    packaged defaults: cards and IBAN on, national ids and e-mail off) unless it has one.
    A v2.1 file (``redaction-patterns``) becomes the packaged v3.0 file plus the patterns
    and simple patterns the user added; its ``ssn-us`` rule becomes ``national-ids: ["US"]``.
    """
    if isinstance(old, dict) and isinstance(old.get("redaction-patterns"), dict):
        return _from_v21_patterns(old["redaction-patterns"], default)
    if not isinstance(old, dict) or not isinstance(old.get("patterns"), list):
        return Outcome(copy.deepcopy(default), ["wrote the v3.0 default redaction rules"])
    if PERSONAL_DATA in old:
        return Outcome(copy.deepcopy(old))
    new: JsonDict = {}
    for key, value in old.items():
        if key == "patterns":
            new[PERSONAL_DATA] = copy.deepcopy(default[PERSONAL_DATA])
        new[key] = copy.deepcopy(value)
    note = (
        f"added the '{PERSONAL_DATA}' section (cards and IBAN redacted, national ids and "
        "e-mail not); your patterns and keys are unchanged"
    )
    return Outcome(new, [note])


def _from_v21_patterns(old: JsonDict, default: JsonDict) -> Outcome:
    new = copy.deepcopy(default)
    out = Outcome(
        new, ["converted to the v3.0 format (txo_runtime/data/log-redaction-patterns.json)"]
    )
    for entry in old.get("patterns") or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name == "ssn-us":
            new[PERSONAL_DATA]["national-ids"] = ["US"]
            out.notes.append('your ssn-us rule is now "national-ids": ["US"] (checked numbers)')
        elif name == "credit-card":
            out.notes.append('your credit-card rule is now the Luhn-checked "cards" class')
        elif name not in _REFERENCE_PATTERNS:
            _carry_pattern(entry, new, out)
    for entry in old.get("simple-patterns") or []:
        if isinstance(entry, dict) and entry.get("name") not in _REFERENCE_SIMPLE:
            _carry_simple(entry, new, out)
    return out


def _carry_pattern(entry: Any, new: JsonDict, out: Outcome) -> None:
    """A v2.1 regex rule (always case-insensitive there) as a v3.0 pattern, if it compiles."""
    if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
        out.follow_ups.append(f"a v2.1 redaction rule without a pattern was dropped: {entry!r:.80}")
        return
    name = str(entry.get("name", "v21-pattern"))
    converted = {"name": name, "pattern": entry["pattern"], "flags": ["IGNORECASE"]}
    if isinstance(entry.get("replacement"), str):
        converted["replacement"] = entry["replacement"]
    problem = _patterns_problem({**new, "patterns": [converted], "keys": []})
    if problem is not None:
        out.follow_ups.append(
            f"your v2.1 redaction rule '{name}' does not work in v3.0 ({problem})"
        )
        return
    new["patterns"].append(converted)
    out.notes.append(f"kept your redaction rule '{name}'")


def _carry_simple(entry: JsonDict, new: JsonDict, out: Outcome) -> None:
    """A v2.1 simple pattern (``password=`` ...) as key names: v3.0 covers every form."""
    for keyword in entry.get("contains") or []:
        key = str(keyword).rstrip("=: ")
        if not _KEY_NAME.fullmatch(key):
            out.follow_ups.append(
                f"your v2.1 simple pattern '{keyword}' is not a key name: add a pattern for it"
            )
        elif key.lower() not in {k.lower() for k in new["keys"]}:
            new["keys"].append(key)
            out.notes.append(f"kept your redacted key '{key}' (now in every form: JSON, query ...)")


def _patterns_problem(doc: JsonDict) -> str | None:
    """Why the runtime's own loader refuses ``doc`` (None when it loads)."""
    from txo_runtime.exceptions import HelpfulError
    from txo_runtime.logger import RedactionRules

    try:
        RedactionRules.from_mapping(doc)
    except HelpfulError as error:
        return error.what_went_wrong.rpartition("is invalid: ")[2]
    return None
