"""Logging that never leaks a secret.

:func:`setup_logger` configures the *root* logger from the project's
``config/logging-config.json``: a console handler (INFO, DEBUG with ``--debug``) and a
rotating file handler (DEBUG) under ``logs/``. Every handler formats through
:class:`RedactingFormatter`, which redacts the *final* string: message, ``%``-args,
exception text and traceback, stack info. That is why records from any library
(``requests``, ``urllib3``, ``zeep``, ``py.warnings``) are covered: a filter on a logger
never sees records propagated from child loggers, and a filter on a handler runs before
the traceback text exists.

Two layers of redaction run on every line:

1. exact values registered with :func:`register_secret` / :func:`register_secrets`
   (secrets-file values, OAuth tokens), in plain, URL-encoded, escaped and base64 forms;
2. pattern rules from ``config/log-redaction-patterns.json`` (:class:`RedactionRules`).

Uncaught exceptions are logged through the same handlers (:func:`install_excepthook`),
``warnings`` are captured, and loguru, when installed, is routed into the same pipeline
with ``diagnose=False`` (:func:`route_loguru`), also when the script imports it only after
``setup_logger`` (an import hook). Nothing happens at import time.

Registered secrets, the redaction rules and the log context are not module globals: they
live on the ``txo_runtime.logger`` ``Logger`` object held by ``logging`` itself, so they
work before and after :func:`setup_logger` (see ``_state.py`` for why).
"""

from __future__ import annotations

import datetime as _dt
import logging
import logging.handlers
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from txo_runtime.exceptions import TxoBaseError, render_user_message, symbols_supported
from txo_runtime.logger._config import (
    LOGGING_CONFIG_FILE,
    PATTERNS_FILE,
    LoggingSettings,
    load_logging_settings,
)
from txo_runtime.logger._hooks import (
    install_excepthook,
    remove_loguru_watcher,
    restore_excepthooks,
    route_loguru,
    route_loguru_when_imported,
    unroute_loguru,
)
from txo_runtime.logger._redaction import RedactionRules, load_redaction_rules
from txo_runtime.logger._secret_values import MIN_SECRET_LENGTH
from txo_runtime.logger._state import (
    DEFAULT_LOGGER_NAME,
    LoggingState,
    active_rules,
    redact,
    state,
)
from txo_runtime.path_helpers import Dir, find_project_root, get_path

__all__ = [
    "CONSOLE_SYMBOL_TEXT",
    "DEFAULT_LOGGER_NAME",
    "LOGGING_CONFIG_FILE",
    "MIN_SECRET_LENGTH",
    "ContextFilter",
    "RedactingFormatter",
    "RedactionRules",
    "TokenRedactionFilter",
    "install_excepthook",
    "load_logging_settings",
    "load_redaction_rules",
    "redact",
    "register_secret",
    "register_secrets",
    "reset_logging",
    "route_loguru",
    "set_log_context",
    "setup_logger",
]

NO_CONTEXT = "-"  # %(org_id)s / %(env_type)s before they are known
# Record attribute (``extra={CONSOLE_SYMBOL_TEXT: text}``): the message with ❌ / ✅ / 📝
# labels, shown instead of the plain message by a console that can display them.
CONSOLE_SYMBOL_TEXT = "txo_console_symbol_text"
_HANDLER_MARKER = "txo_setup_key"  # set on every handler setup_logger installs
_PLAIN_HOOK_MARKER = "txo_plain_errors_previous_hook"  # our hook for errors before setup

logger = logging.getLogger(__name__)


# --- public registration and context -------------------------------------------------------


def register_secret(value: str) -> None:
    """Redact ``value`` (and its encoded forms) from every log line from now on."""
    register_secrets([value])


def register_secrets(values: Iterable[str]) -> None:
    """Register many secrets at once (the config loader's secrets-file values).

    Values shorter than :data:`MIN_SECRET_LENGTH` are not redacted by value (that would
    shred ordinary words); a warning gives their lengths, never the values.
    """
    too_short = state().secrets.add(values)
    if too_short:
        logger.warning(
            "%d secret value(s) shorter than %d characters cannot be redacted by value "
            "(lengths %s); use longer secrets",
            len(too_short),
            MIN_SECRET_LENGTH,
            sorted(too_short),
        )


def set_log_context(org_id: str | None = None, env_type: str | None = None) -> None:
    """Values for ``%(org_id)s`` and ``%(env_type)s``; ``None`` keeps the current one."""
    current = state()
    if org_id is not None:
        current.org_id = org_id
    if env_type is not None:
        current.env_type = env_type


# --- filters and formatter -------------------------------------------------------------------


