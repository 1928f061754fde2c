"""``LocalApiServer``: OData v4, OAuth client credentials, REST CRUD, 202 polling and faults.

Run it for the demo or a generated project::

    python -m txo_runtime.testing.server --port 8080 --demo

It prints one JSON line (``url``, ``client_id``, ``client_secret``, ``odata_url``) and serves
until SIGTERM/SIGINT. In tests use the ``txo_api_server`` pytest fixture or::

    with LocalApiServer() as server:
        server.add_entity_set("Customers", rows, page_size=100)
        ...
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from txo_runtime.testing._async import AsyncOperation, Operations
from txo_runtime.testing._faults import Fault, FaultKind, PageFailure, PathPattern, encode_body
from txo_runtime.testing._faults import error_body as _error_body
from txo_runtime.testing._handler import ApiHttpServer
from txo_runtime.testing._oauth import TokenStore
from txo_runtime.testing._odata import (
    EntitySet,
    ODataQueryError,
    compute_page,
    entity_document,
    find_entity,
    max_page_size,
    metadata_xml,
    odata_response,
    parse_prefer,
    parse_query,
    render_page,
)
from txo_runtime.testing._records import RecordedRequest, Response
from txo_runtime.testing._rest import Collections

__all__ = ["AsyncOperation", "LocalApiServer", "RecordedRequest", "main"]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN_LIFETIME = 3600.0
DROP_LIMIT_SECONDS = 30.0
_TOKEN_PATH = re.compile(r"/(?:[^/]+/)?oauth2(?:/v2\.0)?/token")
_ENTITY_PATH = re.compile(r"/odata/([A-Za-z_]\w*)(?:\((.*)\))?(/\$count)?")
_OPERATION_PATH = re.compile(r"/operations/([^/]+)(/result)?")
_PROTECTED_PREFIXES = ("/odata", "/api")


class LocalApiServer:
    """A loopback API server on a daemon thread; see the module docstring.

    Configure it before or while it runs (every method is thread-safe). ``require_auth``
    and ``token_lifetime`` are plain attributes. ``clock`` (default ``time.monotonic``)
    decides token expiry, so tests can expire tokens without sleeping.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        require_auth: bool = False,
        token_lifetime: float = DEFAULT_TOKEN_LIFETIME,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.require_auth = require_auth
        self.token_lifetime = token_lifetime
        self.drop_limit = DROP_LIMIT_SECONDS
        self._lock = threading.Lock()
        self._connections_changed = threading.Condition(self._lock)
        self._stop_event = threading.Event()
        self._entities: dict[str, EntitySet] = {}
        self._tokens = TokenStore(clock)
        self._collections = Collections()
        self._operations = Operations()
        self._faults: list[Fault] = []
        self._page_failures: list[PageFailure] = []
        self._requests: list[RecordedRequest] = []
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
    ) -> None:
        """Serve ``rows`` at ``/odata/{name}`` with server-driven paging.

        ``next_link``: ``relative`` (like SAP CAP), ``absolute``, ``odata3``
        (``odata.nextLink``) or ``none``. ``ignore_top_in_paging`` mimics CAP, whose links
        run past the client's ``$top``; ``trailing_empty_page`` mimics CAP's link after a
        full last page.
        """
        entity = EntitySet.build(
            name,
            rows,
            page_size=page_size,
            key=key,
            next_link=next_link,
            ignore_top_in_paging=ignore_top_in_paging,
            trailing_empty_page=trailing_empty_page,
        )
        with self._lock:
            self._entities[name] = entity

    def add_client(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._tokens.add_client(client_id, client_secret)

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
        normally), ``drop`` (never answer; bounded by ``drop_limit``). ``delay`` also
        delays the other kinds. Faults matching one request fire in the order added.
        """
        data = _error_body(status, "Injected fault") if body is None else encode_body(body)
        fault = Fault(
            path=path,
            method=method,
            status=status,
            remaining=times,
            headers=dict(headers or {}),
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

    def reset(self) -> None:
        """Forget faults, page failures and the request log; keep data and clients."""
        with self._lock:
            self._faults.clear()
            self._page_failures.clear()
            self._requests.clear()

    # -- inspection ---------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the request log, in arrival order."""
        with self._lock:
            return list(self._requests)

    def hits(self, path: str | None = None, *, method: str | None = None, prefix: bool = False) -> int:
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

    def _begin(self, request: RecordedRequest) -> Fault | None:
        """Log the request and take the fault (if any) that applies to it."""
        with self._lock:
            self._requests.append(request)
            for fault in self._faults:
                if fault.matches(request.method, request.path):
                    fault.consume()
                    return fault
        return None

    def _respond(self, request: RecordedRequest) -> Response:
        try:
            return self._route(request)
        except Exception as exc:  # a server bug must answer 500, not hang the client
            logger.exception("LocalApiServer failed on %s %s", request.method, request.path)
            return Response.error(500, f"Internal server error: {type(exc).__name__}")

    def _base(self, request: RecordedRequest) -> str:
        host = request.headers.get("Host")
        return f"http://{host}" if host else self.url

    def _route(self, request: RecordedRequest) -> Response:
        path, base = request.path, self._base(request)
        if path.startswith(_PROTECTED_PREFIXES) and self.require_auth:
            with self._lock:
                allowed = self._tokens.is_valid(request.headers.get("Authorization", ""))
            if not allowed:
                return Response.error(
                    401,
                    "Missing, invalid or expired bearer token",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
        with self._lock:
            spec = self._operations.match(request.method, path)
            if spec is not None:
                return self._operations.start(spec, base)
        if _TOKEN_PATH.fullmatch(path):
            return self._token(request)
        operation = _OPERATION_PATH.fullmatch(path)
        if operation:
            with self._lock:
                if operation.group(2):
                    return self._operations.result(operation.group(1))
                return self._operations.poll(operation.group(1), base)
        if path == "/odata" or path.startswith("/odata/"):
            return self._odata(request, base)
        if path.startswith("/api/"):
            parts = [p for p in path[len("/api/") :].split("/") if p]
            with self._lock:
                return self._collections.handle(request.method, parts, request.body, base)
        if path in ("/", "/health"):
            return Response.json(200, {"status": "ok"})
        return Response.error(404, f"No route for {request.method} {path}")

    def _token(self, request: RecordedRequest) -> Response:
        if request.method != "POST":
            return Response.error(405, "Use POST for the token endpoint", {"Allow": "POST"})
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        with self._lock:
            return self._tokens.issue(
                form, request.headers.get("Authorization", ""), self.token_lifetime
            )

    def _odata(self, request: RecordedRequest, base: str) -> Response:
        if request.path in ("/odata", "/odata/"):
            with self._lock:
                names = list(self._entities)
            value = [{"name": n, "kind": "EntitySet", "url": n} for n in names]
            return odata_response(200, {"@odata.context": f"{base}/odata/$metadata", "value": value})
        if request.path == "/odata/$metadata":
            with self._lock:
                entities = list(self._entities.values())
            return Response(200, metadata_xml(entities), content_type="application/xml")
        match = _ENTITY_PATH.fullmatch(request.path)
        with self._lock:
            entity = self._entities.get(match.group(1)) if match else None
        if match is None or entity is None:
            return odata_response(404, _not_found(request.path))
        if request.method not in ("GET", "HEAD"):
            return Response.error(405, f"{entity.name} is read-only", {"Allow": "GET"})
        try:
            return self._odata_get(request, entity, match, base)
        except ODataQueryError as exc:
            return odata_response(exc.status, _odata_error(exc.status, str(exc)))

    def _odata_get(
        self, request: RecordedRequest, entity: EntitySet, match: re.Match[str], base: str
    ) -> Response:
        preferences = parse_prefer(request.headers.get("Prefer", ""))
        if preferences.get("return") == "representation":
            raise ODataQueryError("Prefer: return=representation is not allowed on GET")
        query = parse_query(request.query, entity)
        if match.group(2) is not None:
            row = find_entity(entity, match.group(2))
            if query.select is not None:
                row = {name: row.get(name) for name in query.select}
            return odata_response(200, entity_document(entity, row, base))
        if match.group(3):
            total = compute_page(entity, query, None).total
            return Response(200, str(total).encode(), content_type="text/plain")
        preferred = max_page_size(preferences)
        page = compute_page(entity, query, preferred)
        with self._lock:
            failure = next(
                (f for f in self._page_failures if f.take(entity.name, page.number)), None
            )
        if failure is not None:
            message = f"Injected failure of page {page.number} of {entity.name}"
            return odata_response(failure.status, _odata_error(failure.status, message))
        headers = {}
        if preferred is not None:
            applied = min(preferred, entity.page_size)
            headers["Preference-Applied"] = f"odata.maxpagesize={applied}"
        document = render_page(entity, page, query, request.query, base)
        return odata_response(200, document, headers)


def _odata_error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": str(status), "message": message}}


def _not_found(path: str) -> dict[str, Any]:
    return _odata_error(404, f"No entity set for {path}")
