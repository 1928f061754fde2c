"""OAuthManager: client credentials against the local server's token endpoint, instance
cache, refresh before expiry, retries of the token request, ``_az_token`` fallback, and
what reaches the log output (never the secret or a token)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from fake_time import FakeTime
from refused_port import refused_url

from txo_runtime.api_common import CircuitBreaker, RateLimiter, RetryPolicy
from txo_runtime.exceptions import ApiAuthenticationError
from txo_runtime.logger import RedactingFormatter, RedactionRules
from txo_runtime.oauth_helpers import OAuthManager, get_client_credentials_token, token_url_for
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer

CLIENT_ID = "txo-test-client"
SECRET = "s3cret-Value-8Q~abcdefghijklmnopqrstuvw"
TOKEN_PATH = "/oauth2/token"
# No pattern rules: a value masked in the output was registered as a secret.
REGISTERED_VALUES_ONLY = RedactionRules.from_mapping({"version": "3.0", "patterns": [], "keys": []})


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log_output() -> Iterator[Callable[[], str]]:
    """Everything logged (DEBUG and up, any logger) as a redacting handler writes it."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(
        RedactingFormatter("%(levelname)s %(name)s %(message)s", rules=REGISTERED_VALUES_ONLY)
    )
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer.getvalue
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def a_script_logs(*values: str) -> None:
    """What a careless script does: log the values it holds."""
    logging.getLogger("customer_script").info("calling the API with %s", " | ".join(values))


@pytest.fixture
def server(txo_api_server: LocalApiServer) -> Iterator[LocalApiServer]:
    txo_api_server.add_client(CLIENT_ID, SECRET)
    yield txo_api_server


def make_config(server: LocalApiServer, **extra: object) -> dict:
    config = {
        "global": {
            "oauth-token-url": server.token_url,
            "client-id": CLIENT_ID,
            "oauth-scope": "https://api.example.com/.default",
        },
        "_client_secret": SECRET,
    }
    config.update(extra)
    return config


def test_token_is_fetched_once_and_cached_in_the_instance(server: LocalApiServer) -> None:
    manager = OAuthManager()
    token = manager.get_token(make_config(server))
    assert token == manager.get_token(make_config(server))
    assert server.tokens_issued == 1
    assert OAuthManager().get_token(make_config(server)) != token  # no global cache
    assert server.tokens_issued == 2


def test_the_log_output_names_the_token_url_but_never_shows_the_token_or_the_secret(
    server: LocalApiServer, log_output: Callable[[], str]
) -> None:
    token = OAuthManager().get_token(make_config(server))
    a_script_logs(token, SECRET)

    output = log_output()
    assert f"Obtained OAuth token from {server.token_url}" in output
    assert "calling the API with [REDACTED] | [REDACTED]" in output
    assert token not in output and SECRET not in output


def test_token_is_refreshed_before_it_expires(server: LocalApiServer) -> None:
    clock = Clock()
    server.token_lifetime = 3600
    manager = OAuthManager(clock=clock, refresh_margin_seconds=300)
    first = manager.get_token(make_config(server))
    clock.now += 3600 - 301
    assert manager.get_token(make_config(server)) == first
    clock.now += 2
    assert manager.get_token(make_config(server)) != first
    assert server.tokens_issued == 2


def test_cache_is_keyed_by_scope(server: LocalApiServer) -> None:
    manager = OAuthManager()
    config = make_config(server)
    other = make_config(server)
    other["global"] = {**config["global"], "oauth-scope": "api://other/.default"}
    assert manager.get_token(config) != manager.get_token(other)
    assert server.tokens_issued == 2


def test_token_works_against_the_protected_api(server: LocalApiServer) -> None:
    server.require_auth = True
    server.add_collection("orders", [{"id": 1}])
    token = OAuthManager().get_token(make_config(server))
    with MinimalRestAPI(token, base_url=server.url) as api:
        assert api.get("/api/orders") == [{"id": 1}]
        server.expire_tokens()
        with pytest.raises(ApiAuthenticationError):
            api.get("/api/orders")


def test_wrong_secret_falls_back_to_az_token_with_a_warning_naming_the_token_url(
    server: LocalApiServer, log_output: Callable[[], str]
) -> None:
    config = make_config(
        server, _client_secret="wrong-secret-value", _az_token="Bearer eyJfallback"
    )
    assert OAuthManager().get_token(config) == "eyJfallback"
    a_script_logs("eyJfallback", "wrong-secret-value")

    output = log_output()
    assert f"token endpoint {server.token_url} answered 401 after 1 attempt" in output
    assert "using 'az-token'" in output
    assert "eyJfallback" not in output and "wrong-secret-value" not in output


def test_no_client_secret_uses_az_token_without_calling_the_endpoint(
    server: LocalApiServer,
) -> None:
    config = make_config(server, _az_token="eyJdirect")
    del config["_client_secret"]
    assert OAuthManager().get_token(config) == "eyJdirect"
    assert server.hits() == 0


def test_failure_without_fallback_is_a_helpful_error_without_the_secret(
    server: LocalApiServer,
) -> None:
    config = make_config(server, _client_secret="wrong-secret-value")
    with pytest.raises(ApiAuthenticationError) as info:
        OAuthManager().get_token(config)
    text = str(info.value) + (info.value.how_to_fix or "") + (info.value.example or "")
    assert "invalid_client" in text and "401" in text
    assert server.token_url in text
    assert "wrong-secret-value" not in text
    assert "az-token" in (info.value.how_to_fix or "")