class ContextFilter(logging.Filter):
    """Adds ``org_id``, ``env_type`` and ``elapsed`` (seconds since setup) to records.

    Put it on handlers, not loggers: a logger's filters do not see propagated records.
    Values given with ``extra=`` win.
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._state = state()

    def filter(self, record: logging.LogRecord) -> bool:
        _add_context(record, self._state)
        return True


def _add_context(record: logging.LogRecord, current: LoggingState) -> None:
    if not hasattr(record, "org_id"):
        record.org_id = current.org_id or NO_CONTEXT
    if not hasattr(record, "env_type"):
        record.env_type = current.env_type or NO_CONTEXT
    if not hasattr(record, "elapsed"):
        record.elapsed = max(0.0, record.created - current.started)


class RedactingFormatter(logging.Formatter):
    """Formats the record, then redacts the whole resulting text.

    The primary mechanism: whatever the format string, whatever logger the record came
    from, the exception traceback and stack info are part of the text that is redacted.
    ``rules=None`` uses the project's rules once :func:`setup_logger` has run.
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

    def format(self, record: logging.LogRecord) -> str:
        _add_context(record, self._state)  # user formats may name our fields
        text = self._state.secrets.redact(super().format(record))
        return (self._rules or active_rules(self._state)).redact(text)


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


# --- handlers --------------------------------------------------------------------------------


class _RedactedErrors:
    """``handleError`` that redacts its report.

    ``logging.Handler.handleError`` prints the record's raw message and arguments to stderr
    when formatting fails: ``logger.info("%s %s", secret)`` would print the secret.
    """

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging API)
        if not logging.raiseExceptions or sys.stderr is None:
            return
        where = f"Logged from file {record.filename}, line {record.lineno}\n"
        try:
            report = redact(
                "".join(
                    [
                        "--- Logging error ---\n",
                        *traceback.format_exception(*sys.exc_info()),
                        where,
                        f"Message: {record.msg!r}\nArguments: {record.args!r}\n",
                    ]
                )
            )
        except Exception:  # reporting must never break the caller (a bad __repr__ ...)
            report = f"--- Logging error ---\n{where}"
        try:
            sys.stderr.write(report)
        except OSError:
            pass


class _ConsoleHandler(_RedactedErrors, logging.StreamHandler):
    """Writes to whatever ``sys.stderr``/``sys.stdout`` is at emit time.

    As ``logging.lastResort`` does, so ``contextlib.redirect_stderr`` and pytest's capture
    see the output of a handler created before they swapped the stream.
    """

    def __init__(self, stream_name: str) -> None:
        logging.Handler.__init__(self)
        self._stream_name = stream_name

    @property
    def stream(self) -> TextIO:
        stream: TextIO = getattr(sys, self._stream_name)
        return stream

    @stream.setter
    def stream(self, value: TextIO) -> None:  # StreamHandler API; the stream is looked up
        pass

    def format(self, record: logging.LogRecord) -> str:
        """A record that carries a symbol form of its text (``CONSOLE_SYMBOL_TEXT``) shows
        that form here when the stream can display it; the record itself is not changed,
        so the log file beside the console keeps the plain text."""
        text = getattr(record, CONSOLE_SYMBOL_TEXT, None)
        if isinstance(text, str) and symbols_supported(self.stream):
            record = logging.makeLogRecord({**record.__dict__, "msg": text, "args": None})
        return super().format(record)


class _FileHandler(_RedactedErrors, logging.handlers.RotatingFileHandler):
    """The rotating log file, with redacted error reports."""


def _make_handlers(
    settings: LoggingSettings, rules: RedactionRules, project: Path, org_id: str | None
) -> list[logging.Handler]:
    console = _ConsoleHandler(settings.console_stream)
    console.setFormatter(
        RedactingFormatter(settings.console_format, settings.console_datefmt, rules=rules)
    )
    handlers: list[logging.Handler] = [console]
    file = settings.file
    if file.enabled:
        name = file.render_filename(org_id, _dt.date.today())
        path = get_path(Dir.LOGS, name, root=project, ensure_parent=True)
        rotating = _FileHandler(
            path,
            maxBytes=file.max_bytes,
            backupCount=file.backup_count,
            encoding=file.encoding,
            delay=True,  # no empty log file for runs that never log (e.g. --help)
        )
        rotating.setLevel(file.level)
        rotating.setFormatter(RedactingFormatter(file.format, file.datefmt, rules=rules))
        handlers.append(rotating)
    context = ContextFilter()
    for handler in handlers:
        handler.addFilter(context)
    return handlers


def _our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if hasattr(h, _HANDLER_MARKER)]


def _remove_our_handlers() -> None:
    root = logging.getLogger()
    for handler in _our_handlers():
        root.removeHandler(handler)
        handler.close()


# --- setup -----------------------------------------------------------------------------------


def setup_logger(
    name: str | None = None,
    org_id: str | None = None,
    *,
    root: Path | None = None,
    debug: bool = False,
) -> logging.Logger:
    """Configure the root logger from the project's config (once) and return a logger.

    Both ``config/logging-config.json`` and ``config/log-redaction-patterns.json`` are
    mandatory; a missing or invalid one is a ``HelpfulError`` naming the file. Calling
    again with the same project, org and ``debug`` changes nothing; with different ones
    the handlers are replaced, never duplicated. The log file is
    ``logs/{org_id}_{date}.log`` by default (``txo_...`` before an org is known).

    Scripts call this at module level (``logger = setup_logger()``), before ``run()`` can
    catch anything: when it fails, an excepthook is installed first so that the error, if
    nobody catches it, shows as its three-part message (exit code 1), not as a traceback.
    """
    try:
        project = Path(root).resolve() if root is not None else find_project_root()
        return _setup(project, name, org_id, debug)
    except TxoBaseError:
        _show_uncaught_txo_errors_plainly()
        raise


