"""``txo check``: the rules of a v3.0 project, checked on a customer repository.

:func:`run_checks` returns every :class:`Finding` (file, line, code, message, how to fix)
for a project; the command line only formats them. Rule codes are listed in :data:`RULES`
and documented in ``docs/cli/check.md``. Heavy libraries (jsonschema) load only when a
check runs, so importing this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from txo_tools.checks._config_rules import check_configs
from txo_tools.checks._findings import RULES, Finding, Rule, finding
from txo_tools.checks._git_rules import check_secrets_in_git
from txo_tools.checks._sarif import to_sarif
from txo_tools.checks._script_rules import check_path_comments, check_scripts, check_source
from txo_tools.checks._selection import apply_suppressions, select_findings, validate_codes
from txo_tools.checks._stale_files import check_stale_temp_files

__all__ = [
    "MANDATORY_FILES",
    "RULES",
    "Finding",
    "Rule",
    "check_source",
    "run_checks",
    "to_sarif",
    "validate_codes",
]

# Without these no v3.0 script starts: setup_logger raises a HelpfulError naming the file.
MANDATORY_FILES = (
    ("TXO011", "config/logging-config.json"),
    ("TXO012", "config/log-redaction-patterns.json"),
)


def check_mandatory_files(root: Path) -> list[Finding]:
    return [
        finding(code, name, None, f"{name} is missing (txo v3.0 needs it to start logging)")
        for code, name in MANDATORY_FILES
        if not (root / name).is_file()
    ]


def check_logging_files(root: Path) -> list[Finding]:
    """TXO015: the runtime's own loaders refuse the file, so every script would fail at start."""
    from txo_runtime.exceptions import TxoBaseError
    from txo_runtime.logger import load_logging_settings, load_redaction_rules

    loaders = {
        MANDATORY_FILES[0][1]: load_logging_settings,
        MANDATORY_FILES[1][1]: load_redaction_rules,
    }
    found = []
    for name, load in loaders.items():
        if not (root / name).is_file():
            continue  # TXO011/TXO012
        try:
            load(root / name)
        except TxoBaseError as error:
            found.append(finding("TXO015", name, 1, error.message, error.how_to_fix))
    return found


def run_checks(
    root: Path | str, *, select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[Finding]:
    """Every finding for the project at ``root``, sorted by file, line, column and code.

    ``select``/``ignore`` are rule codes or prefixes (``TXO00``); a finding whose line says
    ``# txo: ignore[CODE]`` (or ``# txo: ignore``) is left out.
    """
    project = Path(root).resolve()
    found = [
        *check_mandatory_files(project),
        *check_logging_files(project),
        *check_configs(project),
        *check_secrets_in_git(project),
        *check_scripts(project),
        *check_path_comments(project),
        *check_stale_temp_files(project),
    ]
    chosen = select_findings(apply_suppressions(project, set(found)), select, ignore)
    return sorted(chosen, key=lambda f: (f.file, f.line or 0, f.column or 0, f.code, f.message))
