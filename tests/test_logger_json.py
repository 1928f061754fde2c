"""``"format": "json"``: one JSON object per record, every field redacted, run context.

Real ``setup_logger`` in a temp project; the console (stderr) and the log file are read
back and every line parsed with ``json.loads``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from project_factory import make_project, write_json

import txo_runtime
from txo_runtime.exceptions import HelpfulError
from txo_runtime.logger import register_secret, reset_logging, set_log_context, setup_logger

DATA = Path(txo_runtime.__file__).parent / "data"
REGISTERED = "Reg1stered-S3cret-Value"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJlX29mX3Rva2Vu"
PATTERN_SECRETS = ["Hunt3r-Pass-42", JWT, "Qz8kLm2xT9vB4nW7pR1s"]
ISO_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture(autouse=True)
def _clean_logging() -> Any:
    reset_logging()
    root = logging.getLogger()
    before = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    yield
    reset_logging()
    assert (list(root.handlers), root.level, sys.excepthook, threading.excepthook) == before


def _project(tmp_path: Path, console: str = "json", file: str = "json") -> Path:
    root = make_project(tmp_path / "p")
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    config["console"]["format"], config["file"]["format"] = console, file
    write_json(root / "config" / "logging-config.json", config)
    return root


def _lines(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    file_text = "".join(p.read_text(encoding="utf-8") for p in (root / "logs").glob("*.log"))
    return capsys.readouterr().err.splitlines(), file_text.splitlines()


def _fail() -> None:
    raise RuntimeError(f"refused {REGISTERED} with password={PATTERN_SECRETS[0]}")


def test_json_lines_carry_time_level_logger_message_and_run_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    logger = setup_logger("txo.acme", org_id="acme", root=root)
    set_log_context(env_type="prod", script="src.sync_customers", run_id="run-42")
    logger.warning("synced %d rows", 250)
    console, file_lines = _lines(root, capsys)
    for line in (console[0], file_lines[0]):
        entry = json.loads(line)
        assert ISO_UTC_MS.fullmatch(entry.pop("time"))
        assert entry == {
            "level": "WARNING",
            "logger": "txo.acme",
            "message": "synced 250 rows",
            "org_id": "acme",
            "env_type": "prod",
            "script": "src.sync_customers",
            "run_id": "run-42",
        }


def test_no_secret_reaches_any_json_field_and_every_line_parses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    logger = setup_logger(root=root)
    register_secret(REGISTERED)
    logger.info(f"message with {REGISTERED} and Authorization: Bearer {JWT}")
    logger.info("args %s %s", REGISTERED, f"client_secret={PATTERN_SECRETS[2]}")
    try:
        _fail()
    except RuntimeError:
        logger.exception("call failed")
    logger.info(
        "extras",
        extra={
            "request": {"url": "/token", "client_secret": PATTERN_SECRETS[2]},
            "note": f"key {REGISTERED}",
            "rows": 3,
            "opaque": object(),  # not JSON-serialisable: left out
        },
    )
    console, file_lines = _lines(root, capsys)
    entries = [json.loads(line) for line in console + file_lines]  # every line parses
    assert len(entries) == 8
    for text in console + file_lines:
        for secret in [REGISTERED, *PATTERN_SECRETS]:
            assert secret not in text
    failed = next(e for e in entries if e["message"] == "call failed")
    assert "Traceback (most recent call last)" in failed["exception"]
    assert "password=[REDACTED]" in failed["exception"]
    extras = next(e for e in entries if e["message"] == "extras")["extra"]
    assert extras == {
        "request": {"url": "/token", "client_secret": "[REDACTED]"},
        "note": "key [REDACTED]",
        "rows": 3,
    }


def test_stack_info_is_a_json_field_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, console="%(message)s")
    logger = setup_logger(root=root)
    logger.info("plain")
    logger.info("where", stack_info=True)
    console, file_lines = _lines(root, capsys)
    assert console[0] == "plain"  # the console keeps its text format
    plain, where = (json.loads(line) for line in file_lines)
    assert "stack" not in plain and "exception" not in plain and "extra" not in plain
    assert where["stack"].startswith("Stack (most recent call last)")


def test_script_and_run_id_work_in_text_formats_with_a_dash_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fmt = "%(script)s|%(run_id)s|%(message)s"
    root = _project(tmp_path, console=fmt, file=fmt)
    logger = setup_logger(root=root)
    logger.info("before")
    set_log_context(script="src.main", run_id="r-1")
    logger.info("during")
    set_log_context(org_id="acme")  # None keeps script and run_id
    logger.info("after")
    console, _ = _lines(root, capsys)
    assert console == ["-|-|before", "src.main|r-1|during", "src.main|r-1|after"]


def test_a_misspelled_json_format_is_a_helpful_error(tmp_path: Path) -> None:
    root = _project(tmp_path, file="JSON")
    with pytest.raises(HelpfulError, match="file format 'JSON'") as raised:
        setup_logger(root=root)
    assert '"json"' in raised.value.how_to_fix
