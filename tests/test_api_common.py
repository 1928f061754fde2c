"""RateLimiter, CircuitBreaker, RetryPolicy and Retry-After parsing, with fake clocks."""

from __future__ import annotations

import email.utils
import threading

import pytest
import requests
from fake_time import FakeTime

from txo_runtime.api_common import (
    CircuitBreaker,
    CircuitState,
    RateLimiter,
    RetryPolicy,
    counts_as_failure,
    is_connect_error,
    manual_retry,
    parse_retry_after,
)
from txo_runtime.exceptions import ApiTimeoutError


# --------------------------------------------------------------------------- RateLimiter
def test_rate_limiter_lets_burst_through_then_spaces_calls_at_the_rate() -> None:
    clock = FakeTime(1000.0)
    limiter = RateLimiter(10, burst_size=3, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(13):
        limiter.acquire()
        starts.append(clock.now - 1000.0)
    assert starts[:3] == [0.0, 0.0, 0.0]
    assert starts[-1] == pytest.approx(1.0)  # 10 more calls at 10/s after the burst


@pytest.mark.parametrize(("rate", "burst"), [(10, 1), (5, 4), (0.5, 1), (100, 20)])
def test_rate_limiter_never_starts_more_than_rate_times_window_plus_burst(
    rate: float, burst: int
) -> None:
    clock = FakeTime(1000.0)
    limiter = RateLimiter(rate, burst_size=burst, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(200):
        limiter.acquire()
        starts.append(clock.now)
    for window in (0.5, 1.0, 3.0):
        for i, first in enumerate(starts):
            in_window = sum(1 for t in starts[i:] if t - first <= window + 1e-9)
            assert in_window <= rate * window + burst + 1e-9


def test_try_acquire_refuses_instead_of_waiting() -> None:
    clock = FakeTime(1000.0)
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    assert limiter.try_acquire() is True
    assert limiter.try_acquire() is False
    clock.advance(0.5)
    assert limiter.try_acquire() is True
    assert clock.sleeps == []


def test_wait_if_needed_is_the_v21_alias_of_acquire() -> None:
    clock = FakeTime(1000.0)
    limiter = RateLimiter(1, clock=clock, sleep=clock.sleep)
    limiter.wait_if_needed()
    limiter.wait_if_needed()
    assert clock.sleeps == [pytest.approx(1.0)]


def test_rate_limiter_does_not_sleep_while_holding_its_lock() -> None:
    clock = FakeTime(1000.0)
    seen_lock_free = []

    def sleep(seconds: float) -> None:
        seen_lock_free.append(limiter._lock.acquire(blocking=False))
        limiter._lock.release()
        clock.sleep(seconds)

    limiter = RateLimiter(1, clock=clock, sleep=sleep)
    limiter.acquire()
    limiter.acquire()
    assert seen_lock_free == [True]


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0), (float("inf"), 1)])
def test_rate_limiter_rejects_invalid_settings(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate, burst_size=burst)


# --------------------------------------------------------------------------- CircuitBreaker
def test_breaker_opens_after_threshold_consecutive_failures() -> None:
    clock = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=3, timeout_seconds=60, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure(503)
    assert breaker.state is CircuitState.CLOSED
    breaker.record_failure(503)
    assert breaker.state is CircuitState.OPEN
    assert breaker.is_open()
    assert breaker.allow() is False


def test_breaker_success_resets_the_consecutive_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=FakeTime(1000.0))
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 429])
def test_breaker_never_counts_4xx(status: int) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=FakeTime(1000.0))
    for _ in range(5):
        breaker.record_failure(status)
    assert breaker.state is CircuitState.CLOSED


def test_half_open_allows_exactly_one_trial_then_closes_on_success() -> None:
    clock = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=1, timeout_seconds=30, clock=clock)
    breaker.record_failure(500)
    clock.advance(29.9)
    assert breaker.allow() is False
    clock.advance(0.2)
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow() is True
    assert [breaker.allow() for _ in range(5)] == [False] * 5
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    assert breaker.allow() and breaker.allow()


