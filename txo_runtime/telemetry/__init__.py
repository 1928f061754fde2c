"""OpenTelemetry for runs: a span per run and per HTTP/SOAP attempt, events, counters.

Switched on by the standard OpenTelemetry environment variables, read without importing
OpenTelemetry (a run without them imports nothing of it):

- ``OTEL_SDK_DISABLED=true`` switches it off, whatever else is set;
- otherwise any of ``OTEL_SERVICE_NAME``, ``OTEL_TRACES_EXPORTER`` (not ``none``),
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` switches it on.

When the process already has an SDK tracer/meter provider (``opentelemetry-instrument``,
or an application that set one up), the run uses it; otherwise the run builds its own from
``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` (``console``, ``otlp`` with the OTLP
exporter package installed, or ``none``) and flushes it when the run ends.

What is recorded comes from the run events (:mod:`txo_runtime.run_events`): attributes hold
methods, URLs without query values, statuses and counts - never a header, a body or a query
value, so no secret reaches a span. Needs ``pip install "txo-runtime[otel]"``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["ENABLING_VARIABLES", "NoTrace", "telemetry_enabled", "trace_run"]

logger = logging.getLogger(__name__)

ENABLING_VARIABLES = (
    "OTEL_SERVICE_NAME",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)


def telemetry_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the ``OTEL_*`` variables ask for telemetry (see the module docstring)."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    for name in ENABLING_VARIABLES:
        value = env.get(name, "").strip()
        if value and not (name == "OTEL_TRACES_EXPORTER" and value.lower() == "none"):
            return True
    return False


class NoTrace:
    """What :func:`trace_run` yields when telemetry is off: ``finish`` does nothing."""

    def finish(self, exit_code: int, error: BaseException | None) -> None:
        """Nothing to record."""


@contextmanager
def trace_run(script: str, run_id: str) -> Iterator[Any]:
    """The run's span and the listener for its calls, while the ``with`` block runs.

    Yields an object whose ``finish(exit_code, error)`` records the outcome. Off (or without
    the ``otel`` extra: then a warning says how to install it) it yields a :class:`NoTrace`.
    """
    if not telemetry_enabled():
        yield NoTrace()
        return
    try:
        from txo_runtime.telemetry._otel import RunTracer
    except ImportError:
        logger.warning(
            "OTEL_* variables are set but OpenTelemetry is not installed: pip install "
            '"txo-runtime[otel]" (this run is not traced)'
        )
        yield NoTrace()
        return
    from txo_runtime.run_events import listening

    try:
        tracer = RunTracer.start(script, run_id)
    except Exception as exc:  # noqa: BLE001 - tracing must never stop the run itself
        logger.warning(
            "OpenTelemetry could not start (%s); this run is not traced", type(exc).__name__
        )
        yield NoTrace()
        return
    try:
        with listening(tracer):
            yield tracer
    finally:
        tracer.end()
