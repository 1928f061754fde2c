"""txo's tooling: ``txo new``, ``txo migrate``, ``txo check`` (the ``txo-tools`` distribution).

Customer scripts never import this package; it imports the runtime (``txo_runtime``), never
the other way round. Its version is the runtime's: the two are released together.
"""

from __future__ import annotations

from txo_runtime import __version__

__all__ = ["__version__"]
