"""Every command of docs/production.md runs, in page order, in a freshly generated project
against the local demo server: the bash blocks as scripts, the Dockerfile's CMD, the CI
workflow's ``run:`` steps and the crontab line's command."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.template.conftest import copier_copy
from txo_runtime.testing._demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from txo_runtime.testing.server import build_demo_server

pytestmark = pytest.mark.slow

PAGE = Path(__file__).resolve().parents[2] / "docs" / "production.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
TIMEOUT = 180


def blocks(kind: str) -> list[str]:
    return [body for lang, body in FENCE.findall(PAGE.read_text()) if lang == kind]


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with build_demo_server() as api:
        yield api


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, server: Any) -> Path:
    """``$HOME`` holding ``acme-integrations``: generated, pointed at the demo server,
    with no secrets file and ``.venv/bin/python`` being this interpreter."""
    home = tmp_path_factory.mktemp("home")
    project = home / "acme-integrations"
    copier_copy(project, home, {"org_id": "acme"})
    config_file = project / "config" / "acme-test-config.json"
    config = json.loads(config_file.read_text())
    config["global"].update(
        {"api-base-url": server.odata_url, "oauth-token-url": server.token_url,
         "client-id": DEMO_CLIENT_ID},
    )  # fmt: skip
    config["odata"]["page-size"] = 50
    config_file.write_text(json.dumps(config, indent=2))
    for folder in (project / ".venv" / "bin", home / "bin"):
        folder.mkdir(parents=True)
        python = folder / "python"  # a symlink would lose this interpreter's venv
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
    return home


def shell(home: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TXO", "OTEL_"))}
    path = f"{home / 'bin'}{os.pathsep}{base.get('PATH', '')}"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=home / "acme-integrations",
        env={**base, "HOME": str(home), "PATH": path, **env},
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, (
        f"{script}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result


def reports(home: Path) -> list[dict[str, Any]]:
    logs = home / "acme-integrations" / "logs"
    return [json.loads(p.read_text()) for p in sorted(logs.glob("*.run.json"))]


def test_every_command_of_the_production_page_runs(home: Path, server: Any) -> None:
    project = home / "acme-integrations"
    assert not (project / "config" / "acme-test-config-secrets.json").exists()
    bash_blocks = blocks("bash")
    assert len(bash_blocks) >= 6
    for script in bash_blocks:
        shell(home, script)
        certificate = home / "app-cert.pem"
        if certificate.exists():  # uploaded to the app registration: the server knows it
            server.add_certificate_client(DEMO_CLIENT_ID, certificate.read_bytes())
    assert server.assertions_accepted == 1
    done = reports(home)
    assert len(done) == 4 and all(r["exit_code"] == 0 for r in done)
    assert all(r["odata"] == {"pages": 5, "rows": 250} for r in done)


def test_the_dockerfile_command_runs_with_secrets_as_variables(home: Path) -> None:
    (dockerfile,) = blocks("dockerfile")
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1))
    env_lines = re.findall(r"^ENV (\w+)=(\S+)$", dockerfile, re.MULTILINE)
    assert env_lines == [("TXO_PROJECT_ROOT", "/app")]  # the image's project folder
    before = len(reports(home))
    shell(home, " ".join(command), TXO_PROJECT_ROOT=str(home / "acme-integrations"),
          TXO__ACME__TEST__CLIENT_SECRET=DEMO_CLIENT_SECRET)  # fmt: skip
    assert len(reports(home)) == before + 1


def test_the_ci_workflow_steps_run_with_the_secret_from_the_ci_store(home: Path) -> None:
    (workflow,) = blocks("yaml")
    steps = yaml.safe_load(workflow)["jobs"]["fetch"]["steps"]
    generated_ci = (home / "acme-integrations" / ".github" / "workflows" / "ci.yml").read_text()
    for step in (s for s in steps if "run" in s):
        if "pip install" in step["run"]:
            # installing builds the runtime from its git pin; it is the generated CI's own
            # install line, which that CI runs
            assert step["run"] in generated_ci
            continue
        env = {
            key: DEMO_CLIENT_SECRET if "secrets." in str(value) else str(value)
            for key, value in step.get("env", {}).items()
        }
        shell(home, step["run"], **env)
    assert reports(home)[-1]["exit_code"] == 0


def test_the_crontab_line_runs_from_an_almost_empty_environment(home: Path) -> None:
    (crontab,) = blocks("crontab")
    fields = crontab.strip().split(None, 5)
    assert len(fields) == 6 and fields[:5] == ["0", "2", "*", "*", "*"]
    secrets = home / "run-secrets" / "acme-test.json"
    assert secrets.exists()  # written by the page's mounted-file block
    before = len(reports(home))
    result = subprocess.run(
        ["sh", "-c", fields[5]], env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(reports(home)) == before + 1
    cron_out = (home / "acme-integrations" / "logs" / "cron.out").read_text()
    assert DEMO_CLIENT_SECRET not in cron_out and not JWT.search(cron_out)


def test_no_secret_or_token_reaches_a_log_or_report(home: Path) -> None:
    logs = home / "acme-integrations" / "logs"
    for path in logs.iterdir():
        if path.is_file():
            text = path.read_text()
            assert DEMO_CLIENT_SECRET not in text and not JWT.search(text), path.name
    key_line = (home / "app-key.pem").read_text().splitlines()[1]
    assert all(key_line not in p.read_text() for p in logs.iterdir() if p.is_file())
    shutil.rmtree(home / "run-secrets")
