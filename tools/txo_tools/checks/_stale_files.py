"""TXO016: temporary files a killed ``save()`` left behind.

``save()`` writes ``.<name>.<8 hex digits>.tmp<ext>`` next to the target, holds a lock on it
while it writes, and renames it over the target when done; a process killed in between
(SIGKILL, power loss) leaves the temporary file. Which files are leftovers is the runtime's
own decision (:func:`txo_runtime.load_n_save.leftover_temp_files`: no writer holds the lock
and it is past a short grace period), so a save that is running right now is never
reported. The target itself is never half-written, so deleting a leftover is safe.
"""

from __future__ import annotations

from pathlib import Path

from txo_runtime.load_n_save import leftover_temp_files, target_of_temp
from txo_tools.checks._findings import Finding, finding

__all__ = ["check_stale_temp_files"]

_RUN_FOLDERS = ("data", "output", "tmp", "files")


def _folders(base: Path) -> list[Path]:
    return [base, *sorted(p for p in base.rglob("*") if p.is_dir())]


def check_stale_temp_files(root: Path) -> list[Finding]:
    """One finding per leftover temporary file under data/ output/ tmp/ files/."""
    found = []
    for name in _RUN_FOLDERS:
        base = root / name
        if not base.is_dir():
            continue
        for path in (p for folder in _folders(base) for p in leftover_temp_files(folder)):
            rel = path.relative_to(root).as_posix()
            message = (
                f"Temporary file of an interrupted save() of "
                f"'{path.parent.relative_to(root).as_posix()}/{target_of_temp(path)}'"
            )
            found.append(finding("TXO016", rel, None, message, f"Delete it: rm '{rel}'"))
    return found
