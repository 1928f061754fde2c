"""Customer projects built by hand in temp folders for `txo check` tests (real files, real git)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import txo_runtime
from txo_runtime.testing.pytest_plugin import demo_test_config

DATA = Path(txo_runtime.__file__).parent / "data"
SCHEMA = "schemas/org-env-config-schema.json"

CLEAN_SCRIPT = '''\
# src/customers.py
"""Read customers and save them: every txo rule followed."""
import os
import sys

from txo_runtime.path_helpers import Dir


def main(config, handler, logger):
    token = config.get("_token")  # injected only when a token was obtained
    batch = config["_args"].get("batch-size")
    url = config["global"]["api-base-url"]
    record = {"email": None}
    email = record.get("email")  # API data may be optional
    handler.save({"url": url, "token": token, "batch": batch}, Dir.OUTPUT, "out.json")
    os.path.exists("data")
    logger.info("print(this is text, not a call) %s", email)
    return 0


if __name__ == "__main__":
    sys.exit(main({}, None, None))
'''


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _mandatory_files(root: Path) -> None:
    for name in ("logging-config.json", "log-redaction-patterns.json"):
        packaged = DATA / name
        if packaged.is_file():
            shutil.copyfile(packaged, root / "config" / name)
        else:  # the packaged defaults may not exist yet; `txo check` only needs the file
            write_json(root / "config" / name, {})


def clean_project(root: Path) -> Path:
    """A v3.0 project that follows every rule, in a git work tree."""
    for folder in ("config", "schemas", "src", "data", "output", "logs", "tmp"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "acme-integrations"\n')
    (root / ".gitignore").write_text("config/*-config-secrets.json\n")
    shutil.copyfile(DATA / "org-env-config-schema.json", root / SCHEMA)
    _mandatory_files(root)
    write_json(root / "config" / "acme-test-config.json", demo_test_config())
    write_json(root / "config" / "acme-test-config-secrets.json", {"client-secret": "s3cr3t"})
    (root / "src" / "customers.py").write_text(CLEAN_SCRIPT, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    return root


def run_txo(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    """Run the real command line in a fresh interpreter (as a user would)."""
    return subprocess.run(
        [sys.executable, "-m", "txo_tools", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,  # no terminal: copier must never wait for a prompt
    )
