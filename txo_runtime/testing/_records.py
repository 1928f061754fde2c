"""What the server saw: one :class:`RecordedRequest` per request, in arrival order."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class HeaderDict(dict[str, str]):
    """A plain ``dict`` of request headers whose look-ups ignore case.

    HTTP header names are case-insensitive; tests should not care whether a client sent
    ``Authorization`` or ``authorization``. Keys keep the spelling the client used.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(items)

    def _key(self, key: object) -> object:
        if isinstance(key, str) and not super().__contains__(key):
            wanted = key.lower()
            for existing in self:
                if existing.lower() == wanted:
                    return existing
        return key

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(str(self._key(key)))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._key(key))

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(str(self._key(key)), default)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received (``path`` is percent-decoded and has no query string).

    ``query`` keeps the last value of a repeated parameter; ``raw_target`` is the request
    target exactly as sent. ``started`` is ``time.monotonic()`` when the request line
    arrived, so tests can check spacing between attempts without sleeping themselves.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: HeaderDict
    body: bytes
    started: float
    raw_target: str = ""
    connection_id: int = 0

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` if it is not JSON)."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    """An answer the handler writes with ``Content-Length`` (keep-alive friendly)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] | None = None
    content_type: str = "application/json"

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        data = json.dumps(payload, default=str, separators=(",", ":")).encode("utf-8")
        return cls(status, data, headers)

    @classmethod
    def error(cls, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        """The OData/REST error shape ``{"error": {"code", "message"}}``."""
        return cls.json(status, {"error": {"code": str(status), "message": message}}, headers)
