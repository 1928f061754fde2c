"""`python -m src.<script> <org_id> <env_type>` end to end, in real temp projects."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from project_factory import make_project, valid_config, write_json

SECRET = "cl1ent-S3cret-Value-9f8e7d6c5b4a-Q~zz"
TOKEN = "opaque-az-token-5d41402abc4b2a76b9719d911017c592"

SCRIPT = """
import logging
from txo_runtime.script_runner import ArgumentDefinition, parse_args_and_load_config, run
from txo_runtime.exceptions import HelpfulError

logger = logging.getLogger(__name__)


def main():
    config = parse_args_and_load_config(
        "Demo script",
        extra_args=[ArgumentDefinition("batch_size", int, "Rows per batch", default=100),
                    ArgumentDefinition("dry_run", action="store_true", help="No writes")],
    )
    logger.info("secret is %s and token %s", config["_client_secret"], config["_az_token"])
    logger.info("args=%s", config["_args"])
    behaviour = config["script-behavior"]
    what = __import__("os").environ.get("SCRIPT_CASE", "")
    if what == "missing-key":
        config["global"]["no-such-key"]
    if what == "helpful":
        raise HelpfulError("Nothing to do for " + config["_org_id"], "Add data", "x")
    if what == "unexpected":
        raise RuntimeError("bug with " + config["_client_secret"])
    if what == "interrupt":
        raise KeyboardInterrupt
    if what == "sysexit-message":
        raise SystemExit("giving up, secret was " + config["_client_secret"])
    if what == "sysexit-code":
        raise SystemExit(3)
    logger.info("done %s", behaviour["rate-limiting"]["enabled"])


if __name__ == "__main__":
    raise SystemExit(run(main))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "acme", secrets={"client-secret": SECRET, "az-token": TOKEN})
    (root / "src" / "__init__.py").write_text("")
    (root / "src" / "demo.py").write_text(textwrap.dedent(SCRIPT))
    return root


