"""``make release-check``: what a release must pass before its tag is pushed.

1. Build the sdist and wheel of txo-runtime and txo-tools (one version: txo_runtime/__init__.py).
2. ``twine check --strict`` their metadata (what the index will show).
3. If HEAD is tagged ``vX.Y.Z``, the tag must name that version, and ``CHANGELOG.md`` must
   have a section for it.
4. Install the wheels (not editable) into a fresh virtual environment whose pip is the
   oldest one the project supports (the pip bundled with Python 3.10/3.11, ``OLDEST_PIP``).
5. Generate a project with that environment's ``txo new`` (the template packaged in the
   wheel), install it with the same old pip (``-e ".[dev]"``, the runtime found next to the
   wheels) and run its ``txo check`` and tests.

Needs the package index pip is configured with (third-party dependencies); the txo wheels
come from the build folder. Usage: ``python scripts/release_check.py [--out build/release]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLDEST_PIP = "23.2.1"  # bundled with Python 3.11.7; Python 3.10's bundled pip is older still
_VERSION = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)


def version() -> str:
    text = (ROOT / "txo_runtime" / "__init__.py").read_text(encoding="utf-8")
    found = _VERSION.search(text)
    if found is None:
        raise RuntimeError("no __version__ in txo_runtime/__init__.py")
    return found.group(1)


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def sh(*command: str | Path, cwd: Path = ROOT) -> str:
    """Run a command, echo it, fail the check with its output when it fails."""
    print("$", " ".join(map(str, command)), flush=True)
    result = subprocess.run(list(map(str, command)), cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        raise SystemExit(f"release-check failed: {command[0]} exited {result.returncode}")
    return result.stdout


def tag_problem(repo: Path, expected: str) -> str | None:
    """None when HEAD carries no release tag or a tag naming ``expected``; else the problem."""
    result = subprocess.run(
        ["git", "-C", str(repo), "tag", "--points-at", "HEAD"], capture_output=True, text=True
    )
    tags = [t for t in result.stdout.split() if re.match(r"^v\d", t)]
    wrong = [t for t in tags if t != f"v{expected}"]
    if wrong:
        return (
            f"HEAD is tagged {', '.join(wrong)} but txo_runtime/__init__.py says {expected}: "
            f"tag v{expected} instead, or set __version__ to the tag's version"
        )
    if tags and not re.search(rf"^## \[?{re.escape(expected)}\]?", _changelog(repo), re.M):
        return f"CHANGELOG.md has no section '## [{expected}]' for the tagged release"
    return None


def _changelog(repo: Path) -> str:
    path = repo / "CHANGELOG.md"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def oldest_python() -> str:
    """The oldest supported interpreter installed (3.10, then 3.11), else this one."""
    for name in ("python3.10", "python3.11"):
        found = shutil.which(name)
        if (
            found
            and subprocess.run([found, "-c", "import venv"], capture_output=True).returncode == 0
        ):
            return found  # a pyenv shim without that version installed fails here
    return sys.executable


def build(out: Path) -> list[Path]:
    for source in (ROOT, ROOT / "tools"):
        sh(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source)
    return sorted(out.glob("txo_*"))


def install_and_generate(out: Path, release: str) -> None:
    env = out / "venv"
    sh(oldest_python(), "-m", "venv", env)
    python, pip = env / "bin" / "python", [env / "bin" / "python", "-m", "pip"]
    sh(*pip, "install", "--quiet", f"pip=={OLDEST_PIP}")
    print(sh(*pip, "--version").strip())
    wheels = [
        out / f"txo_runtime-{release}-py3-none-any.whl",
        out / f"txo_tools-{release}-py3-none-any.whl",
    ]
    sh(*pip, "install", "--quiet", f"{wheels[0]}[excel]", wheels[1])
    project = out / "acme-integrations"
    sh(env / "bin" / "txo", "new", project, "--defaults", "--trust", "--data", "org_id=acme")
    sh(*pip, "install", "--quiet", "--find-links", out, "-e", ".[dev]", cwd=project)
    sh(env / "bin" / "txo", "check", ".", cwd=project)
    print(sh(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)[-400:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "release")
    args = parser.parse_args(argv)
    release = version()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    step(f"build txo-runtime and txo-tools {release}")
    files = build(args.out)
    print("\n".join(f.name for f in files))
    step("twine check --strict")
    sh(sys.executable, "-m", "twine", "check", "--strict", *files)
    step("release tag")
    problem = tag_problem(ROOT, release)
    if problem:
        raise SystemExit(f"release-check failed: {problem}")
    print("HEAD tag (if any) matches", release)
    step(f"fresh venv, pip {OLDEST_PIP}, wheels, txo new, the project's tests")
    install_and_generate(args.out, release)
    step(f"release-check passed for {release}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
