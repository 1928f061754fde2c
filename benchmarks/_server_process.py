"""The local test server in a process of its own, as a real API is.

A ``LocalApiServer`` thread inside the measured process would share its interpreter lock
with the client threads and its memory with the client's peak RSS; in a child process it
costs the client nothing but the loopback round trip.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_SERVE = """
import sys
from txo_runtime.testing import LocalApiServer
server = LocalApiServer().start()
{setup}
print(server.url, flush=True)
sys.stdin.read()  # serve until the parent closes our stdin
server.stop()
"""


@contextmanager
def server_process(setup: str) -> Iterator[str]:
    """Yield the base URL of a server configured by ``setup`` (code using ``server``)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE.format(setup=setup)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url:
            raise RuntimeError("the test server process did not start")
        yield url
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
