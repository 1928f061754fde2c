"""Script entry points: ``python -m src.<script> <org_id> <env_type>``.

:func:`parse_args_and_load_config` parses the two mandatory arguments (plus any
:class:`ArgumentDefinition`), sets up logging, loads and validates the config and, only when
asked (v3.0 default: no token), obtains an OAuth token. :func:`run` wraps ``main`` so every
``TxoBaseError`` reaches the user as the three-part message with exit code 1 and no
traceback on the console (the traceback goes to the log file, redacted; ``--debug`` shows it).
Library code never calls ``sys.exit``: scripts end with ``raise SystemExit(run(main))``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from txo_runtime.config_loader import ConfigDict, check_identity, load_config
from txo_runtime.exceptions import (
    HelpfulError,
    TxoBaseError,
    render_user_message,
    symbols_supported,
)
from txo_runtime.run_events import emit

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "ArgumentDefinition",
    "parse_args_and_load_config",
    "parse_custom_args_and_load_config",
    "run",
]

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
_UNSET: Any = object()


@dataclass(frozen=True)
class ArgumentDefinition:
    """An extra command-line option: ``ArgumentDefinition("batch_size", int, "Rows", default=100)``.

    ``batch_size`` becomes ``--batch-size``; ``action="store_true"`` makes a flag; with
    ``positional=True`` it follows ``org_id env_type``. Values land in ``config["_args"]``.
    """

    name: str
    type: Callable[[str], Any] | None = str
    help: str = ""
    default: Any = None
    action: str | None = None
    required: bool = False
    choices: Sequence[Any] | None = None
    positional: bool = False

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        kwargs: dict[str, Any] = {"help": self.help or None}
        if self.action:
            kwargs["action"] = self.action
        else:
            kwargs.update(type=self.type, choices=self.choices)
        if self.positional:
            parser.add_argument(self.name, **kwargs)
            return
        kwargs.update(default=self.default, dest=self.name)
        if self.required:
            kwargs["required"] = True
        parser.add_argument("--" + self.name.replace("_", "-"), **kwargs)


class _FriendlyParser(argparse.ArgumentParser):
    """argparse that raises a HelpfulError instead of printing usage and exiting with 2."""

    def error(self, message: str) -> NoReturn:
        raise HelpfulError(
            what_went_wrong=f"Invalid command line: {message}",
            how_to_fix="Pass the organisation id and the environment type, then any options",
            example=f"{self.prog} acme test\n{self.prog} --help",
        )


class _CommandLineError(Exception):
    """A command line the options pre-parser of :func:`run` cannot read."""


class _OptionsParser(argparse.ArgumentParser):
    """Reads only the options every script has; the script's own parser reports errors."""

    def error(self, message: str) -> NoReturn:
        raise _CommandLineError(message)


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    """The options of every script; :func:`run` reads them with the same definition."""
    parser.add_argument(
        "--debug", action="store_true", help="Debug logging and error tracebacks on the console"
    )


