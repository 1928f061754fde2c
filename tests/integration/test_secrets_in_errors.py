"""A registered secret never reaches an exception's text, repr, attributes or traceback,
whatever the query parameter that carried it is called, and never a saved file."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from project_factory import make_project

from txo_runtime.api_common import RetryPolicy
from txo_runtime.config_loader import load_config
from txo_runtime.exceptions import ApiError
from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.logger import register_secret
from txo_runtime.path_helpers import Dir
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer

SECRET = "Zq7-unusual-secret-value-4711"


def everything_said_about(error: BaseException) -> str:
    """Every text a script could print or save about an error."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    parts += [repr(value) for value in vars(error).values()]
    context = getattr(error, "context", None)
    if context is not None:
        parts.append(context.describe())
    return "\n".join(parts)


@pytest.mark.parametrize("status", [404, 500, 401, 429])
def test_a_secret_in_an_unknown_query_parameter_is_redacted_in_status_errors(
    txo_api_server: LocalApiServer, status: int
) -> None:
    register_secret(SECRET)
    txo_api_server.add_fault("/api/things", status=status)
    with (
        MinimalRestAPI(base_url=txo_api_server.url, retry_policy=RetryPolicy(max_retries=0)) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.get("/api/things", params={"q": SECRET, "filter2": f"x{SECRET}y"})
    assert SECRET not in everything_said_about(caught.value)
    assert caught.value.url is not None and "/api/things" in caught.value.url


def test_a_secret_in_the_url_of_a_failed_connection_is_redacted_in_the_error() -> None:
    register_secret(SECRET)
    no_retry = RetryPolicy(max_retries=0)
    with (
        MinimalRestAPI(base_url="http://127.0.0.1:9", retry_policy=no_retry) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.get(f"/x/{SECRET}", params={"anything": SECRET})
    assert SECRET not in everything_said_about(caught.value)


def test_saving_a_loaded_config_leaves_out_its_injected_secrets(tmp_path: Path) -> None:
    root = make_project(tmp_path, secrets={"client-secret": SECRET, "az-token": "tok-123456789"})
    config = load_config("acme", "test", root=root)
    path = TxoDataHandler(root).save(config, Dir.OUTPUT, "config-copy.json")
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and "tok-123456789" not in text
    assert '"_client_secret"' not in text and '"api-base-url"' in text
    assert '"_org_id": "acme"' in text


@pytest.mark.parametrize("wrap", [lambda c: {"config": c, "rows": [1, 2]}, lambda c: [c]])
def test_a_loaded_config_inside_the_saved_data_loses_its_secrets_too(
    tmp_path: Path, wrap: object
) -> None:
    root = make_project(tmp_path, secrets={"client-secret": SECRET})
    config = load_config("acme", "test", root=root)
    path = TxoDataHandler(root).save(wrap(config), Dir.OUTPUT, "run.json")  # type: ignore[operator]
    assert SECRET not in path.read_text(encoding="utf-8")
