"""Regenerate db/data/txo-Customers.csv: ``python tests/integration/cap/generate_data.py``.

The rows come from ``txo_runtime.testing.demo_customers`` so the CAP service and the local
server serve the same deterministic customers; ``test_cap_server_smoke.py`` checks the file
is up to date.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from txo_runtime.testing import demo_customers

CAP_DIR = Path(__file__).resolve().parent
CSV_PATH = CAP_DIR / "db" / "data" / "txo-Customers.csv"
ROW_COUNT = 2500
COLUMNS = ("ID", "Name", "City", "Country", "Revenue", "CreatedAt")


def customers_csv(count: int = ROW_COUNT) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(demo_customers(count))
    return buffer.getvalue()


if __name__ == "__main__":
    CSV_PATH.write_text(customers_csv(), encoding="utf-8")
    print(f"wrote {ROW_COUNT} customers to {CSV_PATH}")