def _prog_name() -> str:
    """``python -m src.fetch_customers`` rather than ``fetch_customers.py``."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        return f"python -m {spec.name}"
    return f"python {sys.argv[0]}" if sys.argv and sys.argv[0] else "script"


def build_parser(
    description: str, extra_args: Sequence[ArgumentDefinition] = ()
) -> argparse.ArgumentParser:
    parser = _FriendlyParser(
        prog=_prog_name(),
        description=description,
        epilog="Config: config/<org_id>-<env_type>-config.json (validated against "
        "schemas/org-env-config-schema.json); secrets: config/<org_id>-<env_type>-"
        "config-secrets.json. Exit codes: 0 ok, 1 error, 130 interrupted.",
    )
    parser.add_argument("org_id", help="Organisation id, e.g. acme")
    parser.add_argument("env_type", help="Environment type, e.g. test or prod")
    _add_common_options(parser)
    for definition in extra_args:
        definition.add_to(parser)
    return parser


def _obtain_token(config: ConfigDict) -> None:
    """``config["_token"]`` for v2.1 scripts; the manager stays on the config so that
    ``create_rest_api(config)`` / ``ApiManager(config)`` refresh tokens through it."""
    from txo_runtime.api_factory import load_settings
    from txo_runtime.oauth_helpers import OAuthManager

    # Token requests retry as the config's API calls do (script-behavior.retry-strategy).
    manager = OAuthManager(retry_policy=load_settings(config).retry_policy)
    config.oauth_manager = manager
    config["_token"] = manager.get_token(config)
    logger.debug("OAuth token obtained and registered for redaction")


def parse_args_and_load_config(
    description: str,
    require_token: bool = False,
    extra_args: Sequence[ArgumentDefinition] | None = None,
    *,
    argv: Sequence[str] | None = None,
    validate_config: Any = _UNSET,
) -> ConfigDict:
    """Parse ``<org_id> <env_type> [options]``, set up logging, load and validate config.

    Returns the config with ``_org_id``, ``_env_type``, secrets as ``_snake_case``,
    ``_args`` (the extra options) and ``_token`` when ``require_token=True``.
    """
    if validate_config is not _UNSET:
        warnings.warn(
            "validate_config= is deprecated and ignored: v3.0 always validates the config",
            DeprecationWarning,
            stacklevel=2,
        )
    extra = list(extra_args or ())
    args = build_parser(description, extra).parse_args(argv)
    from txo_runtime.logger import set_log_context, setup_logger

    check_identity(args.org_id, args.env_type)  # before the org id names a log file
    setup_logger(org_id=args.org_id, debug=args.debug)
    set_log_context(org_id=args.org_id, env_type=args.env_type)
    config = load_config(args.org_id, args.env_type)
    emit("run.config", org_id=args.org_id, env_type=args.env_type)
    config["_args"] = {d.name: getattr(args, d.name) for d in extra}
    if require_token:
        _obtain_token(config)
    logger.info("Configuration loaded for %s-%s", args.org_id, args.env_type)
    return config


def parse_custom_args_and_load_config(
    description: str,
    extra_args: Sequence[ArgumentDefinition],
    require_token: bool = False,
    **kwargs: Any,
) -> ConfigDict:
    """v2.1 name kept for compatibility; same as ``parse_args_and_load_config``."""
    warnings.warn(
        "parse_custom_args_and_load_config is deprecated; use "
        "parse_args_and_load_config(description, extra_args=[...])",
        DeprecationWarning,
        stacklevel=2,
    )
    return parse_args_and_load_config(description, require_token, extra_args, **kwargs)


def _report(error: BaseException, *, debug: bool, cause: BaseException | None = None) -> None:
    """The friendly message on the console; the traceback only in the log file or --debug.

    The log file gets the plain labels; a console that can show them gets ❌ / ✅ / 📝.
    """
    from txo_runtime.logger import CONSOLE_SYMBOL_TEXT

    plain = _user_text(error, debug=debug, cause=cause, symbols=False)
    with_symbols = _user_text(error, debug=debug, cause=cause, symbols=True)
    if not logger.hasHandlers() and symbols_supported(sys.stderr):
        plain = with_symbols  # before setup_logger: Python's last resort writes to stderr
    logger.error("\n%s", plain, extra={CONSOLE_SYMBOL_TEXT: "\n" + with_symbols})
    if not debug:
        logger.debug("Traceback of the error above", exc_info=cause or error)


def _user_text(
    error: BaseException, *, debug: bool, cause: BaseException | None, symbols: bool
) -> str:
    from txo_runtime.logger import redact

    # Redacted here too: before setup_logger (a bad command line) Python's last-resort
    # handler prints the message as it is.
    message = redact(render_user_message(error, symbols=symbols))
    if isinstance(error, TxoBaseError) and error.context is not None:
        context = error.context.describe()
        if context:
            message += f"\n\nContext: {context}"
    if debug:  # formatted and redacted here: before setup_logger no handler would redact it
        trace = "".join(traceback.format_exception(cause or error))
        message += "\n\n" + redact(trace).rstrip()
    return message


def _exit_code(exit_request: SystemExit, *, debug: bool) -> int:
    """``sys.exit(3)`` keeps its code; ``sys.exit("message")`` is shown redacted, code 1.

    Python would print a string code to stderr as it is; a secret in it would leak.
    """
    code = exit_request.code
    if code is None or isinstance(code, int):
        return 0 if code is None else code
    _report(HelpfulError(str(code), "See the message above and the log in logs/"), debug=debug)
    return EXIT_ERROR


def _debug_requested(argv: Sequence[str] | None = None) -> bool:
    """Whether the command line (``sys.argv[1:]`` by default) asks for ``--debug``.

    argparse reads the flag with the definition the script's parser uses, ignoring every
    other argument. :func:`run` needs the answer before ``main`` runs: an error can come
    before the script's parser exists, or from parsing itself (a bad command line).
    A command line this cannot read counts as no ``--debug``.
    """
    parser = _OptionsParser(add_help=False)
    _add_common_options(parser)
    try:
        options, _ = parser.parse_known_args(argv)
    except _CommandLineError:
        return False
    return bool(options.debug)


def _call_main(main: Callable[[], Any], debug: bool) -> tuple[int, BaseException | None]:
    """``main``'s exit code (0, 1, 130 or its own) and the error that ended it, if any."""
    try:
        result = main()
    except KeyboardInterrupt as interrupt:
        logger.warning("Interrupted by user")
        return EXIT_INTERRUPTED, interrupt
    except SystemExit as exit_request:
        code = _exit_code(exit_request, debug=debug)
        return code, (exit_request if code != EXIT_OK else None)
    except TxoBaseError as error:
        _report(error, debug=debug)
        return EXIT_ERROR, error
    except Exception as error:  # noqa: BLE001 - the last line of defence for scripts
        wrapped = HelpfulError(
            what_went_wrong=f"Script failed unexpectedly: {type(error).__name__}: {error}",
            how_to_fix="Check the log file in logs/ for the full (redacted) traceback",
            example="Run again with --debug to see the traceback on the console",
        )
        _report(wrapped, debug=debug, cause=error)
        return EXIT_ERROR, error
    code = result if isinstance(result, int) and not isinstance(result, bool) else EXIT_OK
    return code, None


