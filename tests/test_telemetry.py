"""OpenTelemetry: spans and counters of real runs against the local server, read from the
SDK's in-memory exporter and reader; a failed run; nothing imported when switched off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from project_factory import make_project

from txo_runtime.api_common import RetryPolicy
from txo_runtime.exceptions import HelpfulError
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.script_runner import parse_args_and_load_config, run
from txo_runtime.telemetry import telemetry_enabled
from txo_runtime.testing import LocalApiServer

pytest.importorskip("opentelemetry.sdk")
from opentelemetry import metrics, trace  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

SECRET = "otel-Secret-value-31415-abc"
QUERY_VALUE = "customer-number-887766"


@pytest.fixture(scope="module")
def in_memory() -> tuple[InMemorySpanExporter, InMemoryMetricReader]:
    """The process's SDK providers, as an application or ``opentelemetry-instrument`` sets
    them up (once per process: OpenTelemetry allows one global provider)."""
    exporter = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    if trace.get_tracer_provider() is not tracer_provider:
        pytest.skip("another global tracer provider was set in this process")
    return exporter, reader


@pytest.fixture
def telemetry(
    in_memory: tuple[InMemorySpanExporter, InMemoryMetricReader], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "txo-tests")
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    in_memory[0].clear()
    yield in_memory


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(tmp_path, secrets={"client-secret": SECRET})
    monkeypatch.chdir(root)
    monkeypatch.delenv("TXO_PROJECT_ROOT", raising=False)
    return root


def counter_values(reader: InMemoryMetricReader, name: str) -> dict[tuple[Any, ...], int]:
    data = reader.get_metrics_data()
    values: dict[tuple[Any, ...], int] = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        values[tuple(sorted(point.attributes.items()))] = int(point.value)
    return values


def all_attribute_values(spans: Any) -> str:
    parts = []
    for span in spans:
        parts += [str(v) for v in span.attributes.values()]
        for event in span.events:
            parts += [str(v) for v in event.attributes.values()]
    return "\n".join(parts)


def fetch_main(server: LocalApiServer, ending: BaseException | None = None) -> Any:
    def main() -> None:
        config = parse_args_and_load_config("otel test", argv=["acme", "test"])
        policy = RetryPolicy(max_retries=3, backoff_factor=0.0, jitter_min=0.0, jitter_max=0.0)
        with MinimalRestAPI(base_url=server.url, retry_policy=policy) as api:
            api.get("/api/items", params={"customer": QUERY_VALUE, "api_key": SECRET})
        assert config["_client_secret"] == SECRET
        if ending is not None:
            raise ending

    return main


def test_a_run_is_one_span_with_a_client_span_per_attempt_and_counters(
    telemetry: tuple[InMemorySpanExporter, InMemoryMetricReader], project: Path
) -> None:
    exporter, reader = telemetry
    calls_before = counter_values(reader, "txo.http.calls")
    retries_before = sum(counter_values(reader, "txo.http.retries").values())
    with LocalApiServer() as server:
        server.add_collection("items", [{"name": "a"}])
        server.add_fault("/api/items", status=429, times=1, headers={"Retry-After": "0"})
        server.add_fault("/api/items", status=503, times=1)
        assert run(fetch_main(server), argv=["acme", "test"]) == 0
        served = len(server.requests)

    spans = exporter.get_finished_spans()
    (run_span,) = [s for s in spans if s.name.startswith("run ")]
    attempts = [s for s in spans if s.parent is not None]
    assert served == len(attempts) == 3
    assert all(s.parent.span_id == run_span.context.span_id for s in attempts)
    assert [s.attributes["http.response.status_code"] for s in attempts] == [429, 503, 200]
    assert [s.attributes["txo.attempt"] for s in attempts] == [1, 2, 3]
    assert attempts[0].attributes["url.full"].endswith("/api/items?customer&api_key")
    assert run_span.attributes["txo.exit_code"] == 0
    assert run_span.attributes["txo.org_id"] == "acme"
    assert run_span.status.status_code.name == "OK"
    waits = [e for e in run_span.events if e.name == "retry wait"]
    assert [e.attributes["txo.retry_after"] for e in waits] == [True, False]
    text = all_attribute_values(spans)
    assert SECRET not in text and QUERY_VALUE not in text

    calls_after = counter_values(reader, "txo.http.calls")
    ok = (("http.request.method", "GET"), ("txo.outcome", "200"))
    assert calls_after[ok] - calls_before.get(ok, 0) == 1
    assert sum(counter_values(reader, "txo.http.retries").values()) - retries_before == 2


def test_a_failed_run_is_an_error_span_with_the_redacted_error(
    telemetry: tuple[InMemorySpanExporter, InMemoryMetricReader], project: Path
) -> None:
    exporter, _ = telemetry
    with LocalApiServer() as server:
        server.add_collection("items", [])
        failure = HelpfulError(f"upstream refused {SECRET}", "try later")
        assert run(fetch_main(server, failure), argv=["acme", "test"]) == 1

    spans = exporter.get_finished_spans()
    (run_span,) = [s for s in spans if s.name.startswith("run ")]
    assert run_span.status.status_code.name == "ERROR"
    assert run_span.attributes["txo.exit_code"] == 1
    (exception,) = [e for e in run_span.events if e.name == "exception"]
    assert exception.attributes["exception.type"] == "HelpfulError"
    assert "upstream refused" in exception.attributes["exception.message"]
    assert SECRET not in all_attribute_values(spans)


def test_a_run_that_fails_on_a_server_error_marks_the_attempt_span_as_error(
    telemetry: tuple[InMemorySpanExporter, InMemoryMetricReader], project: Path
) -> None:
    exporter, _ = telemetry
    with LocalApiServer() as server:
        server.add_fault("/api/items", status=404, times=None)
        assert run(fetch_main(server), argv=["acme", "test"]) == 1
    attempts = [s for s in exporter.get_finished_spans() if s.parent is not None]
    assert [s.status.status_code.name for s in attempts] == ["ERROR"]


@pytest.mark.parametrize(
    ("environ", "enabled"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "x"}, True),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_SERVICE_NAME": "x", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_telemetry_is_switched_by_the_standard_otel_variables(
    environ: dict[str, str], enabled: bool
) -> None:
    assert telemetry_enabled(environ) is enabled


SCRIPT = textwrap.dedent(
    """
    import sys
    from txo_runtime.script_runner import parse_args_and_load_config, run

    def main():
        parse_args_and_load_config("otel", argv=["acme", "test"])

    code = run(main, argv=["acme", "test"])
    print("OTEL-LOADED", any(m.startswith("opentelemetry") for m in sys.modules))
    raise SystemExit(code)
    """
)


def _run_script(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (root / "otel_script.py").write_text(SCRIPT)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TXO"))}
    return subprocess.run(
        [sys.executable, "otel_script.py"], cwd=root, env={**base, **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_nothing_of_opentelemetry_is_imported_when_it_is_off(tmp_path: Path) -> None:
    result = _run_script(make_project(tmp_path, secrets={"client-secret": SECRET}))
    assert result.returncode == 0, result.stderr
    assert "OTEL-LOADED False" in result.stdout


def test_the_otel_variables_alone_build_an_exporting_provider(tmp_path: Path) -> None:
    root = make_project(tmp_path, secrets={"client-secret": SECRET})
    result = _run_script(
        root, OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none",
        OTEL_SERVICE_NAME="acme-nightly",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "OTEL-LOADED True" in result.stdout
    start = result.stdout.index("{")
    span = json.JSONDecoder().raw_decode(result.stdout[start:])[0]
    assert span["name"] == "run otel_script"
    assert span["resource"]["attributes"]["service.name"] == "acme-nightly"
    assert span["attributes"]["txo.exit_code"] == 0


def test_soap_calls_are_client_spans_too(
    telemetry: tuple[InMemorySpanExporter, InMemoryMetricReader], project: Path
) -> None:
    pytest.importorskip("zeep")
    from project_factory import valid_config, write_json

    from txo_runtime.api_factory import create_soap_api
    from txo_runtime.testing import SoapOperation

    config_data = valid_config()
    config_data["script-behavior"]["retry-strategy"]["backoff-factor"] = 0.0
    write_json(project / "config" / "acme-test-config.json", config_data)
    exporter, _ = telemetry
    with LocalApiServer() as server:
        operation = SoapOperation(lambda _: [{"n": 1}], parameters={}, fields={"n": int})
        server.add_soap_service("Ping", {"Ping": operation})
        server.add_fault("/soap/Ping", method="POST", status=503, times=1)

        def main() -> None:
            config = parse_args_and_load_config("soap", argv=["acme", "test"])
            with create_soap_api(config, server.wsdl_url("Ping")) as soap:
                soap.call("Ping")

        assert run(main, argv=["acme", "test"]) == 0
        served = [(r.method, r.path) for r in server.requests]

    attempts = [s for s in exporter.get_finished_spans() if s.parent is not None]
    assert [(s.name, s.attributes.get("http.response.status_code")) for s in attempts] == [
        ("GET", 200), ("POST", 503), ("POST", 200),
    ]  # fmt: skip
    assert len(served) == 3
    assert attempts[0].attributes["url.full"].endswith("/soap/Ping?wsdl")
