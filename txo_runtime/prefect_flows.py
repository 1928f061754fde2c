"""Run a project's scripts as Prefect flow runs (extra ``prefect``): orchestration belongs to
an existing engine, not to cron on one laptop.

A flow run starts ``python -m src.<script> <org_id> <env_type> [args]`` in the project, as a
person would, and maps its exit code to the flow run's state: 0 -> Completed, 1 -> Failed
(the message is the script's three-part error text), 130 -> Cancelled. A child process, not
an import, so every run has its own logging set-up, secrets and exit code, exactly as on the
command line. The newest run report (``logs/<org>-<env>-<script>_*.run.json``) written
during the run is attached as a Markdown artifact. Secrets reach the child as
``TXO__<ORG>__<ENV>__<KEY>`` environment variables: those already set are passed on, and
Prefect Secret blocks can be mapped to keys (``secret_blocks={"client-secret": "block"}``).

Deployments come from one schedules file (``schedules.json``: script -> environment -> cron
or null) for ``prefect.yaml`` and for ``serve``. Nothing from Prefect is imported until a
flow is built or run: ``import txo_runtime.prefect_flows`` stays light.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_runtime.extras import import_lazily
from txo_runtime.path_helpers import find_project_root

__all__ = [
    "FLOW_NAME",
    "ScriptRun",
    "deployment_specs",
    "failure_message",
    "load_schedules",
    "newest_run_report",
    "run_script",
    "run_script_flow",
    "script_flow",
    "secret_variable",
    "state_for",
]

FLOW_NAME = "txo-script"
EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 130
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_SCRIPT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PURPOSE = "running scripts as Prefect flows"


@dataclass(frozen=True)
class ScriptRun:
    """What one run of a script left: exit code, its error text, output, run report."""

    script: str
    org_id: str
    env_type: str
    exit_code: int
    message: str
    output: str
    report: Path | None = None


def _checked(script: str, org_id: str, env_type: str) -> None:
    if _SCRIPT.match(script) and _NAME.match(org_id) and _NAME.match(env_type):
        return
    raise HelpfulError(
        what_went_wrong=f"Cannot run script {script!r} for org {org_id!r}, env {env_type!r}",
        how_to_fix="Give the module name of a script in src/ (letters, digits, '_') and the "
        "org id and environment as in the config file names",
        example='run_script_flow("fetch_customers", "acme", "test")',
    )


def secret_variable(org_id: str, env_type: str, key: str) -> str:
    """``TXO__<ORG>__<ENV>__<KEY>`` (``client-secret`` -> ``TXO__ACME__PROD__CLIENT_SECRET``):
    the variable the runtime reads a secret from, named by the runtime's own rule."""
    from txo_runtime.config_loader import env_variable_for

    return env_variable_for(org_id, env_type, key)


def failure_message(stderr: str) -> str:
    """The script's three-part error text (from its ``Problem:`` line on), else the last
    lines of its error output: the message a failed flow run shows."""
    lines = stderr.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if "Problem:" in line]
    if starts:
        return "\n".join(lines[starts[-1] :]).strip()
    return "\n".join(lines[-10:]).strip() or "The script failed without an error message"


def newest_run_report(
    root: Path, org_id: str, env_type: str, script: str, *, since: float = 0.0
) -> Path | None:
    """The newest ``logs/<org>-<env>-<script>_*.run.json`` written at or after ``since``."""
    pattern = f"{org_id}-{env_type}-{script}_*.run.json"
    reports = [p for p in (root / "logs").glob(pattern) if p.stat().st_mtime >= since - 1.0]
    return max(reports, key=lambda p: p.stat().st_mtime, default=None)


