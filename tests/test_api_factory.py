"""Specifications of txo_runtime.api_factory: config wiring, hard-fail, caching, sharing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from txo_runtime.api_factory import (
    ApiFactory,
    ApiManager,
    create_rest_api,
    create_soap_api,
    resolve_wsdl,
)
from txo_runtime.config_loader import ConfigDict
from txo_runtime.exceptions import ConfigurationError, HelpfulError, MissingConfigKeyError
from txo_runtime.rest_api_helpers import MinimalRestAPI

BASE_URL = "http://127.0.0.1:9/odata"  # nothing is sent in this file
CONFIG_FILE = "config/acme-test-config.json"
TOKEN = "eyJ-test-token-value"

MINIMAL_WSDL = """<?xml version="1.0" encoding="utf-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:tns="urn:txo:offline" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    targetNamespace="urn:txo:offline" name="Offline">
  <message name="PingIn"><part name="text" type="xsd:string"/></message>
  <message name="PingOut"><part name="result" type="xsd:string"/></message>
  <portType name="OfflinePort">
    <operation name="Ping"><input message="tns:PingIn"/><output message="tns:PingOut"/></operation>
  </portType>
  <binding name="OfflineBinding" type="tns:OfflinePort">
    <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Ping">
      <soap:operation soapAction="Ping"/>
      <input><soap:body use="literal" namespace="urn:txo:offline"/></input>
      <output><soap:body use="literal" namespace="urn:txo:offline"/></output>
    </operation>
  </binding>
  <service name="OfflineService">
    <port name="OfflinePort" binding="tns:OfflineBinding">
      <soap:address location="http://127.0.0.1:9/soap"/>
    </port>
  </service>
