"""JSON REST collections: ``/api/{collection}[/{id}]`` CRUD (the server locks around it)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from txo_runtime.testing._records import Response

_ITEM_METHODS = "GET, PUT, PATCH, DELETE"
_LIST_METHODS = "GET, POST"


class Collections:
    """Named collections of JSON objects keyed by ``str(row["id"])``, in insertion order."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}
        self._counters: dict[str, int] = {}

    def _collection(self, name: str) -> dict[str, dict[str, Any]]:
        return self._rows.setdefault(name, {})

    def _next_id(self, name: str) -> int:
        rows = self._collection(name)
        counter = self._counters.get(name, 0) + 1
        while str(counter) in rows:
            counter += 1
        self._counters[name] = counter
        return counter

    def seed(self, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
        collection = self._collection(name)
        for row in rows:
            stored = dict(row)
            stored.setdefault("id", self._next_id(name))
            collection[str(stored["id"])] = stored

    def rows(self, name: str) -> list[dict[str, Any]]:
        return [dict(row) for row in self._rows.get(name, {}).values()]

    def handle(self, method: str, parts: list[str], body: bytes, base: str) -> Response:
        """``parts`` = ``[collection]`` or ``[collection, id]`` (already percent-decoded)."""
        if len(parts) == 1:
            return self._list_route(method, parts[0], body, base)
        if len(parts) == 2:
            return self._item_route(method, parts[0], parts[1], body)
        return Response.error(404, f"No route for /api/{'/'.join(parts)}")

    def _list_route(self, method: str, name: str, body: bytes, base: str) -> Response:
        if method == "GET":
            return Response.json(200, self.rows(name))
        if method != "POST":
            return Response.error(405, f"{method} not allowed", {"Allow": _LIST_METHODS})
        payload = _json_object(body)
        if isinstance(payload, Response):
            return payload
        collection = self._collection(name)
        payload.setdefault("id", self._next_id(name))
        key = str(payload["id"])
        if key in collection:
            return Response.error(409, f"{name} with id {key} already exists")
        collection[key] = payload
        return Response.json(201, payload, {"Location": f"{base}/api/{name}/{key}"})

    def _item_route(self, method: str, name: str, key: str, body: bytes) -> Response:
        collection = self._collection(name)
        if method not in ("GET", "PUT", "PATCH", "DELETE"):
            return Response.error(405, f"{method} not allowed", {"Allow": _ITEM_METHODS})
        if key not in collection:
            return Response.error(404, f"{name} with id {key} not found")
        if method == "GET":
            return Response.json(200, collection[key])
        if method == "DELETE":
            del collection[key]
            return Response(204)
        payload = _json_object(body)
        if isinstance(payload, Response):
            return payload
        if method == "PUT":
            collection[key] = {**payload, "id": collection[key]["id"]}
        else:
            collection[key].update({k: v for k, v in payload.items() if k != "id"})
        return Response.json(200, collection[key])


def _json_object(body: bytes) -> dict[str, Any] | Response:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return Response.error(400, f"Invalid JSON body: {exc}")
    if not isinstance(payload, dict):
        return Response.error(400, "The JSON body must be an object")
    return payload
