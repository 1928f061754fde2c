"""v2.1 -> v3.0 configuration: nested ``script-behavior`` sections and the project schema.

Pure functions on parsed JSON; the caller reads and writes files. Every value the user set
survives: flat keys move into their nested section, custom sections are never touched, and
sections v3.0 requires are added with the defaults the v2.1 runtime used when they were
absent, so behaviour does not change (rate limiting and the circuit breaker stay off unless
the project had turned them on).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]

# v2.1 flat key -> (v3.0 section, v3.0 key)
LEGACY_FLAT_KEYS: dict[str, tuple[str, str]] = {
    "enable-rate-limiting": ("rate-limiting", "enabled"),
    "rate-limit-per-second": ("rate-limiting", "calls-per-second"),
    "rate-limit-burst-size": ("rate-limiting", "burst-size"),
    "enable-circuit-breaker": ("circuit-breaker", "enabled"),
    "circuit-breaker-threshold": ("circuit-breaker", "failure-threshold"),
    "circuit-breaker-timeout": ("circuit-breaker", "timeout-seconds"),
}

# Short key names some v2.1 projects used inside the nested sections.
NESTED_ALIASES: dict[str, dict[str, str]] = {
    "rate-limiting": {
        "rate": "calls-per-second",
        "per-second": "calls-per-second",
        "burst": "burst-size",
    },
    "circuit-breaker": {"threshold": "failure-threshold", "timeout": "timeout-seconds"},
}

# What the v2.1 runtime did when a setting was absent (the limiter and the breaker were off
# unless enabled), in the v3.0 section order.
SECTION_DEFAULTS: dict[str, JsonDict] = {
    "api-timeouts": {
        "rest-timeout-seconds": 60,
        "soap-timeout-seconds": 120,
        "wsdl-timeout-seconds": 60,
        "async-max-wait": 300,
        "async-poll-interval": 5,
    },
    "retry-strategy": {"max-retries": 3, "backoff-factor": 2.0},
    "jitter": {"min-factor": 0.8, "max-factor": 1.2},
    "rate-limiting": {
        "enabled": False,
        "calls-per-second": 10,
        "burst-size": 1,
        "scope": "process",  # one bucket per run, as in v2.1 (machine / redis share it)
    },
    "circuit-breaker": {"enabled": False, "failure-threshold": 5, "timeout-seconds": 60},
    "batch-handling": {"read-batch-size": 100, "update-batch-size": 50},
}


@dataclass
class Outcome:
    """The migrated document plus what happened (``notes``) and what a person must do."""

    data: Any
    notes: list[str] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)


def loads(text: str) -> Any:
    return json.loads(text)


def dumps(data: Any, indent: int | str = 2) -> str:
    """Readable JSON: the file's indent (default 2), key order and non-ASCII kept, final
    newline."""
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


_INDENT = re.compile(r"^[{\[][ \t]*\r?\n([ \t]+)\S")


def indent_of(text: str | None) -> int | str:
    """The indent a JSON file uses (spaces as a count, tabs as text); 2 when unknown.

    Writing the migrated file with its own indent keeps the diff to the real changes.
    """
    match = _INDENT.match(text.lstrip("\ufeff") if text else "")
    if match is None:
        return 2
    unit = match[1]
    return unit if "\t" in unit else len(unit)


def migrate_config(config: JsonDict) -> Outcome:
    """Return the v3.0 form of one ``{org}-{env}-config.json`` document."""
    data = copy.deepcopy(config)
    out = Outcome(data)
    if "global" not in data:
        out.follow_ups.append(
            "no 'global' section: add it with at least 'api-base-url' (v3.0 requires it)"
        )
    # Migration reads arbitrary user JSON: a missing section is data to fix, not an error.
    if "script-behavior" not in data or not isinstance(data["script-behavior"], dict):
        data["script-behavior"] = {}
        out.notes.append("added section 'script-behavior' (required in v3.0)")
    data["script-behavior"] = _migrate_behavior(data["script-behavior"], out)
    return out


def _migrate_behavior(old: JsonDict, out: Outcome) -> JsonDict:
    new: JsonDict = {}
    for key, value in old.items():
        if key in LEGACY_FLAT_KEYS:
            section = LEGACY_FLAT_KEYS[key][0]
            new.setdefault(section, {})  # the section takes the first flat key's place
            continue
        if key in NESTED_ALIASES and isinstance(value, dict):
            new[key] = {**new.get(key, {}), **_rename_aliases(key, value, out)}
            continue
        new[key] = value
    _fold_flat_keys(old, new, out)
    for section, defaults in SECTION_DEFAULTS.items():
        _fill_section(new, section, defaults, out)
    _note_api_delay(new, out)
    return new


def _note_api_delay(behavior: JsonDict, out: Outcome) -> None:
    """``api-delay-seconds`` keeps its v2.1 meaning (a pause between calls); say so when it
    is on, since a value of 1 caps a client at one call per second."""
    delay = behavior.get("api-delay-seconds")  # optional key of arbitrary user JSON
    if isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay > 0:
        out.notes.append(
            f"kept 'script-behavior.api-delay-seconds' = {delay!r}: calls of one client start "
            f"at least {delay} s apart, as v2.1 paused between calls (0 leaves the pacing "
            "to 'rate-limiting')"
        )


def _rename_aliases(section: str, values: JsonDict, out: Outcome) -> JsonDict:
    renamed: JsonDict = {}
    for key, value in values.items():
        target = NESTED_ALIASES[section].get(key, key)
        if target != key:
            out.notes.append(f"renamed 'script-behavior.{section}.{key}' to '{target}'")
        renamed[target] = value
    return renamed


def _fold_flat_keys(old: JsonDict, new: JsonDict, out: Outcome) -> None:
    for key, (section, target) in LEGACY_FLAT_KEYS.items():
        if key not in old:
            continue
        nested = new.setdefault(section, {})
        where = f"script-behavior.{section}.{target}"
        if target in nested and nested[target] != old[key] and section in old:
            out.notes.append(f"dropped flat '{key}': {old[key]!r} ('{where}' kept)")
            out.follow_ups.append(
                f"flat '{key}' was {old[key]!r} but '{where}' is {nested[target]!r}: "
                "the nested value was kept, check which one you meant"
            )
            continue
        nested[target] = old[key]
        out.notes.append(f"moved 'script-behavior.{key}' to '{where}' ({old[key]!r})")


def _fill_section(behavior: JsonDict, section: str, defaults: JsonDict, out: Outcome) -> None:
    if section not in behavior:
        behavior[section] = dict(defaults)
        out.notes.append(f"added 'script-behavior.{section}' with v2.1 defaults {defaults}")
        return
    current = behavior[section]
    if not isinstance(current, dict):
        out.follow_ups.append(f"'script-behavior.{section}' is not an object; fix by hand")
        return
    for key, value in defaults.items():
        if key not in current:
            current[key] = value
            out.notes.append(f"added 'script-behavior.{section}.{key}' = {value!r} (default)")
