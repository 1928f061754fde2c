"""The run report: exact counts from every thread, and a report for every kind of ending."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from project_factory import make_project, valid_config, write_json

from txo_runtime.api_common import CircuitBreaker, RetryPolicy
from txo_runtime.concurrency import parallel_map
from txo_runtime.exceptions import HelpfulError
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.run_events import emit, listening, url_for_events
from txo_runtime.run_report import RunRecorder, build_report, report_filename
from txo_runtime.script_runner import parse_args_and_load_config, run
from txo_runtime.testing import LocalApiServer

SECRET = "run-report-Secret-77aa-ZZ"


def test_counts_are_exact_across_eight_worker_threads() -> None:
    with LocalApiServer() as server:
        server.add_collection("items", [{"name": f"n{i}"} for i in range(10)])
        unavailable = server.add_fault("/api/items", method="GET", status=503, times=25)
        # more retries than faults: every call succeeds however the 503s fall on threads
        policy = RetryPolicy(max_retries=30, backoff_factor=0.0, jitter_min=0.0, jitter_max=0.0)
        recorder = RunRecorder()
        with listening(recorder), MinimalRestAPI(base_url=server.url, retry_policy=policy) as api:
            result = parallel_map(lambda _: api.get("/api/items"), range(200), max_workers=8)
        assert result.failures == []
        counts = recorder.counts
        assert counts.http_calls == len(server.requests) == 225
        assert counts.by_method_and_status() == {"GET": {"200": 200, "503": unavailable.fired}}
        assert counts.waits == unavailable.fired == 25
        assert counts.retry_after_waits == 0


def test_breaker_openings_and_closings_are_counted() -> None:
    clock = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, timeout_seconds=10, clock=lambda: clock[0])
    recorder = RunRecorder()
    with listening(recorder):
        breaker.record_failure()
        breaker.record_failure()  # opens
        clock[0] = 11.0
        assert breaker.allow()
        breaker.record_success()  # closes
    assert (recorder.counts.breaker_openings, recorder.counts.breaker_closings) == (1, 1)


def test_event_urls_keep_query_names_and_drop_their_values() -> None:
    url = "https://h.example/odata/Customers?$filter=Name eq 'x'&api_key=s3cr3t&$top=5"
    assert url_for_events(url) == "https://h.example/odata/Customers?$filter&api_key&$top"
    assert url_for_events("https://me:pw-123@h.example:8443/x?a=1") == "https://h.example:8443/x?a"


def test_report_file_name_is_org_env_script_and_utc_time_to_the_millisecond() -> None:
    assert report_filename("acme", "test", "fetch", 0.0) == (
        "acme-test-fetch_1970-01-01T000000.000Z.run.json"
    )


def test_the_report_holds_retry_after_waits_and_their_total() -> None:
    recorder = RunRecorder()
    with listening(recorder):
        emit("http.wait", seconds=1.5, retry_after=True)
        emit("http.wait", seconds=0.25, retry_after=False)
        emit("http.wait", seconds=2.0, retry_after=True)
    report = build_report(
        recorder.counts, script="s", run_id="r", started=0.0, ended=2.0, exit_code=0, error=None
    )
    assert report["http"]["retries"] == 3
    assert (report["http"]["retry_after_waits"], report["http"]["retry_after_seconds"]) == (2, 3.5)
    assert report["http"]["wait_seconds"] == 3.75


# --- run(main) writes a report however the run ends -------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(tmp_path, secrets={"client-secret": SECRET})
    monkeypatch.chdir(root)
    monkeypatch.delenv("TXO_PROJECT_ROOT", raising=False)
    return root


def _reports(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((root / "logs").glob("*.run.json"))]


def _main_that(ending: BaseException | None) -> Any:
    def main() -> None:
        config = parse_args_and_load_config("test", argv=["acme", "test"])
        emit("file.saved", path="output/x.json", rows=3, bytes=42)
        assert config["_client_secret"] == SECRET
        if ending is not None:
            raise ending

    return main


@pytest.mark.parametrize(
    ("ending", "code", "error_class"),
    [
        (None, 0, None),
        (HelpfulError(f"bad value {SECRET}", "fix it"), 1, "HelpfulError"),
        (RuntimeError(f"boom {SECRET}"), 1, "RuntimeError"),
        (KeyboardInterrupt(), 130, "KeyboardInterrupt"),
    ],
    ids=["ok", "helpful-error", "exception", "ctrl-c"],
)
def test_every_run_writes_a_report_with_exit_code_and_redacted_error(
    project: Path, ending: BaseException | None, code: int, error_class: str | None
) -> None:
    assert run(_main_that(ending), argv=["acme", "test"]) == code
    (report,) = _reports(project)
    assert report["exit_code"] == code
    assert (report["error"] or {}).get("class") == error_class
    assert SECRET not in json.dumps(report)
    assert report["files"] == [{"path": "output/x.json", "rows": 3, "bytes": 42}]
    assert (report["org_id"], report["env_type"]) == ("acme", "test")
    assert report["duration_seconds"] >= 0 and report["started"] <= report["ended"]


def test_a_run_that_fails_before_its_config_still_reports(project: Path) -> None:
    def main() -> None:
        write_json(project / "config" / "acme-test-config.json", {"global": {}})
        parse_args_and_load_config("test", argv=["acme", "test"])

    assert run(main, argv=["acme", "test"]) == 1
    (report,) = _reports(project)
    assert report["error"]["class"] in {"ConfigurationError", "MissingConfigKeyError"}
    assert report["http"]["calls"] == 0
    write_json(project / "config" / "acme-test-config.json", valid_config())


def test_help_writes_no_report(project: Path) -> None:
    def main() -> None:
        parse_args_and_load_config("test", argv=["--help"])

    assert run(main, argv=["--help"]) == 0
    assert _reports(project) == []
