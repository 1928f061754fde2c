"""ConfigProxy and optional reads: one walker, one missing-key error, a KeyError on any config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from project_factory import make_project, valid_config

from txo_runtime.api_factory import create_rest_api, load_settings
from txo_runtime.config_loader import (
    ConfigDict,
    ConfigProxy,
    load_config,
    optional,
    require,
    validate_against_schema,
)
from txo_runtime.exceptions import ConfigurationError, MissingConfigKeyError, render_user_message
from txo_runtime.load_n_save import output_filename

SOURCE = "demo-test-config.json"


def test_config_proxy_require_returns_the_value_at_the_path() -> None:
    proxy = ConfigProxy(valid_config(), SOURCE)
    assert proxy.require("global", "api-base-url") == "https://api.example.com/odata"


def test_config_proxy_require_names_the_missing_path_the_file_and_shows_an_example() -> None:
    proxy = ConfigProxy({"global": {}}, SOURCE)

    with pytest.raises(MissingConfigKeyError) as caught:
        proxy.require("global", "api-base-url")

    error = caught.value
    assert isinstance(error, KeyError)
    assert (error.key_path, error.config_file) == ("global.api-base-url", SOURCE)
    assert f"'global.api-base-url' is missing in {SOURCE}" in error.message
    assert error.how_to_fix is not None and SOURCE in error.how_to_fix
    assert json.loads(error.example or "") == {"global": {"api-base-url": "<value>"}}
    shown = render_user_message(error)
    assert "global.api-base-url" in shown and '"api-base-url": "<value>"' in shown


def test_config_proxy_names_the_key_where_the_walk_stopped() -> None:
    with pytest.raises(MissingConfigKeyError) as caught:
        ConfigProxy({}, SOURCE).require("timeouts", "rest")
    assert caught.value.key_path == "timeouts"


def test_config_proxy_optional_returns_the_default_only_when_the_key_is_absent() -> None:
    proxy = ConfigProxy({"timeouts": {"rest": 30}}, SOURCE)
    assert proxy.optional("timeouts", "rest", default=60) == 30
    assert proxy.optional("timeouts", "soap", default=60) == 60
    assert proxy.optional("absent", "rest", default=60) == 60
    assert proxy.optional("timeouts", "soap") is None


def test_config_proxy_optional_still_refuses_a_section_that_is_not_an_object() -> None:
    with pytest.raises(ConfigurationError, match="must be an object, not int") as caught:
        ConfigProxy({"timeouts": 5}, SOURCE).optional("timeouts", "rest", default=60)
    assert not isinstance(caught.value, KeyError)  # a broken config, not an absent setting


def test_config_proxy_of_a_loaded_config_names_the_loaded_file(tmp_path: Path) -> None:
    config = load_config("acme", "test", root=make_project(tmp_path))
    proxy = ConfigProxy(config)

    assert proxy.source == "config/acme-test-config.json"
    with pytest.raises(MissingConfigKeyError) as caught:
        proxy.require("global", "nope")
    assert caught.value.config_file == "config/acme-test-config.json"


def test_config_dict_require_and_config_proxy_give_the_same_error() -> None:
    config = ConfigDict(valid_config(), source_file="config/acme-test-config.json")
    errors = []
    for read in (config.require, ConfigProxy(config).require, lambda *p: require(config, *p)):
        with pytest.raises(MissingConfigKeyError) as caught:
            read("script-behavior", "odata", "page-size")
        errors.append(render_user_message(caught.value))
    assert errors[0] == errors[1] == errors[2]


def test_config_dict_optional_reads_through_the_same_walker() -> None:
    config = ConfigDict(valid_config(), source_file="config/acme-test-config.json")
    assert config.optional("odata", "page-size", default=100) == 100
    assert config.optional("global", "client-id") == "public-client-id"
    assert optional(valid_config(), "odata", "page-size", default=7) == 7


def test_a_nested_config_dict_names_its_full_path() -> None:
    config = ConfigDict(valid_config(), source_file="config/acme-test-config.json")
    with pytest.raises(MissingConfigKeyError) as caught:
        require(config["script-behavior"], "jitter", "nope")
    assert caught.value.key_path == "script-behavior.jitter.nope"


def test_the_config_proxy_repr_shows_keys_never_values() -> None:
    proxy = ConfigProxy({"_client_secret": "s3cr3t-value-1234", "global": {}}, SOURCE)
    assert "s3cr3t" not in repr(proxy) and "_client_secret" in repr(proxy)


# --- a missing key is a KeyError for a plain dict exactly as for a loaded config ---------


def _without(path: tuple[str, ...]) -> dict:
    config = valid_config()
    node = config
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return config


MISSING_PATHS = [
    ("global",),
    ("global", "api-base-url"),
    ("script-behavior",),
    ("script-behavior", "rate-limiting"),
    ("script-behavior", "rate-limiting", "calls-per-second"),
    ("script-behavior", "jitter", "max-factor"),
    ("script-behavior", "retry-strategy", "max-retries"),
    ("script-behavior", "api-timeouts", "rest-timeout-seconds"),
]


@pytest.mark.parametrize("path", MISSING_PATHS, ids=".".join)
@pytest.mark.parametrize("kind", ["plain-dict", "config-dict"])
def test_except_key_error_catches_a_missing_nested_key_of_any_config(
    path: tuple[str, ...], kind: str
) -> None:
    raw = _without(path) | {"_token": "token-value-123456"}
    config = raw if kind == "plain-dict" else ConfigDict(raw, source_file="config/a-b-config.json")

    with pytest.raises(KeyError) as caught:
        create_rest_api(config)

    assert isinstance(caught.value, MissingConfigKeyError)
    assert caught.value.key_path == ".".join(path)


def test_the_settings_check_of_a_plain_dict_reports_a_missing_key_as_a_key_error() -> None:
    with pytest.raises(KeyError):
        load_settings(_without(("script-behavior", "circuit-breaker", "enabled")))


def test_output_filename_on_a_plain_dict_without_org_is_a_key_error() -> None:
    with pytest.raises(KeyError) as caught:
        output_filename({"_env_type": "test"}, "report", "json")
    assert isinstance(caught.value, MissingConfigKeyError)


@pytest.mark.parametrize(
    ("schema", "config", "missing"),
    [
        ({"required": ["global"]}, {}, "global"),
        ({"dependentRequired": {"client-id": ["oauth-scope"]}}, {"client-id": "x"}, "oauth-scope"),
        (
            {
                "properties": {
                    "global": {"anyOf": [{"required": ["tenant-id"]}, {"required": ["token-url"]}]}
                }
            },
            {"global": {}},
            "global.tenant-id",
        ),
    ],
    ids=["required", "dependentRequired", "anyOf-of-required"],
)
def test_every_schema_rule_that_demands_a_key_reports_a_key_error(
    schema: dict, config: dict, missing: str
) -> None:
    with pytest.raises(KeyError) as caught:
        validate_against_schema(
            config,
            {"type": "object", **schema},
            config_file="config/a-b-config.json",
            schema_file="schemas/org-env-config-schema.json",
        )
    assert isinstance(caught.value, MissingConfigKeyError)
    assert caught.value.key_path == missing


def test_an_any_of_that_fails_for_another_reason_stays_a_configuration_error() -> None:
    schema = {"properties": {"global": {"anyOf": [{"required": ["t"]}, {"type": "string"}]}}}
    with pytest.raises(ConfigurationError) as caught:
        validate_against_schema(
            {"global": {}}, schema, config_file=None, schema_file="schemas/x.json"
        )
    assert not isinstance(caught.value, KeyError)
