"""Helpers for the template tests: real copier/cookiecutter runs in temp dirs.

Every run gets ``HOME`` in a temp dir (copier's and cookiecutter's caches and settings stay
out of the real home) and uses the checkout's working tree: ``--vcs-ref HEAD`` makes copier
include uncommitted changes of a local checkout.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 240

Runner = Callable[..., subprocess.CompletedProcess[str]]


def run(
    command: list[str], *, cwd: Path, home: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    env.pop("TXO_PROJECT_ROOT", None)
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def data_args(answers: dict[str, str]) -> list[str]:
    return [arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")]


def copier_copy(
    dst: Path, home: Path, answers: dict[str, str] | None = None, *,
    src: Path = REPO_ROOT, vcs_ref: str = "HEAD", check: bool = True,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    command = [
        sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet",
        "--vcs-ref", vcs_ref, *data_args(answers or {}), str(src), str(dst),
    ]  # fmt: skip
    return run(command, cwd=dst.parent, home=home, check=check)


def cookiecutter_generate(
    out: Path, home: Path, answers: dict[str, str] | None = None, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    extra = [f"{key}={value}" for key, value in (answers or {}).items()]
    command = [
        sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(out),
        str(REPO_ROOT), *extra,
    ]  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    return run(command, cwd=out, home=home, check=check)


def load_hooks_shared() -> ModuleType:
    """``hooks/_shared.py`` as a module (it is a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "txo_hooks_shared", REPO_ROOT / "hooks" / "_shared.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    """``copier copy --defaults`` of the working tree (shared by read-only tests)."""
    dst = tmp_path_factory.mktemp("copier") / "acme-integrations"
    copier_copy(dst, home)
    return dst
