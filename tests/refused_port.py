"""A loopback URL whose connections are refused, for as long as the ``with`` block runs.

A socket that is bound but never listens makes the kernel refuse every connection to its
port, and holding it keeps any other process from taking that port meanwhile (a port that
was merely closed could be reused by a parallel test).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def refused_url() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` where nothing accepts a connection."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
