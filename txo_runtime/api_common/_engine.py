"""``CallEngine``: one call to a service as single attempts under one retry loop.

An attempt is rate limiter -> circuit breaker -> send -> breaker bookkeeping. Its outcome
(an answer or an exception) is judged once by :func:`classify`, and that one verdict
drives both the breaker and the retries. The loop is tenacity, built from the
:class:`RetryPolicy`, around whole attempts, so the limiter and the breaker see every
request that reaches the server (retries inside urllib3's adapter would hide them). The
first attempt runs before tenacity is entered: most calls succeed at once and so pay
nothing for the loop.

The engine knows no protocol. A client hands it a ``send`` function (one HTTP request)
and, if its protocol needs one, a hook giving the status an answer really stands for;
it maps the final :class:`Attempt` (answer or exception, attempt count, ``Retry-After``)
to its own exceptions.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from txo_runtime.api_common._outcomes import Verdict, classify, classify_error
from txo_runtime.api_common._retry_policy import RetryPolicy
from txo_runtime.exceptions import CircuitBreakerOpenError
from txo_runtime.run_events import emit, listened, url_for_events

if TYPE_CHECKING:
    import requests
    import tenacity

    from txo_runtime.api_common._circuit_breaker import CircuitBreaker
    from txo_runtime.api_common._rate_limiter import RateLimiter

__all__ = ["NO_RETRIES", "Attempt", "CallEngine", "Send"]

logger = logging.getLogger(__name__)

NO_RETRIES = RetryPolicy(max_retries=0)
Send = Callable[[], "requests.Response"]
_OPEN_CIRCUIT_FIX = (
    "Wait for the service to recover, or check it; the breaker lets one trial call through "
    "after 'circuit-breaker.timeout-seconds'"
)


class Attempt(NamedTuple):
    """One attempt: its outcome, the verdict on it, its number in the call and, for an
    answer, the status it was judged by (the protocol's effective status)."""

    outcome: requests.Response | Exception
    verdict: Verdict
    number: int = 1
    status: int | None = None

    @property
    def response(self) -> requests.Response | None:
        return None if isinstance(self.outcome, Exception) else self.outcome

    @property
    def error(self) -> Exception | None:
        return self.outcome if isinstance(self.outcome, Exception) else None

    @property
    def retry_after(self) -> float | None:
        return self.verdict.retry_after


class _Call:
    """A call that is being retried: what tenacity hands to each of its attempts."""

    __slots__ = ("method", "number", "replay", "safe", "send", "url")

    def __init__(self, method: str, url: str, send: Send, safe: bool, first: Attempt) -> None:
        self.method, self.url, self.send, self.safe = method, url, send, safe
        self.number = first.number
        self.replay: Attempt | None = first  # tenacity's attempt 1 is the one already made


class CallEngine:
    """Limiter, breaker and retry policy of one client, and the loop that applies them.

    Thread-safe and shared by all threads of the client. ``retry_policy=None`` means one
    attempt per call. ``idempotent`` is the client's default for "may a request be
    repeated although it may have run" (None: decided by the HTTP method).
    ``effective_status(response)`` is the protocol's reading of an answer;
    ``describe_url`` makes a URL fit for messages (drops query secrets).
    """

    def __init__(
        self,
        *,
        rate_limiter: RateLimiter | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        retry_policy: RetryPolicy | None = None,
        idempotent: bool | None = None,
        effective_status: Callable[[requests.Response], int] | None = None,
        describe_url: Callable[[str], str] = str,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.rate_limiter = rate_limiter
        self.circuit_breaker = circuit_breaker
        self.retry_policy = retry_policy or NO_RETRIES
        self.idempotent = idempotent
        self.sleep = sleep
        self._effective_status = effective_status
        self._describe_url = describe_url
        self._rng = rng
        self._loop: tenacity.Retrying | None = None

    def run(self, method: str, url: str, send: Send, *, idempotent: bool | None = None) -> Attempt:
        """Every attempt of one call; returns the last (a success, a final outcome, or the
        one after which the policy stopped). Raises ``CircuitBreakerOpenError`` when the
        breaker refuses an attempt."""
        policy = self.retry_policy
        safe = policy.is_idempotent(method, self.idempotent if idempotent is None else idempotent)
        first = self._attempt(method, url, send, safe, 1)
        if not first.verdict.retryable or policy.max_retries == 0:
            return first
        return self._retrying()(self._next, _Call(method, url, send, safe, first))

    def _attempt(self, method: str, url: str, send: Send, safe: bool, number: int) -> Attempt:
        """ONE attempt: limiter -> breaker -> send -> judge -> breaker bookkeeping.

        ``safe``: may the request be repeated although it may have run. Never raises for
        what ``send`` raises (that is the outcome); raises ``CircuitBreakerOpenError``
        when the breaker refuses the attempt."""
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        breaker = self.circuit_breaker
        if breaker is not None and not breaker.allow():
            raise self._open_circuit(breaker, method, url, number)
        started = time.time() if listened() else None
        try:
            response = send()
        except Exception as exc:
            verdict = classify_error(exc, safe)
            if started is not None:
                self._tell(method, url, None, exc, number, verdict, started)
            if breaker is not None:
                breaker.record_failure() if verdict.breaker_failure else breaker.release()
            return Attempt(exc, verdict, number)
        hook = self._effective_status
        status = response.status_code if hook is None else hook(response)
        verdict = classify(response, safe, self.retry_policy, status)
        if started is not None:
            self._tell(method, url, response.status_code, None, number, verdict, started)
        if breaker is not None:
            breaker.record_failure() if verdict.breaker_failure else breaker.record_success()
        if verdict.retry_after and self.rate_limiter is not None:
            self.rate_limiter.pause(verdict.retry_after)  # every sharer of the bucket waits
        return Attempt(response, verdict, number, status)

    def _tell(
        self, method: str, url: str, status: int | None, error: Exception | None,
        number: int, verdict: Verdict, started: float,
    ) -> None:  # fmt: skip
        """The ``http.attempt`` run event (the run report and tracing count from it)."""
        emit(
            "http.attempt",
            method=method.upper(),
            url=url_for_events(url),  # no query values, no user info
            status=status,
            error=None if error is None else type(error).__name__,
            attempt=number,
            retryable=verdict.retryable,
            started=started,
            seconds=max(time.time() - started, 0.0),
        )

    def _next(self, call: _Call) -> Attempt:
        if call.replay is not None:
            first, call.replay = call.replay, None
            return first
        call.number += 1
        return self._attempt(call.method, call.url, call.send, call.safe, call.number)

    def _retrying(self) -> tenacity.Retrying:
        """The tenacity loop of this engine (built once; tenacity keeps per-thread state)."""
        if self._loop is None:  # a race builds two equal loops: harmless
            self._loop = _build_loop(self.retry_policy, self.sleep, self._rng, self._log_retry)
        return self._loop

    def _open_circuit(
        self, breaker: CircuitBreaker, method: str, url: str, number: int
    ) -> CircuitBreakerOpenError:
        safe_url = self._describe_url(url)
        wait = breaker.seconds_until_trial()
        return CircuitBreakerOpenError(
            f"Circuit breaker open: {method} {safe_url} not sent (next trial in {wait:.0f} s)",
            url=safe_url,
            attempts=number,
            how_to_fix=_OPEN_CIRCUIT_FIX,
        )

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        call: _Call = state.args[0]
        assert state.outcome is not None  # before_sleep runs after an attempt
        last: Attempt = state.outcome.result()
        error = last.error
        what = type(error).__name__ if error is not None else f"answered {last.status}"
        wait = state.upcoming_sleep
        reason = "the server's Retry-After" if last.retry_after else "backoff"
        emit("http.wait", seconds=wait, retry_after=last.retry_after is not None)
        logger.warning(
            "%s %s %s (attempt %d/%d); retrying in %.1f s (%s)",
            call.method,
            self._describe_url(call.url),
            what,
            last.number,
            self.retry_policy.max_attempts,
            wait,
            reason,
        )

    def __repr__(self) -> str:
        return (
            f"CallEngine(rate_limiter={self.rate_limiter!r}, "
            f"circuit_breaker={self.circuit_breaker!r}, retry_policy={self.retry_policy!r})"
        )


def _build_loop(
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    rng: Callable[[], float],
    before_sleep: Callable[[tenacity.RetryCallState], None],
) -> tenacity.Retrying:
    """tenacity around attempts that never raise (outcomes are values, judged already);
    stops on attempts or on the total wait, and then returns the last attempt."""
    import tenacity  # ~45 ms: imported when a client first needs a retry

    def last(state: tenacity.RetryCallState) -> Attempt:
        outcome = state.outcome
        assert outcome is not None
        result: Attempt = outcome.result()
        return result

    def retry(state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        return outcome is not None and not outcome.failed and last(state).verdict.retryable

    def wait(state: tenacity.RetryCallState) -> float:
        attempt = last(state)
        return policy.compute_wait(attempt.number, attempt.retry_after, rng)

    def stop(state: tenacity.RetryCallState) -> bool:
        over_budget = state.idle_for + state.upcoming_sleep > policy.max_total_wait
        return last(state).number >= policy.max_attempts or over_budget

    return tenacity.Retrying(
        retry=retry,
        wait=wait,
        stop=stop,
        sleep=sleep,
        before_sleep=before_sleep,
        retry_error_callback=last,
    )
