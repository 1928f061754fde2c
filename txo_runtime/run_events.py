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
- ``breaker.opened`` / ``breaker.closed``: url (None: a breaker does not know its URLs)
- ``odata.page``: url, rows
- ``file.saved``: path, rows (int or None), bytes
- ``run.config``: org_id, env_type (a script loaded its config: the run's identity)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["EVENTS_LOGGER", "emit", "listened", "listening", "rows_in", "url_for_events"]

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


def listened() -> bool:
    """Whether any listener is attached: a call site skips preparing fields when none is."""
    return bool(logging.getLogger(EVENTS_LOGGER).handlers)


def url_for_events(url: str) -> str:
    """``https://user:pw@h/p?$filter=x&key=s`` -> ``https://h/p?$filter&key``: the query's
    names stay (they tell what was asked), its values and any user info go (they may hold
    ids or secrets). Cheap (no log redaction): a listener that sends URLs out of the
    process also passes them through the logger's ``redact`` for secrets in paths."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    names = "&".join(pair.split("=", 1)[0] for pair in parts.query.split("&") if pair)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, names, ""))


def rows_in(data: Any) -> int | None:
    """The rows of saved data for ``file.saved``: a list's length, a table's (anything
    with a two-dimensional ``shape``, e.g. a DataFrame) row count, else None."""
    if isinstance(data, (list, tuple)):
        return len(data)
    shape = getattr(data, "shape", None)
    if isinstance(shape, tuple) and len(shape) == 2 and isinstance(shape[0], int):
        return shape[0]
    return None


@contextmanager
def listening(handler: logging.Handler) -> Iterator[logging.Handler]:
    """Attach ``handler`` to the run events for the ``with`` block."""
    events = logging.getLogger(EVENTS_LOGGER)
    events.addHandler(handler)
    try:
        yield handler
    finally:
        events.removeHandler(handler)
