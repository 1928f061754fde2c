"""Loopback GET throughput: ``MinimalRestAPI`` vs a plain ``requests.Session`` loop.

    .venv/bin/python benchmarks/bench_rest.py                 # 3000 GETs a side and round
    .venv/bin/python benchmarks/bench_rest.py --calls 1000 --repeat 5

The local test server runs in a child process (``_server_process.py``). Both sides parse
the JSON body and reuse keep-alive connections; the client has its circuit breaker on
and no rate limiter. Two blocks: sequential — single calls alternate between the sides
and each call is one sample (robust on a busy machine), throughput = 1 / median latency —
and 8 threads sharing one client / one session, where each side's time for ``--calls``
GETs is one sample of interleaved rounds, throughput = calls / median time.
Goal: client >= 1.2x the session loop's throughput, thanks to reading the environment
(proxies, CA bundle, netrc) once per host instead of per request.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
from _server_process import server_process
from _sidebyside import interleaved, ratio, table, verdict

from txo_runtime.api_common import CircuitBreaker
from txo_runtime.rest_api_helpers import MinimalRestAPI

GOAL = 1.2
RAW, CLIENT = "requests.Session", "MinimalRestAPI"
SETUP = 'server.add_collection("items", [{"id": i, "name": f"item {i}"} for i in range(20)])'


def threaded(
    call: Callable[[], object], calls: int, pool: ThreadPoolExecutor
) -> Callable[[], None]:
    def run() -> None:
        for future in [pool.submit(call) for _ in range(calls)]:
            future.result()

    return run


def report(title: str, runs: dict[str, list[float]], calls: int) -> None:
    table(title, runs, RAW, unit="ms" if calls == 1 else "s", scale=1000 if calls == 1 else 1)
    for name, values in runs.items():
        print(f"  {name:<18} {calls / statistics.median(values):>8.0f} calls/s")
    verdict(f"{CLIENT} throughput / {RAW}", 1 / ratio(runs, CLIENT, RAW), GOAL, at_most=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with server_process(SETUP) as base:
        url = f"{base}/api/items"
        session = requests.Session()
        api = MinimalRestAPI("bench-token", circuit_breaker=CircuitBreaker())
        headers = {"Accept": "application/json", "Authorization": "Bearer bench-token"}
        sides: dict[str, Callable[[], object]] = {
            RAW: lambda: session.get(url, headers=headers, timeout=60).json(),
            CLIENT: lambda: api.get(url),
        }
        calls = args.calls
        runs = interleaved(sides, calls * args.repeat // 2, warmup=200, collect=False)
        report(f"sequential, single GETs alternating, {calls * args.repeat // 2} each", runs, 1)
        with ThreadPoolExecutor(8) as pool:
            runs = interleaved({n: threaded(c, calls, pool) for n, c in sides.items()}, args.repeat)
        report(f"8 threads, {calls} GETs per run", runs, calls)
        api.close()
        session.close()


if __name__ == "__main__":
    main()
