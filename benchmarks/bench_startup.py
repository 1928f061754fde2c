"""Start-up cost of a generated script vs ``import requests``: wall time and peak RSS.

Generates a default project with copier into a temp dir, then runs, alternately,
``python -m src.fetch_customers --help`` (in the project) and ``python -c "import requests"``
``--runs`` times each (interleaved). Wall time is the median (spread shown); peak RSS is
the child's ``ru_maxrss``, read per run with ``os.wait4``. Goals: <= 1.2x wall and
<= 1.1x RSS. Information only: the exit code is 0 either way.

``--help`` loads no HTTP stack (requests comes with the first client), so a third row,
``import requests, src.fetch_customers`` (the script's imports and its module-level
``setup_logger()`` with requests loaded, as a real run has them before its first call), shows
what the runtime adds to a run's start-up; its ratio is printed for information, no goal.

    .venv/bin/python benchmarks/bench_startup.py [--runs 15]

Both sides run from compiled bytecode, as an installed package does: pip compiles
requests to ``.pyc`` at install time, while an editable txo_runtime in a sandbox with
``PYTHONDONTWRITEBYTECODE=1`` would otherwise be compiled from source on every run, which
measures the compiler rather than the imports. ``compileall`` levels the field.

When the target is missed, ``python -X importtime -m src.fetch_customers --help`` shows which
import is heavy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WALL_GOAL = 1.2
RSS_GOAL = 1.1


def generate_project(workdir: Path) -> Path:
    project = workdir / "bench-project"
    command = [
        sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet",
        "--vcs-ref", "HEAD", str(REPO_ROOT), str(project),
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(workdir)}
    subprocess.run(command, check=True, env=env, capture_output=True)
    return project


def precompile(project: Path) -> None:
    """Write .pyc files for txo_runtime and the project (see the module docstring)."""
    import txo_runtime

    for folder in (Path(txo_runtime.__file__).parent, project / "src"):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True)


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command} failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # Linux: KiB


def compare(project: Path, runs: int) -> dict[str, list[tuple[float, float]]]:
    commands = {
        "fetch_customers --help": [sys.executable, "-m", "src.fetch_customers", "--help"],
        "import requests": [sys.executable, "-c", "import requests"],
        "requests + script imports": [
            sys.executable, "-c", "import requests, src.fetch_customers",
        ],
    }  # fmt: skip
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs + 1):  # the first round warms the file cache and is dropped
        for name, command in commands.items():
            samples[name].append(measure(command, project))
    return {name: values[1:] for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="txo-bench-") as tmp:
        project = generate_project(Path(tmp))
        precompile(project)
        results = compare(project, runs)
    medians = {
        name: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v))
        for name, v in results.items()
    }
    (script_s, script_mb), (base_s, base_mb), (run_s, run_mb) = medians.values()
    print(f"{runs} interleaved runs each")
    print(f"{'command':<28}{'wall (median)':>16}{'spread ms':>16}{'peak RSS':>12}")
    for name, (seconds, mib) in medians.items():
        walls = [s[0] * 1000 for s in results[name]]
        spread = f"{min(walls):.0f}-{max(walls):.0f}"
        print(f"{name:<28}{seconds * 1000:>13.1f} ms{spread:>16}{mib:>9.1f} MiB")
    time_ratio, rss_ratio = script_s / base_s, script_mb / base_mb
    print(f"{'ratio (--help)':<28}{time_ratio:>15.2f}x{'':>16}{rss_ratio:>11.2f}x")
    run_ratios = f"{run_s / base_s:>15.2f}x{'':>16}{run_mb / base_mb:>11.2f}x"
    print(f"{'ratio (script imports)':<28}{run_ratios}  (information, no goal)")
    for label, value, goal in (("wall", time_ratio, WALL_GOAL), ("RSS", rss_ratio, RSS_GOAL)):
        met = "MET" if value <= goal else "NOT MET"
        print(f"  {label}: {value:.2f}x (goal <= {goal}x) {met}")
    if time_ratio > WALL_GOAL or rss_ratio > RSS_GOAL:
        print("  see `python -X importtime -m src.fetch_customers --help` for the heavy imports")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
