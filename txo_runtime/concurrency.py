"""Run a function over many items in threads and report every outcome.

Integration scripts spend their time waiting on APIs, so threads (not processes) are the
right tool: :func:`parallel_map`, :func:`rate_limited_parallel` and :func:`batch_process`
all return a :class:`ProcessingResult` whose ``results`` are in input order and whose
``failures`` name each failed item with its exception. Nothing is dropped silently: a
script either inspects the result or calls :meth:`ProcessingResult.raise_on_failure`.

Ctrl-C (``KeyboardInterrupt`` in the main thread) cancels the work that has not started,
waits for the calls already running (they have their own HTTP timeouts) and re-raises, so
no worker thread outlives the call.
"""

from __future__ import annotations

import logging
import reprlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Generic, TypeVar

from txo_runtime.api_common import (
    DEFAULT_BAR_DELAY,
    DEFAULT_PROGRESS_INTERVAL,
    Progress,
    RateLimiter,
)
from txo_runtime.exceptions import ApiOperationError, ErrorContext

__all__ = [
    "WORKER_THREAD_PREFIX",
    "BatchFailureError",
    "Failure",
    "ProcessingResult",
    "batch_process",
    "parallel_map",
    "rate_limited_parallel",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_WORKERS = 10
DEFAULT_BATCH_SIZE = 100
# Worker threads are named ``txo-worker-<run>_<n>`` (``%(threadName)s`` in a log format).
WORKER_THREAD_PREFIX = "txo-worker"
MAX_FAILURES_IN_MESSAGE = 3
_item_repr = reprlib.Repr()
_item_repr.maxstring = 60
_item_repr.maxother = 60


@dataclass(frozen=True)
class Failure(Generic[T]):
    """One item that failed: its position in the input, the item itself and the error."""

    index: int
    item: T
    exception: BaseException

    def describe(self) -> str:
        """``#3 'ACME-42': ApiTimeoutError: ...`` for logs and summaries."""
        kind = type(self.exception).__name__
        return f"#{self.index} {_item_repr.repr(self.item)}: {kind}: {self.exception}"


class BatchFailureError(ApiOperationError):
    """Some items of a parallel run failed; ``failures`` lists them with their items."""

    def __init__(self, message: str, *, failures: Sequence[Failure[Any]], total: int) -> None:
        context = ErrorContext(
            operation="parallel processing",
            details={"failed": len(failures), "total": total},
        )
        super().__init__(
            message,
            how_to_fix="Inspect result.failures (index, item, exception) and retry those items",
            context=context,
        )
        self.failures = list(failures)
        self.total = total


@dataclass(slots=True)
class ProcessingResult(Generic[T, R]):
    """Outcome of a parallel run.

    ``results[i]`` is the return value for input ``i``, or ``None`` where that input failed
    (check ``failures`` to tell a failure from a function that returned ``None``).

    Two forms of the same number, so that both common ways of writing a check read right:

    - ``success_rate`` is a **fraction** from 0.0 to 1.0: format it with ``:.1%``
      (``f"{result.success_rate:.1%}"`` -> ``75.0%``) or compare it with a fraction
      (``result.success_rate < 0.9``);
    - ``success_percent`` is a **percentage** from 0.0 to 100.0: compare it with a
      percentage (``result.success_percent < 90``) or format it with ``:.1f``.

    An empty run has a rate of 1.0 (100 %) because nothing failed. The result has
    ``__slots__`` (no per-instance ``__dict__``): a run over many items keeps one small
    object, and a misspelt attribute assignment fails instead of passing silently.
    """

    results: list[R | None]
    failures: list[Failure[T]] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def failure_count(self) -> int:
        return len(self.failures)

    @property
    def success_count(self) -> int:
        return self.total - self.failure_count

    @property
    def success_rate(self) -> float:
        """Fraction of items that succeeded, 0.0 to 1.0 (``:.1%`` formats it as a percent)."""
        return self.success_count / self.total if self.total else 1.0

    @property
    def success_percent(self) -> float:
        """Percentage of items that succeeded, 0.0 to 100.0 (``success_rate * 100``)."""
        return self.success_rate * 100

    @property
    def successes(self) -> list[R]:
        """Return values of the successful items, in input order."""
        failed = {failure.index for failure in self.failures}
        return [r for i, r in enumerate(self.results) if i not in failed]  # type: ignore[misc]

    @property
    def all_succeeded(self) -> bool:
        return not self.failures

    def raise_on_failure(self) -> None:
        """Raise :class:`BatchFailureError` naming the first failures, if any item failed."""
        if not self.failures:
            return
        shown = "; ".join(f.describe() for f in self.failures[:MAX_FAILURES_IN_MESSAGE])
        more = self.failure_count - MAX_FAILURES_IN_MESSAGE
        suffix = f"; and {more} more" if more > 0 else ""
        raise BatchFailureError(
            f"{self.failure_count} of {self.total} items failed: {shown}{suffix}",
            failures=self.failures,
            total=self.total,
        ) from self.failures[0].exception

    # v2.1 names, kept for scripts written against the old result object.
    @property
    def successful(self) -> list[R]:
        return self.successes

    @property
    def failed(self) -> list[Failure[T]]:
        return self.failures

    @property
    def total_time(self) -> float:
        return self.elapsed


def _collect(
    futures: dict[Future[R], int],
    items: Sequence[T],
    progress: Progress,
) -> tuple[list[R | None], list[Failure[T]]]:
    results: list[R | None] = [None] * len(items)
    failures: list[Failure[T]] = []
    for future in as_completed(futures):
        index = futures[future]
        error = future.exception()
        if error is None:
            results[index] = future.result()
        elif isinstance(error, Exception):
            logger.debug("Item #%d failed", index, exc_info=error)
            failures.append(Failure(index, items[index], error))
        else:  # KeyboardInterrupt/SystemExit raised inside a worker stop the whole run
            raise error
        progress.advance()
    failures.sort(key=lambda failure: failure.index)
    return results, failures


def _run(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    max_workers: int,
    show_progress: bool | None,
    description: str,
    progress_interval: float,
) -> ProcessingResult[T, R]:
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {max_workers}")
    started = time.monotonic()
    workers = max(1, min(max_workers, len(items)))
    prefix = f"{WORKER_THREAD_PREFIX}-{time.monotonic_ns()}"
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=prefix)
    futures: dict[Future[R], int] = {}
    try:
        progress = Progress(
            description,
            total=len(items),
            bar=show_progress is not False,
            bar_delay=0.0 if show_progress else DEFAULT_BAR_DELAY,
            interval=progress_interval,
        )
        with progress:
            for index, item in enumerate(items):
                futures[executor.submit(func, item)] = index
            results, failures = _collect(futures, items, progress)
    except BaseException:
        unfinished = sum(1 for future in futures if not future.done())
        logger.warning("%s interrupted: cancelling %d unfinished items", description, unfinished)
        executor.shutdown(wait=True, cancel_futures=True)
        _join_orphans(prefix)
        raise
    executor.shutdown(wait=True)
    result = ProcessingResult(results, failures, time.monotonic() - started)
    _log_summary(description, result)
    return result