def run_script(
    script: str,
    org_id: str,
    env_type: str,
    args: Sequence[str] = (),
    *,
    project_root: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> ScriptRun:
    """Run ``python -m src.<script> <org_id> <env_type> *args`` in the project (no Prefect).

    ``env`` adds variables (secrets) to this process's environment for the child only.
    """
    _checked(script, org_id, env_type)
    root = find_project_root(project_root)
    child_env = {**os.environ, **(env or {}), "TXO_PROJECT_ROOT": str(root)}
    command = [sys.executable, "-m", f"src.{script}", org_id, env_type, *args]
    started = time.time()
    done = subprocess.run(
        command, cwd=root, env=child_env, capture_output=True, text=True, timeout=timeout
    )
    code = done.returncode if done.returncode >= 0 else EXIT_INTERRUPTED  # killed by a signal
    message = "" if code == EXIT_OK else failure_message(done.stderr)
    report = newest_run_report(root, org_id, env_type, script, since=started)
    output = done.stdout + done.stderr
    return ScriptRun(script, org_id, env_type, code, message, output, report)


def state_for(run: ScriptRun) -> Any:
    """The Prefect state of a finished run: Completed (0), Cancelled (130), else Failed."""
    states = import_lazily("prefect.states", purpose=_PURPOSE)
    what = f"{run.script} {run.org_id} {run.env_type}"
    if run.exit_code == EXIT_OK:
        return states.Completed(message=f"{what}: done")
    if run.exit_code == EXIT_INTERRUPTED:
        return states.Cancelled(message=f"{what}: interrupted (exit code 130)")
    return states.Failed(message=run.message or f"{what}: exit code {run.exit_code}")


def _secret_blocks_env(org_id: str, env_type: str, blocks: Mapping[str, str]) -> dict[str, str]:
    """Each Prefect Secret block's value under the variable of its secrets-file key."""
    if not blocks:
        return {}
    system = import_lazily("prefect.blocks.system", purpose=_PURPOSE)
    return {
        secret_variable(org_id, env_type, key): str(system.Secret.load(block).get())
        for key, block in blocks.items()
    }


def _attach_report(run: ScriptRun) -> None:
    if run.report is None:
        return
    artifacts = import_lazily("prefect.artifacts", purpose=_PURPOSE)
    text = run.report.read_text(encoding="utf-8")
    key = re.sub(r"[^a-z0-9-]+", "-", f"txo-run-{run.org_id}-{run.env_type}-{run.script}".lower())
    artifacts.create_markdown_artifact(
        markdown=f"Run report `{run.report.name}`\n\n```json\n{text}\n```",
        key=key,
        description=f"txo run report of {run.script} ({run.org_id}/{run.env_type})",
    )


def _flow_body(
    script: str,
    org_id: str,
    env_type: str,
    args: list[str] | None = None,
    secret_blocks: dict[str, str] | None = None,
    project_root: str | None = None,
) -> Any:
    """One script run as a flow run (the function the flow wraps)."""
    prefect = import_lazily("prefect", purpose=_PURPOSE)
    log = prefect.get_run_logger()
    env = _secret_blocks_env(org_id, env_type, secret_blocks or {})
    root = Path(project_root) if project_root else None
    run = run_script(script, org_id, env_type, args or [], project_root=root, env=env)
    for line in run.output.splitlines():
        log.info("%s", line)
    _attach_report(run)
    return state_for(run)


def script_flow(name: str = FLOW_NAME) -> Any:
    """The Prefect flow that runs one script; build it once at module level where a
    deployment's entry point needs it (``txo_script = script_flow()`` in ``flows.py``)."""
    prefect = import_lazily("prefect", purpose=_PURPOSE)
    return prefect.flow(
        _flow_body, name=name, flow_run_name="{script}-{org_id}-{env_type}", log_prints=False
    )


def run_script_flow(
    script: str,
    org_id: str,
    env_type: str,
    *args: str,
    secret_blocks: Mapping[str, str] | None = None,
    project_root: Path | None = None,
) -> Any:
    """Run ``src.<script>`` for ``org_id``/``env_type`` as a flow run now; its final state
    (``state.is_completed()``, ``is_failed()``, ``is_cancelled()``, ``state.message``)."""
    flow = script_flow()
    return flow(
        script,
        org_id,
        env_type,
        list(args),
        dict(secret_blocks or {}),
        str(project_root) if project_root else None,
        return_state=True,
    )


def load_schedules(path: Path) -> dict[str, dict[str, str | None]]:
    """``schedules.json``: ``{"<script>": {"<env>": "<cron>" | null}}`` (null: no schedule,
    the deployment runs on demand). The one file both deployment routes read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise HelpfulError(
            what_went_wrong=f"Cannot read the schedules file {path}: {error}",
            how_to_fix="Keep one JSON object: script -> environment -> cron text or null",
            example='{"fetch_customers": {"test": null, "prod": "0 6 * * *"}}',
        ) from None
    return {str(script): dict(envs) for script, envs in data.items() if script != "$comment"}


def deployment_specs(
    schedules: Mapping[str, Mapping[str, str | None]], org_id: str, *, timezone: str = "UTC"
) -> list[dict[str, Any]]:
    """One deployment per script and environment, in the ``prefect.yaml`` form."""
    specs = []
    for script, envs in schedules.items():
        for env_type, cron in envs.items():
            spec: dict[str, Any] = {
                "name": f"{script}-{env_type}".replace("_", "-"),
                "entrypoint": "flows.py:txo_script",
                "parameters": {"script": script, "org_id": org_id, "env_type": env_type},
                "schedules": [{"cron": cron, "timezone": timezone}] if cron else [],
            }
            specs.append(spec)
    return specs
