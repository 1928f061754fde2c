"""Thread-safe lazy import of heavy optional libraries (pandas, openpyxl, yaml, pyarrow).

``import pandas`` takes ~0.5 s and pulls in numpy, so ``txo_runtime`` imports it only when a
save or load needs it. Python's import machinery has per-module locks, but a first import
racing with other threads has produced partially initialised modules in the past (circular
imports inside big packages), so the first import is additionally serialised by one lock.
``sys.modules`` is the cache: after the first import every call is a dictionary look-up.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import MappingProxyType, ModuleType

from txo_runtime.exceptions import HelpfulError

__all__ = ["import_lazily", "is_instance_of"]

# The only module-level state: an immutable lock object (no data lives in it).
_IMPORT_LOCK = threading.Lock()

_INSTALL_HINTS = MappingProxyType(
    {
        "pandas": "pip install pandas",
        "openpyxl": "pip install openpyxl",
        "yaml": "pip install pyyaml",
        "pyarrow": "pip install pyarrow",
    }
)


def _fully_imported(name: str) -> ModuleType | None:
    module = sys.modules.get(name)
    if module is None:
        return None
    spec = getattr(module, "__spec__", None)
    if spec is not None and getattr(spec, "_initializing", False):
        return None  # another thread is still executing the module's body
    return module


def import_lazily(name: str, *, purpose: str) -> ModuleType:
    """Import ``name`` once, from any number of threads; a missing package is a HelpfulError."""
    module = _fully_imported(name)
    if module is not None:
        return module
    with _IMPORT_LOCK:
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            raise HelpfulError(
                what_went_wrong=f"{purpose} needs the '{name}' package, which is not installed",
                how_to_fix=f"Install it in the project's environment: "
                f"{_INSTALL_HINTS.get(name, 'pip install ' + name)}",
                example=f"python -m {_INSTALL_HINTS.get(name, 'pip install ' + name)}",
            ) from exc


def is_instance_of(obj: object, module_name: str, class_name: str) -> bool:
    """``isinstance`` against a class of a library without importing that library.

    If the library was never imported, ``obj`` cannot be one of its instances.
    """
    module = _fully_imported(module_name)
    cls = getattr(module, class_name, None) if module is not None else None
    return isinstance(cls, type) and isinstance(obj, cls)
