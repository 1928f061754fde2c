"""Request routing for :class:`~txo_runtime.testing.server.LocalApiServer` (runs on the
handler threads; every access to shared state holds ``_lock``)."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import parse_qsl

from txo_runtime.testing._async import Operations
from txo_runtime.testing._faults import Fault, PageFailure, take_fault
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
from txo_runtime.testing._quota import Quota
from txo_runtime.testing._records import RecordedRequest, Response
from txo_runtime.testing._rest import Collections
from txo_runtime.testing._soap import SoapService

logger = logging.getLogger(__name__)

_TOKEN_PATH = re.compile(r"/(?:[^/]+/)?oauth2(?:/v2\.0)?/token")
_ENTITY_PATH = re.compile(r"/odata/([A-Za-z_]\w*)(?:\((.*)\))?(/\$count)?")
_OPERATION_PATH = re.compile(r"/operations/([^/]+)(/result)?")
_PROTECTED_PREFIXES = ("/odata", "/api")


class Router:
    """Turns a recorded request into a response; the state is the server's."""

    require_auth: bool
    token_lifetime: float
    _lock: threading.Lock
    _entities: dict[str, EntitySet]
    _tokens: TokenStore
    _collections: Collections
    _soap_services: dict[str, SoapService]
    _operations: Operations
    _faults: list[Fault]
    _page_failures: list[PageFailure]
    _requests: list[RecordedRequest]
    _quota: Quota | None

    @property
    def url(self) -> str:
        raise NotImplementedError

    def _begin(self, request: RecordedRequest) -> Fault | None:
        """Log the request, count it against the quota (a 429 when over it), and take the
        fault (if any) that applies to it."""
        with self._lock:
            self._requests.append(request)
            quota = self._quota
            if quota is not None and quota.applies_to(request.path):
                over = quota.admit(request.started)
                if over is not None:
                    return over
            return take_fault(self._faults, request.method, request.path)

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
            return self._token(request, base)
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
        if path.startswith("/soap/"):
            return self._soap(request, base)
        if path in ("/", "/health"):
            return Response.json(200, {"status": "ok"})
        return Response.error(404, f"No route for {request.method} {path}")

    def _token(self, request: RecordedRequest, base: str) -> Response:
        if request.method != "POST":
            return Response.error(405, "Use POST for the token endpoint", {"Allow": "POST"})
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        with self._lock:
            return self._tokens.issue(
                form,
                request.headers.get("Authorization", ""),
                self.token_lifetime,
                audience=f"{base}{request.path}",
            )

    def _soap(self, request: RecordedRequest, base: str) -> Response:
        with self._lock:
            service = self._soap_services.get(request.path[len("/soap/") :])
        if service is None:
            return Response.error(404, f"No SOAP service at {request.path}")
        # The handler runs outside the lock: it is test code and may take its time.
        return service.handle(request.method, request.body, f"{base}{request.path}")

    def _odata(self, request: RecordedRequest, base: str) -> Response:
        if request.path in ("/odata", "/odata/"):
            with self._lock:
                names = list(self._entities)
            value = [{"name": n, "kind": "EntitySet", "url": n} for n in names]
            return odata_response(
                200, {"@odata.context": f"{base}/odata/$metadata", "value": value}
            )
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
