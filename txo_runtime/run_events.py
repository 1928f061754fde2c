"""Run events: what a run did, told to whoever listens (the run report, tracing).

The runtime's parts tell of each HTTP attempt, retry wait, breaker change, OData page and
saved file with ``emit(kind, **fields)``; listeners turn them into a run report or
OpenTelemetry spans. A listener is a ``logging.Handler`` attached with :func:`listening`;
it receives a ``LogRecord`` whose ``msg`` is the kind and whose ``txo_event`` attribute is
the fields dict.

Why logging carries them: it is the one process-wide registry the runtime allows itself
(thread-safe, reached from worker threads and from code that was handed no run object),
so no module keeps a listener list of its own. The records go straight to the listeners
of the ``txo.events`` logger, never to the console or the log file, and with no listener
``emit`` costs one look at an empty list.

Event kinds and their fields (URLs are already fit for messages: no query values):
- ``http.attempt``: method, url, status (int or None), error (exception class name or
  None), attempt (1-based), retryable (bool), started (epoch seconds), seconds (duration)
- ``http.wait``: seconds, retry_after (True when the server's ``Retry-After`` set it)
- ``breaker.opened`` / ``breaker.closed``: url
- ``odata.page``: url, rows
- ``file.saved``: path, rows (int or None), bytes
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["EVENTS_LOGGER", "emit", "listening"]

EVENTS_LOGGER = "txo.events"


def emit(kind: str, **fields: Any) -> None:
    """Tell every attached listener that ``kind`` happened; nothing when none listens."""
    events = logging.getLogger(EVENTS_LOGGER)
    handlers = events.handlers
    if not handlers:
        return
    record = events.makeRecord(EVENTS_LOGGER, logging.INFO, __name__, 0, kind, (), None)
    record.txo_event = fields
    for handler in list(handlers):
        handler.handle(record)


@contextmanager
def listening(handler: logging.Handler) -> Iterator[logging.Handler]:
    """Attach ``handler`` to the run events for the ``with`` block."""
    events = logging.getLogger(EVENTS_LOGGER)
    events.addHandler(handler)
    try:
        yield handler
    finally:
        events.removeHandler(handler)
