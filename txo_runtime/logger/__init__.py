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
from typing import TextIO

from txo_runtime.exceptions import TxoBaseError, render_user_message, symbols_supported
from txo_runtime.logger._config import (
    LOGGING_CONFIG_FILE,
    PATTERNS_FILE,
    LoggingSettings,
    load_logging_settings,
)
from txo_runtime.logger._formatters import (
    ContextFilter,
    JsonFormatter,
    RedactingFormatter,
    TokenRedactionFilter,
)
from txo_runtime.logger._hooks import (
    install_excepthook,
    remove_loguru_watcher,
    restore_excepthooks,
    route_loguru,
    route_loguru_when_imported,
    unroute_loguru,
)
from txo_runtime.logger._record_redaction import CACHE_ATTRIBUTE, CONSOLE_SYMBOL_TEXT
from txo_runtime.logger._redaction import RedactionRules, load_redaction_rules
from txo_runtime.logger._secret_values import MIN_SECRET_LENGTH
from txo_runtime.logger._state import (
    DEFAULT_LOGGER_NAME,
    LoggingState,
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
    "JsonFormatter",
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


def set_log_context(
    org_id: str | None = None,
    env_type: str | None = None,
    *,
    script: str | None = None,
    run_id: str | None = None,
) -> None:
    """Values for ``%(org_id)s``, ``%(env_type)s``, ``%(script)s`` and ``%(run_id)s``
    (and the JSON fields of the same names); ``None`` keeps the current one.

    The script runner sets ``script`` (the script's module name) and ``run_id`` (one per
    run), so every record of a run can be told from the records of other runs.
    """
    current = state()
    with current.lock:
        if org_id is not None:
            current.org_id = org_id
        if env_type is not None:
            current.env_type = env_type
        if script is not None:
            current.script = script
        if run_id is not None:
            current.run_id = run_id


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
            fields = {k: v for k, v in vars(record).items() if k != CACHE_ATTRIBUTE}
            record = logging.makeLogRecord({**fields, "msg": text, "args": None})
        return super().format(record)


class _FileHandler(_RedactedErrors, logging.handlers.RotatingFileHandler):
    """The rotating log file, with redacted error reports, formatting each record once.

    ``RotatingFileHandler.emit`` formats the record twice: once to decide whether to roll
    over (``shouldRollover``) and once to write it. The text of the record being emitted is
    kept for the second call (``emit`` runs under the handler's lock).
    """

    _last: tuple[logging.LogRecord, str] | None = None

    def format(self, record: logging.LogRecord) -> str:
        last = self._last
        if last is not None and last[0] is record:
            return last[1]
        text = super().format(record)
        self._last = (record, text)
        return text

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        finally:
            self._last = None


def _make_handlers(
    settings: LoggingSettings, rules: RedactionRules, project: Path, org_id: str | None
) -> list[logging.Handler]:
    console = _ConsoleHandler(settings.console_stream)
    console.setFormatter(
        _formatter(settings.console_format, settings.console_datefmt, rules, settings.console_json)
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
        rotating.setFormatter(_formatter(file.format, file.datefmt, rules, file.json))
        handlers.append(rotating)
    context = ContextFilter()
    for handler in handlers:
        handler.addFilter(context)
    return handlers


def _formatter(
    fmt: str, datefmt: str | None, rules: RedactionRules, json_lines: bool
) -> logging.Formatter:
    if json_lines:
        return JsonFormatter(rules=rules)
    return RedactingFormatter(fmt, datefmt, rules=rules)


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
        current.org_id = current.env_type = current.script = current.run_id = None
        current.started = time.time()