def _join_orphans(prefix: str) -> None:
    # An interrupt landing inside ThreadPoolExecutor.submit (while Thread.start waits for
    # the new thread) leaves a started worker the executor never registered, so shutdown()
    # cannot join it. It exits on the shutdown sentinel; join it so no thread outlives us.
    for thread in threading.enumerate():
        if thread.name.startswith(f"{prefix}_") and thread is not threading.current_thread():
            thread.join()


def _log_summary(description: str, result: ProcessingResult[Any, Any]) -> None:
    if result.failures:
        logger.warning(
            "%s: %d of %d items failed (first: %s)",
            description,
            result.failure_count,
            result.total,
            result.failures[0].describe(),
        )
    else:
        logger.debug("%s: %d items in %.2f s", description, result.total, result.elapsed)


def parallel_map(
    func: Callable[[T], R],
    items: Iterable[T],
    max_workers: int = DEFAULT_MAX_WORKERS,
    show_progress: bool | None = None,
    description: str | None = None,
    *,
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
) -> ProcessingResult[T, R]:
    """Call ``func(item)`` for every item in up to ``max_workers`` threads.

    Every item is attempted even when others fail; the failures are in the result.
    On a terminal (with rich) a bar shows items, rate and ETA: at once with
    ``show_progress=True``, after 2 s by default (``None``), never with ``False``. Without
    a bar, a run that lasts longer than ``progress_interval`` seconds logs an INFO progress
    line that often, so long work is never silent in a log file.
    """
    return _run(
        func,
        list(items),
        max_workers=max_workers,
        show_progress=show_progress,
        description=description or "parallel_map",
        progress_interval=progress_interval,
    )


def rate_limited_parallel(
    func: Callable[[T], R],
    items: Iterable[T],
    calls_per_second: float = 10.0,
    max_workers: int = DEFAULT_MAX_WORKERS,
    burst_size: int = 1,
    show_progress: bool | None = None,
    description: str | None = None,
    *,
    rate_limiter: RateLimiter | None = None,
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
) -> ProcessingResult[T, R]:
    """Like :func:`parallel_map`, but at most ``calls_per_second`` calls start per second.

    One token bucket is shared by all workers, so in any window of T seconds at most
    ``calls_per_second * T + burst_size`` calls start. Pass ``rate_limiter`` to share the
    limiter of an API (e.g. ``ApiManager``) instead of creating one. Progress is shown as
    by :func:`parallel_map`.
    """
    limiter = rate_limiter or RateLimiter(calls_per_second, burst_size=burst_size)

    def limited(item: T) -> R:
        limiter.acquire()
        return func(item)

    return _run(
        limited,
        list(items),
        max_workers=max_workers,
        show_progress=show_progress,
        description=description or "rate_limited_parallel",
        progress_interval=progress_interval,
    )


def _batches(data: Iterable[T], batch_size: int) -> Iterator[Any]:
    # DataFrames are sliced by position (one DataFrame per batch); other sequences keep
    # their own type when sliced; any other iterable is chunked into lists.
    if hasattr(data, "iloc") and hasattr(data, "__len__"):
        frame: Any = data
        for start in range(0, len(frame), batch_size):
            yield frame.iloc[start : start + batch_size]
    elif isinstance(data, Sequence):
        for start in range(0, len(data), batch_size):
            yield data[start : start + batch_size]
    else:
        iterator = iter(data)
        while chunk := list(islice(iterator, batch_size)):
            yield chunk


def batch_process(
    func: Callable[[Any], R],
    data: Iterable[Any],
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_workers: int = 1,
    show_progress: bool | None = None,
    description: str | None = None,
) -> ProcessingResult[Any, R]:
    """Call ``func(batch)`` for consecutive batches of ``batch_size`` items.

    The result has one entry per batch; a failure's ``index`` is the batch number and its
    ``item`` is the batch. Batches run one after another unless ``max_workers`` > 1.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    return _run(
        func,
        list(_batches(data, batch_size)),
        max_workers=max_workers,
        show_progress=show_progress,
        description=description or "batch_process",
        progress_interval=DEFAULT_PROGRESS_INTERVAL,
    )
