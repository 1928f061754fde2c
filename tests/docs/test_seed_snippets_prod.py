"""The refactoring guide's OAuthManager snippets, run as written (``utils.`` ->
``txo_runtime.``) against the local token endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from txo_runtime.testing import LocalApiServer

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "seed-client"
SECRET = "seed-Client-secret-value-2718"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The local server standing in for login.microsoftonline.com (same path shape)."""
    with LocalApiServer() as api:
        api.add_client(CLIENT_ID, SECRET)
        monkeypatch.setattr(
            "txo_runtime.oauth_helpers.AZURE_TOKEN_URL",
            api.url + "/{tenant_id}/oauth2/v2.0/token",
        )
        yield api


def seed_config() -> dict[str, Any]:
    return {
        "global": {"tenant-id": TENANT, "client-id": CLIENT_ID, "oauth-scope": "api://x/.default"},
        "_client_secret": SECRET,
    }


def test_oauth_manager_with_cache_enabled_gets_a_token_from_config_and_reuses_it(
    server: LocalApiServer,
) -> None:
    from txo_runtime.oauth_helpers import OAuthManager

    config = seed_config()
    # --- the seed's snippet (phase 3, oauth_helpers refactor_to) ---
    manager = OAuthManager(cache_enabled=True)
    token = manager.get_token(config)
    # ---
    assert token and manager.get_token(config) == token
    assert server.hits(f"/{TENANT}/oauth2/v2.0/token") == 1


def test_get_client_returns_one_client_per_tenant_that_fetches_client_credentials_tokens(
    server: LocalApiServer,
) -> None:
    from txo_runtime.oauth_helpers import OAuthManager

    config = seed_config()
    manager = OAuthManager(cache_enabled=True)
    # --- the seed's snippet: get_token goes through get_client(tenant_id) ---
    tenant_id = config["global"]["tenant-id"]
    client = manager.get_client(tenant_id)
    token = client.get_client_credentials_token(
        client_id=config["global"]["client-id"],
        client_secret=config["_client_secret"],
        scope=config["global"]["oauth-scope"],
    )
    # ---
    assert manager.get_client(tenant_id) is client
    assert manager.get_token(config) == token  # one cache behind both doors
    assert server.tokens_issued == 1


def test_the_migration_guides_before_and_after_both_work_and_the_old_function_warns(
    server: LocalApiServer,
) -> None:
    from txo_runtime.oauth_helpers import OAuthManager, get_client_credentials_token

    config = seed_config()
    # --- before ---
    with pytest.warns(DeprecationWarning, match="Use OAuthManager"):
        token = get_client_credentials_token(config)
    # --- after ---
    manager = OAuthManager()
    assert manager.get_token(config)
    assert token


def test_cache_disabled_fetches_a_token_for_every_request(server: LocalApiServer) -> None:
    from txo_runtime.oauth_helpers import OAuthManager

    manager = OAuthManager(cache_enabled=False)
    manager.get_token(seed_config())
    manager.get_token(seed_config())
    assert server.tokens_issued == 2
