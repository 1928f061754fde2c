"""Start N fleet workers (``tests/fleet_worker.py``), release them together, collect results.

Shared by the cross-process tests and ``benchmarks/bench_fleet.py``: every worker is set up
(imports done, limiter built) before the common start time is sent, so a slow start-up
of one process never shortens the window of the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("fleet_worker.py")
READY_TIMEOUT = 120.0


def run_fleet(
    specs: Sequence[Mapping[str, Any]],
    seconds: float,
    *,
    state_dirs: Sequence[Path],
    lead_in: float = 0.5,
    quiet: bool = False,
) -> list[dict[str, int]]:
    """Run one worker per spec (worker i uses ``state_dirs[i % len(state_dirs)]`` as its
    machine-scope state dir) for ``seconds`` of wall clock; their JSON summaries.
    ``quiet`` drops the workers' log output (a benchmark's retries warn on every 429)."""
    processes = []
    for index, spec in enumerate(specs):
        env = {**os.environ, "TXO_RATELIMIT_DIR": str(state_dirs[index % len(state_dirs)])}
        processes.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(spec)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                stderr=subprocess.DEVNULL if quiet else None,  # retry warnings, if asked
            )
        )
    try:
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line == "ready", f"worker failed to start (said {line!r})"
        start = time.time() + lead_in
        window = json.dumps({"start": start, "end": start + seconds}) + "\n"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(window)
            process.stdin.flush()
        results = []
        for process in processes:
            out, _ = process.communicate(timeout=seconds + READY_TIMEOUT)
            assert process.returncode == 0, f"worker exited {process.returncode}"
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
