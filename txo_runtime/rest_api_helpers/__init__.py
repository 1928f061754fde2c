"""REST and OData client: ``MinimalRestAPI``, ``SessionManager``, ``RestOperationResult``.

A package so each concern stays small (``session``, ``client``, ``odata``, ``async_ops``);
the seed's import path ``from txo_runtime.rest_api_helpers import MinimalRestAPI`` is kept.
"""

from __future__ import annotations

from txo_runtime.rest_api_helpers.client import (
    MinimalRestAPI,
    RestOperationResult,
    TokenProvider,
    TxoRestAPI,
)
from txo_runtime.rest_api_helpers.odata import ODataPagingError
from txo_runtime.rest_api_helpers.session import SessionManager

__all__ = [
    "MinimalRestAPI",
    "ODataPagingError",
    "RestOperationResult",
    "SessionManager",
    "TokenProvider",
    "TxoRestAPI",
]
