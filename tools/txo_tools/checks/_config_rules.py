"""Config rules: schema validity (TXO001), schema must match config (TXO002/TXO003),
kebab-case keys (TXO004), and the project schema's presence (TXO013).

Secrets files are read for their *keys* only (kebab-case); no value ever reaches a finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from txo_runtime.path_helpers import packaged_data
from txo_tools.checks._findings import Finding, finding
from txo_tools.checks._json_lines import JsonPath, json_line_index, line_of
from txo_tools.checks._schema_walk import declared_properties, walk_config

__all__ = [
    "SCHEMA_FILE",
    "JsonDoc",
    "check_configs",
    "config_files",
    "is_env_config",
    "load_json_doc",
]

SCHEMA_FILE = "schemas/org-env-config-schema.json"
_CONFIG_SUFFIX = "-config.json"
_SECRETS_SUFFIX = "-config-secrets.json"
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ALLOWED_NON_KEBAB = frozenset({"$schema", "$comment"})
_MAX_MESSAGE = 200
# Validators whose complaint TXO002 already reports with a better message.
_COVERED_BY_TXO002 = frozenset({"additionalProperties", "unevaluatedProperties"})


@dataclass(frozen=True)
class JsonDoc:
    """A parsed JSON file with the line of every key."""

    rel: str
    data: Any
    lines: dict[JsonPath, int]

    def line(self, path: JsonPath) -> int:
        return line_of(self.lines, path)


def is_env_config(name: str) -> bool:
    """``{org}-{env}-config.json`` (and not ``logging-config.json``)."""
    stem = name[: -len(_CONFIG_SUFFIX)] if name.endswith(_CONFIG_SUFFIX) else ""
    return "-" in stem.strip("-")


def config_files(root: Path) -> list[Path]:
    folder = root / "config"
    return sorted(p for p in folder.glob(f"*{_CONFIG_SUFFIX}") if is_env_config(p.name))


def secrets_files(root: Path) -> list[Path]:
    return sorted((root / "config").glob(f"*{_SECRETS_SUFFIX}"))


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def load_json_doc(root: Path, path: Path) -> JsonDoc | Finding:
    """The parsed file, or a TXO014 finding at the line of the syntax error."""
    rel = _rel(root, path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return finding("TXO014", rel, exc.lineno, f"Invalid JSON: {exc.msg}")
    except (OSError, UnicodeDecodeError) as exc:
        return finding("TXO014", rel, 1, f"Cannot read the file: {exc}")
    return JsonDoc(rel, data, json_line_index(text))


def _dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _kebab_suggestion(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", key)
    return re.sub(r"[^a-z0-9]+", "-", spaced.lower()).strip("-")


def kebab_findings(doc: JsonDoc) -> list[Finding]:
    """TXO004 for every key (at any depth) that is not kebab-case."""
    found = []
    for path, line in doc.lines.items():
        key = path[-1] if path else None
        if isinstance(key, str) and key not in _ALLOWED_NON_KEBAB and not _KEBAB.match(key):
            fix = f"Rename '{key}' to '{_kebab_suggestion(key)}' (and in the schema and scripts)"
            found.append(
                finding("TXO004", doc.rel, line, f"Key '{_dotted(path)}' is not kebab-case", fix)
            )
    return found


def _schema_findings(doc: JsonDoc, schema: dict[str, Any]) -> list[Finding]:
    """TXO001: every jsonschema error, located at the offending key."""
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    validator = validator_for(schema)(schema, format_checker=FormatChecker())
    found = []
    for error in validator.iter_errors(doc.data):
        if error.validator in _COVERED_BY_TXO002:
            continue
        path = tuple(error.absolute_path)
        message = _shorten(f"{_dotted(path)}: {error.message}")
        rule = _dotted(error.absolute_schema_path)
        fix = f"Fix the value, or the rule at '{rule}' in {SCHEMA_FILE}"
        found.append(finding("TXO001", doc.rel, doc.line(path), message, fix))
    return found


def _undeclared_findings(doc: JsonDoc, undeclared: list[JsonPath]) -> list[Finding]:
    found = []
    for path in undeclared:
        message = f"Key '{_dotted(path)}' is not declared in {SCHEMA_FILE}"
        fix = (
            f"Add '{path[-1]}' with a type and a description under the 'properties' of "
            f"'{_dotted(path[:-1])}' in {SCHEMA_FILE}, or remove it from the config"
        )
        found.append(finding("TXO002", doc.rel, doc.line(path), message, fix))
    return found


def _base_schema_properties() -> set[JsonPath]:
    """Properties of the runtime's packaged schema: optional runtime settings, never stale."""
    source = packaged_data("org-env-config-schema.json")
    return set(declared_properties(json.loads(source.read_text(encoding="utf-8"))))


def _unused_findings(schema_doc: JsonDoc, used: set[JsonPath]) -> list[Finding]:
    """TXO003: project-specific schema properties that no config uses."""
    exempt = _base_schema_properties()
    found = []
    for path in sorted(set(declared_properties(schema_doc.data)) - used - exempt, key=str):
        name = _dotted(p for p in path if p != "properties")
        message = f"Schema property '{name}' is used by no config in config/"
        found.append(finding("TXO003", schema_doc.rel, schema_doc.line(path), message))
    return found


def _load_schema(root: Path) -> JsonDoc | Finding:
    path = root / SCHEMA_FILE
    if not path.is_file():
        return finding("TXO013", SCHEMA_FILE, None, f"{SCHEMA_FILE} is missing")
    return load_json_doc(root, path)


def _invalid_schema(schema_doc: JsonDoc) -> Finding | None:
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    try:
        validator_for(schema_doc.data).check_schema(schema_doc.data)
    except SchemaError as exc:
        line = schema_doc.line(tuple(exc.absolute_path))
        message = _shorten(f"The schema itself is not valid JSON Schema: {exc.message}")
        fix = "Fix the schema; see https://json-schema.org/understanding-json-schema/"
        return finding("TXO001", schema_doc.rel, line, message, fix)
    return None


def check_configs(root: Path) -> list[Finding]:
    """All config and schema findings of the project at ``root``."""
    found: list[Finding] = []
    docs: list[JsonDoc] = []
    for path in [*config_files(root), *secrets_files(root)]:
        doc = load_json_doc(root, path)
        found += [doc] if isinstance(doc, Finding) else kebab_findings(doc)
        if isinstance(doc, JsonDoc) and not path.name.endswith(_SECRETS_SUFFIX):
            docs.append(doc)
    schema_doc = _load_schema(root)
    if isinstance(schema_doc, Finding) or not isinstance(schema_doc.data, dict):
        return [*found, schema_doc] if isinstance(schema_doc, Finding) else found
    broken = _invalid_schema(schema_doc)
    if broken is not None:
        return [*found, broken]
    used: set[JsonPath] = set()
    for doc in docs:
        use = walk_config(doc.data, schema_doc.data)
        used |= use.used
        found += _schema_findings(doc, schema_doc.data) + _undeclared_findings(doc, use.undeclared)
    if docs:
        found += _unused_findings(schema_doc, used)
    return found
