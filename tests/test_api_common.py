"""RateLimiter, CircuitBreaker, RetryPolicy, Retry-After parsing, the outcome classification
and the CallEngine, with fake clocks and scripted outcomes."""

from __future__ import annotations

import email.utils
import threading

import pytest
import requests
from fake_time import FakeTime
from refused_port import refused_url

from txo_runtime.api_common import (
    CallEngine,
    CircuitBreaker,
    CircuitState,
    RateLimiter,
    RetryPolicy,
    classify,
    counts_as_failure,
    is_connect_error,
    manual_retry,
    parse_retry_after,
)
from txo_runtime.exceptions import ApiTimeoutError, CircuitBreakerOpenError


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
    with refused_url() as url:
        try:
            requests.get(url, timeout=2)
        except requests.ConnectionError as exc:
            return exc
    raise AssertionError(f"{url} answered")


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


def answer(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return response


class Script:
    """A ``send`` for the engine: answers (or raises) the scripted outcomes in order."""

    def __init__(self, *outcomes: requests.Response | Exception) -> None:
        self.outcomes = list(outcomes)
        self.sent = 0

    def __call__(self) -> requests.Response:
        self.sent += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def engine(policy: RetryPolicy | None, time: FakeTime, **kwargs: object) -> CallEngine:
    return CallEngine(retry_policy=policy, sleep=time.sleep, rng=lambda: 0.5, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- CallEngine
def test_engine_stops_at_max_retries_and_reports_attempts() -> None:
    time = FakeTime(1000.0)
    policy = RetryPolicy(max_retries=2, backoff_factor=1, jitter_min=1, jitter_max=1)
    send = Script(answer(503))
    last = engine(policy, time).run("GET", "http://h/x", send)
    assert (send.sent, last.number, last.status) == (3, 3, 503)
    assert last.verdict.retryable  # retryable, but the retries are used up
    assert time.sleeps == [1.0, 2.0]


def test_engine_honours_retry_after_and_the_total_wait_budget() -> None:
    time = FakeTime(1000.0)
    policy = RetryPolicy(max_retries=10, max_total_wait=25, jitter_max=1.0)
    send = Script(answer(429, {"Retry-After": "10"}))
    last = engine(policy, time).run("GET", "http://h/x", send)
    assert time.sleeps == [10.0, 10.0]  # a third wait would pass 25 s
    assert (send.sent, last.retry_after) == (3, 10.0)


def test_engine_does_not_retry_post_on_500_but_does_when_the_call_says_idempotent() -> None:
    time = FakeTime(1000.0)
    send = Script(answer(500), answer(200))
    assert engine(RetryPolicy(), time).run("POST", "http://h/x", send).status == 500
    assert send.sent == 1
    send = Script(answer(500), answer(200))
    assert engine(RetryPolicy(), time).run("POST", "u", send, idempotent=True).status == 200
    assert send.sent == 2


def test_engine_without_a_policy_makes_one_attempt() -> None:
    send = Script(answer(503))
    assert engine(None, FakeTime()).run("GET", "http://h/x", send).number == 1
    assert send.sent == 1


def test_engine_returns_a_send_error_as_the_outcome_after_retrying_it() -> None:
    time = FakeTime()
    reset = requests.ConnectionError("Connection aborted")
    send = Script(reset, answer(200))
    last = engine(RetryPolicy(backoff_factor=0), time).run("GET", "http://h/x", send)
    assert (last.status, last.number, send.sent) == (200, 2, 2)
    send = Script(reset)
    last = engine(RetryPolicy(backoff_factor=0), time).run("POST", "http://h/x", send)
    assert (last.error, last.response, last.number) == (reset, None, 1)  # POST: final


def test_engine_counts_breaker_failures_only_for_signs_of_ill_health() -> None:
    time = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=3, clock=time)
    calls = engine(None, time, circuit_breaker=breaker)
    for outcome in (answer(404), answer(429), ValueError("bug"), answer(503)):
        calls.run("GET", "http://h/x", Script(outcome))
    assert breaker.failure_count == 1
    calls.run("GET", "http://h/x", Script(answer(200)))
    assert breaker.failure_count == 0


def test_engine_stops_when_the_breaker_opens_and_says_which_attempt_was_refused() -> None:
    time = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=2, timeout_seconds=60, clock=time)
    calls = engine(RetryPolicy(max_retries=5, backoff_factor=0), time, circuit_breaker=breaker)
    send = Script(answer(503))
    with pytest.raises(CircuitBreakerOpenError, match="GET http://h/x not sent") as info:
        calls.run("GET", "http://h/x", send)
    assert (send.sent, info.value.attempts) == (2, 3)


