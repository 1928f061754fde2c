"""Loopback GET throughput: ``MinimalRestAPI`` (circuit breaker on, limiter off) vs a raw
``requests.Session``, both against the local test server, side by side.

    .venv/bin/python benchmarks/bench_rest.py                 # 5000 GETs per side
    .venv/bin/python benchmarks/bench_rest.py --calls 1000

Both sides parse the JSON body and reuse one keep-alive connection. Calls alternate one
by one (raw, client, client, raw, ...) and each is timed, so load from other processes on
a shared machine hits both sides alike; throughput is 1 / median latency, plus the
overall wall-clock rate. Target: client >= 0.95x raw.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import requests

from txo_runtime.api_common import CircuitBreaker
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer

TARGET_RATIO = 0.95
ROWS = [{"id": i, "name": f"item {i}", "price": i * 1.5} for i in range(20)]
RAW, CLIENT = "requests.Session", "MinimalRestAPI"


def _time(one_call: Callable[[], object]) -> float:
    started = time.perf_counter()
    one_call()
    return time.perf_counter() - started


def run(calls: int) -> dict[str, list[float]]:
    """Per-call latencies of each side, alternating which side goes first."""
    latencies: dict[str, list[float]] = {RAW: [], CLIENT: []}
    with LocalApiServer() as server:
        server.add_collection("items", ROWS)
        url = f"{server.url}/api/items"
        session = requests.Session()
        api = MinimalRestAPI("bench-token", circuit_breaker=CircuitBreaker())
        headers = {"Accept": "application/json", "Authorization": "Bearer bench-token"}
        sides: dict[str, Callable[[], object]] = {
            RAW: lambda: session.get(url, headers=headers, timeout=60).json(),
            CLIENT: lambda: api.get(url),
        }
        for call in sides.values():  # warm up: connections, imports, caches
            for _ in range(200):
                call()
        for i in range(calls):
            order = (RAW, CLIENT) if i % 2 == 0 else (CLIENT, RAW)
            for name in order:
                latencies[name].append(_time(sides[name]))
        api.close()
        session.close()
    return latencies


def report(latencies: dict[str, list[float]]) -> float:
    base = 1 / statistics.median(latencies[RAW])
    print(f"{'client':<20}{'calls/s (median)':>18}{'calls/s (overall)':>19}{'ratio':>8}")
    for name, values in latencies.items():
        rate = 1 / statistics.median(values)
        overall = len(values) / sum(values)
        print(f"{name:<20}{rate:>18.0f}{overall:>19.0f}{rate / base:>8.3f}")
    ratio = statistics.median(latencies[RAW]) / statistics.median(latencies[CLIENT])
    overhead = (statistics.median(latencies[CLIENT]) - statistics.median(latencies[RAW])) * 1e6
    verdict = "OK" if ratio >= TARGET_RATIO else "BELOW TARGET"
    print(f"{CLIENT} / {RAW} = {ratio:.3f} (target >= {TARGET_RATIO}) {verdict}; "
          f"overhead {overhead:.0f} us per call")  # fmt: skip
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    report(run(args.calls))


if __name__ == "__main__":
    main()
