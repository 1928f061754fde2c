"""The one way to read a value by key path: ``require(config, "global", "api-base-url")``.

It works the same on a loaded :class:`~txo_runtime.config_loader.ConfigDict` and on a plain
dict (tests, notebooks): the first missing key raises
:class:`~txo_runtime.exceptions.MissingConfigKeyError` (a ``KeyError`` too, so
``except KeyError`` works on both) naming the file when it is known and the dotted path up
to the missing key. :func:`optional` reads a documented optional value with the same walk and
returns its default instead. :class:`~txo_runtime.config_loader.ConfigProxy` and
``ConfigDict.require`` are thin faces of these two functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from txo_runtime.exceptions import ConfigurationError, MissingConfigKeyError

__all__ = ["config_source", "optional", "require"]

_ABSENT: Any = object()  # "no default": a miss is an error


def config_source(config: Mapping[str, Any]) -> str | None:
    """The file a config was loaded from (None for a plain dict)."""
    source = getattr(config, "source_file", None)
    return source if isinstance(source, str) else None


def require(config: Mapping[str, Any], *path: str, source: str | None = None) -> Any:
    """``config[path[0]][path[1]]...``; a miss raises :class:`MissingConfigKeyError`.

    ``source`` names the file in the message when the config does not know it (a plain
    dict read from a file by hand); a loaded config names its own file. A value on the way
    that is not an object (``"global": "x"``) is a :class:`ConfigurationError` naming its
    path and type (never the value: it may be a secret).
    """
    return _walk(config, path, source, _ABSENT)


def optional(
    config: Mapping[str, Any], *path: str, default: Any = None, source: str | None = None
) -> Any:
    """The value at ``path``, or ``default`` when a key on the way is absent.

    For values the schema documents as optional only; required settings are read with
    :func:`require` (or ``config["a"]["b"]``) so that a missing one fails loudly. A value on
    the way that is not an object is still an error: that is a broken config, not an
    absent setting.
    """
    return _walk(config, path, source, default)


def _walk(
    config: Mapping[str, Any], path: tuple[str, ...], source: str | None, default: Any
) -> Any:
    node: Any = config
    for depth, key in enumerate(path):
        if not isinstance(node, Mapping):
            raise _not_an_object(config, path[:depth], node, source)
        if key not in node:  # checked before reading: a ConfigDict would raise on its own
            if default is not _ABSENT:
                return default
            raise MissingConfigKeyError.for_key(
                _dotted(config, path[: depth + 1]), config_file=source or config_source(config)
            )
        node = node[key]
    return node


def _dotted(config: Mapping[str, Any], path: tuple[str, ...]) -> str:
    """The path from the file's root: a nested ConfigDict knows where it sits."""
    prefix = getattr(config, "key_path", "")
    return ".".join((prefix, *path) if isinstance(prefix, str) and prefix else path)


def _not_an_object(
    config: Mapping[str, Any], found: tuple[str, ...], node: object, source: str | None
) -> ConfigurationError:
    key_path = _dotted(config, found)
    config_file = source or config_source(config)
    return ConfigurationError(
        f"'{key_path}' in {config_file or 'the config'} must be an object, "
        f"not {type(node).__name__}",
        config_file=config_file,
        key_path=key_path,
        how_to_fix=f"Make '{key_path}' a JSON object holding its settings",
        example='"global": {\n  "api-base-url": "https://api.example.com"\n}',
    )
