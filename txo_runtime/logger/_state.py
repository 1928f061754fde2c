"""Where the logging machinery keeps its state.

No module globals: the state object is an attribute of the ``txo_runtime.logger`` *Logger*
object, which ``logging``'s manager holds for the life of the process. Logging is the one
place where the runtime accepts process-wide state; formatters and filters created at any
time, before or after ``setup_logger``, find the same secret registry through it; and
``importlib.reload`` of a module cannot split the state between old handlers and new callers.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from txo_runtime.logger._config import PATTERNS_FILE
from txo_runtime.logger._redaction import RedactionRules, load_redaction_rules
from txo_runtime.logger._secret_values import SecretRegistry
from txo_runtime.path_helpers import packaged_data

__all__ = [
    "DEFAULT_LOGGER_NAME",
    "NO_CONTEXT",
    "LoggingState",
    "active_rules",
    "redact",
    "state",
]

DEFAULT_LOGGER_NAME = "txo"
NO_CONTEXT = "-"  # %(org_id)s, %(script)s ... before they are known
NO_CONTEXT_4 = (NO_CONTEXT,) * 4
STATE_HOLDER = "txo_runtime.logger"  # the Logger object that carries the state
_STATE_ATTRIBUTE = "txo_logging_state"


class LoggingState:
    """What the logging machinery remembers between calls: secrets, rules, context."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.secrets = SecretRegistry()
        self.rules: RedactionRules | None = None
        self.default_rules: RedactionRules | None = None
        self.org_id: str | None = None
        self.env_type: str | None = None
        self.script: str | None = None
        self.run_id: str | None = None
        self.started = time.time()
        self.saved: dict[str, Any] = {}  # what setup changed, for reset_logging()
        self._context: tuple[tuple[Any, ...], tuple[str, str, str, str]] = ((), NO_CONTEXT_4)

    def context(self) -> tuple[str, str, str, str]:
        """``org_id``, ``env_type``, ``script``, ``run_id`` redacted, ``"-"`` when unknown.

        Redacted when a value, the rules or the registered secrets change, not per record:
        every record carries these values and they change a few times per run at most.
        """
        raw = (self.org_id, self.env_type, self.script, self.run_id)
        key = (*raw, id(self.rules), self.secrets.generation)
        memo = self._context
        if memo[0] != key:
            values = tuple(redact(v) if v else NO_CONTEXT for v in raw)
            memo = self._context = (key, values)  # type: ignore[assignment]
        return memo[1]


def state() -> LoggingState:
    holder = logging.getLogger(STATE_HOLDER)
    found = getattr(holder, _STATE_ATTRIBUTE, None)
    if found is None:  # setdefault is atomic: two threads still get one state
        found = vars(holder).setdefault(_STATE_ATTRIBUTE, LoggingState())
    return found


def active_rules(current: LoggingState) -> RedactionRules:
    """The project's rules after setup_logger; the packaged defaults before it."""
    if current.rules is not None:
        return current.rules
    if current.default_rules is None:
        packaged = packaged_data(PATTERNS_FILE)
        current.default_rules = load_redaction_rules(packaged)
    return current.default_rules


def redact(text: str, rules: RedactionRules | None = None) -> str:
    """``text`` with registered secrets and pattern matches replaced.

    For anything that leaves the process besides logs (an error message, a report).
    """
    current = state()
    return (rules or active_rules(current)).redact(current.secrets.redact(text))
