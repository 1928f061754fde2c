"""``LocalApiServer``: OData v4, OAuth client credentials, REST CRUD, SOAP, 202 polling, faults.

Run it for the demo or a generated project::

    python -m txo_runtime.testing.server --port 8080 --demo

It prints one JSON line (``url``, ``client_id``, ``client_secret``, ``odata_url``,
``token_url``; with ``--demo`` also ``soap_wsdl_url``) and serves until SIGTERM/SIGINT.
In tests use the ``txo_api_server`` pytest fixture or::

    with LocalApiServer() as server:
        server.add_entity_set("Customers", rows, page_size=100)
        ...
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from txo_runtime.testing._async import AsyncOperation, Operations
from txo_runtime.testing._faults import Fault, FaultKind, PageFailure, PathPattern, encode_body
from txo_runtime.testing._faults import error_body as _error_body
from txo_runtime.testing._handler import ApiHttpServer
from txo_runtime.testing._oauth import TokenStore
from txo_runtime.testing._odata import EntitySet
from txo_runtime.testing._quota import Quota, QuotaCounts
from txo_runtime.testing._records import RecordedRequest
from txo_runtime.testing._rest import Collections
from txo_runtime.testing._routes import Router
from txo_runtime.testing._soap import Handler, SoapFault, SoapOperation, SoapService

__all__ = [
    "AsyncOperation",
    "LocalApiServer",
    "RecordedRequest",
    "SoapFault",
    "SoapOperation",
    "main",
]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN_LIFETIME = 3600.0
DROP_LIMIT_SECONDS = 30.0


class LocalApiServer(Router):
    """A loopback API server on a daemon thread; see the module docstring.

    Configure it before or while it runs (every method is thread-safe). ``require_auth``
    and ``token_lifetime`` are plain attributes. ``clock`` (default ``time.monotonic``)
    decides token expiry, so tests can expire tokens without sleeping.
    ``plus_as_space=False`` treats ``+`` in a query literally, as SAP CAP does: a client
    that encodes spaces as ``+`` (``requests``' ``params=``) then gets 400 on ``$filter``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        require_auth: bool = False,
        token_lifetime: float = DEFAULT_TOKEN_LIFETIME,
        clock: Callable[[], float] = time.monotonic,
        plus_as_space: bool = True,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.require_auth = require_auth
        self.token_lifetime = token_lifetime
        self.plus_as_space = plus_as_space
        self.drop_limit = DROP_LIMIT_SECONDS
        self._lock = threading.Lock()
        self._connections_changed = threading.Condition(self._lock)
        self._stop_event = threading.Event()
        self._entities: dict[str, EntitySet] = {}
        self._tokens = TokenStore(clock)
        self._collections = Collections()
        self._soap_services: dict[str, SoapService] = {}
        self._operations = Operations()
        self._faults: list[Fault] = []
        self._page_failures: list[PageFailure] = []
        self._requests: list[RecordedRequest] = []
        self._quota: Quota | None = None
        self._open: dict[Any, int] = {}
        self._connections_opened = 0
        self._httpd: ApiHttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> LocalApiServer:
        if self._httpd is not None:
            return self
        self._stop_event.clear()
        self._httpd = ApiHttpServer((self.host, self.requested_port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"LocalApiServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.debug("LocalApiServer listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, cut open keep-alive connections and release the port."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop_event.set()
        httpd.shutdown()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the handler
        httpd.server_close()
        self.wait_for_open_connections(0, timeout=2.0)  # handler threads notice the shutdown
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "stopped"
        return f"LocalApiServer({where}, require_auth={self.require_auth})"

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("LocalApiServer is not running: call start() or use 'with'")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port`` without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def odata_url(self) -> str:
        return f"{self.url}/odata"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/token"

    def soap_url(self, service: str) -> str:
        """Where ``service`` (see :meth:`add_soap_service`) answers POSTed envelopes."""
        return f"{self.url}/soap/{service}"

    def wsdl_url(self, service: str) -> str:
        """The WSDL of ``service``: what ``create_soap_api(config, wsdl)`` needs."""
        return f"{self.soap_url(service)}?wsdl"

    # -- configuration ------------------------------------------------------------------
    def add_entity_set(
        self,
        name: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        page_size: int = 100,
        key: str = "ID",
        next_link: str = "relative",
        ignore_top_in_paging: bool = False,
        trailing_empty_page: bool = False,
        relative_context: bool = False,
        endless: str | None = None,
    ) -> None:
        """Serve ``rows`` at ``/odata/{name}`` with server-driven paging.

        ``next_link``: ``relative`` (like SAP CAP), ``absolute``, ``odata3``
        (``odata.nextLink``) or ``none``. The CAP quirks, each off by default:
        ``ignore_top_in_paging`` (``$top`` caps each page, links run past it),
        ``trailing_empty_page`` (a link after a full last page, then an empty page) and
        ``relative_context`` (``"@odata.context": "$metadata#Customers"``). The fault
        ``endless`` never stops paging after the last row: ``empty`` pages, the first page
        again (``repeat``) or made-up rows (``fresh``), each with a new nextLink.
        """
        entity = EntitySet.build(
            name,
            rows,
            page_size=page_size,
            key=key,
            next_link=next_link,
            ignore_top_in_paging=ignore_top_in_paging,
            trailing_empty_page=trailing_empty_page,
            relative_context=relative_context,
            endless=endless,
        )
        with self._lock:
            self._entities[name] = entity

    def add_client(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._tokens.add_client(client_id, client_secret)

    def add_certificate_client(self, client_id: str, certificate_pem: bytes | str) -> None:
        """Register a client that signs in with a client assertion (RFC 7523) signed by
        the private key of this PEM certificate (needs the ``cert`` extra)."""
        pem = (
            certificate_pem.encode("ascii") if isinstance(certificate_pem, str) else certificate_pem
        )
        with self._lock:
            self._tokens.add_certificate_client(client_id, pem)

    @property
    def assertions_accepted(self) -> int:
        """Client assertions that passed every check (signature, aud, iss/sub, exp, jti)."""
        with self._lock:
            return self._tokens.assertions_accepted

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (clients must fetch a new one)."""
        with self._lock:
            self._tokens.expire_all()

    def add_collection(self, name: str, rows: Iterable[Mapping[str, Any]] = ()) -> None:
        """Seed ``/api/{name}``; rows without ``id`` get the next integer id."""
        with self._lock:
            self._collections.seed(name, rows)

    def collection(self, name: str) -> list[dict[str, Any]]:
        """A copy of the rows of ``/api/{name}`` (to assert what a client wrote)."""
        with self._lock:
            return self._collections.rows(name)

    def add_soap_service(
        self, name: str, operations: Mapping[str, SoapOperation | Handler]
    ) -> None:
        """Serve a SOAP 1.1 document/literal service at ``/soap/{name}`` (WSDL on GET).

        ``operations`` maps operation names to a :class:`SoapOperation` or just a handler
        (no parameters, items are strings). A handler gets the parameters sent, converted to
        their declared types, and returns an item or a list of items; raising
        :class:`SoapFault` answers that fault, any other exception a ``soap:Server`` fault.
        Faults (``add_fault``) and the request log work as for any path: give
        ``method="POST"`` to a fault so that loading the WSDL (a GET) is not hit.
        """
        service = SoapService.build(name, operations)
        with self._lock:
            self._soap_services[name] = service

    def add_fault(
        self,
        path: PathPattern,
        *,
        method: str | None = None,
        status: int = 503,
        times: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        kind: FaultKind = "status",
        delay: float = 0.0,
    ) -> Fault:
        """Script a fault for ``path`` (exact path, or a compiled regex searched in it).

        ``times=None`` means forever. Kinds: ``status`` (answer status/headers/body),
        ``reset`` (TCP RST, no response), ``delay`` (wait ``delay`` s, then serve
        normally), ``drop`` (never answer; bounded by ``drop_limit``), ``hold`` (wait
        until the returned fault's ``release()``, then serve normally; bounded by
        ``drop_limit``: a test decides when the answer comes). ``delay`` also
        delays the other kinds. Faults matching one request fire in the order added.
        """
        data = _error_body(status, "Injected fault") if body is None else encode_body(body)
        headers = dict(headers or {})
        if isinstance(body, (str, bytes)) and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "text/plain; charset=utf-8"
        fault = Fault(
            path=path,
            method=method,
            status=status,
            remaining=times,
            headers=headers,
            body=data,
            kind=kind,
            delay=delay,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def add_async_operation(
        self,
        path: str,
        *,
        method: str = "POST",
        polls: int | None = 2,
        retry_after: float | None = None,
        result: Any = None,
        final_status: int = 200,
        location: str = "relative",
        fail_status: int | None = None,
    ) -> AsyncOperation:
        """``method path`` answers 202 + ``Location: /operations/<id>``; see AsyncOperation."""
        spec = AsyncOperation(
            path=path,
            method=method,
            polls=polls,
            retry_after=retry_after,
            result={"status": "done"} if result is None else result,
            final_status=final_status,
            location=location,
            fail_status=fail_status,
        )
        with self._lock:
            return self._operations.register(spec)

    def fail_page(
        self, entity_set: str, page_number: int, *, status: int = 500, times: int | None = None
    ) -> None:
        """Make the ``page_number``-th page (1-based) of ``entity_set`` answer ``status``."""
        if page_number < 1:
            raise ValueError(f"page_number is 1-based, got {page_number}")
        with self._lock:
            self._page_failures.append(PageFailure(entity_set, page_number, status, times))

    def enforce_quota(
        self,
        limit: int,
        per_seconds: float,
        *,
        path_prefix: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer 429 + ``Retry-After`` to a request beyond ``limit`` accepted requests in any
        ``per_seconds`` window (all paths, or those starting with ``path_prefix``).
        ``retry_after`` None sends the whole seconds until the window has room again.
        Rejected requests do not count against the quota; :meth:`quota_counts` reads it."""
        with self._lock:
            self._quota = Quota(limit, per_seconds, path_prefix, retry_after)

    def quota_counts(self) -> QuotaCounts:
        """Accepted and rejected requests (and arrival times) since ``enforce_quota``."""
        with self._lock:
            if self._quota is None:
                raise RuntimeError("No quota: call enforce_quota(limit, per_seconds) first")
            return self._quota.counts()

    def reset(self) -> None:
        """Forget faults, page failures, the quota and the request log; keep data and clients."""
        with self._lock:
            self._quota = None
            self._faults.clear()
            self._page_failures.clear()
            self._requests.clear()

    # -- inspection ---------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the request log, in arrival order."""
        with self._lock:
            return list(self._requests)

    def hits(
        self, path: str | None = None, *, method: str | None = None, prefix: bool = False
    ) -> int:
        """How many requests matched ``path`` (exact, or ``startswith`` if ``prefix``)."""
        wanted = method.upper() if method else None
        with self._lock:
            return sum(
                1
                for r in self._requests
                if (wanted is None or r.method == wanted)
                and (path is None or (r.path.startswith(path) if prefix else r.path == path))
            )

    @property
    def tokens_issued(self) -> int:
        with self._lock:
            return self._tokens.issued

    @property
    def connections_opened(self) -> int:
        with self._lock:
            return self._connections_opened

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def wait_for_open_connections(self, count: int, timeout: float = 5.0) -> bool:
        """Block until exactly ``count`` connections are open (the server notices a client's
        close a moment after it happens); False on timeout."""
        with self._connections_changed:
            return self._connections_changed.wait_for(lambda: len(self._open) == count, timeout)

    # -- called by the handler threads --------------------------------------------------
    def _connection_opened(self, sock: Any) -> None:
        with self._lock:
            self._connections_opened += 1
            self._open[sock] = self._connections_opened
            self._connections_changed.notify_all()

    def _connection_closed(self, sock: Any) -> None:
        with self._lock:
            self._open.pop(sock, None)
            self._connections_changed.notify_all()

    def _connection_id(self, sock: Any) -> int:
        with self._lock:
            return self._open.get(sock, 0)


# -- command line ----------------------------------------------------------------------------
def _parse_args(argv: list[str] | None) -> Any:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m txo_runtime.testing.server",
        description="Local OData/REST/OAuth API server for the txo demo and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="seed 250 Customers (page size 50), client demo-client, require a token; "
        "serve SOAP CustomerService.GetCustomers",
    )
    return parser.parse_args(argv)


def build_demo_server(host: str = "127.0.0.1", port: int = 0) -> LocalApiServer:
    """The demo server (not started): Customers x250, page size 50, OAuth required, and the
    SOAP service ``CustomerService`` (``GetCustomers``) the template's SOAP starter calls."""
    from txo_runtime.testing._demo import (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_SOAP_SERVICE,
        demo_customers,
        demo_soap_operations,
    )

    server = LocalApiServer(host, port, require_auth=True)
    server.add_entity_set("Customers", demo_customers(250), page_size=50)
    server.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    server.add_soap_service(DEMO_SOAP_SERVICE, demo_soap_operations())
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; the first stdout line is JSON describing the server."""
    import json
    import secrets
    import signal

    args = _parse_args(argv)
    if args.demo:
        from txo_runtime.testing._demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SOAP_SERVICE

        server = build_demo_server(args.host, args.port)
        client_id, client_secret = DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
    else:
        server = LocalApiServer(args.host, args.port)
        client_id, client_secret = "local-client", secrets.token_urlsafe(16)
        server.add_client(client_id, client_secret)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with server:
        info = {
            "url": server.url,
            "client_id": client_id,
            "client_secret": client_secret,
            "odata_url": server.odata_url,
            "token_url": server.token_url,
        }
        if args.demo:
            info["soap_wsdl_url"] = server.wsdl_url(DEMO_SOAP_SERVICE)
        print(json.dumps(info), flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
