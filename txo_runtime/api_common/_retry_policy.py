"""``RetryPolicy`` (when to retry, how long to wait), ``Retry-After`` parsing, ``manual_retry``.

Computing is kept apart from waiting: :meth:`RetryPolicy.compute_wait` is pure and the
tenacity loop built by :meth:`RetryPolicy.retrying` takes an injectable ``sleep``.
"""

from __future__ import annotations

import email.utils
import functools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from txo_runtime.api_common._outcomes import is_connect_error, is_connection_error

if TYPE_CHECKING:
    import tenacity

__all__ = [
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_MAX_TOTAL_WAIT",
    "IDEMPOTENT_METHODS",
    "RETRY_STATUSES_ALWAYS",
    "RETRY_STATUSES_IDEMPOTENT",
    "RetryPolicy",
    "manual_retry",
    "parse_retry_after",
]

DEFAULT_MAX_TOTAL_WAIT = 120.0
DEFAULT_MAX_RETRY_AFTER = 300.0
DEFAULT_MAX_BACKOFF = 60.0
RETRY_STATUSES_ALWAYS = frozenset({429, 503})
RETRY_STATUSES_IDEMPOTENT = frozenset({408, 500, 502, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

_F = TypeVar("_F", bound=Callable[..., Any])


def parse_retry_after(
    value: str | None, now: float | None = None, *, cap: float = DEFAULT_MAX_RETRY_AFTER
) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date.

    ``now`` is epoch seconds (default ``time.time()``) for the date form. Capped at ``cap``;
    a date in the past gives 0; an unparseable value gives None (the caller backs off).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)


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
        return idempotent if idempotent is not None else method.upper() in self.idempotent_methods

    def should_retry(
        self,
        method: str,
        status_code: int | None = None,
        exc: BaseException | None = None,
        idempotent: bool | None = None,
    ) -> bool:
        """Retry-safety rules: 429/503 always; other transient failures only if idempotent.

        A connect error (the request never left) is retried for every method.
        """
        safe = self.is_idempotent(method, idempotent)
        if exc is not None:
            if is_connect_error(exc):
                return True
            return safe and is_connection_error(exc)
        if status_code in self.retry_statuses_always:
            return True
        return safe and status_code in self.retry_statuses_idempotent

    def retrying(
        self,
        method: str,
        *,
        idempotent: bool | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> tenacity.Retrying:
        """A tenacity ``Retrying`` for one method (reusable: tenacity keeps per-thread state).

        The wrapped function makes ONE attempt and returns a response-like object (with
        ``status_code`` and ``headers``) or raises. Stops on attempts or total wait; on stop
        tenacity raises ``RetryError`` whose ``last_attempt`` holds the final outcome.
        """
        import tenacity  # ~45 ms: imported when a client first needs a retry

        method = method.upper()

        def retry(state: tenacity.RetryCallState) -> bool:
            outcome = state.outcome
            assert outcome is not None
            if outcome.failed:
                return self.should_retry(method, exc=outcome.exception(), idempotent=idempotent)
            status = getattr(outcome.result(), "status_code", None)
            return self.should_retry(method, status_code=status, idempotent=idempotent)

        def wait(state: tenacity.RetryCallState) -> float:
            return self.compute_wait(state.attempt_number, _retry_after_of(state, self), rng)

        def stop(state: tenacity.RetryCallState) -> bool:
            over_budget = state.idle_for + state.upcoming_sleep > self.max_total_wait
            return state.attempt_number >= self.max_attempts or over_budget

        return tenacity.Retrying(retry=retry, wait=wait, stop=stop, sleep=sleep, reraise=False)


def _retry_after_of(state: tenacity.RetryCallState, policy: RetryPolicy) -> float | None:
    """``Retry-After`` of the last response (or of the response inside an exception)."""
    outcome = state.outcome
    if outcome is None:
        return None
    source = outcome.exception() if outcome.failed else outcome.result()
    response = getattr(source, "response", None) if outcome.failed else source
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    return parse_retry_after(headers.get("Retry-After"), cap=policy.max_retry_after)


def manual_retry(
    max_retries: int = 3,
    backoff: float = 2.0,
    *,
    exceptions: tuple[type[BaseException], ...] = (Exception,),
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[_F], _F]:
    """Decorator for code outside the HTTP client (seed 003 "Custom Retry Logic").

    Retries the function on ``exceptions`` with exponential backoff and re-raises the last
    error unchanged when the attempts are used up.
    """

    def decorate(func: _F) -> _F:
        import tenacity

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(exceptions),
            stop=tenacity.stop_after_attempt(max_retries + 1),
            wait=tenacity.wait_exponential(multiplier=backoff, max=DEFAULT_MAX_BACKOFF),
            sleep=sleep,
            reraise=True,
        )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return retrying(func, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
