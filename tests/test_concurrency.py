"""Specifications of txo_runtime.concurrency: order, failures, rate, cancel, no leaks."""

from __future__ import annotations

import io
import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from txo_runtime.api_common import RateLimiter
from txo_runtime.concurrency import (
    WORKER_THREAD_PREFIX,
    BatchFailureError,
    Failure,
    ProcessingResult,
    batch_process,
    parallel_map,
    rate_limited_parallel,
)
from txo_runtime.exceptions import ApiOperationError, ApiTimeoutError

T = TypeVar("T")
R = TypeVar("R")


class ThreadRecorder:
    """Remembers every thread that ran a wrapped function.

    Tests assert that exactly these threads, the executor's own workers, are gone after the
    call: a process-wide thread count or name scan would also see threads that other code
    in the test process (another test's pool, a server, pytest-xdist) starts or ends
    meanwhile.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.threads: set[threading.Thread] = set()

    def wrap(self, func: Callable[[T], R]) -> Callable[[T], R]:
        def recorded(item: T) -> R:
            with self._lock:
                self.threads.add(threading.current_thread())
            return func(item)

        return recorded

    def assert_all_gone(self) -> None:
        assert self.threads, "no worker ran: nothing to check"
        assert all(t.name.startswith(WORKER_THREAD_PREFIX) for t in self.threads)
        assert [t.name for t in self.threads if t.is_alive()] == []


@pytest.fixture
def recorder() -> ThreadRecorder:
    return ThreadRecorder()


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
def test_no_worker_thread_outlives_the_call(workers: int, recorder: ThreadRecorder) -> None:
    parallel_map(recorder.wrap(_fail_on_multiples_of_three), range(40), max_workers=workers)

    recorder.assert_all_gone()
    assert len(recorder.threads) <= workers


def test_rate_limited_parallel_at_5_per_second_starts_at_most_11_calls_in_any_2_seconds(
    recorder: ThreadRecorder,
) -> None:
    starts: list[float] = []
    lock = threading.Lock()

    def record_start(item: int) -> int:
        with lock:
            starts.append(time.monotonic())
        return item

    result = rate_limited_parallel(
        recorder.wrap(record_start), range(12), calls_per_second=5, max_workers=10, burst_size=1
    )

    assert result.results == list(range(12))
    starts.sort()
    busiest = max(sum(1 for t in starts if first <= t < first + 2.0) for first in starts)
    assert busiest <= 5 * 2 + 1
    recorder.assert_all_gone()


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
    recorder: ThreadRecorder,
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    started: list[int] = []
    lock = threading.Lock()
    main_thread = threading.main_thread().ident
    assert main_thread is not None

    delivered = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        delivered.set()  # Python's own handler does only the next line
        raise KeyboardInterrupt

    def work(item: int) -> int:
        with lock:
            started.append(item)
        if item == 0:  # a real SIGINT delivered to the main thread, as Ctrl-C would be
            signal.pthread_kill(main_thread, signal.SIGINT)
            # On a busy machine the main thread may run its handler late; wait for it so
            # that work is still pending when the interrupt lands (never a race on speed).
            assert delivered.wait(120), "SIGINT never reached the main thread"
        time.sleep(0.05)
        return item

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with pytest.raises(KeyboardInterrupt):
            parallel_map(recorder.wrap(work), range(100), max_workers=2)
    finally:
        signal.signal(signal.SIGINT, previous)

    assert delivered.is_set()
    assert len(started) < 100
    recorder.assert_all_gone()


def test_keyboard_interrupt_inside_a_worker_stops_the_run_instead_of_counting_as_failure(
    recorder: ThreadRecorder,
) -> None:
    def interrupted(item: int) -> int:
        if item == 3:
            raise KeyboardInterrupt
        return item

    with pytest.raises(KeyboardInterrupt):
        parallel_map(recorder.wrap(interrupted), range(10), max_workers=1)

    recorder.assert_all_gone()


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


def _rich_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if type(t).__module__.startswith("rich.")}


def test_progress_bar_is_drawn_on_a_terminal_and_its_refresh_thread_stops(
    monkeypatch: pytest.MonkeyPatch, recorder: ThreadRecorder
) -> None:
    pytest.importorskip("rich")
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    bar_threads: set[threading.Thread] = set()

    def note_bar_threads(item: int) -> str:
        bar_threads.update(_rich_threads())  # the bar is running while items are processed
        return str(item)

    parallel_map(
        recorder.wrap(note_bar_threads), range(5), show_progress=True, description="Customers"
    )

    assert "Customers" in terminal.getvalue()
    assert bar_threads, "the bar runs a refresh thread while it is shown"
    assert [t.name for t in bar_threads if t.is_alive()] == []
    recorder.assert_all_gone()


def test_no_progress_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)

    parallel_map(str, range(5), show_progress=True, description="Customers")

    assert pipe.getvalue() == ""


def test_processing_result_has_slots_so_a_misspelt_attribute_fails() -> None:
    result: ProcessingResult[int, int] = parallel_map(lambda n: n, [1, 2])
    assert not hasattr(result, "__dict__")
    with pytest.raises(AttributeError):
        result.sucess_rate = 1.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("failing", "rate", "percent"), [(0, 1.0, 100.0), (1, 0.75, 75.0), (4, 0.0, 0.0)]
)
def test_success_rate_is_a_fraction_and_success_percent_a_percentage(
    failing: int, rate: float, percent: float
) -> None:
    def work(n: int) -> int:
        if n < failing:
            raise ValueError(n)
        return n

    result = parallel_map(work, range(4))

    assert result.success_rate == rate
    assert result.success_percent == percent
    assert f"{result.success_rate:.1%}" == f"{percent:.1f}%"
