"""``TxoDataHandler.save()``/``load()`` of a DataFrame vs pandas directly, CSV and .xlsx.

    .venv/bin/python benchmarks/bench_save.py                 # 100k x 10, csv + xlsx, 3 runs
    .venv/bin/python benchmarks/bench_save.py --rows 20000 --repeat 5 --formats csv

``save()`` adds path checks, a temp file, ``fsync`` and ``os.replace``; the ``fsync=False``
column shows how much of the difference is the flush to disk. Runs are interleaved
(direct, save, save without fsync, ...) so machine noise hits all three alike; the table
shows the median and the best run. Goals: CSV overhead at most 5%; .xlsx save at most
0.5x ``df.to_excel(engine="openpyxl")`` (xlsxwriter with column-typed writers); .xlsx
load at most 0.3x ``pd.read_excel(engine="openpyxl")`` (calamine).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from _sidebyside import interleaved, ratio, table, verdict

from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.path_helpers import Dir

TARGET_OVERHEAD = 0.05
XLSX_SAVE_GOAL = 0.5
XLSX_LOAD_GOAL = 0.3


def make_frame(rows: int) -> pd.DataFrame:
    """10 columns of mixed types, like a typical export (ids, amounts, names, dates)."""
    rng = np.random.default_rng(42)
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "customer": [f"CUST-{n:06d}" for n in rng.integers(0, 50_000, rows)],
            "amount": rng.normal(1000, 250, rows).round(2),
            "quantity": rng.integers(1, 100, rows),
            "price": rng.random(rows) * 100,
            "country": rng.choice(["FI", "SE", "DE", "US", "GB"], rows),
            "created": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 10**7, rows), "s"),
            "active": rng.random(rows) > 0.3,
            "note": rng.choice(["", "urgent", "follow up", "paid"], rows),
            "score": rng.random(rows),
        }
    )


def timed(action: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    gc.collect()  # garbage left by the previous run must not be collected during this one
    start = clock()
    action()
    return clock() - start


def bench_format(
    frame: pd.DataFrame, root: Path, ext: str, repeat: int, clock: Callable[[], float]
) -> dict[str, list[float]]:
    folder = root / "output"
    folder.mkdir(parents=True, exist_ok=True)
    handler = TxoDataHandler(root=root)
    fast = TxoDataHandler(root=root, fsync=False)
    direct_path = folder / f"direct.{ext}"
    if ext == "csv":
        direct: Callable[[], object] = lambda: frame.to_csv(direct_path, index=False)  # noqa: E731
    else:
        direct = lambda: frame.to_excel(direct_path, engine="openpyxl", index=False)  # noqa: E731
    actions = {
        "direct": direct,
        "save()": lambda: handler.save(frame, Dir.OUTPUT, f"saved.{ext}"),
        "save(fsync=False)": lambda: fast.save(frame, Dir.OUTPUT, f"fast.{ext}"),
    }
    runs: dict[str, list[float]] = {name: [] for name in actions}
    names = list(actions)
    for round_ in itertools.islice(itertools.count(), repeat):
        shift = round_ % len(names)  # rotate the order: no writer always runs first or last
        for name in names[shift:] + names[:shift]:
            runs[name].append(timed(actions[name], clock))
    return runs


def report(ext: str, rows: int, runs: dict[str, list[float]], unit: str) -> None:
    base_median = statistics.median(runs["direct"])
    base_best = min(runs["direct"])
    print(f"\n.{ext}  {rows:,} rows x 10 columns, {len(runs['direct'])} runs, {unit}")
    print(f"  {'writer':<20}{'median s':>10}{'best s':>10}{'ratio(med)':>12}{'ratio(best)':>12}")
    for name, times in runs.items():
        median, best = statistics.median(times), min(times)
        print(
            f"  {name:<20}{median:>10.3f}{best:>10.3f}"
            f"{median / base_median:>12.3f}{best / base_best:>12.3f}"
        )
    median_overhead = statistics.median(runs["save()"]) / base_median - 1
    best_overhead = min(runs["save()"]) / base_best - 1
    if ext == "xlsx":
        ratio = statistics.median(runs["save()"]) / base_median
        met = "MET" if ratio <= XLSX_SAVE_GOAL else "NOT MET"
        print(f"  save() / to_excel(openpyxl): {ratio:.3f}x (goal <= {XLSX_SAVE_GOAL}x) {met}")
        return
    verdict = "OK" if median_overhead <= TARGET_OVERHEAD else "OVER TARGET"
    print(
        f"  save() overhead: median {median_overhead:+.1%}, best {best_overhead:+.1%}"
        f"  [{verdict}: target <= {TARGET_OVERHEAD:.0%} on the median]"
    )


def bench_xlsx_load(root: Path, repeat: int) -> None:
    """load_excel (calamine) vs pd.read_excel with openpyxl, on the file save() wrote."""
    path = root / "output" / "saved.xlsx"
    handler = TxoDataHandler(root=root)
    runs = interleaved(
        {
            "pd.read_excel(openpyxl)": lambda: pd.read_excel(path, engine="openpyxl"),
            "load_excel()": lambda: handler.load_excel(Dir.OUTPUT, "saved.xlsx"),
        },
        repeat,
        warmup=0,
    )
    table(f"load .xlsx, {path.stat().st_size / 1e6:.1f} MB", runs, "pd.read_excel(openpyxl)")
    verdict("load_excel / read_excel(openpyxl)", ratio(runs, "load_excel()",
            "pd.read_excel(openpyxl)"), XLSX_LOAD_GOAL)  # fmt: skip


def atomic_cost(frame: pd.DataFrame, root: Path, repeat: int) -> None:
    """The cost of the temp file + fsync + os.replace alone, on the CSV's bytes."""
    payload = frame.to_csv(index=False).encode("utf-8")
    plain_path = root / "output" / "plain.bin"
    plain_path.parent.mkdir(parents=True, exist_ok=True)
    variants = {
        "write_bytes": lambda: plain_path.write_bytes(payload),
        "save(bytes)": lambda: TxoDataHandler(root=root).save(payload, Dir.OUTPUT, "a.bin"),
        "save(bytes, fsync=False)": lambda: TxoDataHandler(root=root, fsync=False).save(
            payload, Dir.OUTPUT, "b.bin"
        ),
    }
    best = {name: min(timed(action) for _ in range(repeat)) for name, action in variants.items()}
    print(f"\natomic machinery alone, {len(payload) / 1e6:.1f} MB, best of {repeat}")
    for name, seconds in best.items():
        print(f"  {name:<26}{seconds * 1000:>9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="csv,xlsx", help="comma-separated: csv,xlsx")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="measure this process's CPU time instead of wall time (less noise on a busy machine)",
    )
    args = parser.parse_args()
    frame = make_frame(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        for ext in args.formats.split(","):
            clock = time.process_time if args.cpu else time.perf_counter
            runs = bench_format(frame, Path(folder), ext.strip(), args.repeat, clock)
            report(ext, args.rows, runs, "CPU s" if args.cpu else "wall s")
            if ext.strip() == "xlsx":
                bench_xlsx_load(Path(folder), args.repeat)
        atomic_cost(frame, Path(folder), max(args.repeat, 5))


if __name__ == "__main__":
    main()
