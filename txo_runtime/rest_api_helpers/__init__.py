"""REST and OData client: ``MinimalRestAPI``, ``SessionManager``, ``RestOperationResult``.

A package so each concern stays small (``session``, ``client``, ``odata``, ``async_ops``);
scripts import from here: ``from txo_runtime.rest_api_helpers import MinimalRestAPI``.
"""

from __future__ import annotations

from txo_runtime.rest_api_helpers.client import (
    MinimalRestAPI,
    RestOperationResult,
    TokenProvider,
    TxoRestAPI,
)
from txo_runtime.rest_api_helpers.odata import ODataLimits, ODataPagingError
from txo_runtime.rest_api_helpers.session import SessionManager

__all__ = [
    "MinimalRestAPI",
    "ODataLimits",
    "ODataPagingError",
    "RestOperationResult",
    "SessionManager",
    "TokenProvider",
    "TxoRestAPI",
]
