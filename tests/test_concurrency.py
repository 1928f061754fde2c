"""Specifications of txo_runtime.concurrency: order, failures, rate, cancel, no leaks."""

from __future__ import annotations

import io
import signal
import threading
import time

import pytest

from txo_runtime.api_common import RateLimiter
from txo_runtime.concurrency import (
    BatchFailureError,
    Failure,
    ProcessingResult,
    batch_process,
    parallel_map,
    rate_limited_parallel,
)
from txo_runtime.exceptions import ApiOperationError, ApiTimeoutError


@pytest.fixture
def thread_baseline() -> int:
    """Thread count before the test; the test asserts it is back to this afterwards."""
    return threading.active_count()


def _reverse_delay(item: int) -> int:
    # Later items finish first, so input order != completion order.
    time.sleep(0.002 * (20 - item))
    return item * 10


def test_parallel_map_keeps_input_order_when_items_finish_out_of_order() -> None:
    result = parallel_map(_reverse_delay, range(20), max_workers=8)

    assert result.results == [i * 10 for i in range(20)]
    assert result.total == 20
    assert result.success_count == 20
    assert result.success_rate == 1.0
    assert result.all_succeeded


def _fail_on_multiples_of_three(item: int) -> int:
    if item % 3 == 0:
        raise ApiTimeoutError(f"item {item} timed out", timeout_seconds=1)
    return item


def test_failures_are_reported_with_their_index_item_and_exception() -> None:
    result = parallel_map(_fail_on_multiples_of_three, [1, 3, 4, 6, 7], max_workers=3)

    assert [(f.index, f.item) for f in result.failures] == [(1, 3), (3, 6)]
    assert all(isinstance(f.exception, ApiTimeoutError) for f in result.failures)
    assert result.results == [1, None, 4, None, 7]
    assert result.successes == [1, 4, 7]
    assert result.failure_count == 2
    assert f"{result.success_rate:.1%}" == "60.0%"


def test_every_item_is_attempted_even_after_failures() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def record_then_fail(item: int) -> None:
        with lock:
            seen.append(item)
        raise ValueError(item)

    result = parallel_map(record_then_fail, range(50), max_workers=4)

    assert sorted(seen) == list(range(50))
    assert result.failure_count == 50
    assert result.success_rate == 0.0


def test_raise_on_failure_summarises_failed_items_and_chains_the_first_error() -> None:
    result = parallel_map(_fail_on_multiples_of_three, range(10), max_workers=2)

    with pytest.raises(BatchFailureError) as caught:
        result.raise_on_failure()

    error = caught.value
    assert isinstance(error, ApiOperationError)
    assert "4 of 10 items failed" in str(error)
    assert "#0 0: ApiTimeoutError" in str(error)
    assert "and 1 more" in str(error)
    assert [f.item for f in error.failures] == [0, 3, 6, 9]
    assert error.__cause__ is result.failures[0].exception


def test_raise_on_failure_is_silent_when_everything_succeeded() -> None:
    parallel_map(str, [1, 2]).raise_on_failure()


def test_empty_input_gives_an_empty_result_with_full_success_rate() -> None:
    result = parallel_map(str, [])

    assert result.results == []
    assert result.success_rate == 1.0


def test_v21_result_names_still_work() -> None:
    failure = Failure(index=0, item="a", exception=ValueError("bad"))
    result: ProcessingResult[str, int] = ProcessingResult([None, 2], [failure], elapsed=1.5)

    assert result.successful == [2]
    assert result.failed == [failure]
    assert result.total_time == 1.5


@pytest.mark.parametrize("workers", [1, 4, 32])
def test_no_worker_thread_outlives_the_call(workers: int, thread_baseline: int) -> None:
    parallel_map(_fail_on_multiples_of_three, range(40), max_workers=workers)

    assert threading.active_count() == thread_baseline


def test_rate_limited_parallel_at_5_per_second_starts_at_most_11_calls_in_any_2_seconds(
    thread_baseline: int,
) -> None:
    starts: list[float] = []
    lock = threading.Lock()

    def record_start(item: int) -> int:
        with lock:
            starts.append(time.monotonic())
        return item

    result = rate_limited_parallel(
        record_start, range(12), calls_per_second=5, max_workers=10, burst_size=1
    )

    assert result.results == list(range(12))
    starts.sort()
    busiest = max(sum(1 for t in starts if first <= t < first + 2.0) for first in starts)
    assert busiest <= 5 * 2 + 1
    assert threading.active_count() == thread_baseline


def test_rate_limited_parallel_uses_a_shared_limiter_when_given() -> None:
    waits: list[float] = []
    now = [0.0]

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2, burst_size=1, clock=lambda: now[0], sleep=fake_sleep)

    result = rate_limited_parallel(str, range(5), max_workers=1, rate_limiter=limiter)

    assert result.results == ["0", "1", "2", "3", "4"]
    assert sum(waits) == pytest.approx(2.0)  # 4 calls after the burst, 0.5 s apart


def test_ctrl_c_cancels_pending_items_reraises_and_leaves_no_threads(
    thread_baseline: int,
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    started: list[int] = []
    lock = threading.Lock()
    main_thread = threading.main_thread().ident
    assert main_thread is not None

    def work(item: int) -> int:
        with lock:
            started.append(item)
        if item == 0:  # a real SIGINT delivered to the main thread, as Ctrl-C would be
            signal.pthread_kill(main_thread, signal.SIGINT)
        time.sleep(0.05)
        return item

    with pytest.raises(KeyboardInterrupt):
        parallel_map(work, range(100), max_workers=2)

    assert len(started) < 100
    assert threading.active_count() == thread_baseline


def test_keyboard_interrupt_inside_a_worker_stops_the_run_instead_of_counting_as_failure(
    thread_baseline: int,
) -> None:
    def interrupted(item: int) -> int:
        if item == 3:
            raise KeyboardInterrupt
        return item

    with pytest.raises(KeyboardInterrupt):
        parallel_map(interrupted, range(10), max_workers=1)

    assert threading.active_count() == thread_baseline


def test_batch_process_calls_func_with_consecutive_batches() -> None:
    result = batch_process(list, range(10), batch_size=4)

    assert result.results == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_batch_process_chunks_generators_into_lists() -> None:
    result = batch_process(sum, (i for i in range(7)), batch_size=3)

    assert result.results == [3, 12, 6]


def test_batch_process_slices_dataframes_by_position() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"n": range(5)}, index=[10, 11, 12, 13, 14])

    result = batch_process(lambda batch: batch["n"].tolist(), frame, batch_size=2)

    assert result.results == [[0, 1], [2, 3], [4]]


def test_batch_process_reports_the_failed_batch_as_the_item() -> None:
    def reject_second(batch: list[int]) -> int:
        if 3 in batch:
            raise ValueError("bad row 3")
        return len(batch)

    result = batch_process(reject_second, list(range(6)), batch_size=3, max_workers=2)

    assert result.results == [3, None]
    assert result.failures[0].index == 1
    assert result.failures[0].item == [3, 4, 5]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parallel_map(str, [1], max_workers=0), "max_workers"),
        (lambda: batch_process(str, [1], batch_size=0), "batch_size"),
    ],
)
def test_invalid_sizes_are_rejected(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_is_drawn_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, thread_baseline: int
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    parallel_map(str, range(5), show_progress=True, description="Customers")

    assert "Customers" in terminal.getvalue()
    assert threading.active_count() == thread_baseline


def test_no_progress_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)

    parallel_map(str, range(5), show_progress=True, description="Customers")

    assert pipe.getvalue() == ""
