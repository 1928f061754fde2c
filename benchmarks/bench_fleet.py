"""A fleet of worker processes against one API quota: rate-limit scope process vs machine vs redis.

Run: ``.venv/bin/python benchmarks/bench_fleet.py [--workers 4,8,16] [--seconds 10]``

The local test server enforces a quota (``--quota`` requests per ``--window`` seconds,
sliding window; a request beyond it gets 429 with ``Retry-After``), as Business Central does
per principal. N worker processes (``tests/fleet_worker.py``, mode ``client``) each run a
REST client built from one config, as N scripts of one customer would, and GET as fast as
their limiter lets them for ``--seconds``. Each client is configured for the whole quota
(``calls-per-second`` x window + ``burst-size`` = the quota less ``--headroom``), which is
right for a single process and wrong N-fold for N processes with their own buckets.

Printed per worker count, side by side for each scope: the requests the server accepted as
a fraction of what the quota allows (in whole windows after the first, the steady state),
and the 429s it answered. Target: machine
and redis scope reach >= 0.95 of the quota with 0 (or a bounded few) 429s at 16 workers.
Not a CI gate: a busy machine lowers the achieved fraction of every scope alike.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fleet import run_fleet  # noqa: E402 (test support lives in tests/)
from redis_server import running_redis  # noqa: E402

from txo_runtime.testing import LocalApiServer  # noqa: E402
from txo_runtime.testing.pytest_plugin import demo_test_config  # noqa: E402

SCOPES = ("process", "machine", "redis")
BURST = 5


def client_config(url: str, scope: str, rate: float, redis_url: str) -> dict[str, Any]:
    config = demo_test_config(f"{url}/api")
    config["global"]["client-id"] = "fleet-client"
    behavior = config["script-behavior"]
    behavior["rate-limiting"] = {
        "enabled": True,
        "calls-per-second": rate,
        "burst-size": BURST,
        "scope": scope,
    }
    if scope == "redis":
        behavior["rate-limiting"]["redis-url"] = redis_url
    behavior["retry-strategy"] = {"max-retries": 5, "backoff-factor": 0.1}
    behavior["circuit-breaker"]["enabled"] = False  # 429s must not open it in this test
    return config


def steady_windows(arrivals: tuple[float, ...], window: float) -> tuple[int, int]:
    """(whole quota windows, requests accepted in them), counted from one window after the
    first arrival: the steady state. Whole windows, because a sliding-window quota lets a
    bursty fleet take a full window at each window boundary; a start-up delay (the first
    connection to Redis) shifts the windows instead of counting as lost throughput."""
    if len(arrivals) < 2:
        return 0, 0
    start = arrivals[0] + window
    windows = int((arrivals[-1] - start) // window)
    end = start + windows * window
    return windows, sum(1 for t in arrivals if start <= t < end)


def one_run(args: argparse.Namespace, scope: str, workers: int, redis_url: str) -> dict[str, Any]:
    """One fleet run; the share is measured in whole windows after the first one, when a
    sliding-window quota has reached its steady state (an idle quota admits a whole window
    at once)."""
    # At most quota * (1 - headroom) calls start in any window: the headroom absorbs the
    # jitter between a call's start and its arrival at the server on a busy machine.
    rate = (args.quota * (1 - args.headroom) - BURST) / args.window
    with LocalApiServer() as server, tempfile.TemporaryDirectory() as state:
        server.enforce_quota(args.quota, args.window, path_prefix="/api/")
        config = client_config(server.url, scope, rate, redis_url)
        spec = {"mode": "client", "config": config, "path": "items"}
        results = run_fleet([spec] * workers, args.seconds, state_dirs=[Path(state)], quiet=True)
        counts = server.quota_counts()
    windows, steady = steady_windows(counts.arrivals, args.window)
    return {
        "fraction": steady / (args.quota * windows) if windows else 0.0,
        "rejected": counts.rejected,
        "failed": sum(r["failed"] for r in results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="4,8,16", help="comma-separated worker counts")
    parser.add_argument("--seconds", type=float, default=32.0, help="length of each run")
    parser.add_argument("--quota", type=int, default=500, help="requests per window")
    parser.add_argument("--window", type=float, default=10.0, help="quota window in seconds")
    parser.add_argument(
        "--headroom", type=float, default=0.02, help="share of the quota the clients leave free"
    )
    args = parser.parse_args(argv)
    if args.seconds < 2.5 * args.window:
        parser.error(
            "--seconds must be at least 2.5 windows (the share is measured in whole "
            "windows after the first)"
        )
    counts = [int(n) for n in args.workers.split(",")]
    print(f"quota {args.quota} per {args.window:g} s ({args.quota / args.window:g}/s), "
          f"{args.seconds:g} s per run, burst {BURST}, headroom {args.headroom:g}")  # fmt: skip
    header = "workers | " + " | ".join(f"{s:>7}: share  429s fail" for s in SCOPES)
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp, running_redis(Path(tmp)) as redis_url:
        for workers in counts:
            cells = []
            for scope in SCOPES:
                r = one_run(args, scope, workers, redis_url)
                cells.append(f"{'':>7}  {r['fraction']:5.2f} {r['rejected']:5d} {r['failed']:4d}")
            print(f"{workers:>7} | " + " | ".join(cells), flush=True)
    print("share = accepted / what the quota allows, in whole windows after the first; 429s = "
          "answered by the server; fail = calls still failing after the retries")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
