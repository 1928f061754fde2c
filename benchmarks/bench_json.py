"""JSON with exact ``Decimal``: ``save()``/``load_json()`` vs the standard library, side by side.

    .venv/bin/python benchmarks/bench_json.py                 # 50k records, 9 runs
    .venv/bin/python benchmarks/bench_json.py --records 20000 --repeat 5

Save: ``TxoDataHandler(fsync=False).save(records, ..., "x.json")`` (Decimal written with
its exact digits, dates as ISO text) vs ``json.dumps(records, indent=2, default=str)``
written to a file (Decimal and dates as strings). Load: ``load_json()`` vs ``json.load``,
and ``load_json(exact_decimals=True)`` vs ``json.load(parse_float=Decimal)``.
Goals: save <= 1.05x, load <= 1.05x.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from _sidebyside import interleaved, ratio, table, verdict

from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.path_helpers import Dir

GOAL = 1.05


def make_records(count: int) -> list[dict[str, Any]]:
    """Invoice-like rows: ids, names, exact amounts, a date, flags, a nested object."""
    return [
        {
            "id": n,
            "customer": f"CUST-{n % 5000:06d}",
            "amount": Decimal(f"{n * 37 % 100000}.{n % 100:02d}"),
            "rate": n / 7,
            "created": dt.datetime(2025, 1, 1) + dt.timedelta(seconds=n * 61),
            "paid": n % 3 == 0,
            "note": None if n % 4 else "follow up",
            "address": {"city": "Helsinki", "zip": f"{n % 1000:05d}"},
        }
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    records = make_records(args.records)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        handler = TxoDataHandler(root=root, fsync=False)
        plain = root / "plain.json"

        def stdlib_save() -> None:
            plain.write_text(json.dumps(records, indent=2, default=str) + "\n", "utf-8")

        saves = interleaved(
            {
                "json.dumps(indent=2, default=str)": stdlib_save,
                "save() exact Decimal": lambda: handler.save(records, Dir.OUTPUT, "x.json"),
            },
            args.repeat,
        )
        reference = "json.dumps(indent=2, default=str)"
        table(f"save JSON, {args.records:,} records", saves, reference)
        verdict("save", ratio(saves, "save() exact Decimal", reference), GOAL)
        saved = root / "output" / "x.json"

        def stdlib_load(**options: Any) -> Any:
            with open(saved, encoding="utf-8") as handle:
                return json.load(handle, **options)

        loads = interleaved(
            {
                "json.load": stdlib_load,
                "load_json()": lambda: handler.load_json(Dir.OUTPUT, "x.json"),
                "json.load(parse_float=Decimal)": lambda: stdlib_load(parse_float=Decimal),
                "load_json(exact_decimals=True)": lambda: handler.load_json(
                    Dir.OUTPUT, "x.json", exact_decimals=True
                ),
            },
            args.repeat,
        )
        table(f"load JSON, {saved.stat().st_size / 1e6:.1f} MB", loads, "json.load")
        verdict("load", ratio(loads, "load_json()", "json.load"), GOAL)
        exact = ratio(loads, "load_json(exact_decimals=True)", "json.load(parse_float=Decimal)")
        verdict("load exact decimals vs json.load(parse_float=Decimal)", exact, GOAL)


if __name__ == "__main__":
    main()
