"""202 Accepted long-running operations with a status monitor at ``/operations/<id>``."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from txo_runtime.testing._records import Response

LOCATION_MODES = ("relative", "absolute")


@dataclass
class AsyncOperation:
    """A route that answers 202 and a status monitor that is still running for ``polls`` polls.

    Poll number ``polls + 1`` gets the final answer (so ``polls=2`` means three GETs of the
    monitor in all).

    ``polls=None`` never finishes; ``final_status=303`` redirects to ``.../result``;
    ``fail_status`` (e.g. 500) makes the final poll fail instead.
    """

    path: str
    method: str = "POST"
    polls: int | None = 2
    retry_after: float | None = None
    result: Any = field(default_factory=lambda: {"status": "done"})
    final_status: int = 200
    location: str = "relative"
    fail_status: int | None = None
    started: int = 0

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.location not in LOCATION_MODES:
            raise ValueError(f"location must be one of {LOCATION_MODES}, got {self.location!r}")
        if self.polls is not None and self.polls < 0:
            raise ValueError(f"polls must be >= 0 or None, got {self.polls}")


@dataclass
class _Running:
    spec: AsyncOperation
    polls_seen: int = 0


def _retry_after(spec: AsyncOperation) -> dict[str, str]:
    if spec.retry_after is None:
        return {}
    value = spec.retry_after
    return {"Retry-After": str(int(value)) if float(value).is_integer() else str(value)}


class Operations:
    """Registered async routes and the operations they started (the server locks)."""

    def __init__(self) -> None:
        self._specs: list[AsyncOperation] = []
        self._running: dict[str, _Running] = {}
        self._ids = itertools.count(1)

    def register(self, spec: AsyncOperation) -> AsyncOperation:
        self._specs.append(spec)
        return spec

    def match(self, method: str, path: str) -> AsyncOperation | None:
        return next((s for s in self._specs if s.path == path and s.method == method), None)

    def _location(self, spec: AsyncOperation, op_id: str, base: str, suffix: str = "") -> str:
        relative = f"/operations/{op_id}{suffix}"
        return f"{base}{relative}" if spec.location == "absolute" else relative

    def start(self, spec: AsyncOperation, base: str) -> Response:
        op_id = f"op-{next(self._ids)}"
        self._running[op_id] = _Running(spec)
        spec.started += 1
        headers = {"Location": self._location(spec, op_id, base), **_retry_after(spec)}
        return Response.json(202, {"id": op_id, "status": "Running"}, headers)

    def poll(self, op_id: str, base: str) -> Response:
        running = self._running.get(op_id)
        if running is None:
            return Response.error(404, f"Operation {op_id} not found")
        spec = running.spec
        running.polls_seen += 1
        if spec.polls is None or running.polls_seen <= spec.polls:
            headers = {"Location": self._location(spec, op_id, base), **_retry_after(spec)}
            return Response.json(202, {"id": op_id, "status": "Running"}, headers)
        if spec.fail_status is not None:
            return Response.error(spec.fail_status, f"Operation {op_id} failed")
        if spec.final_status == 303:
            location = self._location(spec, op_id, base, "/result")
            return Response.json(303, {"id": op_id, "status": "Succeeded"}, {"Location": location})
        if spec.final_status == 204:
            return Response(204)
        return Response.json(spec.final_status, spec.result)

    def result(self, op_id: str) -> Response:
        running = self._running.get(op_id)
        if running is None:
            return Response.error(404, f"Operation {op_id} not found")
        return Response.json(200, running.spec.result)
