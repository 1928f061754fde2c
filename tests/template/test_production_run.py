"""A generated project's starter script run as in production: secrets from ``TXO__``
variables (no secrets file), the run report's counts against what the server counted."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from txo_runtime.testing import LocalApiServer
from txo_runtime.testing._demo import demo_customers

pytestmark = pytest.mark.slow

CLIENT_ID = "prod-client"
CLIENT_SECRET = "prod-Secret-from-the-environment-5521"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
ROWS = 250
PAGE_SIZE = 50


@pytest.fixture
def project(tmp_path: Path, default_project: Path) -> Path:
    dst = tmp_path / "acme-integrations"
    shutil.copytree(default_project, dst)
    assert not (dst / "config" / "acme-test-config-secrets.json").exists()
    return dst


@pytest.fixture
def server() -> Any:
    with LocalApiServer(require_auth=True) as api:
        api.add_entity_set("Customers", demo_customers(ROWS), page_size=PAGE_SIZE)
        api.add_client(CLIENT_ID, CLIENT_SECRET)
        yield api


def point_config_at(project: Path, server: LocalApiServer, **global_keys: str) -> None:
    path = project / "config" / "acme-test-config.json"
    config = json.loads(path.read_text())
    config["global"].update(
        {"api-base-url": server.odata_url, "oauth-token-url": server.token_url},
        **{"client-id": CLIENT_ID},
        **global_keys,
    )
    behavior = config["script-behavior"]
    behavior["retry-strategy"]["backoff-factor"] = 0.05  # 503 retries wait ~0.05 s, not 2 s
    behavior["rate-limiting"]["enabled"] = False
    config["odata"]["page-size"] = PAGE_SIZE
    path.write_text(json.dumps(config, indent=2))


def run_starter(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TXO", "OTEL_"))}
    return subprocess.run(
        [sys.executable, "-m", "src.fetch_customers", "acme", "test"],
        cwd=project, env={**base, **env}, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def the_report(project: Path) -> dict[str, Any]:
    (path,) = (project / "logs").glob("acme-test-fetch_customers_*.run.json")
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def assert_nothing_leaked(project: Path, result: subprocess.CompletedProcess[str]) -> None:
    texts = [result.stdout, result.stderr]
    texts += [p.read_text() for p in (project / "logs").iterdir() if p.is_file()]
    texts += [p.read_text(errors="replace") for p in (project / "output").glob("*.json")]
    for text in texts:
        assert CLIENT_SECRET not in text
        assert not JWT.search(text)


def test_starter_runs_with_secrets_only_in_txo_variables_and_reports_what_the_server_saw(
    project: Path, server: LocalApiServer
) -> None:
    point_config_at(project, server)
    too_many = server.add_fault(
        "/odata/Customers", method="GET", status=429, times=2, headers={"Retry-After": "1"}
    )
    unavailable = server.add_fault("/odata/Customers", method="GET", status=503, times=1)

    result = run_starter(project, {"TXO__ACME__TEST__CLIENT_SECRET": CLIENT_SECRET})

    assert result.returncode == 0, result.stdout + result.stderr
    report = the_report(project)
    gets = server.hits("/odata/Customers", method="GET")
    token_posts = server.hits("/oauth2/token", method="POST")
    assert (too_many.fired, unavailable.fired, token_posts) == (2, 1, 1)
    assert report["exit_code"] == 0 and report["error"] is None
    assert (report["org_id"], report["env_type"], report["script"]) == (
        "acme", "test", "fetch_customers",
    )  # fmt: skip
    assert report["http"]["by_method_and_status"] == {
        "GET": {"200": gets - 3, "429": 2, "503": 1},
        "POST": {"200": token_posts},
    }
    assert report["http"]["calls"] == len(server.requests)
    assert report["http"]["retries"] == 3
    assert report["http"]["retry_after_waits"] == 2
    assert report["http"]["retry_after_seconds"] >= 2.0  # each wait honours Retry-After: 1
    assert report["odata"] == {"pages": gets - 3, "rows": ROWS}
    assert gets - 3 == ROWS // PAGE_SIZE
    saved = {Path(f["path"]).suffix: f for f in report["files"]}
    assert set(saved) == {".xlsx", ".json"}
    assert all(f["rows"] == ROWS and f["bytes"] == Path(f["path"]).stat().st_size
               for f in saved.values())  # fmt: skip
    assert "HTTP calls" in result.stdout + result.stderr  # the one-line summary
    assert_nothing_leaked(project, result)


def test_a_failed_starter_run_writes_its_report_with_the_redacted_error(
    project: Path, server: LocalApiServer
) -> None:
    point_config_at(project, server)
    server.add_fault("/odata/Customers", method="GET", status=403, times=None)

    result = run_starter(project, {"TXO__ACME__TEST__CLIENT_SECRET": CLIENT_SECRET})

    assert result.returncode == 1
    report = the_report(project)
    assert report["exit_code"] == 1
    assert report["error"]["class"] == "ApiAuthenticationError"
    assert "returned 403" in report["error"]["message"]
    assert report["http"]["by_method_and_status"]["GET"] == {"403": 1}
    assert report["odata"] == {"pages": 0, "rows": 0} and report["files"] == []
    assert_nothing_leaked(project, result)


def test_without_any_secret_source_the_starter_names_every_place_it_looked(
    project: Path, server: LocalApiServer
) -> None:
    point_config_at(project, server)
    result = run_starter(project, {})
    assert result.returncode == 1
    assert "TXO__ACME__TEST__CLIENT_SECRET" in result.stderr
    assert "config/acme-test-config-secrets.json (not found)" in result.stderr
    assert server.hits("/odata/Customers") == 0


def test_starter_signs_in_with_a_certificate_whose_key_is_only_in_a_txo_variable(
    project: Path, server: LocalApiServer
) -> None:
    from certificates import app_certificate

    certificate = app_certificate()
    server.add_certificate_client(CLIENT_ID, certificate.certificate_pem)
    (project / "config" / "app-cert.pem").write_text(certificate.certificate_pem)
    point_config_at(project, server, **{"client-certificate-file": "config/app-cert.pem"})

    result = run_starter(project, {"TXO__ACME__TEST__CLIENT_CERTIFICATE_KEY": certificate.key_pem})

    assert result.returncode == 0, result.stdout + result.stderr
    assert server.assertions_accepted == 1
    report = the_report(project)
    assert report["odata"] == {"pages": ROWS // PAGE_SIZE, "rows": ROWS}
    assert report["http"]["by_method_and_status"]["POST"] == {"200": 1}
    key_body = certificate.key_pem.splitlines()[1]
    for path in (project / "logs").iterdir():
        assert key_body not in path.read_text()
    assert key_body not in result.stdout + result.stderr
    assert_nothing_leaked(project, result)


def test_starter_logs_json_with_the_run_id_of_its_report_and_no_secret_in_any_field(
    project: Path, server: LocalApiServer
) -> None:
    point_config_at(project, server)
    server.add_fault("/odata/Customers", method="GET", status=429, times=1,
                     headers={"Retry-After": "1"})  # fmt: skip
    logging_file = project / "config" / "logging-config.json"
    logging_config = json.loads(logging_file.read_text())
    logging_config["console"]["format"] = "json"
    logging_config["file"]["format"] = "json"
    logging_file.unlink()  # the template links it to the packaged default
    logging_file.write_text(json.dumps(logging_config, indent=2))

    result = run_starter(project, {"TXO__ACME__TEST__CLIENT_SECRET": CLIENT_SECRET})

    assert result.returncode == 0, result.stdout + result.stderr
    report = the_report(project)
    (log_file,) = (project / "logs").glob("*.log")
    records = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    records += [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert records
    for record in records:
        assert {"time", "level", "logger", "message", "org_id", "env_type", "script",
                "run_id"} <= set(record)  # fmt: skip
        assert CLIENT_SECRET not in json.dumps(record) and not JWT.search(json.dumps(record))
    in_run = [r for r in records if r["run_id"] is not None]
    assert in_run and all(r["run_id"] == report["run_id"] for r in in_run)
    assert any("429" in r["message"] for r in records)  # the retry warning
    assert_nothing_leaked(project, result)