</definitions>
"""


def make_config(**overrides: Any) -> dict[str, Any]:
    """A complete v3.0 config; ``overrides`` replace whole script-behavior sections."""
    behavior: dict[str, Any] = {
        "api-timeouts": {
            "rest-timeout-seconds": 12,
            "soap-timeout-seconds": 34,
            "wsdl-timeout-seconds": 56,
            "async-max-wait": 78,
            "async-poll-interval": 0.5,
        },
        "retry-strategy": {"max-retries": 2, "backoff-factor": 1.5},
        "jitter": {"min-factor": 0.9, "max-factor": 1.1},
        "rate-limiting": {"enabled": True, "calls-per-second": 7, "burst-size": 3},
        "circuit-breaker": {"enabled": True, "failure-threshold": 4, "timeout-seconds": 30},
        "batch-handling": {"read-batch-size": 100, "update-batch-size": 50},
    }
    behavior.update(overrides)
    return {
        "global": {"api-base-url": BASE_URL},
        "script-behavior": behavior,
        "_org_id": "acme",
        "_env_type": "test",
        "_token": TOKEN,
    }


def without(config: dict[str, Any], *path: str) -> dict[str, Any]:
    trimmed = copy.deepcopy(config)
    node = trimmed
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return trimmed


class SourcedDict(dict):  # type: ignore[type-arg]
    """A plain dict that knows its file, like a loaded config."""

    source_file = CONFIG_FILE


def test_rest_api_gets_limiter_breaker_retry_and_timeouts_from_nested_config() -> None:
    with create_rest_api(make_config()) as api:
        assert isinstance(api, MinimalRestAPI)
        assert api.base_url == BASE_URL
        assert api.rate_limiter is not None
        assert (api.rate_limiter.calls_per_second, api.rate_limiter.burst_size) == (7, 3)
        assert api.circuit_breaker is not None
        assert api.circuit_breaker.failure_threshold == 4
        assert api.circuit_breaker.timeout_seconds == 30
        assert api.retry_policy.max_retries == 2
        assert api.retry_policy.backoff_factor == 1.5
        assert (api.retry_policy.jitter_min, api.retry_policy.jitter_max) == (0.9, 1.1)
        assert api.timeout == 12
        assert (api.async_max_wait, api.async_poll_interval) == (78, 0.5)


def test_disabled_rate_limiting_and_circuit_breaker_give_none() -> None:
    config = make_config(
        **{
            "rate-limiting": {"enabled": False, "calls-per-second": 7, "burst-size": 1},
            "circuit-breaker": {"enabled": False, "failure-threshold": 4, "timeout-seconds": 9},
        }
    )

    with create_rest_api(config) as api:
        assert api.rate_limiter is None
        assert api.circuit_breaker is None


def test_token_is_taken_from_config_and_never_shown_in_repr() -> None:
    with create_rest_api(make_config()) as api:
        assert TOKEN not in repr(api)
        assert api._token == TOKEN


def test_missing_token_tells_the_user_to_ask_for_one() -> None:
    with pytest.raises(HelpfulError) as caught:
        create_rest_api(without(make_config(), "_token"))

    assert "require_token=True" in str(caught.value)


def test_missing_token_in_a_loaded_config_is_the_same_helpful_error() -> None:
    config = ConfigDict(without(make_config(), "_token"), source_file=CONFIG_FILE)

    with pytest.raises(HelpfulError):
        create_rest_api(config)


def test_public_api_needs_no_token() -> None:
    with create_rest_api(without(make_config(), "_token"), require_auth=False) as api:
        assert api._token is None


REQUIRED_PATHS = [
    ("script-behavior",),
    ("script-behavior", "rate-limiting"),
    ("script-behavior", "rate-limiting", "calls-per-second"),
    ("script-behavior", "circuit-breaker", "enabled"),
    ("script-behavior", "retry-strategy"),
    ("script-behavior", "retry-strategy", "max-retries"),
    ("script-behavior", "jitter", "max-factor"),
    ("script-behavior", "api-timeouts", "soap-timeout-seconds"),
    ("script-behavior", "api-timeouts", "async-poll-interval"),
    ("global", "api-base-url"),
]


def loaded(config: dict[str, Any]) -> ConfigDict:
    """A ConfigDict as load_config returns it (checked against a project schema that is
    looser than the packaged one, so a required key can still be missing)."""
    result = ConfigDict(config, source_file=CONFIG_FILE)
    result.schema_file = "schemas/org-env-config-schema.json"
    return result


# Every kind of config a script or test hands to the factory, and the file it names.
CONFIG_KINDS = {
    "plain-dict": (lambda config: config, None),
    "dict-with-source": (SourcedDict, CONFIG_FILE),
    "config-dict": (lambda config: ConfigDict(config, source_file=CONFIG_FILE), CONFIG_FILE),
    "loaded-config-dict": (loaded, CONFIG_FILE),
}
BUILDERS = {
    "create_rest_api": create_rest_api,
    "ApiManager": lambda config: ApiManager(config).get_rest_api(),
}


@pytest.mark.parametrize("builder", BUILDERS.values(), ids=BUILDERS.keys())
@pytest.mark.parametrize("kind", CONFIG_KINDS.values(), ids=CONFIG_KINDS.keys())
@pytest.mark.parametrize("path", REQUIRED_PATHS, ids=lambda path: ".".join(path))
def test_a_missing_required_key_is_a_key_error_naming_its_path_and_file(
    path: tuple[str, ...], kind: tuple[Any, str | None], builder: Any
) -> None:
    make, expected_file = kind
    config = make(without(make_config(), *path))

    with pytest.raises(MissingConfigKeyError) as caught:
        builder(config)

    error, key_path = caught.value, ".".join(path)
    assert isinstance(error, KeyError) and isinstance(error, ConfigurationError)
    assert error.key_path == key_path
    assert error.config_file == expected_file
    assert key_path in error.message and (expected_file or "the config") in error.message
    assert error.how_to_fix and key_path in error.how_to_fix
    assert error.example and f'"{path[-1]}"' in error.example


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("rate-limiting", "calls-per-second", "fast"),
        ("rate-limiting", "calls-per-second", 0),
        ("rate-limiting", "burst-size", 1.5),
        ("rate-limiting", "enabled", "yes"),
        ("circuit-breaker", "failure-threshold", 0),
        ("circuit-breaker", "timeout-seconds", -1),
        ("retry-strategy", "max-retries", -1),
        ("retry-strategy", "backoff-factor", "2"),
        ("jitter", "min-factor", -0.5),
        ("api-timeouts", "rest-timeout-seconds", "60"),
        ("api-timeouts", "async-max-wait", 0),
    ],
)
def test_a_wrong_value_in_a_plain_dict_is_a_configuration_error_naming_its_path(
    section: str, key: str, value: Any
) -> None:
    config = make_config()
    config["script-behavior"][section][key] = value

    with pytest.raises(ConfigurationError) as caught:
        create_rest_api(config)

    key_path = f"script-behavior.{section}.{key}"
    assert not isinstance(caught.value, KeyError)
    assert caught.value.key_path == key_path
    assert f"$.{key_path}" in caught.value.message
    assert caught.value.config_file is None


def test_a_section_that_is_not_an_object_is_named_by_its_path() -> None:
    config = make_config()
    config["script-behavior"] = "fast"

    with pytest.raises(ConfigurationError) as caught:
        ApiManager(SourcedDict(config))

    assert caught.value.key_path == "script-behavior"
    assert caught.value.config_file == CONFIG_FILE


def test_global_that_is_not_an_object_is_named_by_its_path() -> None:
    config = make_config()
    config["global"] = "https://api.example.com"

    with pytest.raises(ConfigurationError) as caught:
        create_rest_api(config)

    assert caught.value.key_path == "global"
    assert "https://api.example.com" not in str(caught.value)  # values are never quoted


@pytest.mark.parametrize("kind", CONFIG_KINDS.values(), ids=CONFIG_KINDS.keys())
def test_jitter_min_above_max_is_named_for_every_kind_of_config(
    kind: tuple[Any, str | None],
) -> None:
    make, expected_file = kind
    config = make(make_config(jitter={"min-factor": 2, "max-factor": 1}))

    with pytest.raises(ConfigurationError) as caught:
        create_rest_api(config)

    assert caught.value.key_path == "script-behavior.jitter"
    assert caught.value.config_file == expected_file


def test_a_loaded_config_is_not_validated_again_when_clients_are_built() -> None:
    # load_config validated it against the project's schema; a value that the packaged
    # schema would refuse (a project may allow more) is taken as it is.
    config = make_config()
    config["script-behavior"]["retry-strategy"]["max-retries"] = 0
    config["script-behavior"]["batch-handling"] = {"read-batch-size": 0}

    with create_rest_api(loaded(config)) as api:
        assert api.retry_policy.max_retries == 0
    with pytest.raises(ConfigurationError, match="batch-handling"):
        create_rest_api(config)


def test_factory_without_cache_builds_a_new_client_each_time() -> None:
    factory = ApiFactory()
    config = make_config()

    first, second = factory.create_rest_api(config), factory.create_rest_api(config)

    assert first is not second
    first.close()
    second.close()


def test_factory_with_cache_reuses_clients_per_config_and_closes_them() -> None:
    factory = ApiFactory(enable_cache=True)
    config, other = make_config(), make_config()

    first = factory.create_rest_api(config)
    assert factory.create_rest_api(config) is first
    assert factory.create_rest_api(other) is not first
    assert factory.create_rest_api(config, require_auth=False) is not first

    factory.close()
    assert factory.create_rest_api(config) is not first  # the cache was emptied
    factory.close()


def test_manager_shares_one_limiter_and_breaker_per_origin() -> None:
    with ApiManager(make_config()) as manager:
        authed = manager.get_rest_api()
        public = manager.get_rest_api(require_auth=False)

        assert manager.get_rest_api() is authed
        assert public is not authed
        assert public.rate_limiter is authed.rate_limiter is not None
        assert public.circuit_breaker is authed.circuit_breaker is not None
        assert authed.session_manager is public.session_manager is manager.session_manager
        same_origin = manager.limits_for("HTTP://127.0.0.1:9/soap?wsdl")
        assert same_origin == (authed.rate_limiter, authed.circuit_breaker)
        other_limiter, _ = manager.limits_for("https://example.com/soap?wsdl")
        assert other_limiter is not authed.rate_limiter


def test_manager_rejects_a_bad_config_before_any_client_is_made() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ApiManager(SourcedDict(without(make_config(), "script-behavior", "api-timeouts")))

    assert caught.value.key_path == "script-behavior.api-timeouts"


def test_manager_closes_clients_on_exit_even_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), ApiManager(make_config()) as manager:
        manager.get_rest_api()
        assert manager.open_clients == 1
        raise RuntimeError("boom")

    assert manager.open_clients == 0
    assert len(manager.session_manager) == 0
    with pytest.raises(RuntimeError, match="closed"):
        manager.get_rest_api()


def write_wsdl(root: Path) -> Path:
    (root / "wsdl").mkdir(parents=True, exist_ok=True)
    path = root / "wsdl" / "offline.wsdl"
    path.write_text(MINIMAL_WSDL, encoding="utf-8")
    return path


def test_soap_api_gets_soap_and_wsdl_timeouts_and_finds_wsdl_in_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    write_wsdl(tmp_path)
    monkeypatch.setenv("TXO_PROJECT_ROOT", str(tmp_path))

    with create_soap_api(make_config(), "offline.wsdl", cache=None) as api:
        assert api.operations() == ["Ping"]
        assert api.operation_timeout == 34
        assert api.transport.operation_timeout == 34
        assert api.transport.load_timeout == 56
        assert api.rules.rate_limiter is not None
        assert api.rules.retry_policy.max_retries == 2  # type: ignore[union-attr]
        assert api.rules.idempotent is False


def test_manager_gives_soap_clients_their_own_session_and_shared_limits(tmp_path: Path) -> None:
    wsdl = str(write_wsdl(tmp_path))
    config = make_config()
    config["global"]["api-base-url"] = "http://127.0.0.1:9/odata"

    with ApiManager(config) as manager:
        soap = manager.get_soap_api(wsdl, cache=None)
        rest = manager.get_rest_api()
        rest_session = manager.session_manager.get_session(BASE_URL)

        assert soap.session is not rest_session
        assert "Zeep" not in rest_session.headers["User-Agent"]
        assert manager.get_soap_api(wsdl, cache=None) is not soap  # options: not cached
        assert rest.rate_limiter is not soap.rules.rate_limiter  # local file: its own origin

    assert manager.open_clients == 0


def test_unknown_wsdl_name_is_a_helpful_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TXO_PROJECT_ROOT", raising=False)

    with pytest.raises(HelpfulError) as caught:
        resolve_wsdl("missing.wsdl")

    assert "wsdl/" in str(caught.value)


def test_wsdl_urls_are_used_as_given() -> None:
    assert resolve_wsdl("https://example.com/Service.svc?wsdl") == (
        "https://example.com/Service.svc?wsdl"
    )
