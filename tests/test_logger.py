"""setup_logger, redaction at every handler, registered secrets, context, loguru, errors.

Everything runs through a real ``setup_logger`` in a temp project; the autouse fixture
restores the root logger (handlers, levels, hooks, warnings capture, loguru) after each
test so other test files are unaffected.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import subprocess
import sys
import textwrap
import threading
import warnings
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from project_factory import make_project, write_json

import txo_runtime
from txo_runtime.config_loader import load_config
from txo_runtime.exceptions import HelpfulError
from txo_runtime.logger import (
    MIN_SECRET_LENGTH,
    ContextFilter,
    RedactingFormatter,
    TokenRedactionFilter,
    _secret_values,
    load_redaction_rules,
    redact,
    register_secret,
    register_secrets,
    reset_logging,
    route_loguru,
    set_log_context,
    setup_logger,
)
from txo_runtime.logger._secret_values import SCAN_LIMIT, SecretRegistry

DATA = Path(txo_runtime.__file__).parent / "data"
SECRET = "Cl13nt-S3cret-Value"
ENTRA_SECRET = "abc8Q~" + "x" * 34  # built, so a traceback's source line does not show it


@pytest.fixture(autouse=True)
def _clean_logging() -> Any:
    reset_logging()  # also undoes a setup another test file left behind
    root = logging.getLogger()
    before = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    yield
    reset_logging()
    assert (list(root.handlers), root.level, sys.excepthook, threading.excepthook) == before


def _logging_config(**changes: Any) -> dict[str, Any]:
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    config["console"]["format"] = config["file"]["format"] = "%(message)s"
    config["loggers"] = {}
    for dotted, value in changes.items():
        section, _, key = dotted.rpartition("__")
        (config[section] if section else config)[key] = value
    return config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project", secrets={"client-secret": SECRET})
    write_json(root / "config" / "logging-config.json", _logging_config())
    return root


def _outputs(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    files = sorted((root / "logs").glob("*.log"))
    return capsys.readouterr().err, "".join(f.read_text(encoding="utf-8") for f in files)


# --- setup ------------------------------------------------------------------------------------


def test_setup_logger_returns_txo_logger_and_installs_console_and_file(project: Path) -> None:
    logger = setup_logger(root=project)
    assert logger.name == "txo"
    assert setup_logger("my.script", root=project).name == "my.script"
    handlers = logging.getLogger().handlers
    ours = [h for h in handlers if isinstance(h.formatter, RedactingFormatter)]
    assert len(ours) == 2
    assert {type(h).__name__ for h in ours} == {"_ConsoleHandler", "_FileHandler"}
    assert any(isinstance(h, RotatingFileHandler) for h in ours)


@pytest.mark.parametrize("name", ["logging-config.json", "log-redaction-patterns.json"])
def test_logging_files_saved_with_a_utf8_bom_are_accepted_like_the_config(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = project / "config" / name
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # what Windows Notepad writes
    setup_logger(root=project).info("token=%s", SECRET)
    console, log_file = _outputs(project, capsys)
    assert SECRET not in console + log_file
    assert "[REDACTED]" in log_file


def test_calling_setup_twice_does_not_duplicate_handlers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logger(root=project)
    count = len(logging.getLogger().handlers)
    setup_logger(root=project)
    setup_logger("other", root=project)
    assert len(logging.getLogger().handlers) == count
    logging.getLogger("txo").info("once")
    console, file_text = _outputs(project, capsys)
    assert console == "once\n" and file_text == "once\n"


def test_new_org_replaces_handlers_and_names_the_log_file(project: Path) -> None:
    setup_logger(root=project)
    count = len(logging.getLogger().handlers)
    setup_logger(org_id="acme", root=project)
    assert len(logging.getLogger().handlers) == count
    logging.getLogger("txo").info("hello")
    names = [p.name for p in (project / "logs").glob("*.log")]
    assert any(n.startswith("acme_") for n in names)


def test_console_is_info_and_file_is_debug(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logger = setup_logger(root=project)
    logger.debug("detail")
    logger.info("event")
    console, file_text = _outputs(project, capsys)
    assert console == "event\n"
    assert file_text == "detail\nevent\n"


def test_debug_flag_shows_debug_on_console(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logger(root=project, debug=True).debug("detail")
    assert _outputs(project, capsys)[0] == "detail\n"


def test_reset_logging_restores_root_state(project: Path) -> None:
    root = logging.getLogger()
    handlers, level, hook = list(root.handlers), root.level, sys.excepthook
    setup_logger(root=project)
    assert sys.excepthook is not hook and len(root.handlers) == len(handlers) + 2
    reset_logging()
    assert (root.handlers, root.level, sys.excepthook) == (handlers, level, hook)


# --- configuration errors -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["logging-config.json", "log-redaction-patterns.json"])
def test_missing_config_file_is_a_helpful_error_naming_it(project: Path, name: str) -> None:
    (project / "config" / name).unlink()
    with pytest.raises(HelpfulError) as info:
        setup_logger(root=project)
    assert name in info.value.message
    assert "cp " in str(info.value.how_to_fix) and str(DATA / name) in str(info.value.how_to_fix)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"version": "3.0",', "line 1"),
        (json.dumps(_logging_config(version="2.1")), "$.version"),
        (json.dumps(_logging_config(console__level="LOUD")), "$.console.level"),
        (json.dumps(_logging_config(colour=True)), "colour"),
        (json.dumps(_logging_config(file__format="%(nope)s")), "file format"),
        (json.dumps(_logging_config(file__filename="{user}.log")), "{org_id}"),
    ],
    ids=["bad-json", "old-version", "bad-level", "unknown-key", "bad-format", "bad-filename"],
)
def test_invalid_logging_config_is_a_helpful_error_naming_the_file(
    project: Path, content: str, expected: str
) -> None:
    (project / "config" / "logging-config.json").write_text(content, encoding="utf-8")
    with pytest.raises(HelpfulError) as info:
        setup_logger(root=project)
    assert "logging-config.json" in info.value.message
    assert expected in info.value.message


def test_a_failed_setup_keeps_the_previous_handlers(project: Path) -> None:
    setup_logger(root=project)
    before = list(logging.getLogger().handlers)
    (project / "config" / "logging-config.json").write_text("{", encoding="utf-8")
    with pytest.raises(HelpfulError):
        setup_logger(org_id="other", root=project)
    assert logging.getLogger().handlers == before


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        ({"version": "3.0", "patterns": [{"name": "x", "pattern": "("}], "keys": []}, "'x'"),
        ({"version": "3.0", "patterns": [], "keys": "password"}, "'keys'"),
        ({"version": "1", "patterns": [], "keys": []}, "version"),
        (
            {
                "version": "3.0",
                "patterns": [{"name": "x", "pattern": "a", "check": "?"}],
                "keys": [],
            },
            "check",
        ),
    ],
    ids=["bad-regex", "keys-not-list", "old-version", "unknown-check"],
)
def test_invalid_patterns_file_names_file_and_rule(
    project: Path, patterns: dict[str, Any], expected: str
) -> None:
    write_json(project / "config" / "log-redaction-patterns.json", patterns)
    with pytest.raises(HelpfulError) as info:
        setup_logger(root=project)
    assert "log-redaction-patterns.json" in info.value.message
    assert expected in info.value.message


# --- redaction at every handler ------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["urllib3.connectionpool", "requests", "zeep.transports", "", "txo_runtime.x"]
)
def test_records_from_any_logger_are_redacted(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    setup_logger(root=project)
    logging.getLogger(name).warning("POST /token client_secret=%s", "s3cr3t-Value-42")
    console, file_text = _outputs(project, capsys)
    assert "client_secret=[REDACTED]" in console and "client_secret=[REDACTED]" in file_text
    assert "s3cr3t-Value-42" not in console + file_text


def test_captured_warnings_are_redacted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logger(root=project)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("retrying with password=W4rnP4ss", UserWarning, stacklevel=1)
    console, file_text = _outputs(project, capsys)
    assert "UserWarning" in file_text and "password=[REDACTED]" in console
    assert "W4rnP4ss" not in console + file_text


def _fail_with_secret() -> None:
    try:
        raise KeyError("inner refresh_token=Inn3rT0ken")
    except KeyError as exc:
        raise ValueError(f"auth failed for client secret {ENTRA_SECRET}") from exc


def test_exception_traceback_is_redacted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logger = setup_logger(root=project)
    try:
        _fail_with_secret()
    except ValueError:
        logger.exception("call failed")
    console, file_text = _outputs(project, capsys)
    for text in (console, file_text):
        assert "Traceback (most recent call last)" in text and "_fail_with_secret" in text
        assert ENTRA_SECRET not in text and "Inn3rT0ken" not in text


def test_stack_info_is_redacted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logger = setup_logger(root=project)
    logger.info("where am I", stack_info=True)  # password=StackS3cret (shown by stack_info)
    console, file_text = _outputs(project, capsys)
    assert "Stack (most recent call last)" in file_text and "password=[REDACTED]" in console
    assert "StackS3cret" not in console + file_text


def test_uncaught_exception_hook_logs_redacted(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logger(root=project)
    try:
        raise RuntimeError("token=Unc4ughtT0ken")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    thread = threading.Thread(target=_raise_in_thread, name="worker")
    thread.start()
    thread.join()
    console, file_text = _outputs(project, capsys)
    assert "Uncaught exception" in console and "in thread worker" in file_text
    assert "Unc4ughtT0ken" not in console + file_text and "Thr34dT0ken" not in file_text


def _raise_in_thread() -> None:
    raise RuntimeError("password=Thr34dT0ken")


def test_logging_error_report_is_redacted(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logger(root=project)
    register_secret("Arg-S3cret-Value")
    console = next(h for h in logging.getLogger().handlers if type(h).__name__ == "_ConsoleHandler")
    args = ("Arg-S3cret-Value", "token=T0kenInArgs")
    console.handle(logging.LogRecord("txo", logging.INFO, __file__, 7, "one %s", args, None))
    stderr = capsys.readouterr().err
    assert "--- Logging error ---" in stderr and "TypeError" in stderr
    assert "Arg-S3cret-Value" not in stderr and "T0kenInArgs" not in stderr


# --- exact-value redaction ------------------------------------------------------------------


def test_secret_from_secrets_file_is_redacted_where_no_pattern_matches(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logger = setup_logger(root=project)
    config = load_config("acme", "test", root=project)  # registers secrets-file values
    assert config["_client_secret"] == SECRET
    logger.info("the value is %s, plainly", SECRET)
    logger.info("encoded %s", base64.b64encode(f"svc:{SECRET}".encode()).decode())
    console, file_text = _outputs(project, capsys)
    assert "the value is [REDACTED], plainly" in console
    assert SECRET not in console + file_text
    assert base64.b64encode(SECRET.encode()).decode()[:16] not in console + file_text


@pytest.mark.parametrize("register_first", [True, False])
def test_registered_secret_is_redacted_in_plain_url_encoded_and_base64_forms(
    project: Path, capsys: pytest.CaptureFixture[str], register_first: bool
) -> None:
    value = "p@ss w/rd+ÄÖ"
    if register_first:
        register_secret(value)
    logger = setup_logger(root=project)
    if not register_first:
        register_secrets([value])
    encoded = base64.b64encode(f"user:{value}".encode()).decode()
    logger.info("a %s b %s c %s d %s", value, quote(value, safe=""), quote(value), encoded)
    console, file_text = _outputs(project, capsys)
    assert console.count("[REDACTED]") == 4
    for form in (value, quote(value, safe=""), quote(value), encoded[8:]):
        assert form not in console + file_text


def test_short_values_are_not_redacted_and_a_warning_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logger = setup_logger(root=project)
    register_secrets(["test", "", "x" * MIN_SECRET_LENGTH])
    logger.info("test run xxxxxx")
    console, _ = _outputs(project, capsys)
    assert "shorter than 6" in console and "test run [REDACTED]" in console
    assert "lengths [4]" in console


def test_registered_secret_is_redacted_upper_cased_hex_and_xml_escaped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value = "S3cr3t<Value>&-XyZ"
    logger = setup_logger(root=project)
    register_secret(value)
    forms = (value.upper(), value.encode().hex(), html.escape(value, quote=False))
    logger.info("upper %s hex %s xml %s", *forms)
    console, file_text = _outputs(project, capsys)
    assert console.count("[REDACTED]") == 3
    for form in forms:
        assert form not in console + file_text


class _CountingText(str):
    """A log line that counts the substring tests made on it."""

    tests = 0

    def __contains__(self, part: object) -> bool:
        _CountingText.tests += 1
        return super().__contains__(part)  # type: ignore[operator]


def test_registering_thousands_of_secrets_costs_linear_work_and_lookups_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[str] = []
    real_variants = _secret_values.secret_variants

    def counting_variants(value: str) -> set[str]:
        computed.append(value)
        return real_variants(value)

    monkeypatch.setattr(_secret_values, "secret_variants", counting_variants)
    registry = SecretRegistry()
    values = [f"Gen3rated-S3cret-{index:05d}" for index in range(2000)]
    for value in values:  # one registration each: the worst case for a rebuild-all design
        registry.add([value])
        registry.add([value])  # a value registered again costs nothing

    assert len(computed) == len(values)  # each value's forms computed once: O(N), not O(N^2)
    assert registry.rebuilds == 0  # nothing is rebuilt while registering
    assert registry._variants == set().union(*map(real_variants, values))  # kept once, no copies
    assert len(registry._variants) > SCAN_LIMIT
    benign = _CountingText("2026-11-25 INFO fetched 250 customers from /odata/Customers")
    assert registry.redact(benign) == benign
    assert registry.rebuilds == 1
    assert _CountingText.tests <= 1  # not one test per registered form (2000 x ~10)
    line = f"login with {values[1234]} and {quote(values[7])} done"
    assert registry.redact(line) == "login with [REDACTED] and [REDACTED] done"


def test_a_longer_secret_containing_a_registered_one_is_redacted_whole() -> None:
    registry = SecretRegistry()
    registry.add(["inner-S3cret"])
    registry.redact("warm up")
    registry.add(["outer-inner-S3cret-tail"])
    assert registry.redact("x outer-inner-S3cret-tail y") == "x [REDACTED] y"
    registry.add([f"Filler-S3cret-{index:04d}" for index in range(SCAN_LIMIT)])  # indexed
    registry.add(["big-outer-inner-S3cret-tail-2"])
    assert registry.redact("x big-outer-inner-S3cret-tail-2 y") == "x [REDACTED] y"


def test_redact_helper_uses_rules_and_registered_values() -> None:
    register_secret("n0-pattern-here")
    assert redact("x n0-pattern-here y password=abc") == "x [REDACTED] y password=[REDACTED]"


# --- formatter, filters, context -------------------------------------------------------------


def test_context_filter_adds_org_env_and_elapsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "p")
    fmt = "%(org_id)s|%(env_type)s|%(elapsed).3f|%(message)s"
    write_json(root / "config" / "logging-config.json", _logging_config(file__format=fmt))
    logger = setup_logger(org_id="acme", root=root)
    logger.info("before")
    set_log_context(env_type="prod")
    logger.info("after")
    logger.info("given", extra={"org_id": "other"})
    _, file_text = _outputs(root, capsys)
    lines = [line.split("|") for line in file_text.splitlines()]
    assert [(o, e, m) for o, e, _, m in lines] == [
        ("acme", "-", "before"),
        ("acme", "prod", "after"),
        ("other", "prod", "given"),
    ]
    assert all(float(elapsed) >= 0 for _, _, elapsed, _ in lines)


def test_context_filter_on_a_user_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    set_log_context(org_id="acme", env_type="test")
    assert ContextFilter().filter(record)
    assert (record.org_id, record.env_type) == ("acme", "test")  # type: ignore[attr-defined]


def test_redacting_formatter_works_before_setup_with_packaged_rules() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("api_key=abcdef123",), None)
    formatted = RedactingFormatter("%(org_id)s %(message)s").format(record)
    assert formatted == "- api_key=[REDACTED]"


def test_token_redaction_filter_protects_a_plain_user_handler(tmp_path: Path) -> None:
    path = tmp_path / "user.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(TokenRedactionFilter())
    password, argument = "F1lter" + "P4ss", "F1lter" + "Arg5"  # not literal in stack lines
    user_logger = logging.getLogger("user.custom")
    user_logger.propagate = False
    user_logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"password={password}")
        except ValueError:
            user_logger.exception("secret=%s", argument, stack_info=True)
    finally:
        user_logger.removeHandler(handler)
        handler.close()
    text = path.read_text(encoding="utf-8")
    assert "secret=[REDACTED]" in text and "Traceback" in text and "Stack" in text
    assert password not in text and argument not in text


def test_project_rules_are_used_and_extensible(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patterns = json.loads((DATA / "log-redaction-patterns.json").read_text(encoding="utf-8"))
    patterns["keys"].append("pin_code")
    patterns["patterns"].append(
        {"name": "acme-key", "pattern": "acme_[0-9a-f]{8}", "requires": ["acme_"]}
    )
    write_json(project / "config" / "log-redaction-patterns.json", patterns)
    setup_logger(root=project).info("pinCode=1234 and acme_0badcafe")
    assert _outputs(project, capsys)[0] == "pinCode=[REDACTED] and [REDACTED]\n"


def test_rules_are_compiled_once_and_repr_names_the_source() -> None:
    rules = load_redaction_rules(DATA / "log-redaction-patterns.json")
    assert "log-redaction-patterns.json" in repr(rules)
    assert rules.redact("x") == "x" and rules.redact("") == ""


# --- loguru ----------------------------------------------------------------------------------


def test_loguru_is_routed_redacted_and_without_locals(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from loguru import logger as loguru_logger

    setup_logger(root=project)
    loguru_logger.info("loguru says token={}", "L0guruT0ken")
    client_secret = "L0caLS3cret" + "Var"  # built: no source line shows the value

    def fail(secret: str) -> None:
        # diagnose=True would annotate this line with the value of ``secret``
        raise ValueError("failed with password=L0guruExc " * (len(secret) > 0))

    try:
        fail(client_secret)
    except ValueError:
        loguru_logger.exception("loguru failure")
    console, file_text = _outputs(project, capsys)
    assert "loguru says token=[REDACTED]" in console and "Traceback" in file_text
    assert "raise ValueError" in file_text  # the line diagnose would annotate is there
    for leaked in ("L0guruT0ken", "L0guruExc", client_secret):
        assert leaked not in console + file_text


def test_loguru_imported_after_setup_is_routed_on_import(project: Path) -> None:
    secret = "Imp0rted-Late-S3cret"
    code = f"""
        import json, sys
        from pathlib import Path
        from txo_runtime.logger import register_secret, reset_logging, setup_logger
        setup_logger(root=Path({str(project)!r}))
        register_secret({secret!r})
        report = {{"imported_by_setup": "loguru" in sys.modules}}
        from loguru import logger
        logger.info("late loguru {{}}", {secret!r})
        report["routed_once"] = len(logger._core.handlers) == 1
        reset_logging()
        report["hook_left"] = any("Loguru" in type(f).__name__ for f in sys.meta_path)
        print(json.dumps(report))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == {"imported_by_setup": False, "routed_once": True, "hook_left": False}
    file_text = "".join(f.read_text(encoding="utf-8") for f in (project / "logs").glob("*.log"))
    assert "late loguru [REDACTED]" in file_text and "late loguru [REDACTED]" in result.stderr
    assert secret not in result.stderr + file_text


def test_route_loguru_twice_keeps_one_sink(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from loguru import logger as loguru_logger

    setup_logger(root=project)
    assert route_loguru()
    loguru_logger.warning("just once")
    assert _outputs(project, capsys)[0] == "just once\n"