def run(main: Callable[[], Any], *, argv: Sequence[str] | None = None) -> int:
    """Call ``main`` and turn its outcome into an exit code (0, 1 or 130).

    Usage at the end of a script: ``raise SystemExit(run(main))``. ``argv`` (default
    ``sys.argv[1:]``) is where ``--debug`` is read: with it, errors show their traceback
    on the console. Every run that loaded a config, and every failed run, writes a run
    report to ``logs/`` and logs its one-line summary (see :mod:`txo_runtime.run_report`);
    with OpenTelemetry switched on (``OTEL_*`` variables) the run is also traced.
    """
    from txo_runtime.run_events import listening
    from txo_runtime.run_report import RunRecorder

    debug = _debug_requested(argv)
    run = _RunIdentity.new(argv)
    _set_run_log_context(run.script, run.run_id)
    recorder = RunRecorder()
    with listening(recorder), _traced(run) as trace:
        code, error = _call_main(main, debug)
        trace.finish(code, error)
    _finish_report(run, recorder, code, error)
    return code


@dataclass(frozen=True)
class _RunIdentity:
    """What names a run: the script, a random id, its start and its command line."""

    script: str
    run_id: str
    started: float
    argv: tuple[str, ...]

    @classmethod
    def new(cls, argv: Sequence[str] | None) -> _RunIdentity:
        import secrets
        import time

        arguments = tuple(sys.argv[1:] if argv is None else argv)
        # 16 random hex digits, as uuid4().hex[:16] gave, without importing uuid (which
        # loads platform, ~2 ms of every run's start-up, --help included).
        return cls(_script_name(), secrets.token_hex(8), time.time(), arguments)

    def org_and_env(self) -> tuple[str, str]:
        """Org and env from the command line, for a run that failed before its config."""
        positional = [arg for arg in self.argv if not arg.startswith("-")][:2]
        try:
            check_identity(*positional)
        except (TypeError, HelpfulError):
            return "unknown", "unknown"
        return positional[0], positional[1]


def _script_name() -> str:
    """``src.fetch_customers`` -> ``fetch_customers`` (safe in a file name)."""
    import re

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = spec.name.rsplit(".", 1)[-1] if spec is not None and spec.name else ""
    if not name and sys.argv and sys.argv[0]:
        name = sys.argv[0].replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".py")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "script"


def _set_run_log_context(script: str, run_id: str) -> None:
    """Script and run id for the log records (JSON logs carry them)."""
    from txo_runtime.logger import set_log_context

    set_log_context(script=script, run_id=run_id)


def _traced(run: _RunIdentity) -> Any:
    """The run's OpenTelemetry span when telemetry is switched on, else a no-op."""
    from txo_runtime.telemetry import trace_run

    return trace_run(run.script, run.run_id)


def _finish_report(
    run: _RunIdentity, recorder: Any, code: int, error: BaseException | None
) -> None:
    """Write the run report and log its summary; a report that cannot be written is a
    warning, never a change of the exit code."""
    import time

    from txo_runtime.path_helpers import find_project_root
    from txo_runtime.run_report import build_report, report_filename, summary_line, write_report

    counts = recorder.counts
    if counts.org_id is None and code == EXIT_OK:
        return  # --help and the like: no run happened
    org, env = (counts.org_id, counts.env_type) if counts.org_id else run.org_and_env()
    counts.org_id, counts.env_type = org, env
    report = build_report(
        counts, script=run.script, run_id=run.run_id, started=run.started,
        ended=time.time(), exit_code=code, error=error,
    )  # fmt: skip
    try:
        path: Any = write_report(report, find_project_root(), report_filename(
            str(org), str(env), run.script, run.started))  # fmt: skip
    except (OSError, TxoBaseError) as problem:
        logger.warning("Run report not written: %s", type(problem).__name__)
        path = None
    logger.info("%s", summary_line(report, path))
