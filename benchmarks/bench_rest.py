"""Loopback GET throughput: ``MinimalRestAPI`` (circuit breaker on, limiter off) vs a raw
``requests.Session``, both against the local test server, side by side.

    .venv/bin/python benchmarks/bench_rest.py                 # 40 rounds x 200 GETs each
    .venv/bin/python benchmarks/bench_rest.py --calls 100 --rounds 20

Both sides parse the JSON body and reuse one keep-alive connection. Rounds are short and
interleaved (raw, client, raw, ...), and the ratio is the median of the per-round ratios,
so load from other processes hits both sides alike. Target: client >= 0.95x raw.
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


def timed(calls: int, one_call: Callable[[], object]) -> float:
    """Calls per second for ``calls`` sequential calls."""
    started = time.perf_counter()
    for _ in range(calls):
        one_call()
    return calls / (time.perf_counter() - started)


def run(calls: int, rounds: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"requests.Session": [], "MinimalRestAPI": []}
    with LocalApiServer() as server:
        server.add_collection("items", ROWS)
        url = f"{server.url}/api/items"
        session = requests.Session()
        api = MinimalRestAPI("bench-token", circuit_breaker=CircuitBreaker())
        headers = {"Accept": "application/json", "Authorization": "Bearer bench-token"}
        raw = lambda: session.get(url, headers=headers, timeout=60).json()  # noqa: E731
        client = lambda: api.get(url)  # noqa: E731
        for warm in (raw, client):
            timed(100, warm)
        for _ in range(rounds):
            results["requests.Session"].append(timed(calls, raw))
            results["MinimalRestAPI"].append(timed(calls, client))
        api.close()
        session.close()
    return results


def report(results: dict[str, list[float]]) -> float:
    base = statistics.median(results["requests.Session"])
    print(f"{'client':<20}{'median calls/s':>16}{'best calls/s':>14}{'ratio':>8}")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:<20}{median:>16.0f}{max(values):>14.0f}{median / base:>8.3f}")
    pairs = zip(results["MinimalRestAPI"], results["requests.Session"])
    ratio = statistics.median(client / raw for client, raw in pairs)
    print(f"median of per-round ratios over {len(results['MinimalRestAPI'])} rounds")
    verdict = "OK" if ratio >= TARGET_RATIO else "BELOW TARGET"
    print(f"MinimalRestAPI / requests.Session = {ratio:.3f} (target >= {TARGET_RATIO}) {verdict}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    report(run(args.calls, args.rounds))


if __name__ == "__main__":
    main()
