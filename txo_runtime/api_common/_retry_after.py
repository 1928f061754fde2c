"""``parse_retry_after``: the seconds a ``Retry-After`` header asks for, in either form."""

from __future__ import annotations

import email.utils
import math
import time

__all__ = ["DEFAULT_MAX_RETRY_AFTER", "parse_retry_after"]

DEFAULT_MAX_RETRY_AFTER = 300.0


def parse_retry_after(
    value: str | None, now: float | None = None, *, cap: float = DEFAULT_MAX_RETRY_AFTER
) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date.

    ``now`` is epoch seconds (default ``time.time()``) for the date form. Capped at ``cap``
    so a server cannot park a script for hours; a date in the past gives 0; an unparseable
    value gives None (the caller backs off as if there were no header).
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
