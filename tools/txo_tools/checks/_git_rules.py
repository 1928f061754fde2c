"""Secrets-file rules: tracked by git (TXO005) or not git-ignored (TXO006).

git itself answers both questions (``git ls-files`` and ``git check-ignore --no-index``),
so nested ``.gitignore`` files, global excludes and negations are judged exactly as git
judges them. A project that is not inside a git work tree (or a machine without git) gets
no git findings: there is nothing to leak into yet.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from txo_tools.checks._config_rules import config_files, secrets_files
from txo_tools.checks._findings import Finding, finding

__all__ = ["check_secrets_in_git"]

_SECRETS_SUFFIX = "-config-secrets.json"
_GIT_TIMEOUT_SECONDS = 30


def _git(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git") or "git"
    return subprocess.run(
        [git, *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=_GIT_TIMEOUT_SECONDS,
    )


def _in_work_tree(root: Path) -> bool:
    if shutil.which("git") is None:
        return False
    result = _git(root, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == "true"


def _tracked_secrets(root: Path) -> set[str]:
    listed = _git(root, "ls-files", "-z", "--", "config").stdout.split("\0")
    return {name for name in listed if name.endswith(_SECRETS_SUFFIX)}


def _candidates(root: Path) -> set[str]:
    """Existing secrets files, plus the secrets file each config would have."""
    names = {path.relative_to(root).as_posix() for path in secrets_files(root)}
    for config in config_files(root):
        stem = config.name[: -len("-config.json")]
        names.add(f"config/{stem}{_SECRETS_SUFFIX}")
    return names


def _ignored(root: Path, names: set[str]) -> set[str]:
    # --no-index: judge the ignore rules even for files git already tracks.
    paths = "".join(f"{name}\0" for name in sorted(names))
    result = _git(root, "check-ignore", "--no-index", "--stdin", "-z", stdin=paths)
    return {name for name in result.stdout.split("\0") if name}


def check_secrets_in_git(root: Path) -> list[Finding]:
    """TXO005/TXO006 for the project at ``root``; nothing outside a git work tree."""
    if not _in_work_tree(root):
        return []
    tracked = _tracked_secrets(root)
    found = [
        finding("TXO005", name, 1, f"{name} is committed to git: its secrets are in the history")
        for name in sorted(tracked)
    ]
    names = _candidates(root) | tracked
    for name in sorted(names - _ignored(root, names)):
        exists = (root / name).is_file()
        state = "" if exists else " (when it is created)"
        message = f"{name} is not git-ignored{state}: `git add .` would commit secrets"
        found.append(finding("TXO006", name, 1 if exists else None, message))
    return found
