"""Construction and life cycle of the REST client's sessions."""

from __future__ import annotations

import gc
import pickle

import pytest

from txo_runtime.api_common import CircuitBreaker, RateLimiter
from txo_runtime.rest_api_helpers import MinimalRestAPI, SessionManager
from txo_runtime.rest_api_helpers.session import EnvironmentOnceSession


def test_token_rate_limiter_and_circuit_breaker_may_be_given_by_position() -> None:
    limiter, breaker = RateLimiter(5), CircuitBreaker()

    api = MinimalRestAPI("t", limiter, breaker)

    assert (api.rate_limiter, api.circuit_breaker) == (limiter, breaker)
    api.close()


def test_every_other_client_option_stays_keyword_only() -> None:
    with pytest.raises(TypeError):
        MinimalRestAPI("t", None, None, "https://api.example.com")  # type: ignore[misc]


def test_sessions_are_closed_when_their_manager_is_garbage_collected() -> None:
    closed: list[bool] = []
    manager = SessionManager()
    session = manager.get_session("https://api.example.com/x")
    assert isinstance(session, EnvironmentOnceSession)
    session.close = lambda: closed.append(True)  # type: ignore[method-assign]

    del manager
    gc.collect()

    assert closed == [True]


def test_close_closes_each_session_once_even_if_called_again() -> None:
    closed: list[str] = []
    manager = SessionManager()
    for host in ("a", "b"):
        session = manager.get_session(f"https://{host}.example.com/")
        session.close = lambda host=host: closed.append(host)  # type: ignore[method-assign]

    manager.close()
    manager.close()

    assert sorted(closed) == ["a", "b"]
    with pytest.raises(RuntimeError, match="closed"):
        manager.get_session("https://a.example.com/")


def test_a_pickled_session_still_reads_its_environment_after_unpickling() -> None:
    session = EnvironmentOnceSession()
    session.merge_environment_settings("http://a.example.com/", {}, None, None, None)

    copy = pickle.loads(pickle.dumps(session))

    settings = copy.merge_environment_settings("http://a.example.com/", {}, None, None, None)
    assert set(settings) == {"proxies", "stream", "verify", "cert"}
    session.close()
    copy.close()
