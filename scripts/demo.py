"""End-to-end demo (``make demo``): generate a customer project and run its starter script.

1. ``copier copy`` this checkout into ``build/demo/`` (HEAD of the checkout; copier also
   includes uncommitted changes of a local checkout, so a developer sees their own work).
2. Start ``python -m txo_runtime.testing.server --demo`` on a free loopback port (OAuth
   client credentials, 250 customers served in OData pages of 50).
3. Point the demo project's test config at it, write the client secret into the git-ignored
   secrets file, and run ``python -m src.fetch_customers acme test`` with rate limiting on.
   Then the seeds' try-me path against the same server: ``python -m src.try_me_script demo
   test`` (config, secrets, redaction, OData paging, rate limiting and save in one run).
4. Print the output files and the log file, check the log holds no token or secret, stop
   the server (also on failure). Exit code 0 on success, 1 otherwise.

Uses the current interpreter (txo-runtime installed editable) and no network.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
ORG_ID = "acme"
ENV_TYPE = "test"
SERVER_START_TIMEOUT = 30.0
# A JWT (the demo server issues JWT-shaped tokens) or a Bearer value that was not redacted.
_LEAK_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
    re.compile(r"Bearer\s+(?!\[REDACTED)[A-Za-z0-9._~+/=-]{8,}"),
)


class DemoError(Exception):
    """A demo step failed; the message says which and why."""


def _say(message: str) -> None:
    print(f"[demo] {message}", flush=True)  # a CLI script talks to its user


def generate_project(project: Path) -> None:
    """A fresh demo project from this checkout (a previous demo project is replaced)."""
    if project.exists():
        if not (project / ".copier-answers.yml").is_file() and any(project.iterdir()):
            raise DemoError(f"{project} exists and is not a demo project; remove it first")
        shutil.rmtree(project)
    project.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet",
        "--vcs-ref", "HEAD",
        "--data", "project_name=ACME demo", "--data", f"org_id={ORG_ID}",
        "--data", "environments=test,prod",
        str(REPO_ROOT), str(project),
    ]  # fmt: skip
    _say(f"Generating the demo project with copier into {project}")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DemoError(f"copier copy failed (rc {result.returncode}):\n{result.stderr}")


@contextmanager
def demo_server() -> Iterator[dict[str, Any]]:
    """The local API server as a subprocess; yields its JSON description, always stops it."""
    command = [sys.executable, "-m", "txo_runtime.testing.server", "--port", "0", "--demo"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = _first_line(process)
        info: dict[str, Any] = json.loads(line)
        _say(f"Local API server at {info['url']} (OData: {info['odata_url']})")
        yield info
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _say("Local API server stopped")


def _first_line(process: subprocess.Popen[str]) -> str:
    import selectors

    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=SERVER_START_TIMEOUT):
            raise DemoError(f"The local API server did not start in {SERVER_START_TIMEOUT}s")
    line = process.stdout.readline()
    if not line:
        raise DemoError(f"The local API server exited early (rc {process.wait()})")
    return line


def configure_project(project: Path, server: dict[str, Any]) -> None:
    """Point the test config at the local server; the secret goes to the ignored file only."""
    config_file = project / "config" / f"{ORG_ID}-{ENV_TYPE}-config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["global"]["api-base-url"] = server["odata_url"]
    config["global"]["oauth-token-url"] = server.get("token_url", server["url"] + "/oauth2/token")
    config["global"]["client-id"] = server["client_id"]
    behavior = config["script-behavior"]
    behavior["rate-limiting"] = {"enabled": True, "calls-per-second": 20, "burst-size": 2}
    config["odata"]["page-size"] = 50
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    secrets_file = config_file.with_name(f"{ORG_ID}-{ENV_TYPE}-config-secrets.json")
    secrets = {"client-secret": server["client_secret"]}
    secrets_file.write_text(json.dumps(secrets, indent=2) + "\n", encoding="utf-8")


def run_starter(project: Path) -> None:
    command = [sys.executable, "-m", "src.fetch_customers", ORG_ID, ENV_TYPE]
    _say(f"Running: python {' '.join(command[1:])}  (in {project})")
    env = {key: value for key, value in os.environ.items() if key != "TXO_PROJECT_ROOT"}
    result = subprocess.run(command, cwd=project, env=env, check=False)
    if result.returncode != 0:
        raise DemoError(f"fetch_customers failed with exit code {result.returncode}")


def run_try_me(project: Path, server: dict[str, Any]) -> None:
    """The try-me script against the running server (its demo config points at it)."""
    config_file = project / "config" / "demo-test-config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["global"]["api-base-url"] = server["odata_url"]
    config["global"]["oauth-token-url"] = server["token_url"]
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    example = config_file.with_name("demo-test-config-secrets.json.example")
    shutil.copyfile(example, example.with_name("demo-test-config-secrets.json"))
    command = [sys.executable, "-m", "src.try_me_script", "demo", "test"]
    _say(f"Running: python {' '.join(command[1:])}  (in {project})")
    env = {key: value for key, value in os.environ.items() if key != "TXO_PROJECT_ROOT"}
    result = subprocess.run(command, cwd=project, env=env, check=False)
    if result.returncode != 0:
        raise DemoError(f"try_me_script failed with exit code {result.returncode}")


def check_logs(logs: list[Path], secret: str) -> None:
    """The demo's promise: no token and no secret in any log file."""
    if not logs:
        raise DemoError("No log file was written to logs/")
    for log in logs:
        text = log.read_text(encoding="utf-8")
        if secret in text:
            raise DemoError(f"The client secret appears in {log}")
        for pattern in _LEAK_PATTERNS:
            if pattern.search(text):
                raise DemoError(f"A token appears in {log} (pattern {pattern.pattern})")


def report(project: Path, secret: str) -> None:
    outputs = sorted(p for p in (project / "output").iterdir() if p.name != ".gitkeep")
    logs = sorted((project / "logs").glob("*.log*"))
    if not {p.suffix for p in outputs} >= {".xlsx", ".json"}:
        raise DemoError(f"Expected .xlsx and .json outputs, found {[p.name for p in outputs]}")
    prefix = f"{ORG_ID}-{ENV_TYPE}-customers_"
    starter = next(p for p in outputs if p.suffix == ".json" and p.name.startswith(prefix))
    rows = json.loads(starter.read_text("utf-8"))
    check_logs(logs, secret)
    _say(f"Fetched {len(rows)} customers through OData paging.")
    for path in outputs:
        _say(f"Output: {path}")
    for path in logs:
        _say(f"Log:    {path}  (checked: no token, no secret)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build-dir",
        type=Path,
        default=REPO_ROOT / "build" / "demo",
        help="where the demo project is generated (default: build/demo)",
    )
    project = parser.parse_args(argv).build_dir.resolve()
    try:
        generate_project(project)
        with demo_server() as server:
            configure_project(project, server)
            run_starter(project)
            run_try_me(project, server)
            report(project, server["client_secret"])
    except DemoError as error:
        print(f"[demo] FAILED: {error}", file=sys.stderr)
        return 1
    _say("Demo finished.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
