"""``Closing``: the ``with`` protocol for objects that hold sessions or threads (bottom layer).

Clients, session managers and progress bars all follow one rule: leaving the ``with``
block calls ``close()``, also when the block raised, and never swallows the exception.
Written once here instead of in every class; no txo imports, so any layer may use it.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["Closing"]

# Python 3.10 has no typing.Self: a bound TypeVar keeps `with MinimalRestAPI() as api`
# typed as MinimalRestAPI (and a subclass as the subclass) for mypy.
_C = TypeVar("_C", bound="Closing")


class Closing(abc.ABC):
    """Mixin: ``__enter__`` returns the object itself, ``__exit__`` calls :meth:`close`."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release what the object holds (sessions, threads)."""

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
