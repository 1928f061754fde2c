"""Walk a nested config by key path, turning the first miss into a configuration error.

Both the retry policy (``script-behavior.retry-strategy``) and the API factory read
required settings this way; each builds its own error (which file, which example), the
walk itself lives here once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from txo_runtime.exceptions import ConfigurationError

__all__ = ["lookup"]


def lookup(
    mapping: Mapping[str, Any],
    path: tuple[str, ...],
    *,
    missing: Callable[[tuple[str, ...]], Exception],
    misses: tuple[type[Exception], ...] = (KeyError,),
) -> Any:
    """``mapping[a][b]...``; a miss raises ``missing(path up to the missing key)``.

    A :class:`ConfigurationError` from the mapping itself (a ``ConfigDict`` already names
    the file and key path) is passed on unchanged.
    """
    node: Any = mapping
    for depth, key in enumerate(path):
        try:
            node = node[key]
        except ConfigurationError:
            raise
        except misses:
            raise missing(path[: depth + 1]) from None
    return node