def run_script(project: Path, *args: str, case: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TXO_PROJECT_ROOT"}
    env["SCRIPT_CASE"] = case
    return subprocess.run(
        [sys.executable, "-m", "src.demo", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_no_secret(result: subprocess.CompletedProcess[str], project: Path) -> None:
    logs = "".join(p.read_text() for p in (project / "logs").glob("**/*") if p.is_file())
    for text in (result.stdout, result.stderr, logs):
        assert SECRET not in text
        assert TOKEN not in text


def assert_friendly_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1
    assert "Problem:" in result.stderr
    assert "Solution:" in result.stderr
    assert "Traceback" not in result.stderr


def test_valid_run_exits_0_with_args_injected_and_secrets_redacted(project: Path) -> None:
    result = run_script(project, "acme", "test", "--batch-size", "5", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "'batch_size': 5" in result.stderr and "'dry_run': True" in result.stderr
    assert_no_secret(result, project)
    assert list((project / "logs").iterdir())  # the DEBUG file log exists


def test_help_exits_0_and_shows_the_mandatory_arguments(project: Path) -> None:
    result = run_script(project, "--help")
    assert result.returncode == 0
    assert "org_id" in result.stdout and "env_type" in result.stdout
    assert "--batch-size" in result.stdout


def test_missing_config_file(project: Path) -> None:
    result = run_script(project, "acme", "prod")
    assert_friendly_failure(result)
    assert "acme-prod-config.json" in result.stderr


def test_invalid_json_config(project: Path) -> None:
    (project / "config" / "acme-test-config.json").write_text('{"global": {"api-base-url": }}')
    result = run_script(project, "acme", "test")
    assert_friendly_failure(result)
    assert "acme-test-config.json" in result.stderr and "line 1" in result.stderr


def test_schema_mismatch(project: Path) -> None:
    config = valid_config()
    config["script-behavior"]["retry-strategy"]["max-retries"] = -1
    write_json(project / "config" / "acme-test-config.json", config)
    result = run_script(project, "acme", "test")
    assert_friendly_failure(result)
    assert "$.script-behavior.retry-strategy.max-retries" in result.stderr


def test_secret_pasted_into_the_main_config_is_not_quoted_by_the_schema_error(
    project: Path,
) -> None:
    config = valid_config()
    config["script-behavior"]["rate-limiting"]["calls-per-second"] = SECRET
    write_json(project / "config" / "acme-test-config.json", config)
    result = run_script(project, "acme", "test")
    assert_friendly_failure(result)
    assert "$.script-behavior.rate-limiting.calls-per-second" in result.stderr
    assert_no_secret(result, project)


@pytest.mark.parametrize("org", ["ACME", "a/b", "../x"])
def test_invalid_org_id_is_refused_before_it_names_a_log_file(project: Path, org: str) -> None:
    result = run_script(project, org, "test")
    assert_friendly_failure(result)
    assert f"Invalid org_id '{org}'" in result.stderr
    # only the run report of the failed run, named without the refused org id
    written = [p.name for p in (project / "logs").iterdir()]
    assert len(written) == 1 and written[0].startswith("unknown-unknown-"), written
    assert written[0].endswith(".run.json")


def test_secret_on_a_bad_command_line_is_redacted(project: Path) -> None:
    result = run_script(project, "acme", "test", "--bogus", "--client-secret", SECRET)
    assert_friendly_failure(result)
    assert "unrecognized arguments" in result.stderr
    assert SECRET not in result.stderr


def test_sys_exit_with_a_message_is_friendly_and_redacted(project: Path) -> None:
    result = run_script(project, "acme", "test", case="sysexit-message")
    assert_friendly_failure(result)
    assert "giving up" in result.stderr
    assert_no_secret(result, project)


def test_sys_exit_with_a_code_keeps_the_code(project: Path) -> None:
    assert run_script(project, "acme", "test", case="sysexit-code").returncode == 3


def test_missing_required_key_at_access_time(project: Path) -> None:
    result = run_script(project, "acme", "test", case="missing-key")
    assert_friendly_failure(result)
    assert "global.no-such-key" in result.stderr and "acme-test-config.json" in result.stderr


def test_wrong_cli_arguments(project: Path) -> None:
    result = run_script(project, "acme")
    assert_friendly_failure(result)
    assert "env_type" in result.stderr
    result = run_script(project, "acme", "test", "--batch-size", "many")
    assert_friendly_failure(result)


def test_unreadable_secrets_file_names_it_without_the_value(project: Path) -> None:
    secrets = project / "config" / "acme-test-config-secrets.json"
    secrets.write_text('{"client-secret": "' + SECRET + '"')
    result = run_script(project, "acme", "test")
    assert_friendly_failure(result)
    assert "acme-test-config-secrets.json" in result.stderr
    assert_no_secret(result, project)


def test_helpful_error_from_main_is_shown_in_three_parts(project: Path) -> None:
    result = run_script(project, "acme", "test", case="helpful")
    assert_friendly_failure(result)
    assert "Nothing to do for acme" in result.stderr and "Example:" in result.stderr


def test_unexpected_error_is_friendly_and_traceback_only_in_the_log(project: Path) -> None:
    result = run_script(project, "acme", "test", case="unexpected")
    assert_friendly_failure(result)
    assert "RuntimeError" in result.stderr
    logs = "".join(p.read_text() for p in (project / "logs").glob("**/*") if p.is_file())
    assert "Traceback" in logs
    assert_no_secret(result, project)


def test_debug_shows_the_redacted_traceback(project: Path) -> None:
    result = run_script(project, "acme", "test", "--debug", case="unexpected")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert_no_secret(result, project)


def test_keyboard_interrupt_exits_130(project: Path) -> None:
    result = run_script(project, "acme", "test", case="interrupt")
    assert result.returncode == 130
    assert "Traceback" not in result.stderr


def test_no_project_root_is_friendly(tmp_path: Path) -> None:
    scripts = tmp_path / "loose"
    (scripts / "src").mkdir(parents=True)
    (scripts / "src" / "__init__.py").write_text("")
    (scripts / "src" / "demo.py").write_text(textwrap.dedent(SCRIPT))
    result = run_script(scripts, "acme", "test")
    assert_friendly_failure(result)
    assert "No txo project found" in result.stderr


def test_validate_config_argument_is_deprecated_and_ignored(project: Path, monkeypatch) -> None:
    from txo_runtime import script_runner

    monkeypatch.chdir(project)
    monkeypatch.delenv("TXO_PROJECT_ROOT", raising=False)
    with pytest.warns(DeprecationWarning, match="validate_config"):
        config = script_runner.parse_args_and_load_config(
            "x", validate_config=False, argv=["acme", "test"]
        )
    assert config["_org_id"] == "acme"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["acme", "test", "--debug"], True),
        (["--debug", "acme", "test"], True),
        (["acme", "test", "--batch-size", "5", "--debug"], True),
        (["acme", "--debug"], True),  # the script's parser will fail: still a traceback
        (["acme", "test"], False),
        (["acme", "test", "--", "--debug"], False),  # after "--" it is an argument
        (["acme", "test", "--note=--debug"], False),  # the value of another option
        (["--debug=yes"], False),  # unreadable: the script's parser reports it
        (["--help"], False),
        ([], False),
    ],
)
def test_debug_is_read_by_argparse_with_the_scripts_own_definition(
    argv: list[str], expected: bool
) -> None:
    from txo_runtime.script_runner import _debug_requested

    assert _debug_requested(argv) is expected


def test_debug_shows_the_traceback_of_an_error_raised_while_parsing_arguments(
    project: Path,
) -> None:
    result = run_script(project, "acme", "--debug")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "env_type" in result.stderr


def test_debug_shows_the_traceback_of_an_error_raised_while_loading_the_config(
    project: Path,
) -> None:
    result = run_script(project, "acme", "prod", "--debug")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "acme-prod-config.json" in result.stderr


def test_debug_after_a_double_dash_is_an_argument_not_the_flag(project: Path) -> None:
    result = run_script(project, "acme", "test", "--", "--debug", case="unexpected")
    assert_friendly_failure(result)
    assert "unrecognized arguments: --debug" in result.stderr


def test_secret_on_a_bad_command_line_is_redacted_with_debug_too(project: Path) -> None:
    result = run_script(project, "acme", "test", "--bogus", "--client-secret", SECRET, "--debug")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert SECRET not in result.stderr


MODULE_LEVEL_SCRIPT = """\
from txo_runtime.logger import setup_logger

logger = setup_logger()  # the starters' pattern: runs at import, before run() exists


def main():
    logger.info("never reached")
"""


@pytest.mark.parametrize(
    "broken",
    ["config/logging-config.json", "config/log-redaction-patterns.json", "pyproject.toml"],
)
def test_a_failure_at_module_level_before_run_is_the_three_part_message_without_traceback(
    tmp_path: Path, broken: str
) -> None:
    root = make_project(tmp_path / "acme")
    (root / "src" / "__init__.py").write_text("")
    (root / "src" / "early.py").write_text(MODULE_LEVEL_SCRIPT)
    (root / broken).unlink()  # without pyproject.toml the folder is no project at all
    env = {k: v for k, v in os.environ.items() if k != "TXO_PROJECT_ROOT"}
    result = subprocess.run(
        [sys.executable, "-m", "src.early", "acme", "test"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_friendly_failure(result)
    assert "never reached" not in result.stderr
