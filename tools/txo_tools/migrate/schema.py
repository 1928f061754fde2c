"""The project's ``schemas/org-env-config-schema.json`` for v3.0.

v3.0 validates every config against the project schema on every run, so after the config
migration the schema must describe the new nested sections *and* still describe everything
the user added (custom sections, extra ``global`` keys). The packaged schema is the base;
the user's own parts are carried over; config keys no schema declares get an inferred
declaration and a follow-up asking for a description.
"""

from __future__ import annotations

import copy
from typing import Any

from txo_tools.migrate.config import LEGACY_FLAT_KEYS, SECTION_DEFAULTS, JsonDict, Outcome

INFERRED_NOTE = "Added by txo migrate from your config; describe this setting."
_MAX_INFER_ROUNDS = 20


def is_v3_schema(schema: JsonDict) -> bool:
    """True when ``script-behavior`` declares every v3.0 section and no v2.1 flat key."""
    try:
        props = schema["properties"]["script-behavior"]["properties"]
    except (KeyError, TypeError):
        return False
    return set(SECTION_DEFAULTS) <= set(props) and not set(LEGACY_FLAT_KEYS) & set(props)


def merge_schema(user: JsonDict, base: JsonDict) -> Outcome:
    """The packaged v3.0 schema plus every property and definition only the user's has."""
    merged = copy.deepcopy(base)
    out = Outcome(merged)
    _merge_node(merged, user, "", out)
    for defs in ("$defs", "definitions"):
        for name, value in (user.get(defs) or {}).items():
            if name not in merged.setdefault(defs, {}):
                merged[defs][name] = copy.deepcopy(value)
                out.notes.append(f"kept your definition '{defs}/{name}'")
        if defs in merged and not merged[defs]:
            del merged[defs]
    out.notes.insert(0, "rebuilt on the packaged v3.0 schema (nested script-behavior)")
    return out


def _merge_node(merged: JsonDict, user: JsonDict, path: str, out: Outcome) -> None:
    user_props = user.get("properties")
    if not isinstance(user_props, dict):
        return
    props = merged.setdefault("properties", {})
    for name, definition in user_props.items():
        here = f"{path}.{name}" if path else name
        if path == "script-behavior" and name in LEGACY_FLAT_KEYS:
            continue  # now declared inside the nested section
        if name not in props:
            props[name] = copy.deepcopy(definition)
            out.notes.append(f"kept your property '{here}'")
        elif isinstance(definition, dict) and isinstance(props[name], dict):
            _merge_node(props[name], definition, here, out)
    required = merged.get("required", [])
    for name in user.get("required", []):
        if name in props and name not in required and name not in LEGACY_FLAT_KEYS:
            required.append(name)
            out.notes.append(f"kept '{name}' as required in '{path or '(root)'}'")
    if required:
        merged["required"] = required


def declare_config_keys(schema: JsonDict, config: JsonDict, source: str) -> Outcome:
    """Add inferred declarations for config keys an ``additionalProperties: false`` refuses.

    Returns the (mutated) schema; remaining validation errors become follow-ups.
    """
    from jsonschema import Draft202012Validator

    out = Outcome(schema)
    for _ in range(_MAX_INFER_ROUNDS):
        errors = list(Draft202012Validator(schema).iter_errors(config))
        extra = [e for e in errors if e.validator == "additionalProperties"]
        if not extra:
            break
        for error in extra:
            _declare_extra(error, out)
    for error in Draft202012Validator(schema).iter_errors(config):
        out.follow_ups.append(f"{source}: {error.json_path}: {error.message}")
    return out


def _declare_extra(error: Any, out: Outcome) -> None:
    subschema, instance = error.schema, error.instance
    declared = subschema.setdefault("properties", {})
    where = error.json_path.removeprefix("$").lstrip(".")
    for key, value in instance.items():
        if key not in declared:
            declared[key] = infer_schema(value)
            name = f"{where}.{key}" if where else key
            out.notes.append(f"declared '{name}' (type inferred from the config)")
            out.follow_ups.append(f"describe the inferred property '{name}' in the schema")


def infer_schema(value: Any) -> JsonDict:
    """A permissive declaration of ``value``'s JSON type."""
    if isinstance(value, bool):
        kind = "boolean"
    elif isinstance(value, int):
        kind = "integer"
    elif isinstance(value, float):
        kind = "number"
    elif isinstance(value, str):
        kind = "string"
    elif isinstance(value, list):
        kind = "array"
    elif isinstance(value, dict):
        kind = "object"
    else:
        kind = "null"
    return {"type": kind, "description": INFERRED_NOTE}
