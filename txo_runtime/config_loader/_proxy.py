"""``ConfigProxy``: required and optional config reads that explain a miss.

A thin face over the one key-path walker (:func:`require` / :func:`optional` in
``_key_path``): the proxy only remembers which file the config came from, so that a config
read by hand (``json.load``) names its file in the error just as a loaded one does::

    config = ConfigProxy(raw_config, "config/demo-test-config.json")
    url = config.require("global", "api-base-url")
    timeout = config.optional("script-behavior", "api-timeouts", "rest-timeout-seconds",
                              default=60)

A miss raises :class:`~txo_runtime.exceptions.MissingConfigKeyError`: a ``KeyError`` (so
``except KeyError`` keeps working) with the three-part message (problem, solution, a JSON
example to paste) that the script runner shows without a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from txo_runtime.config_loader._key_path import config_source, optional, require

__all__ = ["ConfigProxy"]


class ConfigProxy:
    """Read-only access to a config by key path; a miss names the file, path and fix.

    ``source`` is the file named in errors; it defaults to the file a loaded
    :class:`~txo_runtime.config_loader.ConfigDict` came from, else ``"config"``.
    """

    __slots__ = ("_config", "_source")

    def __init__(self, config: Mapping[str, Any], source: str | None = None) -> None:
        self._config = config
        self._source = source or config_source(config) or "config"

    @property
    def source(self) -> str:
        """The file named in error messages."""
        return self._source

    @property
    def config(self) -> Mapping[str, Any]:
        """The wrapped config (unchanged: the proxy copies nothing)."""
        return self._config

    def require(self, *path: str) -> Any:
        """The value at ``path``; a missing key raises ``MissingConfigKeyError`` (a KeyError)."""
        return require(self._config, *path, source=self._source)

    def optional(self, *path: str, default: Any = None) -> Any:
        """The value at ``path``, or ``default`` when the (documented optional) key is absent."""
        return optional(self._config, *path, default=default, source=self._source)

    def __contains__(self, key: object) -> bool:
        return key in self._config

    def __repr__(self) -> str:  # never the values: a config may hold injected secrets
        return f"ConfigProxy(source={self._source!r}, keys={sorted(map(str, self._config))!r})"
