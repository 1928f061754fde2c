"""A local view of a template source, so its questions can be read before copier runs.

copier offers no public API to read a template's questions, and it casts or ignores bad
``--data`` answers silently (``use_soap=maybe`` becomes True, unknown keys vanish). To check
answers for every source, a git template is cloned into a temporary folder first, at the
ref copier will use: the given ``--vcs-ref``, else the newest PEP 440 tag (copier's rule),
else the default branch. The clone costs one extra fetch of a small repository; copier then
clones again from the original URL, which is what ``.copier-answers.yml`` must record.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from txo_runtime.exceptions import HelpfulError

__all__ = ["git_url", "local_template"]

_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def git_url(template: str) -> str:
    """copier's source forms as a URL git understands (``gh:org/repo``, ``git+https://``)."""
    for prefix, base in _SHORTCUTS.items():
        if template.startswith(prefix):
            return base + template[len(prefix) :]
    return template[len("git+") :] if template.startswith("git+") else template


def _git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )
    if result.returncode != 0:
        raise HelpfulError(
            what_went_wrong=f"Could not read the template with git {args[0]}: "
            f"{result.stderr.strip()[:300]}",
            how_to_fix="Check --template (a git URL, gh:ORG/REPO or an absolute path) and "
            "--vcs-ref, and that git can reach the repository",
            example="txo new acme-integrations --template gh:ORG/txo --vcs-ref v3.0.0 --trust",
        )
    return result.stdout


def _newest_tag(clone: Path) -> str | None:
    """The newest tag by PEP 440 ordering, as copier picks it when no ref is given."""
    from packaging.version import InvalidVersion, Version

    versions = []
    for tag in _git("tag", "--list", cwd=clone).split():
        try:
            versions.append((Version(tag), tag))
        except InvalidVersion:
            continue
    return max(versions)[1] if versions else None


@contextlib.contextmanager
def local_template(template: str, vcs_ref: str | None) -> Iterator[Path]:
    """The template as a local folder: itself when it is one, else a temporary clone."""
    if Path(template).is_dir():
        yield Path(template)
        return
    with tempfile.TemporaryDirectory(prefix="txo-template-") as tmp:
        clone = Path(tmp) / "template"
        _git("clone", "--quiet", git_url(template), str(clone))
        ref = vcs_ref or _newest_tag(clone)
        if ref:
            _git("checkout", "--quiet", ref, cwd=clone)
        yield clone
