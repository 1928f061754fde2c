"""What a user installs: third-party distributions and site-packages size of each txo install.

Builds both wheels from this checkout (``python -m build --no-isolation``), then installs, each
into a fresh virtual environment with a real ``pip install`` from the package index pip is
configured with:

- (a) the txo-runtime wheel without extras (a cron script that reads JSON and calls an API);
- (b) the txo-runtime wheel with ``[excel]`` (what a generated project depends on);
- (c) the txo-tools wheel (the ``txo`` command and the template; the runtime wheel beside it).

For each it prints the number of third-party distributions (everything but txo-runtime and
txo-tools; pip itself is not installed into the environments) and the size of site-packages
in MB (10^6 bytes, bytecode included, as pip leaves it).

    .venv/bin/python scripts/measure_install.py [--keep DIR] [--list]
    make install-size
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tempfile
import venv
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OURS = frozenset({"txo-runtime", "txo-tools"})
PIP_TIMEOUT = 1800


@dataclass(frozen=True)
class Measurement:
    label: str
    distributions: list[str]
    size_bytes: int


def build_wheels(out: Path) -> tuple[Path, Path]:
    """The txo-runtime and txo-tools wheels, built from this checkout."""
    for project in (REPO_ROOT, REPO_ROOT / "tools"):
        command = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir"]
        subprocess.run([*command, str(out), str(project)], check=True, capture_output=True)
    return next(out.glob("txo_runtime-*.whl")), next(out.glob("txo_tools-*.whl"))


def site_packages(root: Path) -> Path:
    return Path(sysconfig.get_path("purelib", vars={"base": str(root), "platbase": str(root)}))


def install(root: Path, requirements: list[str]) -> Path:
    """A fresh venv at ``root`` with ``requirements`` installed by pip; its site-packages."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    command = [sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [*command, "--quiet", *requirements],
        env=env,
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"pip install {' '.join(requirements)} failed:\n{result.stderr}")
    return site_packages(root)


def measure(label: str, site: Path) -> Measurement:
    names = {
        (dist.metadata["Name"] or "").lower().replace("_", "-")
        for dist in metadata.distributions(path=[str(site)])
    }
    size = sum(
        (Path(folder) / name).lstat().st_size
        for folder, _, files in os.walk(site)
        for name in files
    )
    return Measurement(label, sorted(names - OURS), size)


def report(results: list[Measurement], *, list_names: bool) -> None:
    print(f"{'install':<44}{'third-party':>12}{'site-packages':>16}")
    for result in results:
        mb = result.size_bytes / 1e6
        print(f"{result.label:<44}{len(result.distributions):>12}{mb:>13.1f} MB")
        if list_names:
            print(f"    {', '.join(result.distributions)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build and install here (kept afterwards)")
    parser.add_argument("--list", action="store_true", help="print the distributions' names")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="txo-install-size-") as tmp:
        work = args.keep or Path(tmp)
        runtime, tools = build_wheels(work / "dist")
        runs = {
            "(a) txo-runtime (no extras)": [str(runtime)],
            "(b) txo-runtime[excel]": [f"txo-runtime[excel] @ {runtime.as_uri()}"],
            "(c) txo-tools (+ txo-runtime)": [str(tools), str(runtime)],
        }
        results = [
            measure(label, install(work / f"venv-{index}", requirements))
            for index, (label, requirements) in enumerate(runs.items())
        ]
    report(results, list_names=args.list)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
