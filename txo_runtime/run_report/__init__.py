"""The run report: what one ``run(main)`` did, as a JSON file and a one-line summary.

Every run - a successful one, one that failed with an error, one interrupted with Ctrl-C -
writes ``logs/<org>-<env>-<script>_<UTC>.run.json`` (atomically) with its start, end,
duration, exit code, error class and message (redacted), HTTP calls by method and status,
retries, waits (those set by ``Retry-After`` and their total), breaker openings, OData pages
and rows, and the files it saved. Monitoring reads these files instead of parsing logs.

The counts come from the run events (:mod:`txo_runtime.run_events`): the runtime's HTTP
engine, circuit breaker, OData reader and save path report what they do, from every thread.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from txo_runtime.exceptions import TxoBaseError
from txo_runtime.run_report._recorder import RunCounts, RunRecorder

__all__ = [
    "REPORT_SUFFIX",
    "RunCounts",
    "RunRecorder",
    "build_report",
    "report_filename",
    "summary_line",
    "write_report",
]

logger = logging.getLogger(__name__)

REPORT_SUFFIX = ".run.json"
_STAMP = "%Y-%m-%dT%H%M%S"


def _iso(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def report_filename(org_id: str, env_type: str, script: str, started: float) -> str:
    """``acme-test-fetch_customers_2026-12-06T231502.042Z.run.json`` (milliseconds, so two
    runs started in the same second keep their own reports)."""
    moment = dt.datetime.fromtimestamp(started, tz=dt.timezone.utc)
    stamp = f"{moment.strftime(_STAMP)}.{moment.microsecond // 1000:03d}Z"
    return f"{org_id}-{env_type}-{script}_{stamp}{REPORT_SUFFIX}"


def _error_of(error: BaseException | None) -> dict[str, str] | None:
    """Class and redacted message; a TxoBaseError's own message (not the three-part text)."""
    if error is None:
        return None
    from txo_runtime.logger import redact

    if isinstance(error, KeyboardInterrupt):
        message = "Interrupted by user"
    elif isinstance(error, TxoBaseError):
        message = error.message
    else:
        message = str(error)
    return {"class": type(error).__name__, "message": redact(message)}


def build_report(
    counts: RunCounts,
    *,
    script: str,
    run_id: str,
    started: float,
    ended: float,
    exit_code: int,
    error: BaseException | None,
) -> dict[str, Any]:
    """The report as plain JSON data (see the module docstring for its meaning)."""
    return {
        "script": script,
        "run_id": run_id,
        "org_id": counts.org_id,
        "env_type": counts.env_type,
        "started": _iso(started),
        "ended": _iso(ended),
        "duration_seconds": round(max(ended - started, 0.0), 3),
        "exit_code": exit_code,
        "error": _error_of(error),
        "http": {
            "calls": counts.http_calls,
            "by_method_and_status": counts.by_method_and_status(),
            "retries": counts.waits,
            "wait_seconds": round(counts.wait_seconds, 3),
            "retry_after_waits": counts.retry_after_waits,
            "retry_after_seconds": round(counts.retry_after_seconds, 3),
        },
        "breaker": {"openings": counts.breaker_openings, "closings": counts.breaker_closings},
        "odata": {"pages": counts.odata_pages, "rows": counts.odata_rows},
        "files": list(counts.files),
    }


def summary_line(report: dict[str, Any], path: Path | None) -> str:
    """One line for the log: outcome, duration and the counts that matter."""
    http = report["http"]
    calls = ", ".join(
        f"{method} {status} x{count}"
        for method, statuses in http["by_method_and_status"].items()
        for status, count in statuses.items()
    )
    error = report["error"]
    outcome = "ok" if error is None else f"{error['class']}"
    return (
        f"Run {report['script']} {report['run_id']}: exit {report['exit_code']} ({outcome}) "
        f"in {report['duration_seconds']:.1f} s; {_count(http['calls'], 'HTTP call')}"
        + (f" ({calls})" if calls else "")
        + f", {_count(http['retries'], 'retry', 'retries')}, "
        f"{_count(http['retry_after_waits'], 'Retry-After wait')} "
        f"({http['retry_after_seconds']:.1f} s), "
        f"{_count(report['breaker']['openings'], 'breaker opening')}, "
        f"{_count(report['odata']['pages'], 'OData page')} / "
        f"{_count(report['odata']['rows'], 'row')}, "
        f"{_count(len(report['files']), 'file')} saved"
        + (f"; report {path}" if path is not None else "")
    )


def _count(number: int, singular: str, plural: str | None = None) -> str:
    """``1 file``, ``2 files``: a summary line that reads as a sentence."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def write_report(report: dict[str, Any], root: Path, filename: str) -> Path:
    """Write the report to ``logs/`` of ``root`` atomically (the save path of the runtime)."""
    from txo_runtime.load_n_save import TxoDataHandler
    from txo_runtime.path_helpers import Dir

    return TxoDataHandler(root=root).save(report, Dir.LOGS, filename)
