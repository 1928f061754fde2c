"""Adopting a clone with a known template: add the v3.0.0 template files it lacks.

``copier update`` diffs the project against the template rendered at ``_commit``. A file
that render has and the project lacks counts as *deleted by the user*, so copier never adds
it and never brings a later change to it. Rendering the template at the adopted version with
the inferred answers and copying in every file the project lacks makes the project look
generated: later template changes to those files arrive like in any generated project.
Files the project has in its own v2.1 form are never overwritten; they are listed, because
every line of them is a "user edit" for copier and later template changes there conflict.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from txo_tools.migrate._tree import ProjectTree, is_secret
from txo_tools.migrate.answers import ANSWERS_FILE, is_environment_config
from txo_tools.migrate.report import MigrationReport

logger = logging.getLogger(__name__)

GITIGNORE = ".gitignore"
_URL_USERINFO = re.compile(r"(://)[^/@\s]+@")


class RenderFailed(Exception):
    """The template could not be rendered; ``reason`` is safe to show (no URL credentials)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def render_template(template_src: str, vcs_ref: str, answers: dict[str, Any]) -> dict[str, str]:
    """The template at ``vcs_ref`` rendered with ``answers``: relative path -> text.

    Rendered with copier itself (tasks included, as ``copier copy`` would), so the answers
    file and every file are exactly what copier later diffs against. Secrets files and the
    per-environment configs the copy task expands are left out: those belong to the user.
    """
    import copier
    from copier.errors import CopierError

    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    with tempfile.TemporaryDirectory(prefix="txo-adopt-") as tmp:
        destination = Path(tmp) / "project"
        try:
            copier.run_copy(
                _local_or_url(template_src),
                destination,
                data=data,
                vcs_ref=vcs_ref,
                defaults=True,
                unsafe=True,
                quiet=True,
            )
        except (CopierError, ValueError, OSError, subprocess.CalledProcessError) as exc:
            raise RenderFailed(_safe_reason(exc)) from exc
        return _read_rendered(destination)


def _local_or_url(template_src: str) -> str:
    """An existing local folder as an absolute path, so ``_src_path`` works from anywhere."""
    path = Path(template_src).expanduser()
    return str(path.resolve()) if path.is_dir() else template_src


def _safe_reason(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return _URL_USERINFO.sub(r"\1***@", f"{type(exc).__name__}: {first_line}")


def _read_rendered(destination: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in sorted(destination.rglob("*")):
        rel = path.relative_to(destination).as_posix()
        if not path.is_file() or is_secret(rel) or is_environment_config(rel):
            continue  # secrets are checked by name first: never opened
        try:
            files[rel] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            logger.warning("Template file %s is not UTF-8 text; not copied", rel)
    return files


def plan_template_files(
    tree: ProjectTree, report: MigrationReport, rendered: dict[str, str], version: str
) -> None:
    """Add the rendered files the project lacks; list the ones that differ as follow-ups."""
    _plan_gitignore(tree, report, rendered.get(GITIGNORE), version)
    for rel, text in sorted(rendered.items()):
        if rel == ANSWERS_FILE or is_secret(rel):
            continue
        if not _exists(tree, rel):
            tree.write(rel, text)
            report.add(rel, "template file", f"added from the template at {version}")
        elif _differs(tree, rel, text):
            report.follow_up(
                rel,
                0,
                f"differs from the template's {version} version: later template changes to "
                "it show as `copier update` conflicts until you align it with the template",
            )


def _exists(tree: ProjectTree, rel: str) -> bool:
    """On disk or planned (a planned removal counts too: never re-add what is removed)."""
    return rel in tree.pending or os.path.lexists(tree.root / rel)


def _differs(tree: ProjectTree, rel: str, text: str) -> bool:
    try:
        current = tree.current(rel)
    except (UnicodeDecodeError, OSError):
        return True
    return current is not None and current != text


def _plan_gitignore(
    tree: ProjectTree, report: MigrationReport, template: str | None, version: str
) -> None:
    """Append the template's ignore rules the project lacks (its secrets rules above all).

    The project's own rules stay as they are; the template's tests/test_config.py checks
    that the v3.0 secrets rules are present.
    """
    current = tree.current(GITIGNORE) if _exists(tree, GITIGNORE) else None
    if template is None or current is None:
        return
    have = {line.strip() for line in current.splitlines()}
    missing = [
        line.strip()
        for line in template.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and line.strip() not in have
    ]
    if not missing:
        return
    block = "\n".join([f"# Added by txo migrate: rules of the txo template {version}", *missing])
    tree.write(GITIGNORE, current.rstrip("\n") + "\n\n" + block + "\n")
    report.add(GITIGNORE, "gitignore", f"appended the template's rules: {', '.join(missing)}")
