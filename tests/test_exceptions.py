"""The exception hierarchy of seed 003 and the three-part user message."""

from __future__ import annotations

import pickle

import pytest

from txo_runtime.exceptions import (
    ApiAuthenticationError,
    ApiError,
    ApiOperationError,
    ApiRateLimitError,
    ApiTimeoutError,
    ApiValidationError,
    CircuitBreakerOpenError,
    ConfigurationError,
    EntityNotFoundError,
    ErrorContext,
    FileOperationError,
    HelpfulError,
    MissingConfigKeyError,
    TxoBaseError,
    ValidationError,
    render_user_message,
)


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (ApiError, TxoBaseError),
        (ApiOperationError, ApiError),
        (CircuitBreakerOpenError, ApiOperationError),
        (ApiTimeoutError, ApiError),
        (ApiAuthenticationError, ApiError),
        (ApiRateLimitError, ApiError),
        (ApiValidationError, ApiError),
        (EntityNotFoundError, ApiError),
        (ConfigurationError, TxoBaseError),
        (MissingConfigKeyError, ConfigurationError),
        (MissingConfigKeyError, KeyError),
        (ValidationError, TxoBaseError),
        (FileOperationError, TxoBaseError),
        (HelpfulError, TxoBaseError),
    ],
)
def test_hierarchy_matches_seed_003(cls: type, parent: type) -> None:
    assert issubclass(cls, parent)


def test_helpful_error_str_is_the_three_part_message() -> None:
    error = HelpfulError("Config 'x.json' not found", "Create it", "cp a.json x.json")
    text = str(error)
    assert text.splitlines()[0] == "Problem: Config 'x.json' not found"
    assert "Solution: Create it" in text
    assert text.endswith("Example:\ncp a.json x.json")


def test_helpful_error_without_example_has_two_parts() -> None:
    text = str(HelpfulError("Broken", "Fix it"))
    assert "Example" not in text
    assert "Solution: Fix it" in text


def test_every_error_carries_an_optional_context() -> None:
    context = ErrorContext(operation="GET", resource="/customers", details={"attempts": 3})
    error = ApiOperationError("failed", context=context, status_code=503, attempts=3)
    assert error.context is context
    assert context.describe() == "operation=GET resource=/customers attempts=3"
    assert ConfigurationError("x").context is None


def test_api_errors_keep_their_specific_fields() -> None:
    assert ApiRateLimitError("slow down", retry_after=60).retry_after == 60
    assert ApiTimeoutError("late", timeout_seconds=30).timeout_seconds == 30
    missing = EntityNotFoundError("Customer", entity_id="12345")
    assert (missing.entity_type, missing.entity_id) == ("Customer", "12345")
    assert str(missing) == "Customer '12345' not found"


def test_missing_config_key_error_str_is_the_message_not_a_repr() -> None:
    error = MissingConfigKeyError("Required configuration 'global.x' is missing")
    assert str(error) == "Required configuration 'global.x' is missing"
    with pytest.raises(KeyError):
        raise error


def test_missing_config_key_error_for_a_key_path_says_where_and_how_to_add_it() -> None:
    error = MissingConfigKeyError.for_key("global.api-base-url", config_file="config/a-b.json")

    assert (error.key_path, error.config_file) == ("global.api-base-url", "config/a-b.json")
    assert (
        str(error) == "Required configuration 'global.api-base-url' is missing in config/a-b.json"
    )
    assert error.how_to_fix and "Add 'global.api-base-url' to config/a-b.json" in error.how_to_fix
    assert error.example == '{\n  "global": {\n    "api-base-url": "<value>"\n  }\n}'


def test_missing_config_key_error_without_a_file_says_the_config_and_appends_details() -> None:
    error = MissingConfigKeyError.for_key("a.b", details="  at $.a: more problems")

    assert error.config_file is None
    assert (
        error.message
        == "Required configuration 'a.b' is missing in the config\n  at $.a: more problems"
    )


def test_render_user_message_includes_fix_for_any_txo_error() -> None:
    error = ConfigurationError("bad", how_to_fix="do this", example="like that")
    assert render_user_message(error) == "Problem: bad\n\nSolution: do this\n\nExample:\nlike that"
    assert render_user_message(ValueError("plain")) == "Problem: plain"


@pytest.mark.parametrize(
    "error",
    [
        HelpfulError("a", "b", "c"),
        ApiRateLimitError("r", retry_after=5, status_code=429),
        EntityNotFoundError("Customer", entity_id=1),
        MissingConfigKeyError("m", config_file="f.json", key_path="a.b"),
        MissingConfigKeyError.for_key("global.api-base-url", config_file="config/a-b.json"),
    ],
)
def test_errors_survive_pickling_for_process_pools(error: TxoBaseError) -> None:
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)
    assert clone.__dict__ == error.__dict__