def _show_uncaught_txo_errors_plainly() -> None:
    """An uncaught txo error prints its three-part message (redacted) and no traceback;
    any other exception goes to the hook that was there before."""
    previous = sys.excepthook
    if hasattr(previous, _PLAIN_HOOK_MARKER) or _our_handlers():
        return  # installed already, or an earlier setup's handlers (and hook) still work

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if not isinstance(exc, TxoBaseError):
            previous(exc_type, exc, tb)
            return
        # No handler is set up yet, so logging's last resort writes this to stderr.
        symbols = symbols_supported(sys.stderr)
        text = redact(render_user_message(exc, symbols=symbols))
        logging.getLogger(DEFAULT_LOGGER_NAME).error("\n%s", text)

    setattr(excepthook, _PLAIN_HOOK_MARKER, previous)
    sys.excepthook = excepthook


def _remove_plain_errors_hook() -> None:
    if hasattr(sys.excepthook, _PLAIN_HOOK_MARKER):
        sys.excepthook = getattr(sys.excepthook, _PLAIN_HOOK_MARKER)


def _setup(project: Path, name: str | None, org_id: str | None, debug: bool) -> logging.Logger:
    current = state()
    with current.lock:
        if org_id is not None:
            current.org_id = org_id
        key = (str(project), current.org_id, debug)
        installed = _our_handlers()
        if not installed or any(getattr(h, _HANDLER_MARKER) != key for h in installed):
            config = get_path(Dir.CONFIG, root=project)
            settings = load_logging_settings(config / LOGGING_CONFIG_FILE)
            rules = load_redaction_rules(config / PATTERNS_FILE)
            _install(current, settings, rules, project, key)
        _route_loguru_if_imported(current)
    return logging.getLogger(name or DEFAULT_LOGGER_NAME)


def _route_loguru_if_imported(current: LoggingState) -> None:
    """Route loguru once the script imports it: at once if it has, else on its import.

    Importing loguru here would cost ~50 ms at every start-up (``--help`` included); a
    module that imports loguru after setup is routed by an import hook instead.
    """
    if current.saved.get("route_loguru_wanted", False):
        route_loguru_when_imported(current)
    else:
        remove_loguru_watcher(current)


def _install(
    current: LoggingState,
    settings: LoggingSettings,
    rules: RedactionRules,
    project: Path,
    key: tuple[str, str | None, bool],
) -> None:
    """Swap our handlers for new ones; the files were read before, so a bad file changes nothing."""
    handlers = _make_handlers(settings, rules, project, current.org_id)
    debug = key[2]
    handlers[0].setLevel(logging.DEBUG if debug else settings.console_level)
    _remove_our_handlers()
    current.rules = rules
    root = logging.getLogger()
    if "root_level" not in current.saved:  # first setup: elapsed time counts from here
        current.saved["root_level"] = root.level
        current.started = time.time()
    root.setLevel(min(h.level for h in handlers))
    for handler in handlers:
        setattr(handler, _HANDLER_MARKER, key)
        root.addHandler(handler)
    _set_logger_levels(current, settings.loggers)
    if settings.capture_warnings:
        logging.captureWarnings(True)
        current.saved["capture_warnings"] = True
    if settings.capture_uncaught_exceptions:
        install_excepthook()
    current.saved["route_loguru_wanted"] = settings.route_loguru


def _set_logger_levels(current: LoggingState, levels: dict[str, str]) -> None:
    previous = current.saved.setdefault("levels", {})
    for name, level in levels.items():
        named = logging.getLogger(name)
        previous.setdefault(name, named.level)
        named.setLevel(level)


# --- reset -----------------------------------------------------------------------------------


def reset_logging() -> None:
    """Undo :func:`setup_logger` and forget secrets and context (tests, embedding hosts).

    Removes and closes our handlers, restores the root and library logger levels, the
    excepthooks, ``warnings`` capture and loguru's default sink.
    """
    current = state()
    with current.lock:
        _remove_our_handlers()
        root = logging.getLogger()
        root.setLevel(current.saved.pop("root_level", root.level))
        for name, level in current.saved.pop("levels", {}).items():
            logging.getLogger(name).setLevel(level)
        current.saved.pop("route_loguru_wanted", None)
        if current.saved.pop("capture_warnings", False):
            logging.captureWarnings(False)
        restore_excepthooks()
        _remove_plain_errors_hook()
        remove_loguru_watcher(current)
        unroute_loguru(current)
        current.secrets.clear()
        current.rules = None
        current.org_id = current.env_type = None
        current.started = time.time()
