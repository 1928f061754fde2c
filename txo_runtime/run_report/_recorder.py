"""``RunRecorder``: counts what a run did from its run events, exactly, from any thread.

A ``logging.Handler`` attached to the run events: ``Handler.handle`` takes the handler's
lock around :meth:`emit`, so the counts stay exact while worker threads (``parallel_map``)
report calls at the same time.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["RunCounts", "RunRecorder"]


@dataclass
class RunCounts:
    """What a run did: HTTP attempts by method and status, waits, breaker changes, OData
    pages, saved files, and the org/env of the config it loaded."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    waits: int = 0
    wait_seconds: float = 0.0
    retry_after_waits: int = 0
    retry_after_seconds: float = 0.0
    breaker_openings: int = 0
    breaker_closings: int = 0
    odata_pages: int = 0
    odata_rows: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)
    org_id: str | None = None
    env_type: str | None = None

    @property
    def http_calls(self) -> int:
        return sum(self.calls.values())

    def by_method_and_status(self) -> dict[str, dict[str, int]]:
        """``{"GET": {"200": 5, "429": 1}, "POST": {"ConnectionError": 1}}``."""
        table: dict[str, dict[str, int]] = {}
        for (method, status), count in sorted(self.calls.items()):
            table.setdefault(method, {})[status] = count
        return table


class RunRecorder(logging.Handler):
    """The listener behind the run report (attach it with ``run_events.listening``)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.counts = RunCounts()

    def emit(self, record: logging.LogRecord) -> None:
        fields: dict[str, Any] = getattr(record, "txo_event", {})
        handler = _HANDLERS.get(str(record.msg))
        if handler is not None:
            handler(self.counts, fields)


def _attempt(counts: RunCounts, fields: dict[str, Any]) -> None:
    status = fields.get("status")
    outcome = str(status) if status is not None else str(fields.get("error") or "no answer")
    counts.calls[(str(fields.get("method", "?")), outcome)] += 1


def _wait(counts: RunCounts, fields: dict[str, Any]) -> None:
    seconds = float(fields.get("seconds") or 0.0)
    counts.waits += 1
    counts.wait_seconds += seconds
    if fields.get("retry_after"):
        counts.retry_after_waits += 1
        counts.retry_after_seconds += seconds


def _opened(counts: RunCounts, fields: dict[str, Any]) -> None:
    counts.breaker_openings += 1


def _closed(counts: RunCounts, fields: dict[str, Any]) -> None:
    counts.breaker_closings += 1


def _page(counts: RunCounts, fields: dict[str, Any]) -> None:
    counts.odata_pages += 1
    counts.odata_rows += int(fields.get("rows") or 0)


def _saved(counts: RunCounts, fields: dict[str, Any]) -> None:
    counts.files.append(
        {"path": fields.get("path"), "rows": fields.get("rows"), "bytes": fields.get("bytes")}
    )


def _config(counts: RunCounts, fields: dict[str, Any]) -> None:
    counts.org_id = fields.get("org_id")
    counts.env_type = fields.get("env_type")


_HANDLERS: MappingProxyType[str, Callable[[RunCounts, dict[str, Any]], None]] = MappingProxyType(
    {
        "http.attempt": _attempt,
        "http.wait": _wait,
        "breaker.opened": _opened,
        "breaker.closed": _closed,
        "odata.page": _page,
        "file.saved": _saved,
        "run.config": _config,
    }
)
