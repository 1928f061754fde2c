"""Interleaved repetitions and the side-by-side table every benchmark here prints.

Each round runs every side once, in a rotated order (no side always runs first or last),
so load from other processes on a shared machine hits all sides alike. The table shows the
median, the spread (lowest-highest), and the ratio of medians to the reference side.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping

Runs = dict[str, list[float]]


def interleaved(
    sides: Mapping[str, Callable[[], object]], repeat: int, *, warmup: int = 1, collect: bool = True
) -> Runs:
    """Seconds of each side per round; ``warmup`` rounds first, not counted. ``collect``
    runs the garbage collector before each side (off for sub-millisecond sides)."""
    names = list(sides)
    runs: Runs = {name: [] for name in names}
    for round_ in range(warmup + repeat):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            if collect:  # garbage of the previous side must not be collected during this one
                gc.collect()
            start = time.perf_counter()
            sides[name]()
            elapsed = time.perf_counter() - start
            if round_ >= warmup:
                runs[name].append(elapsed)
    return runs


def ratio(runs: Runs, side: str, reference: str) -> float:
    return statistics.median(runs[side]) / statistics.median(runs[reference])


def table(title: str, runs: Runs, reference: str, *, unit: str = "s", scale: float = 1.0) -> None:
    """Print one block: each side's median, spread and ratio to ``reference``."""
    base = statistics.median(runs[reference])
    width = max(len(name) for name in runs) + 2
    count = len(next(iter(runs.values())))
    print(f"\n{title}  ({count} interleaved runs)")
    print(f"  {'side':<{width}}{'median ' + unit:>14}{'spread ' + unit:>22}{'ratio':>9}")
    for name, values in runs.items():
        median = statistics.median(values)
        spread = f"{min(values) * scale:.3f}-{max(values) * scale:.3f}"
        print(f"  {name:<{width}}{median * scale:>14.3f}{spread:>22}{median / base:>9.3f}")


def verdict(label: str, value: float, goal: float, *, at_most: bool = True) -> str:
    """One line: the measured ratio against its goal (information, never a CI gate)."""
    met = value <= goal if at_most else value >= goal
    sign = "<=" if at_most else ">="
    line = f"  {label}: {value:.3f}x (goal {sign} {goal}x) {'MET' if met else 'NOT MET'}"
    print(line)
    return line
