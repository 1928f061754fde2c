"""Real builds and fresh virtual environments for the packaging tests, without a package index.

A wheel is built with the build backend this environment already has (``--no-isolation``).
A fresh environment gets the third-party distributions a requirement needs, transitively, as
their installed metadata says (markers evaluated), and nothing else: each distribution's own
files (``dist.files``, its RECORD) are linked into one folder that a ``.pth`` file puts on the
new environment's path. A dependency missing from a requirement list then fails in the fresh
environment exactly as it would after ``pip install``.
"""

from __future__ import annotations

import email.message
import email.parser
import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 300


def build(source: Path, out: Path, *kinds: str) -> list[Path]:
    """``python -m build --no-isolation`` of ``source`` into ``out``; the files it made."""
    before = set(out.glob("*")) if out.exists() else set()
    flags = [f"--{kind}" for kind in kinds]
    command = [sys.executable, "-m", "build", "--no-isolation", *flags, "--outdir", str(out)]
    result = subprocess.run(
        [*command, str(source)], capture_output=True, text=True, timeout=BUILD_TIMEOUT
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return sorted(set(out.glob("*")) - before)


def unpack_sdist(sdist: Path, into: Path) -> Path:
    """The folder an sdist unpacks to (``name-version/``), outside any checkout."""
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.10.12
    with tarfile.open(sdist) as archive:
        archive.extractall(into, **safe)
    (folder,) = into.iterdir()
    return folder


def wheel_metadata(wheel: Path) -> email.message.Message:
    """The METADATA of a wheel (Name, Version, Requires-Dist ...)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode("utf-8"))


def requires_of(wheel: Path) -> list[str]:
    return wheel_metadata(wheel).get_all("Requires-Dist") or []


def closure(
    requirements: Iterable[str], own: Mapping[str, Sequence[str]] | None = None
) -> dict[str, metadata.Distribution]:
    """Every third-party distribution ``requirements`` need, transitively, keyed by name.

    ``own`` maps our distributions (txo-runtime, txo-tools) to their Requires-Dist from the
    built wheels: they are followed but not returned (the test installs their wheels).
    Extras and environment markers are evaluated as pip does for this interpreter.
    """
    own = {canonicalize_name(name): list(reqs) for name, reqs in (own or {}).items()}
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [req for req in map(Requirement, requirements) if _applies(req, frozenset())]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        if name in own:
            requires = own[name]
        else:
            found[name] = metadata.distribution(name)
            requires = found[name].requires or []
        todo += [sub for sub in map(Requirement, requires) if _applies(sub, req.extras)]
    return found


def _applies(req: Requirement, extras: Iterable[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": extra}) for extra in {"", *extras})


def link_distributions(dists: Iterable[metadata.Distribution], folder: Path) -> int:
    """Link every file of ``dists`` into ``folder`` (same relative paths); the number linked."""
    count = 0
    for dist in dists:
        files = dist.files
        assert files is not None, f"{dist.metadata['Name']} has no RECORD: cannot link it"
        for file in files:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue  # console scripts live outside site-packages; bytecode is rebuilt
            source = Path(str(dist.locate_file(file)))
            link = folder / file
            if source.is_file() and not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(source)
                count += 1
    return count


@dataclass(frozen=True)
class FreshEnv:
    """A new virtual environment (no pip, no system site-packages) plus linked folders."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        base = {"base": str(self.root), "platbase": str(self.root)}
        return Path(sysconfig.get_path("purelib", vars=base))

    @classmethod
    def create(cls, root: Path) -> FreshEnv:
        venv.EnvBuilder(with_pip=False, system_site_packages=False, symlinks=True).create(root)
        return cls(root)

    def add_distributions(self, dists: Iterable[metadata.Distribution], name: str) -> int:
        """Make exactly ``dists`` importable here (a linked folder named in a .pth file)."""
        folder = self.root / f"linked-{name}"
        folder.mkdir()
        count = link_distributions(dists, folder)
        (self.site_packages / f"_linked_{name}.pth").write_text(f"{folder}\n", encoding="utf-8")
        return count

    def pip_install(self, *wheels: Path) -> None:
        """A real ``pip install --no-deps --no-index`` of our wheels into this environment."""
        command = [sys.executable, "-m", "pip", "--python", str(self.python), "install"]
        options = ["--no-deps", "--no-index", "--quiet", "--no-compile"]
        result = subprocess.run(
            [*command, *options, *map(str, wheels)],
            capture_output=True,
            text=True,
            env=clean_env(self.root.parent),
            timeout=INSTALL_TIMEOUT,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def run(
        self, args: Sequence[str | Path], cwd: Path, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run a command of this environment (``python``, ``txo``) as a user would."""
        program = self.root / "bin" / str(args[0])
        return subprocess.run(
            [str(program), *map(str, args[1:])],
            cwd=cwd,
            env=clean_env(self.root.parent, venv=self.root),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def clean_env(home: Path, venv: Path | None = None) -> dict[str, str]:
    """The environment of a user's shell: no checkout on the path, no txo overrides."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TXO_")}
    for key in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(key, None)
    env.update({"HOME": str(home), "PYTHONNOUSERSITE": "1", "PIP_NO_INPUT": "1"})
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env
