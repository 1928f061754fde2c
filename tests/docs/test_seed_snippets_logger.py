"""The logging snippets users copy from the project's original guides, adapted from
``utils.`` to ``txo_runtime.``, run in a fresh temp project in their own interpreter.

Each prints what the guide says the log shows: a redacted line, never the secret.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

TIMEOUT_SECONDS = 60


def _run(code: str, project: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    return result


def _log_file_text(project: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (project / "logs").glob("*.log"))


def test_seed_logger_snippet_redacts_the_token_placeholder(txo_project: Path) -> None:
    result = _run(
        """
        from txo_runtime.logger import setup_logger
        logger = setup_logger()
        logger.info('Test with _token: [should be redacted]')
        """,
        txo_project,
    )
    for text in (result.stderr, _log_file_text(txo_project)):
        assert "Test with _token: [REDACTED]" in text
        assert "should be redacted" not in text


def test_seed_automatic_token_redaction_examples_log_what_the_guide_shows(
    txo_project: Path,
) -> None:
    result = _run(
        """
        import json
        from txo_runtime.logger import setup_logger
        logger = setup_logger()
        token = "Bearer " + "abcdefghijklmnopqrstuvwx"  # letters only, as a test token often is
        jwt_token = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJkZW1vIn0" + ".c2lnbmF0dXJl"
        logger.info(f"Token: {token}")
        logger.debug(f"Config: {json.dumps({'password': 'secret'})}")
        logger.error(f"JWT: {jwt_token}")
        """,
        txo_project,
    )
    file_text = _log_file_text(txo_project)
    for text in (result.stderr, file_text):
        assert "Token: Bearer [REDACTED]" in text
        assert "JWT: [REDACTED_JWT]" in text
        assert "abcdefghijklmnopqrstuvwx" not in text and "c2lnbmF0dXJl" not in text
    assert 'Config: {"password": "[REDACTED]"}' in file_text  # DEBUG: the file only
    assert '"secret"' not in file_text
