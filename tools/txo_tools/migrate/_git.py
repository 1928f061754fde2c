"""The few git questions the migration asks (plain ``git`` subprocesses, no library)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)


def is_repository(root: Path) -> bool:
    try:
        result = _git(root, "rev-parse", "--is-inside-work-tree")
    except FileNotFoundError:  # git not installed
        return False
    return result.returncode == 0 and result.stdout.strip() == b"true"


def dirty_paths(root: Path) -> list[str]:
    """Modified, staged or untracked paths (ignored files do not count)."""
    out = _git(root, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    return [line[3:] for line in out.stdout.decode("utf-8", "replace").splitlines() if line]


def unmerged_paths(root: Path) -> list[str]:
    """Paths git records as conflicted (copier marks its inline conflicts this way)."""
    out = _git(root, "diff", "--name-only", "--relative", "--diff-filter=U")
    return sorted(set(out.stdout.decode("utf-8", "replace").split()))


def files_at(root: Path, ref: str, folder: str) -> list[str]:
    """Files under ``folder`` (relative to ``root``) in commit ``ref``."""
    out = _git(root, "ls-tree", "-r", "--name-only", ref, "--", folder)
    return out.stdout.decode("utf-8", "replace").splitlines() if out.returncode == 0 else []


def read_at(root: Path, ref: str, relpath: str) -> bytes | None:
    """Content of ``relpath`` in commit ``ref``, or None when it is not there."""
    out = _git(root, "show", f"{ref}:./{relpath}")
    return out.stdout if out.returncode == 0 else None


def stage(root: Path, relpaths: list[str]) -> None:
    if relpaths:
        _git(root, "add", "--", *relpaths)
