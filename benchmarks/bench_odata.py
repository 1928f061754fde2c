"""OData paging throughput: ``MinimalRestAPI.get_odata_entities`` vs a hand-written
``requests`` loop that follows ``@odata.nextLink``, side by side.

    .venv/bin/python benchmarks/bench_odata.py               # 50k rows local + 2.5k CAP
    .venv/bin/python benchmarks/bench_odata.py --rows 20000 --rounds 3 --no-cap

Sources: the local test server (``--rows`` rows, server page size ``--page``) and, when
``tests/integration/cap/node_modules`` exists, the real SAP CAP server (2,500 rows, page
limit 100). Rounds are interleaved; the table shows median, spread and ratio. The client
must not sleep between pages (no rate limiter here). Goal: client speed >= 0.9x the loop.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import requests
from _sidebyside import interleaved, ratio, table, verdict

from txo_runtime.api_common import CircuitBreaker
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer

TARGET_RATIO = 0.9
CAP_DIR = Path(__file__).resolve().parent.parent / "tests" / "integration" / "cap"
CAP_SERVICE = "/odata/v4/customers/"


def hand_loop(session: requests.Session, root: str, entity: str) -> int:
    """The baseline: GET, take ``value``, follow ``@odata.nextLink`` until absent."""
    rows: list[dict] = []
    url: str | None = f"{root.rstrip('/')}/{entity}"
    while url:
        page = session.get(url, headers={"Accept": "application/json"}, timeout=60).json()
        rows.extend(page["value"])
        link = page.get("@odata.nextLink")
        url = urljoin(url, link) if link else None
    return len(rows)


def compare(root: str, entity: str, expected: int, rounds: int, title: str) -> None:
    """Interleaved rounds of (hand loop, client), printed side by side."""
    session = requests.Session()
    api = MinimalRestAPI(circuit_breaker=CircuitBreaker())
    sides: dict[str, Callable[[], int]] = {
        "hand-written loop": lambda: hand_loop(session, root, entity),
        "get_odata_entities": lambda: len(api.get_odata_entities(root, entity)),
    }
    for name, side in sides.items():  # warm-up, and check both read everything
        assert side() == expected, name
    runs = interleaved(sides, rounds, warmup=0)
    table(f"{title}: {expected:,} rows", runs, "hand-written loop")
    speed = 1 / ratio(runs, "get_odata_entities", "hand-written loop")
    verdict("client speed / hand-written loop", speed, TARGET_RATIO, at_most=False)
    api.close()
    session.close()


@contextmanager
def cap_server() -> Iterator[str | None]:
    """Start ``cds-serve --in-memory`` on a free port if its node_modules exist."""
    cds = CAP_DIR / "node_modules" / ".bin" / "cds-serve"
    if not cds.exists():
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [str(cds), "--in-memory", "--port", str(port)], cwd=CAP_DIR,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}{CAP_SERVICE}"
    try:
        yield url if _ready(f"{url}Customers?$top=1") else None
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _ready(url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=1000, help="local server page size")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-cap", action="store_true")
    args = parser.parse_args()
    with LocalApiServer() as server:
        rows = [{"ID": i, "Name": f"Customer {i}", "City": "Lyon"} for i in range(args.rows)]
        server.add_entity_set("Customers", rows, page_size=args.page)
        compare(server.odata_url, "Customers", args.rows, args.rounds, f"local (page {args.page})")
    if args.no_cap:
        return
    with cap_server() as cap_url:
        if cap_url is None:
            print("CAP: skipped (run 'npm ci' in tests/integration/cap)")
            return
        compare(cap_url, "Customers", 2500, args.rounds, "SAP CAP (page 100)")


if __name__ == "__main__":
    main()
