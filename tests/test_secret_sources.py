"""Secret sources in their documented order: environment, TXO_SECRETS_FILE, project file,
providers registered through real entry-point metadata."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from project_factory import make_project, write_json

from txo_runtime.config_loader import (
    PROVIDER_GROUP,
    SECRETS_FILE_ENV,
    env_variable_for,
    load_config,
)
from txo_runtime.exceptions import (
    ConfigurationError,
    HelpfulError,
    MissingConfigKeyError,
    render_user_message,
)
from txo_runtime.logger import redact

ENV_SECRET = "env-Secret-value-4711-abcdef"
FILE_SECRET = "file-Secret-value-0815-uvwxyz"
MOUNTED_SECRET = "mounted-Secret-value-1234-q"
VAULT_SECRET = "vault-Secret-value-9876-zz"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("TXO__") or name == SECRETS_FILE_ENV:
            monkeypatch.delenv(name)


def test_variable_names_are_upper_case_with_dashes_as_underscores() -> None:
    assert env_variable_for("acme", "test", "client-secret") == "TXO__ACME__TEST__CLIENT_SECRET"
    assert env_variable_for("acme-eu", "pre-prod", "az-token") == "TXO__ACME_EU__PRE_PROD__AZ_TOKEN"


def test_environment_variables_alone_are_enough_without_a_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path)  # no secrets file at all
    monkeypatch.setenv("TXO__ACME__TEST__CLIENT_SECRET", ENV_SECRET)
    monkeypatch.setenv("TXO__ACME__PROD__CLIENT_SECRET", "other-environment-secret")
    config = load_config("acme", "test", root=root)
    assert config["_client_secret"] == ENV_SECRET
    assert ENV_SECRET not in redact(f"the secret is {ENV_SECRET}")
    assert ENV_SECRET not in repr(config)


def test_an_environment_variable_overrides_the_secrets_file_key_it_maps_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, secrets={"client-secret": FILE_SECRET, "az-token": FILE_SECRET})
    monkeypatch.setenv("TXO__ACME__TEST__CLIENT_SECRET", ENV_SECRET)
    config = load_config("acme", "test", root=root)
    assert config["_client_secret"] == ENV_SECRET
    assert config["_az_token"] == FILE_SECRET  # the file still provides what env does not
    assert config.secret_lookup is not None
    assert config.secret_lookup.origin["_client_secret"].startswith("environment variables")
    # the overridden file value is still registered: it is a secret wherever it shows up
    assert FILE_SECRET not in redact(FILE_SECRET)


def test_txo_secrets_file_overrides_the_project_file_and_is_overridden_by_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(
        tmp_path, secrets={"client-secret": FILE_SECRET, "api-key": FILE_SECRET, "pin": "111111"}
    )
    mounted = tmp_path / "mounted.json"
    write_json(mounted, {"client-secret": MOUNTED_SECRET, "api-key": MOUNTED_SECRET})
    monkeypatch.setenv(SECRETS_FILE_ENV, str(mounted))
    monkeypatch.setenv("TXO__ACME__TEST__API_KEY", ENV_SECRET)
    config = load_config("acme", "test", root=root)
    assert config["_client_secret"] == MOUNTED_SECRET
    assert config["_api_key"] == ENV_SECRET
    assert config["_pin"] == "111111"


def test_txo_secrets_file_that_does_not_exist_is_a_helpful_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path)
    monkeypatch.setenv(SECRETS_FILE_ENV, str(tmp_path / "nowhere.json"))
    with pytest.raises(HelpfulError, match="TXO_SECRETS_FILE names"):
        load_config("acme", "test", root=root)


def test_an_empty_environment_variable_counts_as_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, secrets={"client-secret": FILE_SECRET})
    monkeypatch.setenv("TXO__ACME__TEST__CLIENT_SECRET", "")
    assert load_config("acme", "test", root=root)["_client_secret"] == FILE_SECRET


PROVIDER_MODULE = f'''
class Vault:
    """A test vault: answers from a dict, remembers what it was asked."""

    asked = []

    def secrets(self, org_id, env_type, wanted):
        Vault.asked.append((org_id, env_type, sorted(wanted)))
        return {{"client-secret": "{VAULT_SECRET}", "vault-only": "{VAULT_SECRET}-2"}}
'''


@pytest.fixture
def vault_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A distribution with a ``txo_runtime.secret_providers`` entry point, found by
    importlib.metadata on sys.path as an installed package would be."""
    site = tmp_path / "site"
    (site / "txo_test_vault-1.0.dist-info").mkdir(parents=True)
    (site / "txo_test_vault.py").write_text(textwrap.dedent(PROVIDER_MODULE))
    info = site / "txo_test_vault-1.0.dist-info"
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: txo-test-vault\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{PROVIDER_GROUP}]\ntest-vault = txo_test_vault:Vault\n"
    )
    monkeypatch.syspath_prepend(str(site))
    yield
    import sys

    sys.modules.pop("txo_test_vault", None)


