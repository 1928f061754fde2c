"""``cap_server``: a real SAP CAP OData v4 server (cds-serve, in-memory SQLite) for the tests.

Needs Node and ``npm ci`` in this folder. Without them the tests skip, unless
``TXO_REQUIRE_CAP=1`` (set by ``.ci/run``), which turns the skip into a failure so CI never
passes by silently skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

CAP_DIR = Path(__file__).resolve().parent
CDS_SERVE = CAP_DIR / "node_modules" / ".bin" / "cds-serve"
SERVICE_PATH = "/odata/v4/customers/"
READY_TIMEOUT_SECONDS = 60.0
CAP_CUSTOMER_COUNT = 2500
CAP_PAGE_LIMIT = 100


def _unavailable(reason: str) -> None:
    if os.environ.get("TXO_REQUIRE_CAP") == "1":
        pytest.fail(f"TXO_REQUIRE_CAP=1 but the CAP server cannot start: {reason}")
    pytest.skip(f"CAP integration server unavailable: {reason}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            pytest.fail(f"cds-serve exited with {process.returncode}:\n{output}")
        try:
            if requests.get(f"{url}Customers?$top=1", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet
        time.sleep(0.2)
    output = log.read_text(errors="replace")
    pytest.fail(f"cds-serve not ready after {READY_TIMEOUT_SECONDS:.0f} s:\n{output}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def cap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Service root URL, e.g. ``http://127.0.0.1:PORT/odata/v4/customers/``.

    Entity set ``Customers``: 2,500 rows (``CAP_CUSTOMER_COUNT``), page limit 100,
    relative nextLinks (``Customers?%24skiptoken=100``), read-only.
    """
    if shutil.which("node") is None:
        _unavailable("'node' is not on PATH (install Node.js 18+)")
    if not CDS_SERVE.exists():
        _unavailable(f"run 'npm ci' in {CAP_DIR} ({CDS_SERVE.name} is missing)")
    port = _free_port()
    log = tmp_path_factory.mktemp("cap") / "cds-serve.log"
    url = f"http://127.0.0.1:{port}{SERVICE_PATH}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(CDS_SERVE), "--in-memory", "--port", str(port)],
            cwd=CAP_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: teardown stops node and children
        )
    try:
        _wait_until_ready(process, url, log)
        yield url
    finally:
        _stop(process)
