"""202 Accepted: MinimalRestAPI polls the status monitor (relative/absolute Location, 303,
Retry-After, errors, timeout) against the local server, with a fake clock and sleep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_time import FakeTime

from txo_runtime.api_common import RateLimiter, RetryPolicy
from txo_runtime.exceptions import ApiOperationError, ApiTimeoutError
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer

JOB = "/api/jobs"
RESULT = {"rows": 3, "state": "complete"}


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api(txo_api_server: LocalApiServer, fake: FakeTime) -> Iterator[MinimalRestAPI]:
    with MinimalRestAPI(
        base_url=txo_api_server.url,
        async_max_wait=60,
        async_poll_interval=5,
        retry_policy=RetryPolicy(max_retries=2, backoff_factor=0),
        sleep=fake.sleep,
        clock=fake.clock,
    ) as client:
        yield client


@pytest.mark.parametrize("location", ["relative", "absolute"])
def test_202_is_polled_until_200_and_returns_the_result(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, fake: FakeTime, location: str
) -> None:
    txo_api_server.add_async_operation(JOB, polls=2, result=RESULT, location=location)
    result = api.post(JOB, json={"run": True}, raw=True)
    assert result.status_code == 200
    assert result.data == RESULT
    assert result.attempts == 4  # the POST and three polls
    assert txo_api_server.hits(JOB, method="POST") == 1
    assert txo_api_server.hits("/operations/", method="GET", prefix=True) == 3
    assert fake.sleeps == [5, 5, 5]  # async_poll_interval without Retry-After


def test_polling_honours_retry_after(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, fake: FakeTime
) -> None:
    txo_api_server.add_async_operation(JOB, polls=1, retry_after=2, result=RESULT)
    assert api.post(JOB, json={}) == RESULT
    assert fake.sleeps == [2, 2]


def test_retry_after_zero_falls_back_to_the_poll_interval_instead_of_a_hot_loop(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, fake: FakeTime
) -> None:
    txo_api_server.add_async_operation(JOB, polls=2, retry_after=0, result=RESULT)
    assert api.post(JOB, json={}) == RESULT
    assert fake.sleeps == [5, 5, 5]


def test_303_see_other_is_followed_with_get(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_async_operation(JOB, polls=1, final_status=303, result=RESULT)
    assert api.post(JOB, json={}) == RESULT
    result_gets = [r for r in txo_api_server.requests if r.path.endswith("/result")]
    assert [r.method for r in result_gets] == ["GET"]


def test_polling_times_out_at_async_max_wait(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, fake: FakeTime
) -> None:
    txo_api_server.add_async_operation(JOB, polls=None)
    with pytest.raises(ApiTimeoutError, match="not finished after 60 s") as info:
        api.post(JOB, json={})
    assert info.value.timeout_seconds == 60
    assert sum(fake.sleeps) <= 60
    assert txo_api_server.hits("/operations/", prefix=True) == 12


def test_error_status_from_a_poll_raises_the_mapped_error(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_async_operation(JOB, polls=1, fail_status=409)
    with pytest.raises(ApiOperationError) as info:
        api.post(JOB, json={})
    assert info.value.status_code == 409
    assert "/operations/" in str(info.value.url)


def test_polls_go_through_the_rate_limiter(txo_api_server: LocalApiServer, fake: FakeTime) -> None:
    limiter = RateLimiter(1000, clock=fake.clock, sleep=fake.sleep)
    acquired = []
    original = limiter.acquire
    limiter.acquire = lambda: acquired.append(1) or original()  # type: ignore[method-assign]
    txo_api_server.add_async_operation(JOB, polls=2, result=RESULT)
    with MinimalRestAPI(
        base_url=txo_api_server.url, rate_limiter=limiter, sleep=fake.sleep, clock=fake.clock
    ) as api:
        assert api.post(JOB, json={}) == RESULT
    assert len(acquired) == 1 + 3


def test_202_without_location_is_returned_as_is(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, fake: FakeTime
) -> None:
    txo_api_server.add_fault(JOB, status=202, body={"queued": True})
    assert api.post(JOB, json={}) == {"queued": True}
    assert fake.sleeps == []