@pytest.mark.usefixtures("vault_installed")
def test_an_entry_point_provider_supplies_what_no_file_or_variable_has(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", secrets={"client-secret": FILE_SECRET})
    write_json(
        root / "config" / "acme-test-config-secrets.json.example",
        {"client-secret": "x", "vault-only": "x"},
    )
    config = load_config("acme", "test", root=root)
    assert config["_client_secret"] == FILE_SECRET  # the file comes first
    assert config["_vault_only"] == f"{VAULT_SECRET}-2"
    import txo_test_vault  # type: ignore[import-not-found]

    assert txo_test_vault.Vault.asked == [("acme", "test", ["vault-only"])]  # only what is missing
    assert f"{VAULT_SECRET}-2" not in redact(f"x {VAULT_SECRET}-2 y")


@pytest.mark.usefixtures("vault_installed")
def test_a_missing_secret_names_every_place_that_was_looked_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "p")
    mounted = tmp_path / "mounted.json"
    write_json(mounted, {})
    monkeypatch.setenv(SECRETS_FILE_ENV, str(mounted))
    config = load_config("acme", "test", root=root)
    with pytest.raises(MissingConfigKeyError) as caught:
        config["_api_password"]
    text = render_user_message(caught.value)
    assert "environment variable TXO__ACME__TEST__API_PASSWORD" in text
    assert f"{mounted} (TXO_SECRETS_FILE)" in text
    assert "config/acme-test-config-secrets.json (not found)" in text
    assert "secret provider 'test-vault'" in text
    assert isinstance(caught.value, KeyError)


def test_without_providers_the_message_says_none_are_installed(tmp_path: Path) -> None:
    config = load_config("acme", "test", root=make_project(tmp_path))
    with pytest.raises(MissingConfigKeyError, match="none installed in entry-point group"):
        config["_client_secret"]


def test_a_secret_name_without_letters_or_digits_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path, secrets={"--": "some-value-123"})
    with pytest.raises(ConfigurationError, match="is not a usable key"):
        load_config("acme", "test", root=root)


def test_a_token_request_without_a_client_secret_names_every_place_looked_at(
    tmp_path: Path,
) -> None:
    from txo_runtime.exceptions import ApiAuthenticationError
    from txo_runtime.oauth_helpers import OAuthManager

    config = load_config("acme", "test", root=make_project(tmp_path))
    with pytest.raises(ApiAuthenticationError) as caught:
        OAuthManager().get_token(config)
    text = render_user_message(caught.value)
    assert "TXO__ACME__TEST__CLIENT_SECRET" in text
    assert "config/acme-test-config-secrets.json (not found)" in text


@pytest.mark.usefixtures("vault_installed")
def test_providers_are_not_asked_when_every_declared_secret_was_found(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", secrets={"client-secret": FILE_SECRET})
    write_json(root / "config" / "acme-test-config-secrets.json.example", {"client-secret": "x"})
    config = load_config("acme", "test", root=root)
    assert "_vault_only" not in config
    assert "txo_test_vault" not in __import__("sys").modules  # never even loaded
    with pytest.raises(MissingConfigKeyError, match="secret provider 'test-vault'"):
        config["_other"]  # the message still names the installed providers