def test_failed_trial_reopens_for_a_full_timeout() -> None:
    clock = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=5, timeout_seconds=10, clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(10)
    assert breaker.allow()
    breaker.record_failure(503)
    assert breaker.state is CircuitState.OPEN
    assert breaker.seconds_until_trial() == pytest.approx(10)


def test_trial_that_never_reports_is_given_again_after_the_timeout() -> None:
    clock = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=1, timeout_seconds=10, clock=clock)
    breaker.record_failure()
    clock.advance(10)
    assert breaker.allow() is True
    assert breaker.allow() is False
    clock.advance(10)
    assert breaker.allow() is True


def test_half_open_trial_is_exclusive_across_threads() -> None:
    clock = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=1, timeout_seconds=1, clock=clock)
    breaker.record_failure()
    clock.advance(1)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(breaker.allow())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1


def test_non_failure_outcome_frees_the_trial_without_closing() -> None:
    clock = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=1, timeout_seconds=1, clock=clock)
    breaker.record_failure()
    clock.advance(1)
    assert breaker.allow()
    breaker.record_failure(404)
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow()


@pytest.mark.parametrize(
    ("status", "exc", "expected"),
    [
        (500, None, True),
        (503, None, True),
        (599, None, True),
        (400, None, False),
        (404, None, False),
        (429, None, False),
        (None, requests.ConnectionError("reset"), True),
        (None, requests.ReadTimeout("slow"), True),
        (None, ApiTimeoutError("slow"), True),
        (None, ConnectionResetError(), True),
        (None, ValueError("bug"), False),
        (None, requests.exceptions.InvalidURL("x"), False),
    ],
)
def test_counts_as_failure_only_for_signs_of_an_unhealthy_service(
    status: int | None, exc: BaseException | None, expected: bool
) -> None:
    assert counts_as_failure(status_code=status, exc=exc) is expected


