"""REST and OData client: ``MinimalRestAPI``, ``SessionManager``, ``RestOperationResult``.

A package so each concern stays small (``session``, ``client``, ``odata``, ``async_ops``);
scripts import from here: ``from txo_runtime.rest_api_helpers import MinimalRestAPI``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from txo_runtime.rest_api_helpers.client import (
        MinimalRestAPI,
        RestOperationResult,
        TokenProvider,
        TxoRestAPI,
    )
    from txo_runtime.rest_api_helpers.odata import ODataLimits, ODataPagingError
    from txo_runtime.rest_api_helpers.session import SessionManager

# Public name -> its module, imported on first use (PEP 562): a script's --help that only
# needs ODataLimits (the config's defaults) does not load the client and its helpers.
_EXPORTS: dict[str, str] = {
    "MinimalRestAPI": "client",
    "RestOperationResult": "client",
    "TokenProvider": "client",
    "TxoRestAPI": "client",
    "ODataLimits": "odata",
    "ODataPagingError": "odata",
    "SessionManager": "session",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "MinimalRestAPI",
    "ODataLimits",
    "ODataPagingError",
    "RestOperationResult",
    "SessionManager",
    "TokenProvider",
    "TxoRestAPI",
]
