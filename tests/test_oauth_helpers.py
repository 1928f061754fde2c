"""OAuthManager: client credentials against the local server's token endpoint, instance
cache, refresh before expiry, ``_az_token`` fallback, secrets kept out of messages."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import txo_runtime.logger
from txo_runtime.exceptions import ApiAuthenticationError
from txo_runtime.oauth_helpers import OAuthManager, get_client_credentials_token, token_url_for
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer

CLIENT_ID = "txo-test-client"
SECRET = "s3cret-Value-8Q~abcdefghijklmnopqrstuvw"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    values: list[str] = []
    monkeypatch.setattr(txo_runtime.logger, "register_secret", values.append)
    return values


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


def test_token_is_fetched_once_and_cached_in_the_instance(
    server: LocalApiServer, registered: list[str]
) -> None:
    manager = OAuthManager()
    token = manager.get_token(make_config(server))
    assert token == manager.get_token(make_config(server))
    assert server.tokens_issued == 1
    assert SECRET in registered and token in registered
    assert OAuthManager().get_token(make_config(server)) != token  # no global cache
    assert server.tokens_issued == 2


def test_token_is_refreshed_before_it_expires(
    server: LocalApiServer, registered: list[str]
) -> None:
    clock = Clock()
    server.token_lifetime = 3600
    manager = OAuthManager(clock=clock, refresh_margin_seconds=300)
    first = manager.get_token(make_config(server))
    clock.now += 3600 - 301
    assert manager.get_token(make_config(server)) == first
    clock.now += 2
    assert manager.get_token(make_config(server)) != first
    assert server.tokens_issued == 2


def test_cache_is_keyed_by_scope(server: LocalApiServer, registered: list[str]) -> None:
    manager = OAuthManager()
    config = make_config(server)
    other = make_config(server)
    other["global"] = {**config["global"], "oauth-scope": "api://other/.default"}
    assert manager.get_token(config) != manager.get_token(other)
    assert server.tokens_issued == 2


def test_token_works_against_the_protected_api(
    server: LocalApiServer, registered: list[str]
) -> None:
    server.require_auth = True
    server.add_collection("orders", [{"id": 1}])
    token = OAuthManager().get_token(make_config(server))
    with MinimalRestAPI(token, base_url=server.url) as api:
        assert api.get("/api/orders") == [{"id": 1}]
        server.expire_tokens()
        with pytest.raises(ApiAuthenticationError):
            api.get("/api/orders")


def test_wrong_secret_falls_back_to_az_token(
    server: LocalApiServer, registered: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(
        server, _client_secret="wrong-secret-value", _az_token="Bearer eyJfallback"
    )
    with caplog.at_level(logging.WARNING):
        assert OAuthManager().get_token(config) == "eyJfallback"
    assert "eyJfallback" in registered
    assert "wrong-secret-value" not in caplog.text
    assert "az-token" in caplog.text


def test_no_client_secret_uses_az_token_without_calling_the_endpoint(
    server: LocalApiServer, registered: list[str]
) -> None:
    config = make_config(server, _az_token="eyJdirect")
    del config["_client_secret"]
    assert OAuthManager().get_token(config) == "eyJdirect"
    assert server.hits() == 0


def test_failure_without_fallback_is_a_helpful_error_without_the_secret(
    server: LocalApiServer, registered: list[str]
) -> None:
    config = make_config(server, _client_secret="wrong-secret-value")
    with pytest.raises(ApiAuthenticationError) as info:
        OAuthManager().get_token(config)
    text = str(info.value) + (info.value.how_to_fix or "") + (info.value.example or "")
    assert "invalid_client" in text and "401" in text
    assert "wrong-secret-value" not in text
    assert "az-token" in (info.value.how_to_fix or "")


def test_unreachable_token_endpoint_falls_back(registered: list[str]) -> None:
    config = {
        "global": {"oauth-token-url": "http://127.0.0.1:9/token", "client-id": "c",
                   "oauth-scope": "s"},
        "_client_secret": SECRET,
        "_az_token": "eyJoffline",
    }  # fmt: skip
    assert OAuthManager(timeout=2).get_token(config) == "eyJoffline"


def test_missing_required_oauth_keys_hard_fail(registered: list[str]) -> None:
    with pytest.raises(KeyError):
        OAuthManager().get_token({"global": {"client-id": "c", "oauth-scope": "s"},
                                  "_client_secret": SECRET})  # fmt: skip


def test_default_token_url_is_azure_ad_from_tenant_id() -> None:
    assert token_url_for({"tenant-id": "contoso"}) == (
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
    )
    assert token_url_for({"tenant-id": "x", "oauth-token-url": "http://idp/t"}) == "http://idp/t"


def test_repr_holds_no_tokens(server: LocalApiServer, registered: list[str]) -> None:
    manager = OAuthManager()
    token = manager.get_token(make_config(server))
    assert token not in repr(manager) and SECRET not in repr(manager)


def test_get_client_credentials_token_is_deprecated(
    server: LocalApiServer, registered: list[str]
) -> None:
    with pytest.warns(DeprecationWarning, match="OAuthManager"):
        token = get_client_credentials_token(make_config(server))
    assert token and server.tokens_issued == 1


def test_token_endpoint_error_echoing_the_secret_is_redacted(server: LocalApiServer) -> None:
    description = f"client_secret '{SECRET}' is invalid; password=hunter2hunter2"
    body = {"error": "invalid_client", "error_description": description}
    server.add_fault("/oauth2/token", status=401, body=body)
    with pytest.raises(ApiAuthenticationError) as info:
        OAuthManager().get_token(make_config(server))  # registers SECRET before the request
    text = str(info.value)
    assert "invalid_client" in text and "401" in text
    assert SECRET not in text and "hunter2" not in text


def test_force_refresh_skips_the_cache(server: LocalApiServer, registered: list[str]) -> None:
    manager = OAuthManager()
    first = manager.get_token(make_config(server))
    second = manager.get_token(make_config(server), force_refresh=True)
    assert first != second and server.tokens_issued == 2
    assert manager.get_token(make_config(server)) == second


def test_az_token_fallback_is_reused_for_a_while_instead_of_asking_on_every_call(
    server: LocalApiServer, registered: list[str]
) -> None:
    clock = Clock()
    manager = OAuthManager(clock=clock)
    config = make_config(server, _client_secret="wrong-secret-value", _az_token="eyJfallback")
    assert [manager.get_token(config) for _ in range(5)] == ["eyJfallback"] * 5
    assert server.hits("/oauth2/token") == 1  # a provider asks on every API attempt
    clock.now += 301 + 60
    manager.get_token(config)
    assert server.hits("/oauth2/token") == 2  # then the endpoint is tried again
