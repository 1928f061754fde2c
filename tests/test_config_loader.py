"""Config loading: schema validation always on, secrets injected, helpful failures."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from project_factory import make_project, valid_config, write_json

from txo_runtime.config_loader import (
    ConfigDict,
    load_config,
    require,
    to_snake_key,
    validate_section,
)
from txo_runtime.exceptions import (
    ConfigurationError,
    HelpfulError,
    MissingConfigKeyError,
    render_user_message,
)

SECRET = "s3cr3t-Value-that-must-never-leak-7Q~xyz"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, secrets={"client-secret": SECRET, "az-token": "Bearer tok123456"})


def test_valid_config_loads_with_secrets_and_identity_injected(project: Path) -> None:
    config = load_config("acme", "test", root=project)
    assert isinstance(config, ConfigDict)
    assert config["global"]["api-base-url"] == "https://api.example.com/odata"
    assert config["_client_secret"] == SECRET
    assert config["_az_token"] == "Bearer tok123456"
    assert (config["_org_id"], config["_env_type"]) == ("acme", "test")


@pytest.mark.parametrize(
    ("key", "expected"),
    [("client-secret", "_client_secret"), ("az-token", "_az_token"), ("API Key", "_api_key")],
)
def test_secret_keys_become_underscore_snake_case(key: str, expected: str) -> None:
    assert to_snake_key(key) == expected


def test_missing_key_names_file_and_json_path(project: Path) -> None:
    config = load_config("acme", "test", root=project)
    with pytest.raises(MissingConfigKeyError) as info:
        config["global"]["api-url"]
    error = info.value
    assert error.key_path == "global.api-url"
    assert error.config_file == "config/acme-test-config.json"
    assert "config/acme-test-config.json" in str(error.message)
    assert error.how_to_fix and "schema" in error.how_to_fix


def test_v21_except_key_error_default_still_works(project: Path) -> None:
    config = load_config("acme", "test", root=project)
    try:
        delay = config["script-behavior"]["no-such-delay"]
    except KeyError:
        delay = 1
    assert delay == 1


def test_missing_config_file_is_helpful_and_names_the_file(project: Path) -> None:
    with pytest.raises(HelpfulError) as info:
        load_config("acme", "prod", root=project)
    text = str(info.value)
    assert "acme-prod-config.json" in text
    assert "Solution:" in text and "Example:" in text


def test_invalid_json_reports_line_and_column(project: Path) -> None:
    path = project / "config" / "acme-test-config.json"
    # A missing comma: every Python version reports the same place (a trailing comma is
    # reported at the comma by 3.13 and at the next token by older versions).
    path.write_text('{\n  "global": {\n    "api-base-url": "x"\n    "client-id": "y"\n  }\n}\n')
    with pytest.raises(ConfigurationError) as info:
        load_config("acme", "test", root=project)
    assert "acme-test-config.json" in info.value.message
    assert "line 4, column 5" in info.value.message


def test_schema_violation_reports_json_path_and_rule(project: Path) -> None:
    config = valid_config()
    config["script-behavior"]["rate-limiting"]["calls-per-second"] = "fast"
    write_json(project / "config" / "acme-test-config.json", config)
    with pytest.raises(ConfigurationError) as info:
        load_config("acme", "test", root=project)
    message = info.value.message
    assert "$.script-behavior.rate-limiting.calls-per-second" in message
    assert "schema rule type" in message
    assert "acme-test-config.json" in message
    assert info.value.how_to_fix and "schemas/org-env-config-schema.json" in info.value.how_to_fix


def test_missing_required_section_fails_validation(project: Path) -> None:
    config = valid_config()
    del config["script-behavior"]["circuit-breaker"]
    write_json(project / "config" / "acme-test-config.json", config)
    with pytest.raises(ConfigurationError, match="circuit-breaker"):
        load_config("acme", "test", root=project)


def test_validation_cannot_be_switched_off(project: Path) -> None:
    assert "validate" not in load_config.__code__.co_varnames


def test_missing_schema_is_helpful(project: Path) -> None:
    (project / "schemas" / "org-env-config-schema.json").unlink()
    with pytest.raises(HelpfulError, match="org-env-config-schema.json"):
        load_config("acme", "test", root=project)


def test_missing_secrets_file_is_allowed_until_a_secret_is_needed(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    config = load_config("acme", "test", root=project)
    with pytest.raises(MissingConfigKeyError) as info:
        config["_client_secret"]
    assert "client-secret" in str(info.value.how_to_fix)


def test_invalid_secrets_json_never_shows_the_secret(project: Path) -> None:
    secrets = project / "config" / "acme-test-config-secrets.json"
    secrets.write_text('{"client-secret": "' + SECRET + '",,}')
    with pytest.raises(ConfigurationError) as info:
        load_config("acme", "test", root=project)
    rendered = str(info.value) + repr(info.value) + str(info.value.how_to_fix)
    assert "secrets" in rendered
    assert SECRET not in rendered


def test_repr_of_config_masks_secrets(project: Path) -> None:
    config = load_config("acme", "test", root=project)
    assert SECRET not in repr(config) and SECRET not in str(config)
    assert "acme" in repr(config)


def test_injected_secrets_are_registered_for_log_redaction(project: Path, caplog) -> None:
    from txo_runtime.logger import RedactingFormatter

    load_config("acme", "test", root=project)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, f"value={SECRET}", None, None)
    assert SECRET not in RedactingFormatter("%(message)s").format(record)


@pytest.mark.parametrize(("org", "env"), [("../x", "test"), ("acme", ""), ("ACME!", "test")])
def test_invalid_org_or_env_is_refused(project: Path, org: str, env: str) -> None:
    with pytest.raises(HelpfulError):
        load_config(org, env, root=project)


def test_config_dict_is_json_serialisable_and_requires_paths(project: Path) -> None:
    config = load_config("acme", "test", root=project)
    assert json.loads(json.dumps(config))["global"]["client-id"] == "public-client-id"
    assert config.require("global", "client-id") == "public-client-id"
    with pytest.raises(MissingConfigKeyError, match="global.nope"):
        config.require("global", "nope")


def test_numeric_secret_values_are_registered_for_redaction(tmp_path: Path) -> None:
    from txo_runtime.logger import redact

    project = make_project(
        tmp_path, secrets={"api-pin": 73914582, "nested": {"key": "n3st3d-Secret-9"}}
    )
    load_config("acme", "test", root=project)
    assert "73914582" not in redact("pin is 73914582 today")
    assert "n3st3d-Secret-9" not in redact("nested n3st3d-Secret-9")


# --- one key-path walker, one missing-key error ---------------------------------------------

NESTED = {"global": {"api-base-url": "https://x"}, "script-behavior": {"jitter": {"min": 1}}}


SOURCE = "config/acme-test-config.json"


def sourced(config: dict) -> ConfigDict:
    return ConfigDict(config, source_file=SOURCE)


def subscript(config: dict, *path: str) -> object:
    node: object = sourced(config)
    for key in path:
        node = node[key]  # type: ignore[index]
    return node


# Every way a script reads a required key, and the file the error then names.
WALKERS = {
    "require-on-plain-dict": (require, None),
    "require-on-config-dict": (lambda c, *p: require(sourced(c), *p), SOURCE),
    "config-dict-require": (lambda c, *p: sourced(c).require(*p), SOURCE),
    "config-dict-subscript": (subscript, SOURCE),
}


@pytest.mark.parametrize("walk", WALKERS.values(), ids=WALKERS.keys())
@pytest.mark.parametrize(
    ("path", "missing"),
    [
        (("nope",), "nope"),
        (("global", "client-id"), "global.client-id"),
        (("script-behavior", "jitter", "max"), "script-behavior.jitter.max"),
        (("script-behavior", "retry-strategy", "max-retries"), "script-behavior.retry-strategy"),
    ],
)
def test_a_missing_key_is_the_same_key_error_on_every_kind_of_config(
    walk: tuple, path: tuple[str, ...], missing: str
) -> None:
    read, expected_file = walk

    with pytest.raises(MissingConfigKeyError) as caught:
        read(NESTED, *path)

    error = caught.value
    assert isinstance(error, KeyError) and isinstance(error, ConfigurationError)
    assert error.key_path == missing
    assert error.config_file == expected_file
    assert f"'{missing}' is missing in {expected_file or 'the config'}" in error.message
    assert error.how_to_fix and "schemas/org-env-config-schema.json" in error.how_to_fix
    assert error.example and json.loads(error.example)  # a pasteable JSON snippet


@pytest.mark.parametrize("walk", WALKERS.values(), ids=WALKERS.keys())
def test_the_walker_returns_present_values_unchanged(walk: tuple) -> None:
    read, _ = walk
    assert read(NESTED, "script-behavior", "jitter", "min") == 1


def test_a_value_on_the_path_that_is_not_an_object_is_named_without_its_value() -> None:
    with pytest.raises(ConfigurationError) as caught:
        require({"global": "s3cr3t-looking-value"}, "global", "api-base-url")

    assert caught.value.key_path == "global"
    assert "must be an object, not str" in caught.value.message
    assert "s3cr3t-looking-value" not in str(caught.value)


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("_org_id", "load_config(org_id, env_type)"),
        ("_env_type", "load_config(org_id, env_type)"),
        ("_args", "extra_args"),
        ("_token", "require_token=True"),
        ("_client_secret", '"client-secret"'),
    ],
)
def test_missing_injected_keys_say_what_injects_them(key: str, hint: str) -> None:
    for config in ({}, sourced({})):
        with pytest.raises(MissingConfigKeyError) as caught:
            require(config, key)
        assert hint in str(caught.value.how_to_fix)
        assert caught.value.key_path == key


def test_a_missing_required_key_at_load_time_is_a_key_error_too(project: Path) -> None:
    config = valid_config()
    del config["script-behavior"]["jitter"]
    config["script-behavior"]["rate-limiting"]["burst-size"] = 0
    write_json(project / "config" / "acme-test-config.json", config)

    with pytest.raises(MissingConfigKeyError) as caught:
        load_config("acme", "test", root=project)

    assert isinstance(caught.value, KeyError)
    assert caught.value.key_path == "script-behavior.jitter"
    assert caught.value.config_file == "config/acme-test-config.json"
    # The other problems of the same check are listed too, by JSON path.
    assert "$.script-behavior.rate-limiting.burst-size" in caught.value.message


def test_a_wrong_value_at_load_time_names_the_first_path(project: Path) -> None:
    config = valid_config()
    config["script-behavior"]["api-timeouts"]["rest-timeout-seconds"] = "60"
    write_json(project / "config" / "acme-test-config.json", config)

    with pytest.raises(ConfigurationError) as caught:
        load_config("acme", "test", root=project)

    assert not isinstance(caught.value, KeyError)
    assert caught.value.key_path == "script-behavior.api-timeouts.rest-timeout-seconds"


def test_a_loaded_config_records_the_schema_it_was_checked_against(project: Path) -> None:
    config = load_config("acme", "test", root=project)
    assert config.schema_file == "schemas/org-env-config-schema.json"
    assert ConfigDict({}).schema_file is None


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_as_not_json(project: Path, constant: str) -> None:
    path = project / "config" / "acme-test-config.json"
    text = json.dumps(valid_config()).replace(
        '"calls-per-second": 10', f'"calls-per-second": {constant}'
    )
    path.write_text(text)

    with pytest.raises(ConfigurationError, match=f"holds {constant}, which is not a JSON number"):
        load_config("acme", "test", root=project)


def test_validate_section_checks_a_plain_dict_against_the_packaged_schema() -> None:
    config = valid_config()
    validate_section(config, "script-behavior")  # a valid section passes
    config["script-behavior"]["batch-handling"]["read-batch-size"] = 0

    with pytest.raises(ConfigurationError) as caught:
        validate_section(config, "script-behavior")

    assert caught.value.key_path == "script-behavior.batch-handling.read-batch-size"
    assert "'script-behavior' of the config does not match its schema" in caught.value.message


# --------------------------------------------------------------------------- hardening
@pytest.mark.parametrize("typo", ["scrpit-behavior", "Global", "odata-paging"])
def test_an_unknown_top_level_key_fails_the_load_naming_it(project: Path, typo: str) -> None:
    config = valid_config()
    config[typo] = {"x": 1}
    write_json(project / "config" / "acme-test-config.json", config)
    with pytest.raises(ConfigurationError) as caught:
        load_config("acme", "test", root=project)
    assert typo in str(caught.value)


@pytest.mark.parametrize(
    ("section", "key"),
    [(None, "password"), ("global", "client-secret"), ("global", "api-key"), (None, "sapToken")],
)
def test_a_secret_looking_key_in_the_main_config_points_to_the_secrets_file(
    project: Path, section: str | None, key: str
) -> None:
    config = valid_config()
    (config[section] if section else config)[key] = SECRET
    write_json(project / "config" / "acme-test-config.json", config)
    with pytest.raises(ConfigurationError) as caught:
        load_config("acme", "test", root=project)
    error = caught.value
    text = render_user_message(error)
    assert "looks like a secret" in text and "config/acme-test-config-secrets.json" in text
    assert error.key_path == (f"{section}.{key}" if section else key)
    assert SECRET not in text + repr(error)


def test_a_huge_wrong_typed_value_is_quoted_cut_with_its_length(project: Path) -> None:
    config = valid_config()
    config["script-behavior"]["api-delay-seconds"] = "x" * 5_000_000
    write_json(project / "config" / "acme-test-config.json", config)
    with pytest.raises(ConfigurationError) as caught:
        load_config("acme", "test", root=project)
    text = render_user_message(caught.value)
    assert len(text) < 3_000
    assert "(5,000,002 characters)" in text  # the quoted repr: the value and its quotes


def test_every_error_message_is_bounded_whatever_it_quotes() -> None:
    error = HelpfulError("bad value " + "y" * 1_000_000, "fix it")
    assert len(error.message) < 11_000 and "characters)" in error.message


def test_a_config_with_a_utf8_byte_order_mark_loads(project: Path) -> None:
    path = project / "config" / "acme-test-config.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # what Windows Notepad writes
    assert load_config("acme", "test", root=project)["global"]["api-base-url"]


def test_invalid_secrets_json_shows_a_secrets_file_example(project: Path) -> None:
    (project / "config" / "acme-test-config-secrets.json").write_text('{"client-secret": "x",}')
    with pytest.raises(ConfigurationError) as caught:
        load_config("acme", "test", root=project)
    assert "acme-test-config-secrets.json" in str(caught.value)
    assert "client-secret" in (caught.value.example or "")
    assert "api-base-url" not in (caught.value.example or "")


def test_a_secret_missing_because_there_is_no_secrets_file_names_the_real_file(
    tmp_path: Path,
) -> None:
    config = load_config("acme", "test", root=make_project(tmp_path))
    with pytest.raises(MissingConfigKeyError) as caught:
        config["_client_secret"]
    text = render_user_message(caught.value)
    assert "config/acme-test-config-secrets.json" in text
    assert "{org}" not in text and "<org>" not in text


def test_the_short_secret_warning_is_logged_once_per_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_project(tmp_path, secrets={"pin": "1234"})
    with caplog.at_level(logging.WARNING):
        load_config("acme", "test", root=root)
    assert len([r for r in caplog.records if "shorter than" in r.getMessage()]) == 1


def test_a_misspelt_key_is_named_with_the_declared_key_it_resembles(project: Path) -> None:
    config = valid_config()
    config["scrpit-behavior"] = config.pop("script-behavior")
    config["global"]["api-base-ulr"] = "https://api.example.com"
    write_json(project / "config" / "acme-test-config.json", config)
    with pytest.raises(ConfigurationError) as caught:
        load_config("acme", "test", root=project)
    text = str(caught.value)
    assert "'scrpit-behavior' (did you mean 'script-behavior'?)" in text
    assert "'api-base-ulr' (did you mean 'api-base-url'?)" in text
