"""The one way to read a required value by key path: ``require(config, "global", "api-base-url")``.

It works the same on a loaded :class:`~txo_runtime.config_loader.ConfigDict` and on a plain
dict (tests, notebooks): the first missing key raises
:class:`~txo_runtime.exceptions.MissingConfigKeyError` (a ``KeyError`` too) naming the file
when it is known and the dotted path up to the missing key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from txo_runtime.exceptions import ConfigurationError, MissingConfigKeyError

__all__ = ["config_source", "require"]


def config_source(config: Mapping[str, Any]) -> str | None:
    """The file a config was loaded from (None for a plain dict)."""
    source = getattr(config, "source_file", None)
    return source if isinstance(source, str) else None


def require(config: Mapping[str, Any], *path: str) -> Any:
    """``config[path[0]][path[1]]...``; a miss raises :class:`MissingConfigKeyError`.

    A value on the way that is not an object (``"global": "x"``) is a
    :class:`ConfigurationError` naming its path and type (never the value: it may be a
    secret).
    """
    node: Any = config
    for depth, key in enumerate(path):
        if not isinstance(node, Mapping):
            raise _not_an_object(config, path[:depth], node)
        try:
            node = node[key]
        except MissingConfigKeyError:  # a ConfigDict names its own file and path
            raise
        except KeyError:
            raise MissingConfigKeyError.for_key(
                ".".join(path[: depth + 1]), config_file=config_source(config)
            ) from None
    return node


def _not_an_object(
    config: Mapping[str, Any], found: tuple[str, ...], node: object
) -> ConfigurationError:
    key_path = ".".join(found)
    where = config_source(config) or "the config"
    return ConfigurationError(
        f"'{key_path}' in {where} must be an object, not {type(node).__name__}",
        config_file=config_source(config),
        key_path=key_path,
        how_to_fix=f"Make '{key_path}' a JSON object holding its settings",
        example='"global": {\n  "api-base-url": "https://api.example.com"\n}',
    )
