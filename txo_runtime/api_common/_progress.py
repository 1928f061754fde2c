"""Progress of long work (OData pulls, ``parallel_map``): rows or items, rate and ETA.

On a terminal, when the caller asks for a bar and rich (the ``progress`` extra) is
installed, a rich bar with rate and ETA is drawn on stderr. Otherwise — a pipe, a log
file, a scheduler, or no rich — a periodic INFO line says the same thing, at most once per
``interval`` seconds, so short work stays silent and long work is never silent. The clock
is injected so the timing is tested without waiting.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
from collections.abc import Callable

from txo_runtime.api_common._closing import Closing
from txo_runtime.extras import install_command

__all__ = ["DEFAULT_BAR_DELAY", "DEFAULT_PROGRESS_INTERVAL", "Progress", "describe_progress"]

logger = logging.getLogger(__name__)

DEFAULT_PROGRESS_INTERVAL = 10.0  # seconds between two INFO progress lines
DEFAULT_BAR_DELAY = 2.0  # an unrequested bar appears only for work that lasts this long


def describe_progress(
    description: str, done: int, total: int | None, unit: str, elapsed: float
) -> str:
    """``Customers: 120/500 items (24.0 items/s, ETA 16 s)`` (no total: no ETA)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    count = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
    text = f"{description}: {count} {unit} ({rate:,.1f} {unit}/s"
    if total is not None and rate > 0 and done < total:
        text += f", ETA {(total - done) / rate:,.0f} s"
    return text + f", {elapsed:,.0f} s elapsed)"


class _RichBar(Closing):
    """A rich progress bar on stderr; rich is imported only when a bar is shown."""

    def __init__(self, description: str, total: int | None, unit: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        class RateColumn(ProgressColumn):  # rich has none for items (only bytes)
            def render(self, task: object) -> Text:
                speed = getattr(task, "speed", None) or 0.0
                return Text(f"{speed:,.1f} {unit}/s")

        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn() if total is not None else TextColumn("{task.completed}"),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        self._bar = RichProgress(*columns, console=Console(stderr=True), transient=False)
        self._task = self._bar.add_task(description, total=total)
        self._bar.start()

    def advance(self, count: int) -> None:
        self._bar.advance(self._task, count)

    def close(self) -> None:
        # Progress.stop() only signals rich's refresh thread (rich 15 no longer joins it);
        # join it here so that no thread started for the work outlives it.
        refresh = getattr(self._bar.live, "_refresh_thread", None)
        self._bar.stop()
        if refresh is not None:
            refresh.join()


class Progress(Closing):
    """Reports ``advance(n)`` calls: a bar on a terminal (``bar=True``), else INFO lines.

    ``total`` may be None (an OData pull without a count): the lines then give the rate
    but no ETA. ``bar_delay``: the bar appears only once the work has lasted that long, so
    quick calls draw nothing. Not thread-safe; call ``advance`` from one thread.
    """

    def __init__(
        self,
        description: str,
        *,
        total: int | None = None,
        unit: str = "items",
        bar: bool = False,
        bar_delay: float = 0.0,
        interval: float = DEFAULT_PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.description, self.total, self.unit = description, total, unit
        self.done = 0
        self._clock, self._interval, self._bar_delay = clock, interval, bar_delay
        self._started = self._last_line = clock()
        self._want_bar = bar and _can_draw_bar(explain=bar_delay <= 0)
        self._bar: _RichBar | None = None
        if self._want_bar and bar_delay <= 0:
            self._bar = _RichBar(description, total, unit)

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = self._clock()
        if self._bar is None and self._want_bar and now - self._started >= self._bar_delay:
            self._bar = _RichBar(self.description, self.total, self.unit)
            count = self.done
        if self._bar is not None:
            self._bar.advance(count)
            return
        if now - self._last_line >= self._interval:
            self._last_line = now
            logger.info(self.describe(now))

    def describe(self, now: float | None = None) -> str:
        elapsed = (self._clock() if now is None else now) - self._started
        return describe_progress(self.description, self.done, self.total, self.unit, elapsed)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _can_draw_bar(*, explain: bool) -> bool:
    """A bar written to a pipe or a log file is noise: only on a terminal, only with rich.
    ``explain``: the caller asked for a bar, so say why there is none."""
    if not sys.stderr.isatty():
        return False
    if importlib.util.find_spec("rich") is None:
        if explain:
            logger.info("No progress bar (log lines instead): %s", install_command("rich"))
        return False
    return True
