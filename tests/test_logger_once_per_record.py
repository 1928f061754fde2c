"""A record is redacted once, whatever the number of handlers; the secret engines agree.

Real ``setup_logger`` in a temp project (console + rotating file); the redaction calls are
counted on the real rules and registry.
"""

from __future__ import annotations

import base64
import json
import logging
import pickle
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from project_factory import make_project, write_json

import txo_runtime
from txo_runtime.logger import (
    RedactingFormatter,
    _secret_values,
    register_secret,
    reset_logging,
    setup_logger,
)
from txo_runtime.logger._redaction import RedactionRules
from txo_runtime.logger._secret_values import SCAN_LIMIT, SecretRegistry

DATA = Path(txo_runtime.__file__).parent / "data"
SECRET = "0nce-S3cret-Value"


@pytest.fixture(autouse=True)
def _clean_logging() -> Any:
    reset_logging()
    root = logging.getLogger()
    before = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    yield
    reset_logging()
    assert (list(root.handlers), root.level, sys.excepthook, threading.excepthook) == before


def _project(tmp_path: Path, console_format: str, file_format: str) -> Path:
    root = make_project(tmp_path / "p")
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    config["console"]["format"], config["file"]["format"] = console_format, file_format
    config["file"]["max_bytes"] = 1_000_000  # the rollover check formats the record
    write_json(root / "config" / "logging-config.json", config)
    return root


def _count_calls(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[str]:
    calls: list[str] = []
    real = getattr(cls, name)

    def counting(self: Any, text: str) -> Any:
        calls.append(text)
        return real(self, text)

    monkeypatch.setattr(cls, name, counting)
    return calls


def _raise() -> None:
    raise RuntimeError(f"failed with {SECRET}")


def test_a_record_is_redacted_once_for_console_file_and_rollover_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, "%(levelname)s %(message)s", "%(asctime)s %(name)s %(message)s")
    logger = setup_logger(root=root)
    register_secret(SECRET)
    logger.info("warm up")  # first record: the context values are redacted once per run
    rules_calls = _count_calls(monkeypatch, RedactionRules, "redact")
    secret_calls = _count_calls(monkeypatch, SecretRegistry, "redact")
    try:
        _raise()
    except RuntimeError:
        logger.exception("call with password=%s failed", "Hunt3r-Pass")
    assert len(rules_calls) == len(secret_calls) == 2  # the message and the traceback, once
    for handler in logging.getLogger().handlers:
        handler.flush()
    console = capsys.readouterr().err
    file_text = next((root / "logs").glob("*.log")).read_text(encoding="utf-8")
    for text in (console, file_text):
        assert "password=[REDACTED] failed" in text and "Traceback" in text
        assert SECRET not in text and "Hunt3r-Pass" not in text


def test_the_rotating_file_handler_formats_each_record_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, "%(message)s", "%(message)s")
    logger = setup_logger(root=root)
    formats = _count_calls(monkeypatch, RedactingFormatter, "format")
    for index in range(3):
        logger.debug("line %d", index)  # DEBUG: only the file handler takes it
    assert len(formats) == 3


def test_rotation_still_happens_and_every_record_is_written_once(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    config["file"].update(format="%(message)s", max_bytes=200, backup_count=50)
    write_json(root / "config" / "logging-config.json", config)
    logger = setup_logger(root=root)
    for index in range(20):
        logger.debug("record %03d password=Rot4te-%d", index, index)
    logging.getLogger().handlers[-1].flush()
    files = sorted((root / "logs").glob("*.log*"))
    written = [text for f in files for text in f.read_text(encoding="utf-8").splitlines()]
    assert len(files) >= 3  # rolled over (about 6 records of 32 bytes per 200-byte file)
    assert sorted(written) == [f"record {index:03d} password=[REDACTED]" for index in range(20)]


def test_a_format_naming_an_extra_field_redacts_the_whole_line() -> None:
    formatter = RedactingFormatter("%(message)s [%(target)s]")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "calling", None, None)
    record.target = "https://u:Extr4Pass@api.example.com/"
    assert formatter.format(record) == "calling [https://u:[REDACTED]@api.example.com/]"


def test_context_values_given_with_extra_are_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, "%(org_id)s %(message)s", "%(org_id)s %(message)s")
    logger = setup_logger(root=root)
    register_secret(SECRET)
    logger.info("given", extra={"org_id": f"org-{SECRET}"})
    console = capsys.readouterr().err
    assert console.strip() == "org-[REDACTED] given"


def test_a_secret_registered_between_two_records_is_redacted_in_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, "%(message)s", "%(message)s")
    logger = setup_logger(root=root)
    logger.info("before %s", "Late-S3cret-Value")
    register_secret("Late-S3cret-Value")
    logger.info("after %s", "Late-S3cret-Value")
    assert capsys.readouterr().err.splitlines() == ["before Late-S3cret-Value", "after [REDACTED]"]


def test_a_formatted_record_still_pickles_for_another_process() -> None:
    register_secret(SECRET)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key %s", (SECRET,), None)
    assert RedactingFormatter("%(message)s").format(record) == "key [REDACTED]"
    copy = pickle.loads(pickle.dumps(record))  # what QueueHandler/SocketHandler do
    assert RedactingFormatter("%(levelname)s %(message)s").format(copy) == "INFO key [REDACTED]"


# --- the two secret engines ------------------------------------------------------------------


@pytest.fixture(params=["automaton", "fallback"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "fallback":
        monkeypatch.setattr(_secret_values, "_load_automaton_library", lambda: None)
    else:
        pytest.importorskip("ahocorasick_rs")
    return str(request.param)


@pytest.mark.parametrize("fillers", [0, SCAN_LIMIT])  # few forms, and past the scan limit
def test_both_engines_redact_every_form_the_same(engine: str, fillers: int) -> None:
    registry = SecretRegistry()
    registry.add([f"Filler-S3cret-{index:04d}" for index in range(fillers)])
    registry.add(["S3cret+Value/Long", "outer-inner-S3cret-tail"])
    encoded = base64.b64encode(b"user:S3cret+Value/Long").decode()
    line = (
        f"a S3cret+Value/Long b S3cret%2BValue%2FLong c Basic {encoded} "
        "d x outer-inner-S3cret-tail y Filler-S3cret-0000"
    )
    expected = "a [REDACTED] b [REDACTED] c Basic dXNlcjp[REDACTED]" + (
        "w== d x [REDACTED] y " + ("[REDACTED]" if fillers else "Filler-S3cret-0000")
    )
    assert registry.redact(line) == expected
    assert registry.redact("nothing to see here") == "nothing to see here"


def test_two_secrets_that_overlap_in_a_line_are_both_hidden(engine: str) -> None:
    registry = SecretRegistry()
    registry.add(["alpha-S3cret-shared", "shared-tail-S3cret"])
    # A left-to-right replacement would leave "-tail-S3cret", the second secret's tail.
    assert registry.redact("x alpha-S3cret-shared-tail-S3cret y") == "x [REDACTED] y"


def test_registering_more_secrets_changes_the_generation_that_record_caches_check() -> None:
    registry = SecretRegistry()
    first = registry.generation
    registry.add(["Gen-S3cret-1"])
    second = registry.generation
    registry.add(["Gen-S3cret-1"])  # known already: nothing changes
    assert first != second == registry.generation
    registry.clear()
    assert registry.generation != second