def test_unreachable_token_endpoint_is_retried_then_falls_back(
    log_output: Callable[[], str],
) -> None:
    waits: list[float] = []
    with refused_url() as url:
        config = {
            "global": {"oauth-token-url": f"{url}/token", "client-id": "c", "oauth-scope": "s"},
            "_client_secret": SECRET,
            "_az_token": "eyJoffline",
        }
        manager = OAuthManager(timeout=2, sleep=waits.append)
        assert manager.get_token(config) == "eyJoffline"

    assert len(waits) == 3  # a refused connection sent nothing: retried even for a POST
    assert f"token request to {url}/token failed (ConnectionError) after 4 attempts" in (
        log_output()
    )


def test_token_endpoint_answering_503_with_retry_after_gives_a_token_after_one_retry(
    server: LocalApiServer, log_output: Callable[[], str]
) -> None:
    server.add_fault(TOKEN_PATH, method="POST", status=503, times=1, headers={"Retry-After": "7"})
    waits: list[float] = []

    token = OAuthManager(sleep=waits.append).get_token(make_config(server))

    assert token and server.tokens_issued == 1
    assert server.hits(TOKEN_PATH) == 2
    assert len(waits) == 1 and waits[0] >= 7
    output = log_output()
    assert f"POST {server.token_url} answered 503 (attempt 1/4); retrying in" in output
    assert token not in output.replace("[REDACTED]", "")


def test_token_endpoint_answering_500_is_not_retried_because_the_post_may_have_run(
    server: LocalApiServer,
) -> None:
    server.add_fault(TOKEN_PATH, method="POST", status=500)
    waits: list[float] = []
    with pytest.raises(ApiAuthenticationError, match="answered 500 after 1 attempt"):
        OAuthManager(sleep=waits.append).get_token(make_config(server))
    assert server.hits(TOKEN_PATH) == 1
    assert waits == []


def test_token_requests_go_through_their_own_limiter_and_breaker(server: LocalApiServer) -> None:
    time = FakeTime(1000.0)
    limiter = RateLimiter(1, clock=time, sleep=time.sleep)
    breaker = CircuitBreaker(failure_threshold=1, timeout_seconds=60, clock=time)
    manager = OAuthManager(
        retry_policy=None, rate_limiter=limiter, circuit_breaker=breaker, sleep=time.sleep
    )
    server.add_fault(TOKEN_PATH, method="POST", status=502, times=1)
    with pytest.raises(ApiAuthenticationError, match="answered 502"):
        manager.get_token(make_config(server))
    with pytest.raises(ApiAuthenticationError, match="Circuit breaker open"):
        manager.get_token(make_config(server))  # not sent: the breaker is open
    assert server.hits(TOKEN_PATH) == 1
    assert time.sleeps == [pytest.approx(1.0)]  # the second request waited for the limiter

    time.advance(60)  # half-open: one trial, which succeeds
    assert manager.get_token(make_config(server))
    assert server.hits(TOKEN_PATH) == 2


def test_missing_required_oauth_keys_hard_fail() -> None:
    with pytest.raises(KeyError):
        OAuthManager().get_token({"global": {"client-id": "c", "oauth-scope": "s"},
                                  "_client_secret": SECRET})  # fmt: skip


def test_default_token_url_is_azure_ad_from_tenant_id() -> None:
    assert token_url_for({"tenant-id": "contoso"}) == (
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
    )
    assert token_url_for({"tenant-id": "x", "oauth-token-url": "http://idp/t"}) == "http://idp/t"


def test_repr_holds_no_tokens(server: LocalApiServer) -> None:
    manager = OAuthManager()
    token = manager.get_token(make_config(server))
    assert token not in repr(manager) and SECRET not in repr(manager)


def test_get_client_credentials_token_is_deprecated(server: LocalApiServer) -> None:
    with pytest.warns(DeprecationWarning, match="OAuthManager"):
        token = get_client_credentials_token(make_config(server))
    assert token and server.tokens_issued == 1


def test_token_endpoint_error_echoing_the_secret_is_redacted(server: LocalApiServer) -> None:
    description = f"client_secret '{SECRET}' is invalid; password=hunter2hunter2"
    body = {"error": "invalid_client", "error_description": description}
    server.add_fault(TOKEN_PATH, status=401, body=body)
    with pytest.raises(ApiAuthenticationError) as info:
        OAuthManager().get_token(make_config(server))  # registers SECRET before the request
    text = str(info.value)
    assert "invalid_client" in text and "401" in text
    assert SECRET not in text and "hunter2" not in text


def test_force_refresh_skips_the_cache(server: LocalApiServer) -> None:
    manager = OAuthManager()
    first = manager.get_token(make_config(server))
    second = manager.get_token(make_config(server), force_refresh=True)
    assert first != second and server.tokens_issued == 2
    assert manager.get_token(make_config(server)) == second


def test_az_token_fallback_is_reused_for_a_while_instead_of_asking_on_every_call(
    server: LocalApiServer,
) -> None:
    clock = Clock()
    manager = OAuthManager(clock=clock)
    config = make_config(server, _client_secret="wrong-secret-value", _az_token="eyJfallback")
    assert [manager.get_token(config) for _ in range(5)] == ["eyJfallback"] * 5
    assert server.hits(TOKEN_PATH) == 1  # a provider asks on every API attempt
    clock.now += 301 + 60
    manager.get_token(config)
    assert server.hits(TOKEN_PATH) == 2  # then the endpoint is tried again


def test_a_policy_of_the_config_can_replace_the_default_retries(server: LocalApiServer) -> None:
    server.add_fault(TOKEN_PATH, method="POST", status=429, headers={"Retry-After": "1"})
    waits: list[float] = []
    manager = OAuthManager(retry_policy=RetryPolicy(max_retries=1), sleep=waits.append)
    with pytest.raises(ApiAuthenticationError, match="answered 429 after 2 attempts"):
        manager.get_token(make_config(server))
    assert server.hits(TOKEN_PATH) == 2 and len(waits) == 1
