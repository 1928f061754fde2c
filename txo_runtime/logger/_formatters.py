"""The formatters and filters every txo handler uses: context, redaction, text or JSON.

Both formatters take the redacted pieces of a record from :mod:`._record_redaction`, so a
record is redacted once however many handlers format it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from txo_runtime.logger._record_redaction import (
    CONTEXT_FIELDS,
    SAFE_FIELDS,
    RedactedRecord,
    extra_fields,
    redacted_record,
)
from txo_runtime.logger._redaction import RedactionRules
from txo_runtime.logger._state import LoggingState, active_rules, redact, state

__all__ = ["ContextFilter", "JsonFormatter", "RedactingFormatter", "TokenRedactionFilter"]

_FIELD_PATTERNS = {
    logging.PercentStyle: re.compile(r"%\((\w+)\)"),
    logging.StrFormatStyle: re.compile(r"\{(\w+)"),
    logging.StringTemplateStyle: re.compile(r"\$\{?(\w+)"),
}


class ContextFilter(logging.Filter):
    """Adds ``org_id``, ``env_type``, ``script``, ``run_id`` and ``elapsed`` to records.

    ``elapsed`` is seconds since setup. Put it on handlers, not loggers: a logger's filters
    do not see propagated records. Values given with ``extra=`` win.
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._state = state()

    def filter(self, record: logging.LogRecord) -> bool:
        add_context(record, self._state)
        return True


def add_context(record: logging.LogRecord, current: LoggingState) -> None:
    """The context fields a record does not have yet (already redacted values)."""
    fields = record.__dict__
    if "elapsed" in fields and "run_id" in fields:
        return  # a second handler's filter: done
    for name, value in zip(CONTEXT_FIELDS, current.context(), strict=True):
        fields.setdefault(name, value)
    if "elapsed" not in fields:
        fields["elapsed"] = max(0.0, record.created - current.started)


def _named_fields(formatter: logging.Formatter) -> frozenset[str]:
    pattern = _FIELD_PATTERNS.get(type(formatter._style), _FIELD_PATTERNS[logging.PercentStyle])
    return frozenset(pattern.findall(formatter._fmt or ""))


class RedactingFormatter(logging.Formatter):
    """Formats the record with its message, exception text and stack info redacted.

    Whatever logger the record came from, the traceback and stack info are redacted with
    the message, once per record (shared by every handler). A format naming a field that
    is not a plain record or context field (an ``extra=`` attribute) is formatted whole
    and the whole line redacted. ``rules=None`` uses the project's rules once
    :func:`setup_logger` has run.
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Any = "%",
        validate: bool = True,
        *,
        rules: RedactionRules | None = None,
    ) -> None:
        super().__init__(fmt, datefmt, style, validate)
        self._rules = rules
        self._state = state()
        self._whole_line = not _named_fields(self) <= SAFE_FIELDS

    def format(self, record: logging.LogRecord) -> str:
        current = self._state
        add_context(record, current)  # user formats may name our fields
        rules = self._rules or active_rules(current)
        parts = redacted_record(record, rules, current, self.formatException)
        if self._whole_line:
            return rules.redact(current.secrets.redact(self._lay_out(record, parts)))
        return self._lay_out(record, parts)

    def _lay_out(self, record: logging.LogRecord, parts: RedactedRecord) -> str:
        """``logging.Formatter.format`` with the redacted pieces."""
        record.message = parts.message
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        text = self.formatMessage(record)
        if parts.exc_text:
            text = (text if text[-1:] == "\n" else text + "\n") + parts.exc_text
        if parts.stack_info:
            text = (text if text[-1:] == "\n" else text + "\n") + self.formatStack(parts.stack_info)
        return text


def utc_timestamp(created: float) -> str:
    """``2026-12-06T23:39:06.123Z``: UTC, ISO 8601, milliseconds."""
    seconds = int(created)
    milliseconds = int((created - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{milliseconds:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, for log shippers; every field is redacted.

    Fields: ``time`` (UTC ISO 8601, milliseconds, ``Z``), ``level``, ``logger``,
    ``message``, ``org_id``, ``env_type``, ``script``, ``run_id``; ``exception``
    (formatted exception with traceback) and ``stack`` only when present; ``extra`` with
    the record's JSON-serialisable ``extra=`` values, when there are any.
    """

    def __init__(self, *, rules: RedactionRules | None = None) -> None:
        super().__init__()
        self._rules = rules
        self._state = state()

    def format(self, record: logging.LogRecord) -> str:
        current = self._state
        add_context(record, current)
        parts = redacted_record(
            record, self._rules or active_rules(current), current, self.formatException
        )
        fields = record.__dict__
        entry: dict[str, Any] = {
            "time": utc_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": parts.message,
        }
        entry.update((name, str(fields[name])) for name in CONTEXT_FIELDS)
        if parts.exc_text:
            entry["exception"] = parts.exc_text
        if parts.stack_info:
            entry["stack"] = parts.stack_info
        extra = extra_fields(record, parts, current)
        if extra:
            entry["extra"] = extra
        return json.dumps(entry, ensure_ascii=False, default=str)


class TokenRedactionFilter(logging.Filter):
    """Redacts a record's message, args, exception text and stack info in place.

    For handlers that keep their own (non-redacting) formatter. It cannot see text a
    custom formatter adds later; prefer :class:`RedactingFormatter`.
    """

    def __init__(self, name: str = "", *, rules: RedactionRules | None = None) -> None:
        super().__init__(name)
        self._rules = rules

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: the handler reports it when emitting
            return True
        record.msg, record.args = redact(message, self._rules), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._rules)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._rules)
        return True
