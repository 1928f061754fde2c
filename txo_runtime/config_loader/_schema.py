"""Check a config against its JSON schema, reporting each problem by its JSON path.

``load_config`` checks every config file against the project's schema on every load, so
each value is validated in one place. A config that never went through ``load_config`` (a
plain dict in a test or notebook) gets the same check for the sections the runtime reads,
against the schema packaged with the runtime (:func:`validate_section`).

A missing required key is reported as :class:`MissingConfigKeyError` (also a ``KeyError``),
whichever way it was found; any other problem is a :class:`ConfigurationError` naming the
path of the first one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from txo_runtime.config_loader._key_path import config_source
from txo_runtime.exceptions import ConfigurationError, MissingConfigKeyError, shorten
from txo_runtime.path_helpers import packaged_data

__all__ = [
    "SCHEMA_FILENAME",
    "packaged_schema",
    "validate_against_schema",
    "validate_section",
]

SCHEMA_FILENAME = "org-env-config-schema.json"
MAX_SCHEMA_ERRORS_SHOWN = 5
_RULE_SHOWN_CHARS = 120
_MESSAGE_SHOWN_CHARS = 400
_EXAMPLE = (
    '"script-behavior": {\n  "rate-limiting": {"enabled": true, '
    '"calls-per-second": 10, "burst-size": 1}\n}'
)


def packaged_schema() -> dict[str, Any]:
    """The config schema shipped with the runtime (the template copies it to schemas/)."""
    source = packaged_data(SCHEMA_FILENAME)
    schema: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return schema


def dotted(path: Sequence[str | int]) -> str:
    """``("a", "b", 0, "c")`` -> ``a.b[0].c``, the form every config error uses."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: Any) -> str:
    """jsonschema's message with the quoted offending value cut (a 5 MB wrong-typed
    value would otherwise become a 5 MB console message and twice that in the logs)."""
    if error.validator == "propertyNames":  # the message would quote the whole rule
        return f"the key name {shorten(repr(error.instance))} is not allowed here"
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        return _unknown_keys(error)
    message = str(error.message)
    if len(message) <= _MESSAGE_SHOWN_CHARS:
        return message
    quoted = repr(error.instance)
    if quoted in message:
        message = message.replace(quoted, shorten(quoted))
    return shorten(message, _MESSAGE_SHOWN_CHARS)


def _unknown_keys(error: Any) -> str:
    """``unknown key 'scrpit-behavior' (did you mean 'script-behavior'?)``: a typo is named
    with the declared key it most resembles."""
    import difflib  # only an invalid config needs it; start-up stays light

    declared = list(error.schema.get("properties", {}))
    unknown = [str(key) for key in error.instance if key not in declared]
    parts = []
    for key in unknown[:MAX_SCHEMA_ERRORS_SHOWN]:
        close = difflib.get_close_matches(key, declared, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        parts.append(f"{shorten(repr(key))}{hint}")
    return f"unknown key{'s' if len(unknown) != 1 else ''} " + ", ".join(parts)


def _problem_line(error: Any) -> str:
    location = "$" + (("." if error.absolute_path else "") + dotted(list(error.absolute_path)))
    rule = f"{error.validator}: {error.validator_value!r}"
    if len(rule) > _RULE_SHOWN_CHARS:
        rule = rule[: _RULE_SHOWN_CHARS - 3] + "..."
    return f"  at {location}: {_message(error)} (schema rule {rule})"


def _first_missing(errors: Sequence[Any]) -> str | None:
    """Dotted path of the first missing required key, read from the error's structure.

    Besides ``required`` this covers the other ways a schema can demand a key, so that a
    project schema using them still yields a ``KeyError``: ``dependentRequired`` (key B is
    needed because key A is there) and ``anyOf``/``oneOf`` alternatives that each miss a key
    (the first alternative's key is named; the message lists every problem).
    """
    for error in errors:
        absent = _absent_keys(error)
        if absent:
            return dotted([*error.absolute_path, absent[0]])
        if error.validator in ("anyOf", "oneOf") and error.context:
            nested = [sub for sub in error.context if _absent_keys(sub)]
            if nested and len(nested) == len({sub.schema_path[0] for sub in error.context}):
                return dotted([*nested[0].absolute_path, _absent_keys(nested[0])[0]])
    return None


def _absent_keys(error: Any) -> list[str]:
    if not isinstance(error.instance, Mapping):
        return []
    if error.validator == "required":
        return [key for key in error.validator_value if key not in error.instance]
    if error.validator == "dependentRequired":
        return [
            needed
            for present, needs in error.validator_value.items()
            if present in error.instance
            for needed in needs
            if needed not in error.instance
        ]
    return []


def _problems(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Any]:
    import jsonschema  # lazy: ~40 ms of imports that --help does not need

    validator_cls = jsonschema.validators.validator_for(schema, jsonschema.Draft202012Validator)
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    return sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])


def _summary(subject: str, errors: Sequence[Any]) -> str:
    from txo_runtime.logger import redact

    # The messages quote config values; a value may be a secret pasted in by mistake.
    shown = [redact(_problem_line(e)) for e in errors[:MAX_SCHEMA_ERRORS_SHOWN]]
    if len(errors) > len(shown):
        shown.append(f"  ... and {len(errors) - len(shown)} more")
    count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
    return f"{subject} does not match its schema ({count}):\n" + "\n".join(shown)


def validate_against_schema(
    config: Mapping[str, Any],
    schema: Mapping[str, Any],
    *,
    config_file: str | None,
    schema_file: str,
    subject: str | None = None,
) -> None:
    """Raise for the config's schema violations, listing each with its JSON path and rule.

    A missing required key makes it a :class:`MissingConfigKeyError` for that key;
    otherwise a :class:`ConfigurationError` whose ``key_path`` is the first problem's.
    """
    errors = _problems(config, schema)
    if not errors:
        return
    name = config_file.rsplit("/", 1)[-1] if config_file else ""
    summary = _summary(subject or f"Config file '{name}'", errors)
    missing = _first_missing(errors)
    if missing is not None:
        details = summary if len(errors) > 1 else ""
        raise MissingConfigKeyError.for_key(missing, config_file=config_file, details=details)
    raise ConfigurationError(
        summary,
        config_file=config_file,
        key_path=dotted(list(errors[0].absolute_path)) or None,
        how_to_fix="Fix the config at the paths above, or, if the new keys are intended, "
        f"declare them in {schema_file} (schema must match config)",
        example=_EXAMPLE,
    )


def validate_section(config: Mapping[str, Any], section: str) -> None:
    """Check ``config[section]`` against the packaged schema's rules for that section.

    For configs that ``load_config`` did not produce, so a wrong type or range is reported
    by key path before any client is built, exactly as a config file would be.
    """
    schema = packaged_schema()
    partial = dict(
        schema,
        properties={section: schema["properties"][section]},
        required=[section],
        additionalProperties=True,
    )
    where = config_source(config)
    validate_against_schema(
        {section: config[section]} if section in config else {},
        partial,
        config_file=where,
        schema_file=f"schemas/{SCHEMA_FILENAME}",
        subject=f"'{section}' of {where or 'the config'}",
    )
