"""A real ``redis-server`` on a free loopback port in a temp dir, for the shared-limit tests.

Skips with the reason when the binary is missing, unless ``TXO_REQUIRE_REDIS=1`` (set by
``.ci/run``): then the missing server is a failure, so CI cannot skip the Redis tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("TXO_REQUIRE_REDIS") == "1":
        pytest.fail(f"TXO_REQUIRE_REDIS=1 but Redis cannot start: {reason}")
    pytest.skip(f"{reason} (Debian: apt-get install redis-server)")


def _wait_until_up(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _unavailable(f"redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    _unavailable(f"redis-server did not answer PING within {timeout} s")


@contextmanager
def running_redis(workdir: Path) -> Iterator[str]:
    """``redis://127.0.0.1:<port>/0`` of a fresh server (no persistence), stopped on exit."""
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("redis-server is not installed")
    assert binary is not None
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    args += ["no", "--dir", str(workdir), "--daemonize", "no", "--loglevel", "warning"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A running ``redis-server`` of this test alone."""
    workdir = tmp_path / "redis"
    workdir.mkdir()
    with running_redis(workdir) as url:
        yield url
