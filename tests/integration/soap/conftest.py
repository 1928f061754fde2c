"""A real SOAP 1.1 server (spyne over wsgiref) on a loopback port, started per module.

The service has what the SOAP client must cope with: an operation taking credentials in the
request body (``Login``), one raising faults (``Fail``), one slower than the client's
timeout (``Slow``) and a cheap one to count calls (``Echo``). Every request is recorded so
tests can count hits at the server, not in the client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

spyne = pytest.importorskip("spyne")  # spyne 2.14 needs Python < 3.13 (it imports cgi)

from spyne import Application, Double, Fault, ServiceBase, Unicode, rpc  # noqa: E402
from spyne.protocol.soap import Soap11  # noqa: E402
from spyne.server.wsgi import WsgiApplication  # noqa: E402

VALID_USER = "svc-user"
VALID_PASSWORD = "S3cr3t-Pa55w0rd-xyz"
SESSION_PREFIX = "session-for-"
NAMESPACE = "urn:txo:test:soap"


@dataclass
class Hit:
    method: str
    path: str
    body: bytes
    at: float


@dataclass
class SoapServer:
    """Handle given to tests: the WSDL URL and what the server saw."""

    base_url: str
    hits: list[Hit] = field(default_factory=list)
    release_slow: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def wsdl_url(self) -> str:
        return f"{self.base_url}/soap?wsdl"

    def posts(self) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.method == "POST"]

    def gets(self) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.method == "GET"]

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()


def _service(server: SoapServer) -> type[ServiceBase]:
    class TestService(ServiceBase):
        @rpc(Unicode, Unicode, _returns=Unicode)
        def Login(ctx: Any, username: str, password: str) -> str:  # noqa: N802, N805
            if username != VALID_USER or password != VALID_PASSWORD:
                raise Fault(faultcode="Client.AuthenticationFailed", faultstring="Bad login")
            return SESSION_PREFIX + username

        @rpc(Unicode, _returns=Unicode)
        def Fail(ctx: Any, kind: str) -> str:  # noqa: N802, N805
            if kind == "client":
                raise Fault(faultcode="Client.InvalidCustomer", faultstring="Customer 42 unknown")
            raise Fault(faultcode="Server.Boom", faultstring="Database is down")

        @rpc(Double, _returns=Unicode)
        def Slow(ctx: Any, seconds: float) -> str:  # noqa: N802, N805
            # Waits on an event (not time.sleep) so teardown can release the thread at once.
            server.release_slow.wait(seconds)
            return "done"

        @rpc(Unicode, _returns=Unicode)
        def Echo(ctx: Any, text: str) -> str:  # noqa: N802, N805
            return text

    return TestService


def _recording(app: Callable[..., Iterable[bytes]], server: SoapServer) -> Callable[..., Any]:
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        hit = Hit(environ["REQUEST_METHOD"], environ["PATH_INFO"], body, time.monotonic())
        with server.lock:
            server.hits.append(hit)
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)

    return wsgi


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None  # keep pytest output clean


@pytest.fixture(scope="module")
def soap_server() -> Iterator[SoapServer]:
    handle = SoapServer(base_url="")
    application = Application(
        [_service(handle)],
        tns=NAMESPACE,
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    wsgi = _recording(WsgiApplication(application), handle)
    httpd = make_server(
        "127.0.0.1", 0, wsgi, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    handle.base_url = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, name="spyne-server", daemon=True)
    thread.start()
    try:
        yield handle
    finally:
        handle.release_slow.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server(soap_server: SoapServer) -> SoapServer:
    """The module's server with an empty request log."""
    soap_server.reset()
    return soap_server
