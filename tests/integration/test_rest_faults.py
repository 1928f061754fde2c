"""Fault matrix of MinimalRestAPI against the real local server: results AND server hits.

Waits are recorded by an injected ``sleep`` (nothing here sleeps for real except the
server-side delay faults used to provoke read timeouts).
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from txo_runtime.api_common import CircuitBreaker, CircuitState, RetryPolicy
from txo_runtime.exceptions import (
    ApiAuthenticationError,
    ApiOperationError,
    ApiRateLimitError,
    ApiTimeoutError,
    ApiValidationError,
    CircuitBreakerOpenError,
    EntityNotFoundError,
)
from txo_runtime.rest_api_helpers import (
    MinimalRestAPI,
    RestOperationResult,
    SessionManager,
    TxoRestAPI,
)
from txo_runtime.testing import LocalApiServer

ORDERS = "/api/orders"
ROWS = [{"id": 1, "item": "apple"}, {"id": 2, "item": "pear"}]


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def wait_until(condition: Callable[[], bool], limit: float = 30.0) -> bool:
    """Wait for a condition (never for a duration); False if it did not come in ``limit``."""
    deadline = time.monotonic() + limit
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


@pytest.fixture
def server(txo_api_server: LocalApiServer) -> LocalApiServer:
    txo_api_server.add_collection("orders", ROWS)
    return txo_api_server


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def api(server: LocalApiServer, sleep: RecordingSleep) -> Iterator[MinimalRestAPI]:
    policy = RetryPolicy(max_retries=3, backoff_factor=0.5)
    with MinimalRestAPI("tok", base_url=server.url, retry_policy=policy, sleep=sleep) as client:
        yield client


# --------------------------------------------------------------------------- retries
def test_429_twice_then_200_succeeds_in_3_hits_waiting_at_least_retry_after(
    server: LocalApiServer, api: MinimalRestAPI, sleep: RecordingSleep
) -> None:
    server.add_fault(ORDERS, method="GET", status=429, times=2, headers={"Retry-After": "2"})
    assert api.get("/api/orders") == ROWS
    assert server.hits(ORDERS, method="GET") == 3
    assert len(sleep.waits) == 2
    assert all(wait >= 2 for wait in sleep.waits)


def test_503_with_http_date_retry_after_is_honoured(
    server: LocalApiServer, api: MinimalRestAPI, sleep: RecordingSleep
) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.add_fault(ORDERS, status=503, times=1, headers={"Retry-After": when})
    assert api.get(ORDERS) == ROWS
    assert server.hits(ORDERS) == 2
    assert 25 <= sleep.waits[0] <= 30 * 1.2 + 1


@pytest.mark.parametrize("retry_after", ["0", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_retry_after_zero_or_in_the_past_still_waits_the_normal_backoff(
    server: LocalApiServer, sleep: RecordingSleep, retry_after: str
) -> None:
    server.add_fault(ORDERS, status=503, times=3, headers={"Retry-After": retry_after})
    policy = RetryPolicy(max_retries=3, backoff_factor=0.5, jitter_min=1.0, jitter_max=1.0)
    with MinimalRestAPI(base_url=server.url, retry_policy=policy, sleep=sleep) as api:
        assert api.post(ORDERS, json={"item": "fig"})["item"] == "fig"
    assert server.hits(ORDERS, method="POST") == 4
    assert sleep.waits == [0.5, 1.0, 2.0]  # not [0, 0, 0]


def test_503_forever_stops_at_the_bound_and_says_how_many_attempts(
    server: LocalApiServer, api: MinimalRestAPI, sleep: RecordingSleep
) -> None:
    server.add_fault(ORDERS, status=503)
    with pytest.raises(ApiOperationError) as info:
        api.get(ORDERS)
    assert info.value.attempts == 4
    assert "after 4 attempts" in str(info.value)
    assert info.value.status_code == 503
    assert server.hits(ORDERS) == 4
    assert len(sleep.waits) == 3


def test_total_wait_budget_stops_retries_before_max_retries(
    server: LocalApiServer, sleep: RecordingSleep
) -> None:
    server.add_fault(ORDERS, status=429, headers={"Retry-After": "50"})
    policy = RetryPolicy(max_retries=10, max_total_wait=120, jitter_max=1.0)
    with (
        MinimalRestAPI(base_url=server.url, retry_policy=policy, sleep=sleep) as api,
        pytest.raises(ApiRateLimitError) as info,
    ):
        api.get(ORDERS)
    assert info.value.retry_after == 50
    assert info.value.attempts == 3
    assert sleep.waits == [50, 50]
    assert server.hits(ORDERS) == 3


def test_post_on_500_is_sent_exactly_once(server: LocalApiServer, api: MinimalRestAPI) -> None:
    server.add_fault(ORDERS, method="POST", status=500)
    with pytest.raises(ApiOperationError) as info:
        api.post(ORDERS, json={"item": "plum"})
    assert info.value.attempts == 1
    assert server.hits(ORDERS, method="POST") == 1


def test_post_on_500_is_retried_when_the_call_says_idempotent(
    server: LocalApiServer, api: MinimalRestAPI
) -> None:
    server.add_fault(ORDERS, method="POST", status=500, times=1)
    created = api.post(ORDERS, json={"id": 3, "item": "plum"}, idempotent=True)
    assert created["item"] == "plum"
    assert server.hits(ORDERS, method="POST") == 2


def test_429_on_post_is_retried_because_the_server_did_not_process_it(
    server: LocalApiServer, api: MinimalRestAPI
) -> None:
    server.add_fault(ORDERS, method="POST", status=429, times=1, headers={"Retry-After": "1"})
    api.post(ORDERS, json={"id": 7, "item": "fig"})
    assert server.hits(ORDERS, method="POST") == 2
    assert [row["id"] for row in server.collection("orders")].count(7) == 1


def test_connection_reset_on_get_is_retried(server: LocalApiServer, api: MinimalRestAPI) -> None:
    server.add_fault(ORDERS, method="GET", kind="reset", times=1)
    assert api.get(ORDERS) == ROWS
    assert server.hits(ORDERS) == 2


def test_connection_reset_on_post_is_not_retried(
    server: LocalApiServer, api: MinimalRestAPI
) -> None:
    server.add_fault(ORDERS, method="POST", kind="reset")
    with pytest.raises(ApiOperationError, match="connection failed") as info:
        api.post(ORDERS, json={"item": "x"})
    assert info.value.attempts == 1
    assert server.hits(ORDERS, method="POST") == 1


def test_read_timeout_maps_to_api_timeout_error_after_retries(
    server: LocalApiServer, sleep: RecordingSleep
) -> None:
    held = server.add_fault(ORDERS, kind="hold")  # never answers until released
    policy = RetryPolicy(max_retries=1, backoff_factor=0)
    with (
        MinimalRestAPI(base_url=server.url, retry_policy=policy, timeout=0.15, sleep=sleep) as api,
        pytest.raises(ApiTimeoutError) as info,
    ):
        api.get(ORDERS)
    held.release()
    assert info.value.timeout_seconds == 0.15
    assert info.value.attempts == 2
    assert wait_until(lambda: server.hits(ORDERS) == 2)  # a busy server records late


def test_connection_refused_is_retried_even_for_post(sleep: RecordingSleep) -> None:
    policy = RetryPolicy(max_retries=2, backoff_factor=0)
    with (
        MinimalRestAPI(base_url="http://127.0.0.1:9", retry_policy=policy, sleep=sleep) as api,
        pytest.raises(ApiOperationError, match="after 3 attempts"),
    ):
        api.post("/x", json={})


# --------------------------------------------------------------------------- status mapping
@pytest.mark.parametrize(
    ("status", "method", "error"),
    [
        (400, "GET", ApiValidationError),
        (401, "GET", ApiAuthenticationError),
        (403, "GET", ApiAuthenticationError),
        (404, "GET", EntityNotFoundError),
        (408, "POST", ApiTimeoutError),
        (409, "GET", ApiOperationError),
        (422, "POST", ApiValidationError),
        (500, "POST", ApiOperationError),
    ],
)
def test_status_mapping(
    server: LocalApiServer, api: MinimalRestAPI, status: int, method: str, error: type
) -> None:
    server.add_fault(ORDERS, status=status, body={"error": {"code": "X", "message": "Bad thing"}})
    with pytest.raises(error) as info:
        api.request(method, ORDERS, json={} if method == "POST" else None)
    assert type(info.value) is error
    assert info.value.status_code == status
    assert info.value.url == f"{server.url}{ORDERS}"
    assert info.value.context.operation == method
    assert "Bad thing" in str(info.value)
    assert server.hits(ORDERS) == 1


def test_429_without_retries_left_carries_retry_after(server: LocalApiServer) -> None:
    server.add_fault(ORDERS, status=429, headers={"Retry-After": "17"})
    with (
        MinimalRestAPI(base_url=server.url, retry_policy=RetryPolicy(max_retries=0)) as api,
        pytest.raises(ApiRateLimitError) as info,
    ):
        api.get(ORDERS)
    assert info.value.retry_after == 17
    assert info.value.attempts == 1


def test_error_urls_never_carry_query_secrets(server: LocalApiServer, api: MinimalRestAPI) -> None:
    with pytest.raises(EntityNotFoundError) as info:
        api.get("/api/orders/999", params={"api_key": "S3CRET-VALUE", "q": "1"})
    assert "S3CRET-VALUE" not in str(info.value)
    assert "S3CRET-VALUE" not in str(info.value.url)
    assert "S3CRET-VALUE" not in info.value.context.describe()


# --------------------------------------------------------------------------- circuit breaker
def test_404_never_opens_the_circuit(server: LocalApiServer, sleep: RecordingSleep) -> None:
    breaker = CircuitBreaker(failure_threshold=2)
    with MinimalRestAPI(base_url=server.url, circuit_breaker=breaker, sleep=sleep) as api:
        for _ in range(5):
            with pytest.raises(EntityNotFoundError):
                api.get("/api/orders/999")
    assert breaker.state is CircuitState.CLOSED
    assert server.hits("/api/orders/999") == 5


def test_5_consecutive_503_open_the_circuit_and_the_next_call_fails_fast(
    server: LocalApiServer, sleep: RecordingSleep
) -> None:
    server.add_fault(ORDERS, status=503)
    breaker = CircuitBreaker(failure_threshold=5, timeout_seconds=60)
    policy = RetryPolicy(max_retries=4, backoff_factor=0)
    api = MinimalRestAPI(
        base_url=server.url, circuit_breaker=breaker, retry_policy=policy, sleep=sleep
    )
    with api, pytest.raises(ApiOperationError):
        api.get(ORDERS)
    assert server.hits(ORDERS) == 5
    assert breaker.state is CircuitState.OPEN
    with api, pytest.raises(CircuitBreakerOpenError, match="Circuit breaker open"):
        api.get(ORDERS)
    assert server.hits(ORDERS) == 5


def test_open_circuit_during_retries_stops_the_retry_loop(
    server: LocalApiServer, sleep: RecordingSleep
) -> None:
    server.add_fault(ORDERS, status=503)
    breaker = CircuitBreaker(failure_threshold=2, timeout_seconds=60)
    policy = RetryPolicy(max_retries=5, backoff_factor=0)
    with (
        MinimalRestAPI(
            base_url=server.url, circuit_breaker=breaker, retry_policy=policy, sleep=sleep
        ) as api,
        pytest.raises(CircuitBreakerOpenError) as info,
    ):
        api.get(ORDERS)
    assert server.hits(ORDERS) == 2
    assert info.value.attempts == 3


def test_half_open_lets_exactly_one_trial_through(server: LocalApiServer) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, timeout_seconds=30, clock=clock)
    no_retry = RetryPolicy(max_retries=0)
    api = MinimalRestAPI(base_url=server.url, circuit_breaker=breaker, retry_policy=no_retry)
    server.add_fault(ORDERS, status=503, times=1)
    with pytest.raises(ApiOperationError):
        api.get(ORDERS)
    clock.now += 30
    assert breaker.state is CircuitState.HALF_OPEN
    held = server.add_fault(ORDERS, kind="hold", times=1)  # the trial waits for release()
    results: list[object] = []
    trial = threading.Thread(target=lambda: results.append(api.get(ORDERS)))
    trial.start()
    assert wait_until(lambda: server.hits(ORDERS) >= 2)
    with pytest.raises(CircuitBreakerOpenError):
        api.get(ORDERS)  # a second caller while the trial is in flight
    held.release()
    trial.join()
    assert results == [ROWS]
    assert server.hits(ORDERS) == 2
    assert breaker.state is CircuitState.CLOSED
    assert api.get(ORDERS) == ROWS
    api.close()


# --------------------------------------------------------------------------- client basics
def test_bearer_token_sent_and_masked_in_repr(server: LocalApiServer, api: MinimalRestAPI) -> None:
    api.get(ORDERS)
    assert server.requests[-1].headers["Authorization"] == "Bearer tok"
    assert "tok" not in repr(api).replace("token", "")


def test_raw_result_and_crud_verbs(server: LocalApiServer, api: MinimalRestAPI) -> None:
    result = api.post(ORDERS, json={"id": 5, "item": "kiwi"}, raw=True)
    assert isinstance(result, RestOperationResult)
    assert (result.status_code, result.attempts, result.success) == (201, 1, True)
    assert result.data["item"] == "kiwi"
    assert api.put("/api/orders/5", json={"id": 5, "item": "lime"})["item"] == "lime"
    assert api.patch("/api/orders/5", json={"item": "lemon"})["item"] == "lemon"
    assert api.delete("/api/orders/5") is None
    assert 5 not in [row["id"] for row in server.collection("orders")]


def test_empty_body_returns_none(server: LocalApiServer, api: MinimalRestAPI) -> None:
    server.add_fault(ORDERS, status=204, body=b"")
    assert api.get(ORDERS) is None


def test_connections_are_reused_across_calls(server: LocalApiServer, api: MinimalRestAPI) -> None:
    for _ in range(20):
        api.get(ORDERS)
    assert server.connections_opened == 1


def test_session_manager_is_a_bounded_lru_that_closes_evicted_sessions() -> None:
    with SessionManager(max_sessions=2, pool_size=4) as manager:
        a = manager.get_session("http://a.example:80/x")
        assert manager.get_session("http://A.example/y") is a
        b = manager.get_session("https://b.example/")
        manager.get_session("http://a.example/")  # a is now most recent
        closed: list[object] = []
        b.close = lambda: closed.append(b)  # type: ignore[method-assign]
        manager.get_session("http://c.example/")
        assert closed == [b]
        assert len(manager) == 2
        adapter = a.get_adapter("http://a.example/")
        assert adapter.max_retries.total == 0
        assert adapter._pool_maxsize == 4  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        manager.get_session("http://a.example/")


def test_shared_session_manager_is_not_closed_by_a_client(server: LocalApiServer) -> None:
    with SessionManager() as manager:
        with MinimalRestAPI(base_url=server.url, session_manager=manager) as api:
            api.get(ORDERS)
        assert len(manager) == 1


def test_txo_rest_api_is_a_deprecated_alias(server: LocalApiServer) -> None:
    with pytest.warns(DeprecationWarning, match="MinimalRestAPI"):
        api = TxoRestAPI(base_url=server.url)
    assert isinstance(api, MinimalRestAPI)
    api.close()


# --------------------------------------------------------------------------- error redaction
ECHOED_SECRET = "S3cr3tPassw0rd!xyz-echoed"


def test_error_body_echoing_a_registered_secret_is_redacted_in_the_exception(
    server: LocalApiServer, api: MinimalRestAPI
) -> None:
    from txo_runtime.logger import register_secret

    register_secret(ECHOED_SECRET)
    body = {"error": {"message": f"Password '{ECHOED_SECRET}' does not meet policy"}}
    server.add_fault(ORDERS, method="POST", status=400, body=body)
    with pytest.raises(ApiValidationError) as info:
        api.post(ORDERS, json={"password": ECHOED_SECRET})
    assert ECHOED_SECRET not in str(info.value)
    assert ECHOED_SECRET not in info.value.message
    assert "does not meet policy" in str(info.value)  # the useful part stays


def test_error_text_with_a_secret_looking_pair_is_redacted_by_the_pattern_rules(
    server: LocalApiServer, api: MinimalRestAPI
) -> None:
    server.add_fault(ORDERS, status=401, body="rejected: client_secret=abc~Q8hunter2zzz")
    with pytest.raises(ApiAuthenticationError) as info:
        api.get(ORDERS)
    assert "hunter2" not in str(info.value)
    assert "rejected" in str(info.value)


def test_retries_against_a_dead_server_are_logged_at_warning_with_attempt_and_wait(
    sleep: RecordingSleep, caplog: pytest.LogCaptureFixture
) -> None:
    policy = RetryPolicy(max_retries=2, backoff_factor=1, jitter_min=1.0, jitter_max=1.0)
    with (
        caplog.at_level("WARNING"),
        MinimalRestAPI(base_url="http://127.0.0.1:9", retry_policy=policy, sleep=sleep) as api,
        pytest.raises(ApiOperationError),
    ):
        api.get("/x")
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("(attempt 1/3); retrying in 1.0 s" in line for line in lines), lines
    assert any("(attempt 2/3); retrying in 2.0 s" in line for line in lines), lines


def test_a_retry_after_wait_is_logged_at_warning_with_the_servers_wait(
    server: LocalApiServer, sleep: RecordingSleep, caplog: pytest.LogCaptureFixture
) -> None:
    server.add_fault(ORDERS, status=429, times=1, headers={"Retry-After": "7"})
    policy = RetryPolicy(max_retries=1, backoff_factor=0, jitter_min=1.0, jitter_max=1.0)
    with (
        caplog.at_level("WARNING"),
        MinimalRestAPI(base_url=server.url, retry_policy=policy, sleep=sleep) as api,
    ):
        assert api.get(ORDERS) == ROWS
    assert "answered 429 (attempt 1/2); retrying in 7.0 s (the server's Retry-After)" in caplog.text
