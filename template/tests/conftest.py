# tests/conftest.py
"""Fixtures for this project's tests: they run offline against txo_runtime.testing.

Tests work on a throwaway copy of the project (config, schemas, src) in a temp folder, so
they never read your real secrets nor write into your output/ or logs/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ORG_ID = "{{ cookiecutter.org_id }}"
ENV_TYPE = "{{ cookiecutter.environments.split(',')[0].strip() }}"
RUN_FOLDERS = ("data", "output", "logs", "tmp")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of this project without real secrets, logs or outputs."""
    root = tmp_path / "project"
    root.mkdir()
    no_secrets = shutil.ignore_patterns("*-config-secrets.json", "__pycache__")
    for folder in ("config", "schemas", "src"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder, ignore=no_secrets)
    shutil.copyfile(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    for folder in RUN_FOLDERS:
        (root / folder).mkdir()
    return root


def run_script(project: Path, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <module> <args>`` the way a user does, inside ``project``."""
    env = {**os.environ, "TXO_PROJECT_ROOT": str(project)}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
