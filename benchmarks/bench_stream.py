"""Peak memory of a 1M-row OData pull saved to CSV / JSONL: streamed vs held in memory.

    .venv/bin/python benchmarks/bench_stream.py                    # 1,000,000 rows, 3 runs
    .venv/bin/python benchmarks/bench_stream.py --rows 200000 --repeat 1 --formats csv

The local test server runs in its own process with ``--rows`` rows (page size 5,000).
Each measured side is a fresh child process, so its peak RSS (``ru_maxrss``) is its own:

- ``save_rows(iter_odata_entities(...))``: rows streamed from the pages to the file;
- ``save(get_odata_entities(...))``: the reference, every row in a list first (what a
  script does without streaming);
- ``import only``: the interpreter with requests and txo_runtime imported, the floor.

Sides are interleaved per round; the table shows medians (MiB and seconds). Goal: the
streamed save's peak RSS <= 150 MB, whatever the row count.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile

from _server_process import server_process

GOAL_MB = 150
SETUP = """
rows = ({{"ID": i, "Customer": f"CUST-{{i % 50000:06d}}", "Amount": round(i * 1.37, 2),
          "Country": "FI", "Created": "2025-01-01T10:00:00Z"}} for i in range({rows}))
server.add_entity_set("Orders", rows, page_size=5000)
"""
CHILD = """
import json, resource, sys, time
from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.path_helpers import Dir
from txo_runtime.rest_api_helpers import MinimalRestAPI
mode, url, root, name = sys.argv[1:5]
started = time.perf_counter()
rows = None
if mode != "import":
    handler = TxoDataHandler(root=root, fsync=False)
    with MinimalRestAPI() as api:
        if mode == "stream":
            path = handler.save_rows(api.iter_odata_entities(url, "Orders"), Dir.OUTPUT, name)
        else:
            data = api.get_odata_entities(url, "Orders")
            rows = len(data)
            path = handler.save(data, Dir.OUTPUT, name)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak}))
"""
SIDES = {
    "import only": "import",
    "save_rows(iter_odata_entities)": "stream",
    "save(get_odata_entities)": "list",
}


def measure(mode: str, url: str, root: str, name: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, url, root, name],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="csv,jsonl")
    parser.add_argument("--no-reference", action="store_true", help="skip the in-memory side")
    args = parser.parse_args()
    sides = {k: v for k, v in SIDES.items() if not (args.no_reference and v == "list")}
    setup = SETUP.format(rows=args.rows)
    with server_process(setup) as base, tempfile.TemporaryDirectory() as root:
        url = f"{base}/odata"
        for ext in args.formats.split(","):
            samples: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
            names = list(sides)
            for round_ in range(args.repeat):
                shift = round_ % len(names)
                for side in names[shift:] + names[:shift]:
                    samples[side].append(measure(sides[side], url, root, f"orders.{ext}"))
            report(ext, args.rows, samples)


def report(ext: str, rows: int, samples: dict[str, list[dict[str, float]]]) -> None:
    print(f"\n{rows:,} OData rows -> .{ext}  ({len(next(iter(samples.values())))} runs each)")
    print(f"  {'side':<34}{'peak RSS MiB':>14}{'spread':>16}{'seconds':>10}")
    for side, runs in samples.items():
        peaks = [run["peak_mib"] for run in runs]
        seconds = statistics.median(run["seconds"] for run in runs)
        spread = f"{min(peaks):.0f}-{max(peaks):.0f}"
        print(f"  {side:<34}{statistics.median(peaks):>14.1f}{spread:>16}{seconds:>10.1f}")
    streamed = statistics.median(r["peak_mib"] for r in samples["save_rows(iter_odata_entities)"])
    mb = streamed * 1.048576
    met = "MET" if mb <= GOAL_MB else "NOT MET"
    print(f"  streamed peak RSS: {mb:.0f} MB (goal <= {GOAL_MB} MB) {met}")


if __name__ == "__main__":
    main()
