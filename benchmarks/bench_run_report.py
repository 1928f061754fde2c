"""Cost of the run report: loopback GETs of one ``MinimalRestAPI`` with and without the run
report's listener attached, side by side.

    .venv/bin/python benchmarks/bench_run_report.py              # 3000 GETs per side
    .venv/bin/python benchmarks/bench_run_report.py --calls 1000

Calls alternate in blocks of 10 (off, on, on, off, ...) and each call is timed, so load
from other processes hits both sides alike; throughput is 1 / median latency. The listener
is attached around each "on" block (a real run attaches it once). Target: with the
listener >= 0.97x without.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.run_events import listening
from txo_runtime.run_report import RunRecorder
from txo_runtime.testing import LocalApiServer

TARGET_RATIO = 0.97
BLOCK = 10
OFF, ON = "no listener", "run report"


def _time(one_call: Callable[[], object]) -> float:
    started = time.perf_counter()
    one_call()
    return time.perf_counter() - started


def run(calls: int) -> tuple[dict[str, list[float]], int]:
    latencies: dict[str, list[float]] = {OFF: [], ON: []}
    recorder = RunRecorder()
    with LocalApiServer() as server:
        server.add_collection("items", [{"id": i} for i in range(20)])
        url = f"{server.url}/api/items?$filter=x"
        with MinimalRestAPI("bench-token") as api:

            def one() -> object:
                return api.get(url)

            for _ in range(200):  # warm up
                one()
            for i in range(0, calls, BLOCK):
                for name in (OFF, ON) if (i // BLOCK) % 2 == 0 else (ON, OFF):
                    if name == ON:
                        with listening(recorder):
                            latencies[ON] += [_time(one) for _ in range(BLOCK)]
                    else:
                        latencies[OFF] += [_time(one) for _ in range(BLOCK)]
    return latencies, recorder.counts.http_calls


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    calls = parser.parse_args().calls
    latencies, counted = run(calls)
    print(f"{'side':<14}{'calls/s (median)':>18}{'p10 us':>10}{'p90 us':>10}")
    for name, values in latencies.items():
        deciles = statistics.quantiles(values, n=10)
        print(f"{name:<14}{1 / statistics.median(values):>18.0f}"
              f"{deciles[0] * 1e6:>10.0f}{deciles[-1] * 1e6:>10.0f}")  # fmt: skip
    ratio = statistics.median(latencies[OFF]) / statistics.median(latencies[ON])
    extra = (statistics.median(latencies[ON]) - statistics.median(latencies[OFF])) * 1e6
    verdict = "OK" if ratio >= TARGET_RATIO else "BELOW TARGET"
    print(
        f"{ON} / {OFF} = {ratio:.3f} (target >= {TARGET_RATIO}) {verdict}; "
        f"{extra:.0f} us per call; calls counted {counted} (expected {len(latencies[ON])})"
    )


if __name__ == "__main__":
    main()
