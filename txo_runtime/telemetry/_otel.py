"""``RunTracer``: the run events as OpenTelemetry spans, span events and counters.

Imported only when telemetry is switched on (it imports OpenTelemetry at once). A span per
run (``run <script>``) is the parent of a client span per HTTP/SOAP attempt, created after
the attempt from its event with the attempt's real start and duration, so worker threads
need no context of their own. Retry waits, breaker changes, OData pages and saved files are
events on the run span; ``txo.http.calls`` and ``txo.http.retries`` count calls and retries.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from txo_runtime.logger import redact

__all__ = ["RunTracer"]

logger = logging.getLogger(__name__)

_NS = 1_000_000_000


def _exporters(variable: str, build: dict[str, Callable[[], Any]]) -> list[Any]:
    """The exporters ``variable`` names (comma-separated; default ``otlp`` as the spec says)."""
    found = []
    for name in os.environ.get(variable, "otlp").split(","):
        name = name.strip().lower()
        if name in ("", "none"):
            continue
        factory = build.get(name)
        try:
            exporter = factory() if factory is not None else None
        except ImportError:
            exporter = None
        if exporter is None:
            logger.warning(
                "%s=%s: no such exporter here (for otlp: pip install "
                "opentelemetry-exporter-otlp-proto-http)", variable, name,
            )  # fmt: skip
            continue
        found.append(exporter)
    return found


def _otlp(kind: str) -> Any:
    if kind == "traces":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def _own_providers(script: str) -> tuple[Any, Any]:
    """Providers built from the ``OTEL_*`` variables (the process had none)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    name = os.environ.get("OTEL_SERVICE_NAME") or f"txo-{script}"
    resource = Resource.create({"service.name": name})
    tracer_provider = TracerProvider(resource=resource)
    span_exporters = {"console": ConsoleSpanExporter, "otlp": lambda: _otlp("traces")}
    for exporter in _exporters("OTEL_TRACES_EXPORTER", span_exporters):
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    metric_exporters = {"console": ConsoleMetricExporter, "otlp": lambda: _otlp("metrics")}
    readers = [
        PeriodicExportingMetricReader(exporter)
        for exporter in _exporters("OTEL_METRICS_EXPORTER", metric_exporters)
    ]
    return tracer_provider, MeterProvider(resource=resource, metric_readers=readers)


def _providers(script: str) -> tuple[Any, Any, bool]:
    """(tracer provider, meter provider, owned): the process's SDK providers when it has
    them (an application or ``opentelemetry-instrument`` set them up), else our own."""
    from opentelemetry.sdk.trace import TracerProvider

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current, metrics.get_meter_provider(), False
    tracer_provider, meter_provider = _own_providers(script)
    return tracer_provider, meter_provider, True


class RunTracer(logging.Handler):
    """A run-events listener that records the run in OpenTelemetry (see the module docstring)."""

    def __init__(self, tracer_provider: Any, meter_provider: Any, owned: bool, script: str,
                 run_id: str) -> None:  # fmt: skip
        super().__init__(level=logging.DEBUG)
        from txo_runtime import __version__

        self._providers = (tracer_provider, meter_provider) if owned else ()
        tracer = tracer_provider.get_tracer("txo_runtime", __version__)
        meter = meter_provider.get_meter("txo_runtime", __version__)
        self._calls = meter.create_counter(
            "txo.http.calls", unit="{call}", description="HTTP/SOAP attempts by method, status"
        )
        self._retries = meter.create_counter(
            "txo.http.retries", unit="{retry}", description="Waits before a retry"
        )
        self._tracer = tracer
        attributes = {"txo.script": script, "txo.run_id": run_id}
        self._span = tracer.start_span(f"run {script}", attributes=attributes)
        self._context = trace.set_span_in_context(self._span)

    @classmethod
    def start(cls, script: str, run_id: str) -> RunTracer:
        tracer_provider, meter_provider, owned = _providers(script)
        return cls(tracer_provider, meter_provider, owned, script, run_id)

    def emit(self, record: logging.LogRecord) -> None:
        kind = str(record.msg)
        fields: dict[str, Any] = getattr(record, "txo_event", {})
        if kind == "http.attempt":
            self._attempt(fields)
        elif kind == "http.wait":
            self._retries.add(1, {"txo.retry_after": bool(fields.get("retry_after"))})
            self._event("retry wait", fields, ("seconds", "retry_after"))
        elif kind == "run.config":
            self._span.set_attribute("txo.org_id", str(fields.get("org_id")))
            self._span.set_attribute("txo.env_type", str(fields.get("env_type")))
        else:  # breaker.opened/closed, odata.page, file.saved
            self._event(kind, fields, ("url", "rows", "bytes", "path"))

    def _event(self, name: str, fields: dict[str, Any], keys: tuple[str, ...]) -> None:
        attributes = {f"txo.{k}": fields[k] for k in keys if fields.get(k) is not None}
        self._span.add_event(name, attributes)

    def _attempt(self, fields: dict[str, Any]) -> None:
        method, status = str(fields.get("method")), fields.get("status")
        attributes: dict[str, Any] = {
            "http.request.method": method,
            # no query values or user info (dropped at the source); redacted for a secret
            # in the path, as everything leaving the process is
            "url.full": redact(str(fields.get("url"))),
            "txo.attempt": int(fields.get("attempt") or 1),
            "txo.retryable": bool(fields.get("retryable")),
        }
        if status is not None:
            attributes["http.response.status_code"] = int(status)
        if fields.get("error"):
            attributes["error.type"] = str(fields["error"])
        started = float(fields.get("started") or 0.0)
        span = self._tracer.start_span(
            method, context=self._context, kind=SpanKind.CLIENT, attributes=attributes,
            start_time=int(started * _NS),
        )  # fmt: skip
        if fields.get("error") or (status is not None and int(status) >= 400):
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=int((started + float(fields.get("seconds") or 0.0)) * _NS))
        outcome = str(status) if status is not None else str(fields.get("error"))
        self._calls.add(1, {"http.request.method": method, "txo.outcome": outcome})

    def finish(self, exit_code: int, error: BaseException | None) -> None:
        """The run's outcome on its span: exit code, and the error's class and redacted text."""
        self._span.set_attribute("txo.exit_code", exit_code)
        if error is None and exit_code == 0:
            self._span.set_status(Status(StatusCode.OK))
            return
        name = type(error).__name__ if error is not None else "exit"
        message = redact(str(getattr(error, "message", error) or f"exit code {exit_code}"))
        self._span.add_event("exception", {"exception.type": name, "exception.message": message})
        self._span.set_status(Status(StatusCode.ERROR, f"{name} (exit {exit_code})"))

    def end(self) -> None:
        """End the run span; flush and shut down providers this run built itself."""
        self._span.end()
        for provider in self._providers:
            provider.force_flush()
            provider.shutdown()
