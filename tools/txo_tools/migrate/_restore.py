"""No user file vanishes silently: files ``copier update`` deleted, and the run folders.

``copier update`` deletes every file the old template rendered and the new one does not
(``requirements.txt``, ``src/hello_world.py``, the ``.gitkeep`` files), whether the user
changed it or not, and says nothing. ``HEAD`` still holds the user's committed v2.1
project, so each such file is restored from there and listed in the report: the copier
route then ends with the same files as ``txo migrate``, which never deletes them. The
vendored ``utils/`` helpers are not handled here (see ``project._plan_utils``).
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from txo_tools.migrate import _git
from txo_tools.migrate._tree import ProjectTree, is_secret
from txo_tools.migrate.report import MigrationReport

# The v3.0 run folders; git keeps each through a .gitkeep (template .gitignore).
RUN_FOLDERS = ("data", "logs", "output", "tmp")
GITKEEP = ".gitkeep"


def _is_vendored_helper(rel: str) -> bool:
    path = PurePosixPath(rel)
    return len(path.parts) == 2 and path.parts[0] == "utils" and path.suffix == ".py"


def deleted_by_update(tree: ProjectTree) -> list[str]:
    """Files of the baseline commit the working tree no longer has (nor plans to write)."""
    if tree.baseline is None:
        return []
    return [
        rel
        for rel in _git.files_at(tree.root, tree.baseline, ".")
        if rel not in tree.pending
        and not os.path.lexists(tree.root / rel)
        and not _is_vendored_helper(rel)
    ]


def plan_restore_deleted(tree: ProjectTree, report: MigrationReport) -> None:
    """Restore every file the update deleted; name each one in the report."""
    for rel in deleted_by_update(tree):
        how = f"restore it with `git checkout {tree.baseline} -- {rel}` if you need it"
        if is_secret(rel):  # never opened, so not restored by us
            report.follow_up(rel, 0, f"the update deleted this secrets file: {how}")
            continue
        data = _git.read_at(tree.root, tree.baseline or "HEAD", rel)
        try:
            text = data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            text = None
        if text is None:
            report.follow_up(rel, 0, f"the update deleted this file (not text): {how}")
            continue
        tree.write(rel, text)
        report.add(rel, "restored", _restore_reason(rel))


def _restore_reason(rel: str) -> str:
    if PurePosixPath(rel).name == GITKEEP:
        return "the update deleted it; restored so git keeps the run folder"
    return (
        "the update deleted it (the v3.0 template no longer has it); restored from your "
        "v2.1 commit because it is part of your project: delete it if you no longer need it"
    )


def plan_run_folders(tree: ProjectTree, report: MigrationReport) -> None:
    """A ``.gitkeep`` in every v3.0 run folder, as a v3.0 project is generated."""
    for folder in RUN_FOLDERS:
        rel = f"{folder}/{GITKEEP}"
        if rel in tree.pending or os.path.lexists(tree.root / rel):
            continue
        tree.write(rel, "")
        report.add(rel, "run folder", f"added so git keeps {folder}/ (v3.0 layout)")