def test_engine_waits_for_the_rate_limiter_before_every_attempt() -> None:
    time = FakeTime(1000.0)
    limiter = RateLimiter(2, clock=time, sleep=time.sleep)
    calls = engine(RetryPolicy(backoff_factor=0), time, rate_limiter=limiter)
    calls.run("GET", "http://h/x", Script(answer(503), answer(503), answer(200)))
    assert time.sleeps == [0.0, 0.5, 0.0, 0.5]  # backoff 0, then the limiter, twice


def test_engine_judges_an_answer_by_the_protocols_effective_status() -> None:
    time = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=1, clock=time)
    calls = engine(
        RetryPolicy(),
        time,
        circuit_breaker=breaker,
        idempotent=True,
        effective_status=lambda r: 400,
    )
    send = Script(answer(500))
    last = calls.run("POST", "http://h/x", send)
    assert (last.status, last.verdict.retryable, send.sent) == (400, False, 1)
    assert breaker.state is CircuitState.CLOSED


def test_engine_logs_each_retry_at_warning_with_attempt_n_of_n_and_the_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = engine(RetryPolicy(max_retries=1, backoff_factor=1), FakeTime(), describe_url=str.upper)
    with caplog.at_level("WARNING", logger="txo_runtime.api_common"):
        calls.run("GET", "http://h/x?k=1", Script(answer(503), answer(200)))
    assert "GET HTTP://H/X?K=1 answered 503 (attempt 1/2); retrying in 1.0 s" in caplog.text
    assert [r.levelname for r in caplog.records] == ["WARNING"]


def test_circuit_breaker_logs_opening_half_opening_and_closing_at_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = FakeTime(1000.0)
    breaker = CircuitBreaker(failure_threshold=1, timeout_seconds=30, clock=time)
    with caplog.at_level("WARNING", logger="txo_runtime.api_common"):
        breaker.record_failure()
        time.now += 30
        assert breaker.allow()
        breaker.record_success()
    text = caplog.text
    assert "opened after 1 failure(s): calls fail fast for 30 s" in text
    assert "half-open" in text and "closed" in text


# --------------------------------------------------------------------------- classification
@pytest.mark.parametrize(
    ("status", "safe", "retryable", "breaker_failure"),
    [
        (200, False, False, False),
        (400, True, False, False),
        (404, True, False, False),
        (408, True, True, False),
        (408, False, False, False),
        (429, False, True, False),
        (500, True, True, True),
        (500, False, False, True),
        (501, True, False, True),
        (503, False, True, True),
        (504, True, True, True),
    ],
)
def test_classify_decides_retry_and_breaker_failure_from_status_and_idempotency(
    status: int, safe: bool, retryable: bool, breaker_failure: bool
) -> None:
    verdict = classify(answer(status), safe, RetryPolicy())
    assert (verdict.retryable, verdict.breaker_failure) == (retryable, breaker_failure)


def test_classify_reads_retry_after_of_error_answers_only() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert classify(answer(429, {"Retry-After": "7"}), False, policy).retry_after == 7
    assert classify(answer(503, {"Retry-After": "9999"}), False, policy).retry_after == 60
    assert classify(answer(202, {"Retry-After": "7"}), False, policy).retry_after is None


@pytest.mark.parametrize(
    ("exc", "safe", "retryable", "breaker_failure"),
    [
        (requests.ConnectTimeout(), False, True, True),
        (requests.ConnectionError("Connection aborted"), False, False, True),
        (requests.ConnectionError("Connection aborted"), True, True, True),
        (requests.ReadTimeout(), False, False, True),
        (requests.ReadTimeout(), True, True, True),
        (requests.exceptions.InvalidURL("x"), True, False, False),
        (ValueError("bug"), True, False, False),
    ],
)
def test_classify_decides_retry_and_breaker_failure_for_errors(
    exc: Exception, safe: bool, retryable: bool, breaker_failure: bool
) -> None:
    verdict = classify(exc, safe, RetryPolicy())
    assert (verdict.retryable, verdict.breaker_failure) == (retryable, breaker_failure)


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
    assert clock.sleeps == [1.0, 2.0]  # backoff * 2**(n-1), no jitter

    @manual_retry(max_retries=1, exceptions=(KeyError,), sleep=clock.sleep)
    def broken() -> None:
        raise KeyError("always")

    with pytest.raises(KeyError):
        broken()