# --------------------------------------------------------------------------- Retry-After
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-4", 0.0),
        ("100000", 300.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(42)
    past = email.utils.formatdate(now - 42, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0
    far = email.utils.formatdate(now + 86400, usegmt=True)
    assert parse_retry_after(far, now=now, cap=60) == 60


# --------------------------------------------------------------------------- RetryPolicy
def test_compute_wait_is_exponential_with_jitter_bounds() -> None:
    policy = RetryPolicy(backoff_factor=1.0, jitter_min=0.8, jitter_max=1.2)
    assert [policy.compute_wait(n, rng=lambda: 0.5) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert policy.compute_wait(1, rng=lambda: 0.0) == pytest.approx(0.8)
    assert policy.compute_wait(1, rng=lambda: 1.0) == pytest.approx(1.2)
    assert policy.compute_wait(30, rng=lambda: 0.5) == policy.max_backoff


def test_compute_wait_never_goes_below_retry_after_and_is_capped() -> None:
    policy = RetryPolicy(jitter_min=0.5, jitter_max=1.2, max_retry_after=100)
    assert policy.compute_wait(1, retry_after=10, rng=lambda: 0.0) == 10
    assert policy.compute_wait(1, retry_after=10, rng=lambda: 1.0) == pytest.approx(12)
    assert policy.compute_wait(1, retry_after=1000, rng=lambda: 0.0) == 100


@pytest.mark.parametrize("retry_after", [0.0, 0.3])
def test_compute_wait_with_a_zero_or_tiny_retry_after_still_backs_off(retry_after: float) -> None:
    policy = RetryPolicy(backoff_factor=2.0, jitter_min=0.8, jitter_max=1.2)
    waits = [policy.compute_wait(n, retry_after=retry_after, rng=lambda: 0.5) for n in (1, 2, 3)]
    assert waits == [2.0, 4.0, 8.0]  # the normal backoff: max(Retry-After, backoff)
    assert policy.compute_wait(1, retry_after=retry_after, rng=lambda: 0.0) == pytest.approx(1.6)


def test_compute_wait_takes_the_larger_of_retry_after_and_backoff() -> None:
    policy = RetryPolicy(backoff_factor=2.0, jitter_min=0.8, jitter_max=1.2)
    assert policy.compute_wait(3, retry_after=5, rng=lambda: 0.5) == 8.0  # backoff 8 > 5
    assert policy.compute_wait(3, retry_after=9, rng=lambda: 0.0) == 9.0  # never below it


@pytest.mark.parametrize(
    ("method", "status", "idempotent", "expected"),
    [
        ("GET", 500, None, True),
        ("GET", 502, None, True),
        ("PUT", 504, None, True),
        ("DELETE", 408, None, True),
        ("POST", 500, None, False),
        ("PATCH", 502, None, False),
        ("POST", 500, True, True),
        ("GET", 500, False, False),
        ("POST", 429, None, True),
        ("POST", 503, None, True),
        ("GET", 404, None, False),
        ("GET", 400, None, False),
        ("GET", 401, None, False),
        ("GET", 200, None, False),
    ],
)
def test_should_retry_status_table(
    method: str, status: int, idempotent: bool | None, expected: bool
) -> None:
    assert RetryPolicy().should_retry(method, status_code=status, idempotent=idempotent) is expected


def _connection_refused() -> requests.ConnectionError:
    try:
        requests.get("http://127.0.0.1:9/", timeout=2)
    except requests.ConnectionError as exc:
        return exc
    raise AssertionError("port 9 answered")


def test_should_retry_exceptions_by_method() -> None:
    policy = RetryPolicy()
    reset = requests.ConnectionError("Connection aborted")
    assert policy.should_retry("GET", exc=reset)
    assert not policy.should_retry("POST", exc=reset)
    assert policy.should_retry("POST", exc=reset, idempotent=True)
    assert policy.should_retry("POST", exc=requests.ConnectTimeout())
    refused = _connection_refused()
    assert is_connect_error(refused)
    assert policy.should_retry("POST", exc=refused)
    assert not policy.should_retry("GET", exc=ValueError())


class _Resp:
    def __init__(self, status_code: int, headers: dict | None = None) -> None:
        self.status_code = status_code
        self.headers = headers or {}


def test_retrying_stops_at_max_retries_and_reports_attempts() -> None:
    import tenacity

    clock = FakeTime(1000.0)
    policy = RetryPolicy(max_retries=2, backoff_factor=1, jitter_min=1, jitter_max=1)
    calls = []
    with pytest.raises(tenacity.RetryError) as info:
        policy.retrying("GET", sleep=clock.sleep)(lambda: calls.append(1) or _Resp(503))
    assert len(calls) == 3
    assert info.value.last_attempt.attempt_number == 3
    assert clock.sleeps == [1.0, 2.0]


def test_retrying_honours_retry_after_and_the_total_wait_budget() -> None:
    import tenacity

    clock = FakeTime(1000.0)
    policy = RetryPolicy(max_retries=10, max_total_wait=25, jitter_max=1.0)
    answers = iter([_Resp(429, {"Retry-After": "10"})] * 5)
    with pytest.raises(tenacity.RetryError):
        policy.retrying("GET", sleep=clock.sleep)(lambda: next(answers))
    assert clock.sleeps == [10.0, 10.0]  # a third wait would pass 25 s


def test_retrying_does_not_retry_post_on_500() -> None:
    clock = FakeTime(1000.0)
    calls = []
    result = RetryPolicy().retrying("POST", sleep=clock.sleep)(
        lambda: calls.append(1) or _Resp(500)
    )
    assert result.status_code == 500
    assert len(calls) == 1


def test_retry_policy_is_immutable_and_validated() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_retries = 9  # type: ignore[misc]
    with pytest.raises(ValueError):
        RetryPolicy(jitter_min=1.5, jitter_max=1.0)
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


def test_manual_retry_retries_then_reraises_the_last_error() -> None:
    clock = FakeTime(1000.0)
    calls = []

    @manual_retry(max_retries=2, backoff=1.0, exceptions=(KeyError,), sleep=clock.sleep)
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise KeyError("x")
        return "ok"

    assert flaky() == "ok"
    assert len(calls) == 3

    @manual_retry(max_retries=1, exceptions=(KeyError,), sleep=clock.sleep)
    def broken() -> None:
        raise KeyError("always")

    with pytest.raises(KeyError):
        broken()
