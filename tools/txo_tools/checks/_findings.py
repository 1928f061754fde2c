"""What a check reports: a :class:`Finding` per problem, and the catalogue of rule codes.

Each rule has a stable code (``TXO001`` ...) so a finding can be looked up in
``docs/cli/check.md`` and searched for in CI logs; the catalogue holds the generic "how to
fix" text that a finding may refine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any

__all__ = ["RULES", "Finding", "Rule", "finding"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A check rule: its code, a short title and the usual fix."""

    code: str
    title: str
    how_to_fix: str


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One problem at ``file:line:column`` (``file`` relative to the project root, POSIX form).

    ``line`` is ``None`` when the finding is about a file as a whole (a missing mandatory
    file, a stale temporary file); ``column`` (1-based) is known for script rules only.
    """

    file: str
    line: int | None
    code: str
    message: str
    how_to_fix: str
    column: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def location(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")


_RULE_LIST = (
    Rule("TXO001", "config fails its schema", "Change the value (or the schema) so they agree"),
    Rule(
        "TXO002",
        "config key missing from the schema",
        "Declare the key under 'properties' in schemas/org-env-config-schema.json",
    ),
    Rule(
        "TXO003",
        "schema property used by no config",
        "Remove the property from the schema, or use it in a config",
    ),
    Rule("TXO004", "config key not kebab-case", "Rename the key to kebab-case (my-setting)"),
    Rule(
        "TXO005",
        "secrets file tracked by git",
        "git rm --cached the file, rotate the secrets it held, keep it git-ignored",
    ),
    Rule(
        "TXO006",
        "secrets file not git-ignored",
        "Add 'config/*-config-secrets.json' to .gitignore",
    ),
    Rule(
        "TXO007",
        "soft-fail read of config",
        "Read required config with config['section']['key'] so a missing key fails loudly",
    ),
    Rule("TXO008", "print() in a script", "Log instead: logger.info(...)"),
    Rule(
        "TXO009",
        "string folder where Dir is expected",
        "Use the Dir constant: from txo_runtime.path_helpers import Dir",
    ),
    Rule(
        "TXO010",
        "sys.exit outside the entry point",
        'Raise a txo exception; only `if __name__ == "__main__":` ends the process',
    ),
    Rule(
        "TXO011",
        "logging-config.json missing",
        "Run `txo migrate` or copy txo_runtime/data/logging-config.json to config/",
    ),
    Rule(
        "TXO012",
        "log-redaction-patterns.json missing",
        "Run `txo migrate` or copy txo_runtime/data/log-redaction-patterns.json to config/",
    ),
    Rule(
        "TXO013",
        "project schema missing",
        "Create schemas/org-env-config-schema.json (txo migrate writes the base schema)",
    ),
    Rule("TXO014", "file cannot be parsed", "Fix the syntax error at the reported line"),
    Rule(
        "TXO015",
        "logging config or redaction patterns refused by the runtime",
        "Correct the file (docs/logging.md) or copy the packaged default from txo_runtime/data/",
    ),
    Rule(
        "TXO016",
        "stale save() temporary file",
        "Delete the file: a save() that was killed left it; the target file was not touched",
    ),
    Rule(
        "TXO017",
        "path built with pathlib from a folder name",
        'Use get_path(Dir.X, "name") (from txo_runtime.path_helpers import Dir, get_path)',
    ),
    Rule(
        "TXO018",
        "path built with os.path.join from a folder name",
        'Use get_path(Dir.X, "name") (from txo_runtime.path_helpers import Dir, get_path)',
    ),
    Rule(
        "TXO019",
        "path into a project folder written as a string",
        'Use get_path(Dir.X, "name") (from txo_runtime.path_helpers import Dir, get_path)',
    ),
    Rule(
        "TXO020",
        "Python file without its path comment",
        "Start the file with a comment naming its path: # src/my_script.py",
    ),
)

RULES: MappingProxyType[str, Rule] = MappingProxyType({rule.code: rule for rule in _RULE_LIST})


def finding(
    code: str,
    file: str,
    line: int | None,
    message: str,
    how_to_fix: str | None = None,
    *,
    column: int | None = None,
) -> Finding:
    """A :class:`Finding` whose fix defaults to the rule's usual one."""
    return Finding(file, line, code, message, how_to_fix or RULES[code].how_to_fix, column)
