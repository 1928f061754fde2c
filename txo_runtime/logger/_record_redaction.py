"""Redaction done once per log record, whatever the number of handlers.

A record goes through the console handler, the file handler (twice there: the rotating
handler formats it once more to decide whether to roll over) and any JSON handler. Each
needs the same redacted pieces: the message with its ``%``-arguments, the exception text
with its traceback, the stack info, the context values and any ``extra=`` values. They
are computed by the first formatter and kept on the record (:data:`CACHE_ATTRIBUTE`),
valid as long as the rules and the registered secrets are the same; every later formatter
only lays them out.

Only the pieces that carry data are redacted: the other record fields a format can name
(time, level, logger name, file, line, function, process and thread) come from code, not
from data. A format that names any other field (an ``extra=`` attribute) is formatted
whole and redacted whole, as before, so nothing it shows escapes redaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

from txo_runtime.logger._redaction import RedactionRules
from txo_runtime.logger._secret_values import REDACTED
from txo_runtime.logger._state import LoggingState

__all__ = [
    "CACHE_ATTRIBUTE",
    "CONSOLE_SYMBOL_TEXT",
    "CONTEXT_FIELDS",
    "SAFE_FIELDS",
    "RedactedRecord",
    "extra_fields",
    "redacted_record",
]

CACHE_ATTRIBUTE = "_txo_redacted"
# Record attribute (``extra={CONSOLE_SYMBOL_TEXT: text}``): the message with ❌ / ✅ / 📝
# labels, shown instead of the plain message by a console that can display them.
CONSOLE_SYMBOL_TEXT = "txo_console_symbol_text"
CONTEXT_FIELDS = ("org_id", "env_type", "script", "run_id")
# The attributes every LogRecord has (Python 3.10-3.13), plus what Formatter.format adds.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)
# Fields a text format may name without the whole line being redacted: the record's own
# (from code, not data) and the context, whose values are redacted per record.
SAFE_FIELDS = frozenset(
    (_RECORD_FIELDS - {"msg", "args", "exc_info", "exc_text", "stack_info"})
    | {*CONTEXT_FIELDS, "elapsed"}
)
_NOT_EXTRA = _RECORD_FIELDS | {*CONTEXT_FIELDS, "elapsed", CACHE_ATTRIBUTE, CONSOLE_SYMBOL_TEXT}
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class RedactedRecord:
    """The redacted pieces of one record, for one set of rules and secrets."""

    __slots__ = ("exc_text", "extra", "generation", "message", "rules", "stack_info")

    def __init__(
        self,
        rules: RedactionRules,
        generation: int,
        message: str,
        exc_text: str | None,
        stack_info: str | None,
    ) -> None:
        self.rules = rules
        self.generation = generation
        self.message = message
        self.exc_text = exc_text
        self.stack_info = stack_info
        self.extra: dict[str, Any] | None = None  # computed on demand (JSON output)

    def __reduce__(self) -> tuple[type[None], tuple[()]]:
        """Unpickled as ``None``: a record sent to another process (``QueueHandler``,
        ``SocketHandler``) carries no compiled rules; the receiver redacts it afresh."""
        return (type(None), ())


def redacted_record(
    record: logging.LogRecord,
    rules: RedactionRules,
    current: LoggingState,
    format_exception: Callable[[ExcInfo], str],
) -> RedactedRecord:
    """The record's redacted pieces: computed by the first formatter, reused by the others.

    The exception text is stored back on the record redacted (``record.exc_text``), as
    ``logging.Formatter`` caches it there, so a handler of the user's that formats the same
    record later shows the redacted traceback too.
    """
    secrets = current.secrets
    cached = record.__dict__.get(CACHE_ATTRIBUTE)
    if cached is not None and cached.rules is rules and cached.generation == secrets.generation:
        return cached

    def redact(text: str) -> str:
        return rules.redact(secrets.redact(text))

    if record.exc_info and not record.exc_text:
        record.exc_text = format_exception(record.exc_info)  # type: ignore[arg-type]
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    stack = redact(record.stack_info) if record.stack_info else None
    parts = RedactedRecord(
        rules, secrets.generation, redact(record.getMessage()), record.exc_text, stack
    )
    _redact_given_context(record, current, redact)
    record.__dict__[CACHE_ATTRIBUTE] = parts
    return parts


def _redact_given_context(
    record: logging.LogRecord, current: LoggingState, redact: Callable[[str], str]
) -> None:
    """Context values given with ``extra=`` (ours are redacted once, see ``LoggingState``)."""
    ours = current.context()
    fields = record.__dict__
    for name, own in zip(CONTEXT_FIELDS, ours, strict=True):
        value = fields.get(name)
        if value is not own and isinstance(value, str):
            fields[name] = redact(value)


def extra_fields(
    record: logging.LogRecord, parts: RedactedRecord, current: LoggingState
) -> dict[str, Any]:
    """The record's JSON-serialisable ``extra=`` values, redacted (key names count too).

    Each value is serialised, redacted as text (so ``{"password": "x"}`` is caught by its
    key) and parsed back; a value whose redacted text is no longer JSON becomes the marker.
    """
    if parts.extra is not None:
        return parts.extra
    found: dict[str, Any] = {}
    for name, value in record.__dict__.items():
        if name in _NOT_EXTRA or name.startswith("_"):
            continue
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            continue  # not JSON-serialisable: left out
        redacted = parts.rules.redact(current.secrets.redact(text))
        found[name] = _parsed_or_marker(redacted, value, text)
    parts.extra = found
    return found


def _parsed_or_marker(redacted: str, value: Any, text: str) -> Any:
    if redacted == text:
        return value
    try:
        return json.loads(redacted)
    except ValueError:
        return REDACTED
