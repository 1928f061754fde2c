"""Scripted faults: what the server does instead of (or before) answering a request."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Union

FaultKind = Literal["status", "reset", "delay", "drop", "hold"]
FAULT_KINDS: tuple[str, ...] = ("status", "reset", "delay", "drop", "hold")
PathPattern = Union[str, "re.Pattern[str]"]


def error_body(status: int, message: str) -> bytes:
    """An OData-style error document (``{"error": {"code", "message"}}``)."""
    return json.dumps({"error": {"code": str(status), "message": message}}).encode("utf-8")


def encode_body(body: Any) -> bytes:
    """Bytes as given, text as UTF-8, anything else as JSON."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


@dataclass
class Fault:
    """One scripted fault; ``remaining`` counts down (``None`` = forever)."""

    path: PathPattern
    method: str | None = None
    status: int = 503
    remaining: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    kind: FaultKind = "status"
    delay: float = 0.0
    fired: int = 0
    released: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, got {self.kind!r}")
        if self.remaining is not None and self.remaining < 1:
            raise ValueError(f"times must be >= 1 or None (forever), got {self.remaining}")
        if self.delay < 0:
            raise ValueError(f"delay must be >= 0, got {self.delay}")
        if self.method is not None:
            self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        """Exact path, or ``pattern.search(path)`` for a compiled regex."""
        if self.method is not None and self.method != method:
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        if isinstance(self.path, str):
            return self.path == path
        return self.path.search(path) is not None

    def release(self) -> None:
        """A ``hold`` fault: let the held requests (and later ones) be served now."""
        self.released.set()

    def wait_for_release(self, stop: threading.Event, limit: float) -> None:
        """Hold the request until :meth:`release`, the server stops, or ``limit`` s pass:
        a test decides when the answer comes, instead of betting on a delay."""
        deadline = time.monotonic() + limit
        while not (self.released.is_set() or stop.is_set()) and time.monotonic() < deadline:
            self.released.wait(0.05)

    def consume(self) -> None:
        self.fired += 1
        if self.remaining is not None:
            self.remaining -= 1


def take_fault(faults: list[Fault], method: str, path: str) -> Fault | None:
    """The first live fault (in the order added) for this request, consumed; caller locks."""
    for fault in faults:
        if fault.matches(method, path):
            fault.consume()
            return fault
    return None


@dataclass
class PageFailure:
    """``fail_page``: the ``page``-th page (1-based) of an entity set answers ``status``."""

    entity_set: str
    page: int
    status: int = 500
    remaining: int | None = None

    def take(self, entity_set: str, page: int) -> bool:
        """Consume one failure if it applies; caller locks."""
        if entity_set != self.entity_set or page != self.page:
            return False
        if self.remaining is not None:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
        return True
