"""Run events reach attached listeners only, never the console or the log file."""

from __future__ import annotations

import logging

from txo_runtime.run_events import EVENTS_LOGGER, emit, listening


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict[str, object]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.msg, record.txo_event))  # type: ignore[attr-defined]


def test_emit_reaches_an_attached_listener_with_kind_and_fields() -> None:
    with listening(_Collect()) as listener:
        emit("odata.page", url="https://x.invalid/Customers", rows=100)
    assert listener.seen == [("odata.page", {"url": "https://x.invalid/Customers", "rows": 100})]


def test_emit_without_listener_reaches_no_root_handler(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    emit("file.saved", path="x.json", rows=1, bytes=10)
    assert caplog.records == []


def test_listener_is_detached_after_the_block() -> None:
    with listening(_Collect()) as listener:
        pass
    emit("http.wait", seconds=1.0, retry_after=False)
    assert listener.seen == []
    assert logging.getLogger(EVENTS_LOGGER).handlers == []


def test_events_never_propagate_to_the_root_logger_while_listened(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with listening(_Collect()) as listener:
        emit("breaker.opened", url="https://x.invalid")
    assert len(listener.seen) == 1
    assert caplog.records == []
