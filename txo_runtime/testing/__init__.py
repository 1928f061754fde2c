"""A local, threaded HTTP API server for tests, the demo and generated projects.

It speaks just enough OData v4, OAuth client credentials, JSON REST and SOAP 1.1 to exercise
``txo_runtime``'s HTTP client against a real socket, and scripts faults per route (429,
503, connection resets, slow or silent responses, 202 polling, failing pages). Only the
standard library is used so that it starts in milliseconds and adds no dependency.

Names are resolved lazily (PEP 562): the pytest plugin imports this package on every pytest
start-up, and ``python -m txo_runtime.testing.server`` must not find ``server`` imported
before it runs.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "AsyncOperation": "server",
    "Fault": "_faults",
    "LocalApiServer": "server",
    "QuotaCounts": "_quota",
    "RecordedRequest": "_records",
    "SoapFault": "_soap",
    "SoapOperation": "_soap",
    "demo_customers": "_demo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'txo_runtime.testing' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"txo_runtime.testing.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
