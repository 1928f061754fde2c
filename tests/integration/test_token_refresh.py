"""Token refresh during a run (tokens are cached and refreshed automatically):
MinimalRestAPI asks its token provider on every attempt and, after a 401, once more with
force_refresh=True, retrying the request once. Real LocalApiServer token endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from project_factory import make_project, valid_config

from txo_runtime.api_common import RetryPolicy
from txo_runtime.api_factory import ApiManager, create_rest_api
from txo_runtime.exceptions import ApiAuthenticationError
from txo_runtime.oauth_helpers import OAuthManager, OAuthTokenProvider
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer

CLIENT_ID = "txo-refresh-client"
SECRET = "refresh-S3cret-Value-0123456789abcdef"
ORDERS = [{"id": 1, "item": "apple"}]


class Clock:
    """One fake timeline for the server's token expiry and the OAuthManager's cache."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[LocalApiServer]:
    with LocalApiServer(require_auth=True, token_lifetime=900, clock=clock) as running:
        running.add_client(CLIENT_ID, SECRET)
        running.add_collection("orders", ORDERS)
        yield running


def oauth_config(server: LocalApiServer) -> dict:
    config = valid_config()
    config["global"].update(
        {"api-base-url": f"{server.url}/api", "oauth-token-url": server.token_url,
         "client-id": CLIENT_ID}
    )  # fmt: skip
    config["_client_secret"] = SECRET
    return config


def client(token: object) -> MinimalRestAPI:
    policy = RetryPolicy(max_retries=1, backoff_factor=0)
    return MinimalRestAPI(token, retry_policy=policy, sleep=lambda _: None)  # type: ignore[arg-type]


def test_long_run_keeps_working_after_the_token_expires(
    server: LocalApiServer, clock: Clock
) -> None:
    provider = OAuthTokenProvider(OAuthManager(clock=clock), oauth_config(server))
    with client(provider) as api:
        for _ in range(4):  # t = 0, 400, 800, 1200 s: the first token expires at 900 s
            assert api.get(f"{server.url}/api/orders") == ORDERS
            clock.now += 400
    assert server.tokens_issued == 2  # refreshed 5 minutes before expiry, never a 401
    assert server.hits("/api/orders") == 4


def test_revoked_token_is_refreshed_once_after_a_401_and_the_call_succeeds(
    server: LocalApiServer, clock: Clock
) -> None:
    provider = OAuthTokenProvider(OAuthManager(clock=clock), oauth_config(server))
    with client(provider) as api:
        assert api.get(f"{server.url}/api/orders") == ORDERS
        server.expire_tokens()  # the server forgets the token the client still caches
        assert api.post(f"{server.url}/api/orders", json={"item": "pear"})["item"] == "pear"
    assert server.tokens_issued == 2
    assert server.hits("/api/orders", method="POST") == 2  # the 401, then the retry


def test_a_plain_callable_is_asked_on_every_attempt(server: LocalApiServer) -> None:
    manager = OAuthManager()
    config = oauth_config(server)
    calls: list[str] = []

    def provider() -> str:
        token = manager.get_token(config)
        calls.append(token)
        return token

    with client(provider) as api:
        api.get(f"{server.url}/api/orders")
        api.get(f"{server.url}/api/orders")
    assert len(calls) == 2
    seen = [r.headers["Authorization"] for r in server.requests if r.path == "/api/orders"]
    assert seen == [f"Bearer {calls[0]}"] * 2


def test_a_fixed_token_rejected_with_401_is_not_retried(server: LocalApiServer) -> None:
    with client("not-a-valid-token-value") as api, pytest.raises(ApiAuthenticationError):
        api.get(f"{server.url}/api/orders")
    assert server.hits("/api/orders") == 1


def test_a_provider_that_cannot_get_a_new_token_fails_after_one_retry(
    server: LocalApiServer,
) -> None:
    asked: list[bool] = []

    def provider(*, force_refresh: bool = False) -> str:
        asked.append(force_refresh)
        return "still-the-same-invalid-token"

    with client(provider) as api, pytest.raises(ApiAuthenticationError):
        api.get(f"{server.url}/api/orders")
    assert asked == [False, False, True]  # attempt, re-check under the lock, forced refresh
    assert server.hits("/api/orders") == 1


def test_repr_masks_a_provider(server: LocalApiServer) -> None:
    provider = OAuthTokenProvider(OAuthManager(), oauth_config(server))
    token = provider()
    with client(provider) as api:
        assert "***" in repr(api) and token not in repr(api)
    assert token not in repr(provider)


# ---------------------------------------------------------------- factory and script runner
def _run_script_config(
    tmp_path: Path, server: LocalApiServer, monkeypatch: pytest.MonkeyPatch
) -> dict:
    from txo_runtime.script_runner import parse_args_and_load_config

    root = make_project(tmp_path / "acme", config=oauth_config_without_secret(server),
                        secrets={"client-secret": SECRET})  # fmt: skip
    monkeypatch.setenv("TXO_PROJECT_ROOT", str(root))
    return parse_args_and_load_config("Refresh test", require_token=True, argv=["acme", "test"])


def oauth_config_without_secret(server: LocalApiServer) -> dict:
    config = oauth_config(server)
    del config["_client_secret"]
    return config


@pytest.mark.parametrize(
    "make_api",
    [lambda config: create_rest_api(config), lambda config: ApiManager(config).get_rest_api()],
    ids=["create_rest_api", "ApiManager"],
)
def test_script_runner_token_is_reused_then_refreshed_by_factory_clients(
    tmp_path: Path,
    server: LocalApiServer,
    monkeypatch: pytest.MonkeyPatch,
    make_api: Callable[[dict], MinimalRestAPI],
) -> None:
    config = _run_script_config(tmp_path, server, monkeypatch)
    assert config["_token"] and server.tokens_issued == 1  # v2.1: the token is injected
    api = make_api(config)
    try:
        assert api.get("orders") == ORDERS
        assert server.tokens_issued == 1  # the runner's token, from the same OAuthManager
        server.expire_tokens()
        assert api.get("orders") == ORDERS
    finally:
        api.close()
    assert server.tokens_issued == 2
    assert config["_token"] not in repr(api)
