"""Scripts as Prefect flow runs, under Prefect's own test harness (a temporary local Prefect
server and database; nothing to install) against the local API server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from txo_runtime.prefect_flows import (
    deployment_specs,
    failure_message,
    run_script_flow,
    secret_variable,
)
from txo_runtime.testing import LocalApiServer
from txo_runtime.testing.pytest_plugin import create_project, demo_test_config

pytest.importorskip("prefect", reason="the prefect extra is not installed")

SCRIPT = """
import os
from pathlib import Path

from txo_runtime.api_factory import create_rest_api
from txo_runtime.exceptions import HelpfulError
from txo_runtime.script_runner import ArgumentDefinition, parse_args_and_load_config, run


def main():
    config = parse_args_and_load_config(
        "Ping the API", extra_args=[ArgumentDefinition("mode", default="ok")]
    )
    mode = config["_args"]["mode"]
    if mode == "interrupt":
        raise KeyboardInterrupt
    if mode == "fail":
        raise HelpfulError("The API said no", "Ask it nicely", "ping demo test --mode ok")
    if mode == "secret" and os.environ.get("TXO__DEMO__TEST__API_PASSWORD") != "blk-s3cret-77":
        raise HelpfulError("No secret from the block", "Map the block", "secret_blocks=...")
    with create_rest_api(config, require_auth=False) as api:
        api.get("items")


if __name__ == "__main__":
    raise SystemExit(run(main))
"""


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no network here
        with prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def project(tmp_path: Path, txo_api_server: LocalApiServer) -> Path:
    root = create_project(tmp_path / "project")
    config = demo_test_config(f"{txo_api_server.url}/api")
    (root / "config" / "demo-test-config.json").write_text(json.dumps(config), encoding="utf-8")
    (root / "src").mkdir()
    (root / "src" / "__init__.py").write_text("")
    (root / "src" / "ping.py").write_text(SCRIPT)
    return root


def test_exit_code_0_completes_the_flow_run_and_the_script_reached_the_api(
    harness: None, project: Path, txo_api_server: LocalApiServer
) -> None:
    state = run_script_flow("ping", "demo", "test", project_root=project)
    assert state.is_completed(), state.message
    assert txo_api_server.hits("/api/items") == 1


def test_exit_code_1_fails_the_flow_run_with_the_scripts_error_text(
    harness: None, project: Path
) -> None:
    state = run_script_flow("ping", "demo", "test", "--mode", "fail", project_root=project)
    assert state.is_failed()
    assert "The API said no" in state.message and "Ask it nicely" in state.message


def test_exit_code_130_cancels_the_flow_run(harness: None, project: Path) -> None:
    state = run_script_flow("ping", "demo", "test", "--mode", "interrupt", project_root=project)
    assert state.is_cancelled(), (state.type, state.message)


def test_a_prefect_secret_block_reaches_the_script_as_its_txo_variable(
    harness: None, project: Path
) -> None:
    from prefect.blocks.system import Secret

    Secret(value="blk-s3cret-77").save("demo-test-api-password", overwrite=True)
    blocks = {"api-password": "demo-test-api-password"}
    state = run_script_flow(
        "ping", "demo", "test", "--mode", "secret", secret_blocks=blocks, project_root=project
    )
    assert state.is_completed(), state.message


def test_the_run_report_is_attached_to_the_flow_run_as_an_artifact(
    harness: None, project: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    state = run_script_flow("ping", "demo", "test", project_root=project)
    assert state.is_completed(), state.message
    flow_run = ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
    key = ArtifactFilterKey(any_=["txo-run-demo-test-ping"])
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=key, flow_run_id=flow_run))
    assert len(found) == 1  # this run's own report, not an earlier run's
    text = str(found[0].data)
    assert '"script": "ping"' in text and '"exit_code": 0,' in text
    assert '"calls": 1,' in text  # the one GET the script made


def test_a_script_name_that_is_not_a_module_is_refused_before_anything_runs(
    project: Path,
) -> None:
    from txo_runtime.exceptions import HelpfulError
    from txo_runtime.prefect_flows import run_script

    with pytest.raises(HelpfulError):
        run_script("ping; rm -rf /", "demo", "test", project_root=project)


def test_secret_variables_follow_the_txo_naming() -> None:
    assert secret_variable("acme", "prod", "client-secret") == "TXO__ACME__PROD__CLIENT_SECRET"


def test_failure_message_is_the_three_part_text_not_the_log_noise() -> None:
    stderr = "INFO started\nERROR \nProblem: x failed\n\nSolution: fix x\n\nExample:\n  y\n"
    assert failure_message(stderr) == "Problem: x failed\n\nSolution: fix x\n\nExample:\n  y"


def test_one_deployment_per_script_and_environment_with_the_schedule_of_the_file() -> None:
    specs = deployment_specs({"fetch_customers": {"test": None, "prod": "0 6 * * *"}}, "acme")
    assert [(s["name"], s["schedules"]) for s in specs] == [
        ("fetch-customers-test", []),
        ("fetch-customers-prod", [{"cron": "0 6 * * *", "timezone": "UTC"}]),
    ]
    assert specs[1]["parameters"] == {
        "script": "fetch_customers", "org_id": "acme", "env_type": "prod"
    }  # fmt: skip


def test_importing_the_prefect_integration_imports_no_prefect() -> None:
    probe = "import sys, txo_runtime.prefect_flows; print('prefect' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
