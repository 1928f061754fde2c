"""Progress of long work: rows or items, rate and ETA; a bar on a terminal (with rich),
periodic INFO lines otherwise, silence for short work. Timed by a fake clock."""

from __future__ import annotations

import io
import logging

import pytest
from fake_time import FakeTime

from txo_runtime.api_common import Progress
from txo_runtime.concurrency import parallel_map, rate_limited_parallel


def progress_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "txo_runtime.api_common._progress"]


def test_long_work_logs_a_line_per_interval_with_count_rate_and_eta(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeTime()
    with caplog.at_level(logging.INFO), Progress("Customers", total=100, clock=clock) as progress:
        for _ in range(50):
            clock.advance(1.0)
            progress.advance()
    assert progress_lines(caplog) == [
        "Customers: 10/100 items (1.0 items/s, ETA 90 s, 10 s elapsed)",
        "Customers: 20/100 items (1.0 items/s, ETA 80 s, 20 s elapsed)",
        "Customers: 30/100 items (1.0 items/s, ETA 70 s, 30 s elapsed)",
        "Customers: 40/100 items (1.0 items/s, ETA 60 s, 40 s elapsed)",
        "Customers: 50/100 items (1.0 items/s, ETA 50 s, 50 s elapsed)",
    ]


def test_short_work_logs_no_progress_line(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeTime()
    with caplog.at_level(logging.INFO), Progress("Quick", total=3, clock=clock) as progress:
        for _ in range(3):
            clock.advance(0.1)
            progress.advance()
    assert progress_lines(caplog) == []


def test_without_a_total_the_line_gives_the_rate_but_no_eta(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeTime()
    with caplog.at_level(logging.INFO), Progress("OData X", unit="rows", clock=clock) as progress:
        clock.advance(20)
        progress.advance(500)
    assert progress_lines(caplog) == ["OData X: 500 rows (25.0 rows/s, 20 s elapsed)"]


@pytest.mark.parametrize("runner", ["parallel_map", "rate_limited_parallel"])
def test_parallel_work_that_lasts_logs_progress_lines(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, runner: str
) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())  # no terminal: lines, not a bar
    with caplog.at_level(logging.INFO):
        if runner == "parallel_map":
            parallel_map(str, range(4), description="Orders", progress_interval=0)
        else:
            rate_limited_parallel(
                str, range(4), calls_per_second=1000, burst_size=4, description="Orders",
                progress_interval=0,
            )  # fmt: skip
    lines = progress_lines(caplog)
    assert lines[-1].startswith("Orders: 4/4 items (") and "items/s" in lines[-1]


def test_a_bar_is_requested_on_a_terminal_without_rich_falls_back_to_lines(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    clock = FakeTime()
    with caplog.at_level(logging.INFO), Progress("Pull", total=2, bar=True, clock=clock) as bar:
        clock.advance(11)
        bar.advance(2)
    messages = [r.getMessage() for r in caplog.records]
    assert any("No progress bar" in m and "txo-runtime[progress]" in m for m in messages)
    assert progress_lines(caplog)[-1].startswith("Pull: 2/2 items")
