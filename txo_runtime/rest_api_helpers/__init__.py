"""REST and OData client: ``MinimalRestAPI``, ``SessionManager``, ``RestOperationResult``.

A package so each concern stays small (``session``, ``client``, ``odata``, ``async_ops``);
scripts import from here: ``from txo_runtime.rest_api_helpers import MinimalRestAPI``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from txo_runtime.extras import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "MinimalRestAPI",
    "ODataLimits",
    "ODataPagingError",
    "RestOperationResult",
    "SessionManager",
    "TokenProvider",
    "TxoRestAPI",
]
