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


@pytest.mark.parametrize(
    "path",
    [
        ("script-behavior",),
        ("script-behavior", "rate-limiting"),
        ("script-behavior", "rate-limiting", "calls-per-second"),
        ("script-behavior", "circuit-breaker", "enabled"),
        ("script-behavior", "retry-strategy"),
        ("script-behavior", "jitter", "max-factor"),
        ("script-behavior", "api-timeouts", "soap-timeout-seconds"),
        ("global", "api-base-url"),
    ],
    ids=lambda path: ".".join(path),
)
def test_missing_required_key_names_the_key_path_and_the_file(path: tuple[str, ...]) -> None:
    config = SourcedDict(without(make_config(), *path))

    with pytest.raises(ConfigurationError) as caught:
        create_rest_api(config)

    key_path = ".".join(path)
    assert caught.value.key_path == key_path
    assert caught.value.config_file == CONFIG_FILE
    assert key_path in str(caught.value) and CONFIG_FILE in str(caught.value)


def test_plain_dict_without_a_file_still_names_the_key_path() -> None:
    with pytest.raises(ConfigurationError) as caught:
        create_rest_api(without(make_config(), "script-behavior", "circuit-breaker"))

    assert caught.value.key_path == "script-behavior.circuit-breaker"
    assert caught.value.config_file is None


def test_loaded_config_reports_its_own_missing_key_error() -> None:
    config = ConfigDict(
        without(make_config(), "script-behavior", "rate-limiting"), source_file=CONFIG_FILE
    )

    with pytest.raises(MissingConfigKeyError) as caught:
        ApiManager(config)

    assert "script-behavior.rate-limiting" in str(caught.value)
    assert CONFIG_FILE in str(caught.value)


@pytest.mark.parametrize(
    ("section", "value"),
    [
        ("rate-limiting", {"enabled": True, "calls-per-second": 0, "burst-size": 1}),
        ("circuit-breaker", {"enabled": True, "failure-threshold": 0, "timeout-seconds": 1}),
        ("jitter", {"min-factor": 2, "max-factor": 1}),
    ],
)
def test_invalid_values_are_configuration_errors_naming_the_section(
    section: str, value: dict[str, Any]
) -> None:
    config = SourcedDict(make_config(**{section: value}))

    with pytest.raises(ConfigurationError) as caught:
        create_rest_api(config)

    assert caught.value.key_path == f"script-behavior.{section}"


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
