"""Uncaught exceptions and loguru, routed into the redacting handlers of the logger.

Python's default excepthook and loguru's default sink both print to stderr without going
through ``logging``; left alone, they would print secrets the handlers redact.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Sequence
from types import ModuleType, TracebackType
from typing import Any

from txo_runtime.logger._state import DEFAULT_LOGGER_NAME, LoggingState, redact, state

__all__ = [
    "install_excepthook",
    "remove_loguru_watcher",
    "restore_excepthooks",
    "route_loguru",
    "route_loguru_when_imported",
    "unroute_loguru",
]

_HOOK_MARKER = "txo_previous_hook"  # set on our excepthooks; holds the hook they replaced


def install_excepthook() -> None:
    """Log uncaught exceptions (main thread and threads) through the redacting handlers.

    Python's default hook prints the raw traceback, secrets and all, to stderr. Ours logs
    it as CRITICAL on the ``txo`` logger; ``KeyboardInterrupt`` keeps the default output.
    Installing twice is a no-op; :func:`reset_logging` restores the previous hooks.
    """
    if not hasattr(sys.excepthook, _HOOK_MARKER):
        previous = sys.excepthook

        def excepthook(
            exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
        ) -> None:
            if issubclass(exc_type, KeyboardInterrupt):
                previous(exc_type, exc, tb)
                return
            _log_uncaught("Uncaught exception", (exc_type, exc, tb))

        setattr(excepthook, _HOOK_MARKER, previous)
        sys.excepthook = excepthook
    if not hasattr(threading.excepthook, _HOOK_MARKER):
        previous_thread_hook = threading.excepthook

        def thread_excepthook(args: threading.ExceptHookArgs) -> None:
            if args.exc_type is SystemExit or args.exc_value is None:
                return
            where = f"Uncaught exception in thread {args.thread.name if args.thread else '?'}"
            _log_uncaught(where, (args.exc_type, args.exc_value, args.exc_traceback))

        setattr(thread_excepthook, _HOOK_MARKER, previous_thread_hook)
        threading.excepthook = thread_excepthook


def _log_uncaught(message: str, exc_info: Any) -> None:
    logging.getLogger(DEFAULT_LOGGER_NAME).critical(message, exc_info=exc_info)


# --- loguru ----------------------------------------------------------------------------------


def route_loguru() -> bool:
    """Send everything logged with loguru through our redacting handlers.

    loguru's own sinks are removed (its default stderr sink and any other: they would
    print unredacted), and one sink is added that hands the fully formatted text,
    traceback included, to the stdlib logger of the same name. ``diagnose=False``: with
    loguru's default the traceback shows local variables, secrets included. Returns
    ``False`` when loguru is not installed (it is optional).
    """
    try:
        from loguru import logger as loguru_logger
    except ImportError:
        return False
    current = state()
    with current.lock:
        loguru_logger.remove()
        current.saved["loguru_sink"] = loguru_logger.add(
            _loguru_sink,
            level=0,
            format="{message}",
            diagnose=False,
            backtrace=False,
            colorize=False,
            catch=True,
        )
    return True


def _loguru_sink(message: Any) -> None:
    record = message.record
    target = logging.getLogger(record["name"] or "loguru")
    level = record["level"].no
    if not target.isEnabledFor(level):
        return
    text = redact(str(message).rstrip("\n"))
    stdlib_record = target.makeRecord(
        target.name, level, record["file"].path, record["line"], text, (), None, record["function"]
    )
    stdlib_record.levelname = record["level"].name
    stdlib_record.created = record["time"].timestamp()
    target.handle(stdlib_record)


class _LoguruWatcher(importlib.abc.MetaPathFinder):
    """Routes loguru the moment a script first imports it, after ``setup_logger``.

    Importing loguru up front would cost ~50 ms of every start-up (``--help`` included),
    and loguru imported later keeps its default stderr sink, which prints raw secrets. So
    ``setup_logger`` puts this finder first on ``sys.meta_path``: it finds nothing itself,
    except for ``loguru``, whose real spec it returns with a loader that calls
    :func:`route_loguru` right after the package has run. ``reset_logging`` removes it.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "loguru":
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RoutingLoader(spec.loader)
                return spec
        return None


class _RoutingLoader(importlib.abc.Loader):
    """loguru's own loader, plus :func:`route_loguru` once the module has executed."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        route_loguru()

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self._loader, name)


def route_loguru_when_imported(current: LoggingState) -> None:
    """Route loguru now if the script imported it, else as soon as it does."""
    if "loguru" in sys.modules:
        if "loguru_sink" not in current.saved:
            route_loguru()
        return
    if "loguru_watcher" not in current.saved:
        watcher = _LoguruWatcher()
        current.saved["loguru_watcher"] = watcher
        sys.meta_path.insert(0, watcher)


def remove_loguru_watcher(current: LoggingState) -> None:
    watcher = current.saved.pop("loguru_watcher", None)
    if watcher is not None and watcher in sys.meta_path:
        sys.meta_path.remove(watcher)


def unroute_loguru(current: LoggingState) -> None:
    sink_id = current.saved.pop("loguru_sink", None)
    if sink_id is None or "loguru" not in sys.modules:
        return
    from loguru import logger as loguru_logger

    try:
        loguru_logger.remove(sink_id)
    except ValueError:  # already removed by the script
        return
    loguru_logger.add(_stderr_sink)  # like loguru's default sink, but follows sys.stderr


def _stderr_sink(message: Any) -> None:
    sys.stderr.write(str(message))


def restore_excepthooks() -> None:
    if hasattr(sys.excepthook, _HOOK_MARKER):
        sys.excepthook = getattr(sys.excepthook, _HOOK_MARKER)
    if hasattr(threading.excepthook, _HOOK_MARKER):
        threading.excepthook = getattr(threading.excepthook, _HOOK_MARKER)
