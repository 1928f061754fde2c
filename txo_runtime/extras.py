"""Optional dependencies: which extra of ``txo-runtime`` brings which library, imported lazily.

A cron script that reads JSON and calls an API installs ``txo-runtime`` alone; Excel, YAML,
SOAP and parquet support come with extras (``pip install "txo-runtime[excel]"``). A call that
needs a library the environment lacks raises a :class:`HelpfulError` naming the exact
install command, instead of an ``ImportError`` from deep inside a writer.

Heavy libraries are imported on first use only (``import pandas`` takes ~0.5 s and pulls in
numpy). Python's import machinery has per-module locks, but a first import racing with other
threads has produced partially initialised modules (circular imports inside big packages), so
the first import is additionally serialised by one lock. ``sys.modules`` is the cache: after
the first import every call is a dictionary look-up.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType, ModuleType
from typing import Any

__all__ = ["EXTRA_OF", "import_lazily", "install_command", "is_instance_of", "lazy_exports"]

# The only module-level state: an immutable lock object (no data lives in it).
_IMPORT_LOCK = threading.Lock()

# Top-level module -> the extra of txo-runtime that installs it (see pyproject.toml).
EXTRA_OF = MappingProxyType(
    {
        "pandas": "excel",
        "openpyxl": "excel",
        "xlsxwriter": "excel",
        "python_calamine": "excel",
        "yaml": "yaml",
        "zeep": "soap",
        "lxml": "soap",
        "pyarrow": "parquet",
        "rich": "progress",
        "ahocorasick_rs": "fast-redaction",
        "jwt": "cert",
        "cryptography": "cert",
        "opentelemetry": "otel",
        "redis": "redis",
        "prefect": "prefect",
    }
)


def install_command(name: str) -> str:
    """The pip command that brings module ``name`` (through its extra when it has one)."""
    extra = EXTRA_OF.get(name)
    if extra is None:
        return f"pip install {name}"
    return f'pip install "txo-runtime[{extra}]"'


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
            # Imported here: the package __init__ files use lazy_exports below, and a bare
            # ``import txo_runtime`` should not pay for the exception classes.
            from txo_runtime.exceptions import HelpfulError

            command = install_command(name.partition(".")[0])
            raise HelpfulError(
                what_went_wrong=f"{purpose} needs the '{name}' package, which is not installed",
                how_to_fix=f"Install it in the project's environment: {command}",
                example=f"python -m {command}",
            ) from exc


def is_instance_of(obj: object, module_name: str, class_name: str) -> bool:
    """``isinstance`` against a class of a library without importing that library.

    If the library was never imported, ``obj`` cannot be one of its instances.
    """
    module = _fully_imported(module_name)
    cls = getattr(module, class_name, None) if module is not None else None
    return isinstance(cls, type) and isinstance(obj, cls)


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` (PEP 562) for a package whose public names live in
    submodules (``exports``: name -> submodule) that load on first use, so importing the
    package (and a script's ``--help``) does not pay for what it never touches.

    Usage: ``__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
