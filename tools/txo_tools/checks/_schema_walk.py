"""Walk a config and its JSON schema side by side (the "schema must match config" rules).

jsonschema answers "is this config valid?", not "which schema property does this key use?"
nor "which properties does no config use?". This walker answers both. It understands the
parts of JSON Schema that decide where a key is declared: ``properties``,
``patternProperties``, ``additionalProperties`` (a schema, ``true`` or ``false``), ``items``,
local ``$ref`` (``#/...``) and the ``allOf``/``anyOf``/``oneOf`` combinators.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from txo_tools.checks._json_lines import JsonPath

__all__ = ["SchemaUse", "declared_properties", "walk_config"]

_COMBINATORS = ("allOf", "anyOf", "oneOf")
_MAX_REF_DEPTH = 32  # a cycle of $refs must not hang the check


@dataclass
class SchemaUse:
    """What a walk found: property definitions used, and config keys declared nowhere."""

    used: set[JsonPath] = field(default_factory=set)
    undeclared: list[JsonPath] = field(default_factory=list)


def _pointer(ref: str) -> JsonPath:
    parts = ref[2:].split("/") if ref.startswith("#/") else []
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in parts)


def _lookup(document: dict[str, Any], path: JsonPath) -> Any:
    node: Any = document
    for part in path:
        node = node[part] if isinstance(node, dict) and part in node else None
    return node


def _variants(
    document: dict[str, Any], node: Any, path: JsonPath
) -> Iterator[tuple[Any, JsonPath]]:
    """``node`` itself, the target of its local ``$ref`` and its combinator branches."""
    pending = [(node, path, 0)]
    while pending:
        current, where, depth = pending.pop()
        if not isinstance(current, dict) or depth > _MAX_REF_DEPTH:
            continue
        yield current, where
        ref = current.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            target = _pointer(ref)
            pending.append((_lookup(document, target), target, depth + 1))
        for keyword in _COMBINATORS:
            for position, branch in enumerate(current.get(keyword) or ()):
                pending.append((branch, (*where, keyword, position), depth + 1))


def _child_schemas(
    document: dict[str, Any], node: Any, path: JsonPath, key: str
) -> list[tuple[Any, JsonPath, bool]]:
    """Schemas that apply to ``key`` of an object: ``(schema, path, is_named_property)``."""
    found: list[tuple[Any, JsonPath, bool]] = []
    fallback: list[tuple[Any, JsonPath, bool]] = []
    for variant, where in _variants(document, node, path):
        properties = variant.get("properties")
        if isinstance(properties, dict) and key in properties:
            found.append((properties[key], (*where, "properties", key), True))
        for pattern, sub in (variant.get("patternProperties") or {}).items():
            if re.search(pattern, key):
                found.append((sub, (*where, "patternProperties", pattern), False))
        extra = variant.get("additionalProperties")
        if isinstance(extra, dict):
            fallback.append((extra, (*where, "additionalProperties"), False))
    return found or fallback


def _item_schemas(
    document: dict[str, Any], node: Any, path: JsonPath
) -> list[tuple[Any, JsonPath]]:
    return [
        (variant["items"], (*where, "items"))
        for variant, where in _variants(document, node, path)
        if isinstance(variant.get("items"), dict)
    ]


def walk_config(config: Any, schema: dict[str, Any]) -> SchemaUse:
    """Which schema properties ``config`` uses and which of its keys no schema declares."""
    use = SchemaUse()
    pending: list[tuple[Any, list[tuple[Any, JsonPath]], JsonPath]] = [(config, [(schema, ())], ())]
    while pending:
        value, schemas, config_path = pending.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                matches = [
                    m for node, where in schemas for m in _child_schemas(schema, node, where, key)
                ]
                if not matches:
                    if key != "$schema":  # editors' schema hint, not a setting
                        use.undeclared.append((*config_path, key))
                    continue  # keys below an undeclared key are reported once, at the top
                use.used.update(where for _, where, named in matches if named)
                children = [(node, where) for node, where, _ in matches]
                pending.append((child, children, (*config_path, key)))
        elif isinstance(value, list):
            items = [item for node, where in schemas for item in _item_schemas(schema, node, where)]
            for position, child in enumerate(value):
                pending.append((child, items, (*config_path, position)))
    return use


def declared_properties(schema: Any, path: JsonPath = ()) -> Iterator[JsonPath]:
    """Every named property definition in the schema document (path of its key)."""
    if isinstance(schema, dict):
        for key, sub in schema.items():
            if key == "properties" and isinstance(sub, dict):
                for name, definition in sub.items():
                    yield (*path, "properties", name)
                    yield from declared_properties(definition, (*path, "properties", name))
            elif key not in ("enum", "const", "default", "examples"):
                yield from declared_properties(sub, (*path, key))
    elif isinstance(schema, list):
        for position, item in enumerate(schema):
            yield from declared_properties(item, (*path, position))
