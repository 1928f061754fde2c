"""The project as the migration sees it: working tree, optional git baseline, planned edits.

Every read goes through :meth:`ProjectTree.current` / :meth:`ProjectTree.original`, which
refuse secrets files, so no code path of the migration can open one. Edits are planned in
memory first; a dry run simply never calls :meth:`ProjectTree.apply`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path, PurePosixPath

from txo_tools.migrate import _git

# Never walked, at any depth: virtual environments, tool caches, VCS data.
SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", "site-packages"}
)  # fmt: skip
# Run folders and build output: skipped only at the project root (``src/data/`` is code).
ROOT_SKIP_DIRS = frozenset({"env", ".env", "logs", "output", "data", "tmp", "build", "dist"})
SECRET_SUFFIXES = (".pem", ".key", ".pfx", ".p12")
SECRETS_CONFIG_SUFFIX = "-config-secrets.json"
CONFLICT_MARKER = re.compile(r"^(<{7}|>{7})( |$)", re.MULTILINE)
MAX_SCAN_BYTES = 2_000_000


def is_secret(relpath: str) -> bool:
    """Secrets files by name: never opened, never changed.

    Precise on purpose: a script such as ``src/rotate_secrets.py`` is code to migrate, and a
    placeholder ``*.example`` holds no secret.
    """
    name = PurePosixPath(relpath).name.lower()
    if name.endswith(".example"):
        return False
    return (
        name.endswith(SECRETS_CONFIG_SUFFIX)
        or name == ".env"
        or name.startswith(".env.")
        or name.endswith(SECRET_SUFFIXES)
    )


def _is_venv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


class ProjectTree:
    """Reads (working tree or baseline commit) and planned writes of one project."""

    def __init__(self, root: Path, baseline: str | None = None) -> None:
        self.root = root
        self.baseline = baseline
        self.pending: dict[str, str | None] = {}
        self.skipped_python: set[str] = set()  # Python files walk() left out (reported)

    def _guard(self, relpath: str) -> None:
        if is_secret(relpath):
            raise PermissionError(f"txo migrate never reads secrets files ({relpath})")

    def current(self, relpath: str) -> str | None:
        """Planned content, else the working-tree content, else None."""
        self._guard(relpath)
        if relpath in self.pending:
            return self.pending[relpath]
        path = self.root / relpath
        return path.read_bytes().decode("utf-8") if path.is_file() else None

    def original(self, relpath: str) -> str | None:
        """The pre-update content: the baseline commit's when there is one, else current.

        With a baseline, a file the baseline lacks has no original (None): the working
        tree's copy was written by the update (the new template), not by the user.
        """
        self._guard(relpath)
        if self.baseline is None:
            return self.current(relpath)
        data = _git.read_at(self.root, self.baseline, relpath)
        return data.decode("utf-8") if data is not None else None

    def on_disk(self, relpath: str) -> bool:
        return (self.root / relpath).is_file()

    def write(self, relpath: str, text: str) -> None:
        self._guard(relpath)
        self.pending[relpath] = text

    def add_secrets_example(self, relpath: str, text: str) -> bool:
        """Plan a new placeholder-only ``*.example`` file; an existing one is never opened."""
        if not relpath.endswith(".example") or (self.root / relpath).exists():
            return False
        self.pending[relpath] = text
        return True

    def delete(self, relpath: str) -> None:
        self._guard(relpath)
        self.pending[relpath] = None

    def walk(self, suffix: str, folder: str = "") -> list[str]:
        """Working-tree files ending in ``suffix`` (skipping venvs, run folders, secrets).

        Python files left out for being in a root run folder are remembered in
        ``skipped_python``, so the report can name them instead of staying silent.
        """
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root / folder):
            here = Path(dirpath)
            rel_dir = here.relative_to(self.root).as_posix()
            dirnames[:] = sorted(d for d in dirnames if self._walk_into(here, rel_dir, d))
            for name in sorted(filenames):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                if name.endswith(suffix) and not is_secret(rel):
                    found.append(rel)
        return found

    def _walk_into(self, parent: Path, rel_parent: str, name: str) -> bool:
        if name in SKIP_DIRS or _is_venv(parent / name):
            return False
        if rel_parent == "." and name in ROOT_SKIP_DIRS:
            self._note_skipped_python(name)
            return False
        return True

    def _note_skipped_python(self, folder: str) -> None:
        for dirpath, dirnames, filenames in os.walk(self.root / folder):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            self.skipped_python.update(f"{rel_dir}/{n}" for n in filenames if n.endswith(".py"))

    def baseline_files(self, folder: str) -> list[str]:
        if self.baseline is None:
            return []
        return [p for p in _git.files_at(self.root, self.baseline, folder) if not is_secret(p)]

    def conflicted_files(self) -> list[str]:
        """Working-tree text files holding conflict markers, and copier ``.rej`` leftovers."""
        hits = []
        for rel in self.walk(""):
            path = self.root / rel
            if rel.endswith(".rej"):
                hits.append(rel)
                continue
            if rel in self.pending or path.stat().st_size > MAX_SCAN_BYTES:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            if CONFLICT_MARKER.search(text):
                hits.append(rel)
        return hits

    def apply(self) -> list[str]:
        """Write the planned edits; returns the paths written or removed."""
        done = []
        for rel, text in sorted(self.pending.items()):
            path = self.root / rel
            if text is None:
                path.unlink(missing_ok=True)
                _remove_empty_package(path.parent, self.root)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.txo-migrate.tmp")
                tmp.write_text(text, encoding="utf-8", newline="")
                os.replace(tmp, path)  # atomic: a crash never leaves half a file
            done.append(rel)
        return done


def _remove_empty_package(folder: Path, root: Path) -> None:
    """Drop a folder left with nothing but ``__pycache__`` (the removed ``utils/``)."""
    if folder == root or not folder.is_dir():
        return
    if all(child.name == "__pycache__" for child in folder.iterdir()):
        shutil.rmtree(folder)
