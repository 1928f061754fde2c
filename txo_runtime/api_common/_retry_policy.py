"""``RetryPolicy`` (which outcomes are retried, how long to wait) and ``manual_retry``.

Computing is kept apart from waiting: :meth:`RetryPolicy.compute_wait` is pure; the loop
that sleeps is :class:`~txo_runtime.api_common.CallEngine`, which takes the ``sleep``.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from txo_runtime.api_common._outcomes import classify_error, classify_status
from txo_runtime.api_common._retry_after import DEFAULT_MAX_RETRY_AFTER

__all__ = [
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_TOTAL_WAIT",
    "IDEMPOTENT_METHODS",
    "RETRY_STATUSES_ALWAYS",
    "RETRY_STATUSES_IDEMPOTENT",
    "RetryPolicy",
    "manual_retry",
]

DEFAULT_MAX_TOTAL_WAIT = 120.0
DEFAULT_MAX_BACKOFF = 60.0
RETRY_STATUSES_ALWAYS = frozenset({429, 503})
RETRY_STATUSES_IDEMPOTENT = frozenset({408, 500, 502, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait. Immutable; ``dataclasses.replace`` to change.

    Waits: ``backoff_factor * 2 ** (attempt - 1)`` (capped at ``max_backoff``) times a jitter
    factor in ``[jitter_min, jitter_max]``; when the server sent ``Retry-After`` the wait is
    that value (capped at ``max_retry_after``) plus up to ``jitter_max - 1`` of it, never less,
    and never less than the jittered backoff of the attempt (``max`` of the two).
    Retries stop after ``max_retries`` retries or when the next wait would push the total
    wait past ``max_total_wait``.
    """

    max_retries: int = 3
    backoff_factor: float = 2.0
    jitter_min: float = 0.8
    jitter_max: float = 1.2
    max_total_wait: float = DEFAULT_MAX_TOTAL_WAIT
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    max_backoff: float = DEFAULT_MAX_BACKOFF
    retry_statuses_always: frozenset[int] = RETRY_STATUSES_ALWAYS
    retry_statuses_idempotent: frozenset[int] = RETRY_STATUSES_IDEMPOTENT
    idempotent_methods: frozenset[str] = IDEMPOTENT_METHODS

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries!r}")
        if self.backoff_factor < 0 or self.max_total_wait < 0:
            raise ValueError("backoff_factor and max_total_wait must be >= 0")
        if not 0 <= self.jitter_min <= self.jitter_max:
            raise ValueError(
                f"jitter needs 0 <= min-factor <= max-factor, got {self.jitter_min}, "
                f"{self.jitter_max}"
            )

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    def compute_wait(
        self,
        attempt: int,
        retry_after: float | None = None,
        rng: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based). Pure.

        A ``Retry-After`` never shortens the wait below this attempt's backoff:
        ``Retry-After: 0`` (or a date in the past) would otherwise retry at once, again
        and again, against a server that is already overloaded.
        """
        draw = rng()
        backoff = min(self.backoff_factor * 2 ** max(attempt - 1, 0), self.max_backoff)
        backoff_wait = backoff * (self.jitter_min + draw * (self.jitter_max - self.jitter_min))
        if retry_after is None:
            return backoff_wait
        base = min(max(retry_after, 0.0), self.max_retry_after)
        return max(base * (1.0 + draw * max(self.jitter_max - 1.0, 0.0)), backoff_wait)

    def is_idempotent(self, method: str, idempotent: bool | None = None) -> bool:
        """May a request be repeated although it may have run? The caller's word wins."""
        return idempotent if idempotent is not None else method.upper() in self.idempotent_methods

    def should_retry(
        self,
        method: str,
        status_code: int | None = None,
        exc: BaseException | None = None,
        idempotent: bool | None = None,
    ) -> bool:
        """Is this outcome retryable? The same verdict the call engine reaches."""
        safe = self.is_idempotent(method, idempotent)
        if exc is not None:
            return classify_error(exc, safe).retryable
        if status_code is None:
            return False
        return classify_status(status_code, safe, self).retryable


def manual_retry(
    max_retries: int = 3,
    backoff: float = 2.0,
    *,
    exceptions: tuple[type[BaseException], ...] = (Exception,),
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[_F], _F]:
    """Decorator for code that is not an HTTP call (a file share, a database driver).

    Retries the function on ``exceptions`` with exponential backoff and re-raises the last
    error unchanged when the attempts are used up. HTTP calls go through the clients,
    whose engine also knows which outcomes are safe to repeat.
    """

    # The same backoff as HTTP calls (one formula), without jitter: backoff * 2**(n-1),
    # capped at DEFAULT_MAX_BACKOFF.
    policy = RetryPolicy(
        max_retries=max_retries, backoff_factor=backoff, jitter_min=1.0, jitter_max=1.0
    )

    def decorate(func: _F) -> _F:
        import tenacity

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(exceptions),
            stop=tenacity.stop_after_attempt(policy.max_attempts),
            wait=lambda state: policy.compute_wait(state.attempt_number),
            sleep=sleep,
            reraise=True,
        )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return retrying(func, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
