"""Atomic file replacement shared by every writer.

A writer never opens the target. It gets a temporary path in the *same* folder (so the final
``os.replace`` is a rename on one file system, atomic on POSIX and Windows), writes there,
and only a writer that returned normally gets its file moved over the target. On any
exception — including ``KeyboardInterrupt`` — the temporary file is removed and an existing
target is left byte-identical.

A process killed while writing (``kill -9``, a power cut) cannot remove its temporary file,
so the next save of the same target removes the target's stale ones
(``.{name}.{8 hex}.tmp{suffix}``). Another process may be writing the same target right
now, so a temp file is stale only when nobody holds it: on POSIX every writer holds an
``flock`` on its temp file while it writes, and the kernel drops that lock when the writer
dies, so an unlocked temp file is an orphan at once (a few seconds of grace cover the
instant between creating the file and locking it). Windows has no such lock: there a temp
file counts as stale only after an hour without change, longer than any save takes.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX: a writer's lock dies with it, so an orphaned temp file is known at once
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "TEMP_NAME",
    "atomic_target",
    "is_stale_temp",
    "leftover_temp_files",
    "target_of_temp",
    "temp_files_of",
]

logger = logging.getLogger(__name__)

_MAX_PREFIX = 80  # keeps temp names well below the 255-byte file-name limit
_CREATE_ATTEMPTS = 100
LOCK_GRACE_SECONDS = 5.0  # between creating a temp file and locking it
STALE_AFTER_SECONDS_WITHOUT_LOCKS = 3600.0  # where no lock exists (Windows)


def _temp_prefix(target: Path) -> str:
    return f".{target.name[:_MAX_PREFIX]}."


def temp_files_of(target: Path) -> list[Path]:
    """Temp files that saves of ``target`` create: ``.{name}.{8 hex}.tmp{suffix}``."""
    pattern = re.compile(
        re.escape(_temp_prefix(target)) + "[0-9a-f]{8}" + re.escape(f".tmp{target.suffix}")
    )
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    return sorted(target.parent / name for name in names if pattern.fullmatch(name))


# ".{target name, at most 80 characters}.{8 hex digits}.tmp{target suffix}"
TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{8}\.tmp(?:\.[^.]*)?$")


def target_of_temp(temp: Path) -> str:
    """The name of the file a save was writing through ``temp`` (its first 80 characters,
    as the temp name keeps them); ``temp``'s own name when it is no save's temp file."""
    match = TEMP_NAME.match(temp.name)
    return match["target"] if match else temp.name


def leftover_temp_files(folder: Path) -> list[Path]:
    """Temp files of interrupted saves in ``folder`` (not recursive), by :data:`TEMP_NAME`
    and :func:`is_stale_temp`: what a project check reports."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    candidates = (folder / name for name in names if TEMP_NAME.match(name))
    return sorted(path for path in candidates if path.is_file() and is_stale_temp(path))


def is_stale_temp(path: Path, *, now: float | None = None) -> bool:
    """No writer holds ``path`` (POSIX lock), or it is an hour old (no locks: Windows)."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return False
    if fcntl is None:
        return age >= STALE_AFTER_SECONDS_WITHOUT_LOCKS
    if age < LOCK_GRACE_SECONDS:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a live writer holds it
        return False
    finally:
        os.close(fd)
    return True


def _remove_stale_temps(target: Path) -> None:
    for temp in temp_files_of(target):
        if is_stale_temp(temp):
            _remove_quietly(temp)
            logger.info("Removed %s, left by an interrupted save of %s", temp.name, target.name)


def _create_temp(target: Path) -> tuple[Path, int | None]:
    """Create an empty, unique temp file next to ``target``.

    Hand-written instead of ``tempfile.mkstemp`` because mkstemp always creates mode 0600;
    ``os.open(..., 0o666)`` lets the kernel apply the umask, giving exactly the permissions
    a plain ``open(target, "w")`` would (reading the umask with ``os.umask`` would briefly
    change it for every thread of the process). The suffix keeps the real extension so
    libraries that look at it (pandas' Excel writer) behave as for the target. Returns the
    path and, on POSIX, an open descriptor holding the writer's lock (close it when done).
    """
    prefix = _temp_prefix(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_CREATE_ATTEMPTS):
        candidate = target.with_name(f"{prefix}{secrets.token_hex(4)}.tmp{target.suffix}")
        try:
            fd = os.open(candidate, flags, 0o666)
        except FileExistsError:
            continue
        if fcntl is None:
            os.close(fd)  # Windows could not replace a file that is still open
            return candidate, None
        fcntl.flock(fd, fcntl.LOCK_EX)
        return candidate, fd
    raise FileExistsError(errno.EEXIST, "No unused temporary file name", str(target))


def _copy_mode_of_existing(target: Path, temp: Path) -> None:
    """Overwriting a file keeps its permissions, as an in-place write would."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.chmod(temp, mode)


def _fsync_file(path: Path) -> None:
    # "r+b" because Windows refuses to flush a read-only handle.
    with open(path, "r+b") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; Windows cannot open folders)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


@contextlib.contextmanager
def atomic_target(target: Path, *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temp path to write; on success it atomically becomes ``target``.

    ``fsync`` flushes the data (and the folder entry) to disk before and after the rename, so
    even a power cut leaves either the old or the new file, never a truncated one.
    """
    _remove_stale_temps(target)
    temp, lock = _create_temp(target)
    try:
        yield temp
        _copy_mode_of_existing(target, temp)
        if fsync:
            _fsync_file(temp)
        os.replace(temp, target)
    except BaseException:
        _remove_quietly(temp)
        raise
    finally:
        if lock is not None:
            os.close(lock)
    if fsync:
        _fsync_folder(target.parent)
    logger.debug("Wrote %s", target)
