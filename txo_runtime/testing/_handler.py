"""The socket side: HTTP/1.1 keep-alive handler, connection counting and fault actions.

``http.server`` is used (not a framework) so the server needs nothing beyond the standard
library and we control the socket: a fault can reset the TCP connection or never answer.
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from txo_runtime.testing._records import HeaderDict, RecordedRequest, Response

if TYPE_CHECKING:
    from txo_runtime.testing.server import LocalApiServer

logger = logging.getLogger(__name__)
_NO_BODY_STATUSES = (204, 304)


class ApiHttpServer(ThreadingHTTPServer):
    """Threaded server that tells the app when connections open and close."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: LocalApiServer) -> None:
        self.app = app
        super().__init__(address, ApiRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.app._connection_opened(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self.app._connection_closed(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("Connection from %s failed", client_address, exc_info=True)


class ApiRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries Content-Length
    server_version = "txo-local-api/3.0"
    disable_nagle_algorithm = True  # headers and body are two writes; avoid the 40 ms stall
    server: ApiHttpServer
    _started = 0.0

    def parse_request(self) -> bool:
        self._started = time.monotonic()  # when the request line arrived, not the idle wait
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        logger.debug("%s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _record(self) -> RecordedRequest:
        target = urlsplit(self.path)
        query = target.query
        if not self.server.app.plus_as_space:  # like SAP CAP: '+' stays '+' (and fails)
            query = query.replace("+", "%2B")
        return RecordedRequest(
            method=self.command,
            path=unquote(target.path),
            query=dict(parse_qsl(query, keep_blank_values=True)),
            headers=HeaderDict(self.headers.items()),
            body=self._read_body(),
            started=self._started,
            raw_target=self.path,
            connection_id=self.server.app._connection_id(self.connection),
        )

    def _dispatch(self) -> None:
        app = self.server.app
        request = self._record()
        fault = app._begin(request)
        if fault is not None and fault.delay > 0:
            app._stop_event.wait(fault.delay)
        if fault is not None and fault.kind == "hold":
            fault.wait_for_release(app._stop_event, app.drop_limit)
        if fault is not None and fault.kind == "reset":
            self._reset()
        elif fault is not None and fault.kind == "drop":
            self._drop(app.drop_limit)
        elif fault is not None and fault.kind == "status":
            self._write(Response(fault.status, fault.body, dict(fault.headers)))
        else:
            self._write(app._respond(request))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        headers = dict(response.headers or {})
        if response.status not in _NO_BODY_STATUSES:
            if response.body and not any(k.lower() == "content-type" for k in headers):
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and response.status not in _NO_BODY_STATUSES:
            self.wfile.write(response.body)

    def _reset(self) -> None:
        """Abort with a TCP RST: SO_LINGER 0 makes close() discard and reset."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _drop(self, limit: float) -> None:
        """Never answer; return once the client hangs up, the server stops or ``limit``."""
        deadline = time.monotonic() + limit
        stop = self.server.app._stop_event
        while not stop.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable:
                break  # EOF (client gave up) or unexpected bytes: either way we are done
        self.close_connection = True
