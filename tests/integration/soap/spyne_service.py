"""A real SOAP 1.1 server (spyne over wsgiref) on a loopback port, for the SOAP tests.

The service has what the SOAP client must cope with: an operation taking credentials in the
request body (``Login``), one raising faults (``Fail``), one slower than the client's
timeout (``Slow``) and a cheap one to count calls (``Echo``). Every request is recorded so
tests can count hits at the server, not in the client.
"""

from __future__ import annotations

import importlib.util
import io
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

with warnings.catch_warnings():
    # spyne 2.14 vendors an old `six` whose importer trips ImportWarning on Python 3.11;
    # warnings are errors in this test suite, so silence them for the import only.
    warnings.simplefilter("ignore", ImportWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    # spyne 2.14 needs Python < 3.13 (it imports cgi); the tests importorskip it.
    from spyne import Application, Double, Fault, ServiceBase, Unicode, rpc
    from spyne.protocol.soap import Soap11
    from spyne.server.wsgi import WsgiApplication
    from spyne.util import six as _spyne_six


def _teach_spyne_six_find_spec() -> None:
    """Give spyne's vendored six 1.14 importer the PEP 451 methods six 1.16 has.

    Without them every later import that reaches the end of ``sys.meta_path`` warns
    (ImportWarning: find_spec() not found), which is an error in this suite and would hit
    unrelated tests in the same session. This is what six 1.16 does, nothing more.
    """
    importer_class = _spyne_six._SixMetaPathImporter
    if hasattr(importer_class, "find_spec"):
        return

    def find_spec(self: Any, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in self.known_modules:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self: Any, spec: Any) -> Any:
        return self.load_module(spec.name)

    def exec_module(self: Any, module: Any) -> None:
        return None

    importer_class.find_spec = find_spec
    importer_class.create_module = create_module
    importer_class.exec_module = exec_module


_teach_spyne_six_find_spec()

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
    user_agent: str


@dataclass
class SoapServer:
    """Handle given to tests: the WSDL URL and what the server saw."""

    base_url: str
    hits: list[Hit] = field(default_factory=list)
    release_slow: threading.Event = field(default_factory=threading.Event)
    # Scripted answers for the next POSTs, e.g. [(503, "0"), (401, None)]: status and
    # Retry-After, sent instead of passing the request to spyne.
    scripted: list[tuple[int, str | None]] = field(default_factory=list)
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
            self.scripted.clear()

    def script(self, *answers: tuple[int, str | None]) -> None:
        with self.lock:
            self.scripted.extend(answers)

    def next_scripted(self, method: str) -> tuple[int, str | None] | None:
        with self.lock:
            return self.scripted.pop(0) if method == "POST" and self.scripted else None


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
        method = environ["REQUEST_METHOD"]
        agent = environ.get("HTTP_USER_AGENT", "")
        with server.lock:
            server.hits.append(Hit(method, environ["PATH_INFO"], body, time.monotonic(), agent))
        scripted = server.next_scripted(method)
        if scripted is not None:
            status, retry_after = scripted
            headers = [("Content-Type", "text/plain")]
            if retry_after is not None:
                headers.append(("Retry-After", retry_after))
            start_response(f"{status} Scripted", headers)
            return [b"scripted answer"]
        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)

    return wsgi


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None  # keep pytest output clean


def start(handle: SoapServer) -> tuple[WSGIServer, threading.Thread]:
    """Serve the test service on 127.0.0.1 at a free port; fills in ``handle.base_url``."""
    application = Application(
        [_service(handle)],
        tns=NAMESPACE,
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    wsgi = _recording(WsgiApplication(application), handle)
    httpd = make_server(
        "127.0.0.1", 0, wsgi, server_class=ThreadingServer, handler_class=QuietHandler
    )
    handle.base_url = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, name="spyne-server", daemon=True)
    thread.start()
    return httpd, thread
