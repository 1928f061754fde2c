"""OData v4 reads: server-driven paging with ``@odata.nextLink``, the caller's ``$top``
enforced, optional client-driven ``$skip`` paging for servers without nextLink.

Paging rules (OData v4 JSON format 4.5.5/4.6, and what SAP CAP 8 was measured to do):
the nextLink is opaque and followed as given; a relative link resolves
against ``@odata.context``, then the request URL; ``odata.maxpagesize`` is only a
preference; CAP keeps paging past ``$top`` so the client stops at its own ``top``; a
failed page raises :class:`ODataPagingError` saying how much had been read — a partial
list is never returned as if it were complete.

A read is bounded (:class:`ODataLimits`): a server whose nextLink changes on every page
while it sends empty pages, or the same rows again, would otherwise be followed for as
long as it answers and its rows returned as complete. The read stops with
:class:`ODataPagingError` after ``max_pages`` pages, after ``max_empty_pages`` empty pages
in a row, or after ``max_repeated_pages`` pages in a row that repeat a page already read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from txo_runtime.api_common import DEFAULT_BAR_DELAY, Progress
from txo_runtime.exceptions import ApiError, ApiOperationError
from txo_runtime.run_events import emit, url_for_events
from txo_runtime.url_helpers import (
    build_odata_filter,
    build_url,
    join_url,
    redact_url,
    resolve_odata_link,
)

if TYPE_CHECKING:
    import requests

__all__ = ["ODataLimits", "ODataMixin", "ODataPagingError"]

logger = logging.getLogger(__name__)

_NEXT_LINK_KEYS = ("@odata.nextLink", "odata.nextLink")
_CONTEXT_KEYS = ("@odata.context", "odata.metadata")
DEFAULT_MAX_PAGES = 10_000
DEFAULT_MAX_EMPTY_PAGES = 5
DEFAULT_MAX_REPEATED_PAGES = 2
_LIMITS_SETTING = "odata.max-pages / odata.max-empty-pages / odata.max-repeated-pages"


class ODataPagingError(ApiOperationError):
    """A page after the first failed; ``pages_fetched``/``rows_fetched`` say what was read."""

    def __init__(self, message: str, *, pages_fetched: int, rows_fetched: int, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.pages_fetched = pages_fetched
        self.rows_fetched = rows_fetched


@dataclass(frozen=True)
class ODataLimits:
    """Bounds of one OData read (config section ``odata``: ``max-pages``,
    ``max-empty-pages``, ``max-repeated-pages``); each must be at least 1.

    ``max_pages``: pages read at most. ``max_empty_pages``: empty pages in a row that still
    carry a nextLink. ``max_repeated_pages``: pages in a row whose rows are exactly those
    of a page already read (a server that loops with a fresh link each time).
    """

    max_pages: int = DEFAULT_MAX_PAGES
    max_empty_pages: int = DEFAULT_MAX_EMPTY_PAGES
    max_repeated_pages: int = DEFAULT_MAX_REPEATED_PAGES

    def __post_init__(self) -> None:
        for name in ("max_pages", "max_empty_pages", "max_repeated_pages"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ODataLimits.{name} must be an integer >= 1, got {value!r}")


@dataclass
class _Stall:
    """Pages in a row that brought nothing new: empty, or a repeat of an earlier page."""

    empty: int = 0
    repeated: int = 0
    fingerprints: set[int] = field(default_factory=set)

    def check(self, raw_rows: list[Any], limits: ODataLimits) -> str | None:
        """Count this page; the reason to stop reading, or None."""
        if not raw_rows:
            self.empty += 1
            self.repeated = 0
            if self.empty >= limits.max_empty_pages:
                return f"{self.empty} empty pages in a row, each with a new nextLink"
            return None
        self.empty = 0
        fingerprint = _fingerprint(raw_rows)
        if fingerprint in self.fingerprints:
            self.repeated += 1
            if self.repeated >= limits.max_repeated_pages:
                return (
                    f"{self.repeated} pages in a row repeat rows already read "
                    "(the server loops with a new nextLink)"
                )
            return None
        self.repeated = 0
        self.fingerprints.add(fingerprint)
        return None


def _fingerprint(raw_rows: list[Any]) -> int:
    """One int per page that a repeated page reproduces: its length and its first, middle
    and last rows. A server that loops sends the same page again, which matches on all
    four; the repr of a whole page cost ~12 % of a loopback read of 1,000-row pages."""
    middle = raw_rows[len(raw_rows) // 2]
    return hash((len(raw_rows), repr(raw_rows[0]), repr(middle), repr(raw_rows[-1])))


@dataclass
class _Paging:
    """Progress of one read: what was fetched, the links seen, the ``$skip`` window."""

    entity: str
    top: int | None
    page_size: int | None
    skip_paging: bool
    limits: ODataLimits = field(default_factory=ODataLimits)
    first_url: str = ""  # the caller's request: nextLinks get the token on its origin only
    pages: int = 0
    rows: int = 0
    window_rows: int = 0
    seen: set[str] = field(default_factory=set)
    stall: _Stall = field(default_factory=_Stall)

    @property
    def done(self) -> bool:
        return self.top is not None and self.rows >= self.top

    def take(self, raw_rows: list[Any]) -> list[Any]:
        """Count a page; cut it at the caller's ``top``; stop a read that makes no progress."""
        self.pages += 1
        self.window_rows += len(raw_rows)
        rows = raw_rows if self.top is None else raw_rows[: max(self.top - self.rows, 0)]
        self.rows += len(rows)
        reason = self.stall.check(raw_rows, self.limits)
        if reason is not None:
            raise self.bounded(reason)
        return rows

    def check_page_budget(self) -> None:
        """Before reading another page: refuse to go past ``max_pages``."""
        if self.pages >= self.limits.max_pages:
            raise self.bounded(
                f"the server still sends a nextLink after max-pages={self.limits.max_pages}"
            )

    def bounded(self, reason: str) -> ODataPagingError:
        """The error for a read stopped by a bound (rows so far are not returned)."""
        return ODataPagingError(
            f"OData read of '{self.entity}' stopped after {self._pages_text()} "
            f"({self.rows} rows): {reason}",
            pages_fetched=self.pages,
            rows_fetched=self.rows,
            how_to_fix="Check the entity set, filter and paging of the service; if the read "
            f"is legitimately this long, raise {_LIMITS_SETTING} in the config "
            "(the rows read were not returned as complete)",
            example='"odata": {"max-pages": 50000}',
        )

    def _pages_text(self) -> str:
        return f"{self.pages} page{'s' if self.pages != 1 else ''}"

    def describe(self) -> str:
        return f"failed on page {self.pages + 1} after {self._pages_text()} ({self.rows} rows)"

    def failure(self, message: str, **kwargs: Any) -> ODataPagingError:
        return ODataPagingError(
            f"OData read of '{self.entity}' {self.describe()}: {message}",
            pages_fetched=self.pages,
            rows_fetched=self.rows,
            how_to_fix="Re-run the read; rows already fetched were not returned as complete",
            **kwargs,
        )


def _query_params(
    odata_filter: str | None,
    select_fields: Iterable[str] | str | None,
    top: int | None,
    orderby: str | Iterable[str] | None,
    extra_params: Mapping[str, Any] | None,
) -> dict[str, Any]:
    select = (
        select_fields
        if isinstance(select_fields, str) or select_fields is None
        else (",".join(select_fields))
    )
    order = orderby if isinstance(orderby, str) or orderby is None else ",".join(orderby)
    params: dict[str, Any] = {
        "$filter": odata_filter or None,
        "$select": select or None,
        "$orderby": order or None,
        "$top": top,
    }
    params.update(extra_params or {})
    return params


class ODataMixin:
    """OData reads for :class:`MinimalRestAPI` (which provides ``send``)."""

    base_url: str | None

    if TYPE_CHECKING:

        def send(self, method: str, url: str, **kwargs: Any) -> tuple[requests.Response, int]: ...

    def iter_odata_pages(
        self,
        base_url: str | None,
        entity_name: str,
        odata_filter: str | None = None,
        select_fields: Iterable[str] | str | None = None,
        page_size: int | None = None,
        top: int | None = None,
        orderby: str | Iterable[str] | None = None,
        extra_params: Mapping[str, Any] | None = None,
        *,
        skip_paging: bool = False,
        limits: ODataLimits | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the rows page by page (empty pages skipped), stopping at ``top`` rows.

        ``skip_paging=True`` is for servers that never send a nextLink: each request then
        carries ``$top=page_size&$skip=n``, and a full page (``page_size`` rows since the
        last such request) means there may be more. A nextLink, when one comes, still wins.
        ``limits`` bounds the read (default: the client's ``odata_limits``). A read that
        lasts logs its progress (rows, rate) every few seconds, with a bar on a terminal.
        """
        _check_sizes(page_size, top, skip_paging)
        chosen = limits or getattr(self, "odata_limits", None) or ODataLimits()
        state = _Paging(entity_name, top, page_size, skip_paging, chosen)
        resource = join_url(base_url or self.base_url, entity_name)
        params = _query_params(odata_filter, select_fields, top, orderby, extra_params)
        headers = {"Prefer": f"odata.maxpagesize={page_size}"} if page_size else {}

        def skip_url(offset: int) -> str:
            window = page_size if top is None else min(page_size or 0, top - offset)
            skip = {"$top": window, "$skip": offset or None}
            return build_url(resource, query_params={**params, **skip})

        first = skip_url(0) if skip_paging else build_url(resource, query_params=params)
        state.first_url = first
        url: str | None = first
        with _progress(entity_name, top, getattr(self, "_clock", time.monotonic)) as progress:
            while url is not None and not state.done:
                state.check_page_budget()
                state.seen.add(url)
                document = self._odata_page(url, headers, state)
                rows = state.take(document["value"])
                emit("odata.page", url=url_for_events(url), rows=len(rows))
                progress.advance(len(rows))
                if rows:
                    yield rows
                url = None if state.done else _next_url(document, url, state, skip_url)
        logger.debug("OData %s: %d rows in %d pages", entity_name, state.rows, state.pages)

    def iter_odata_entities(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Stream rows one by one (same arguments as :meth:`iter_odata_pages`)."""
        for page in self.iter_odata_pages(*args, **kwargs):
            yield from page

    def get_odata_entities(
        self,
        base_url: str | None,
        entity_name: str,
        odata_filter: str | None = None,
        select_fields: Iterable[str] | str | None = None,
        page_size: int | None = None,
        top: int | None = None,
        orderby: str | Iterable[str] | None = None,
        extra_params: Mapping[str, Any] | None = None,
        *,
        skip_paging: bool = False,
        limits: ODataLimits | None = None,
    ) -> list[dict[str, Any]]:
        """Every row of the entity set (all pages), or an error — never a partial list.

        Bounded like :meth:`iter_odata_pages` (``limits``)."""
        rows: list[dict[str, Any]] = []
        pages = self.iter_odata_pages(
            base_url, entity_name, odata_filter, select_fields, page_size, top, orderby,
            extra_params, skip_paging=skip_paging, limits=limits,
        )  # fmt: skip
        for page in pages:
            rows.extend(page)
        logger.info("Retrieved %d %s", len(rows), entity_name)
        return rows

    def get_odata_entities_filtered(
        self,
        base_url: str | None,
        entity_name: str,
        filter_conditions: Any,
        select_fields: Iterable[str] | str | None = None,
        page_size: int | None = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Rows matching ``filter_conditions``, combined by ``build_odata_filter`` (the v2.1
        call; new code passes ``odata_filter=build_odata_filter(...)`` itself)."""
        odata_filter = build_odata_filter(filter_conditions)
        return self.get_odata_entities(
            base_url, entity_name, odata_filter, select_fields, page_size, **kwargs
        )

    def _odata_page(self, url: str, headers: Mapping[str, str], state: _Paging) -> dict[str, Any]:
        from txo_runtime.rest_api_helpers.client import parse_body

        try:
            response, _ = self.send(
                "GET", url, headers=headers, idempotent=True, follow_up_of=state.first_url
            )
            document = parse_body(response, "GET")
        except ApiError as exc:
            if state.pages == 0:  # nothing read yet: the specific error is more useful
                raise
            details = {"status_code": exc.status_code, "url": exc.url, "attempts": exc.attempts}
            raise state.failure(exc.message, **details) from exc
        if not isinstance(document, dict) or not isinstance(document.get("value"), list):
            raise state.failure("the response is not an OData collection (no 'value' list)")
        return document


def _progress(entity: str, top: int | None, clock: Callable[[], float]) -> Progress:
    """Rows read so far, the rate and (with ``top``) an ETA; see :class:`Progress`."""
    return Progress(
        f"OData {entity}",
        total=top,
        unit="rows",
        bar=True,
        bar_delay=DEFAULT_BAR_DELAY,
        clock=clock,
    )


def _check_sizes(page_size: int | None, top: int | None, skip_paging: bool) -> None:
    if page_size is not None and page_size < 1:
        raise ValueError(f"page_size must be >= 1, got {page_size}")
    if top is not None and top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    if skip_paging and page_size is None:
        raise ValueError("skip_paging=True needs a page_size")


def _next_url(
    document: Mapping[str, Any], request_url: str, state: _Paging, skip_url: Any
) -> str | None:
    link = next((document[key] for key in _NEXT_LINK_KEYS if document.get(key)), None)
    if link:
        context = next((document[key] for key in _CONTEXT_KEYS if document.get(key)), None)
        url: str = resolve_odata_link(link, context, request_url)
        if url in state.seen:
            raise state.failure(f"the server sent the same nextLink twice ({redact_url(url)})")
        return url
    full = bool(state.page_size) and state.window_rows >= (state.page_size or 0)
    if state.skip_paging and full:
        state.window_rows = 0
        result: str = skip_url(state.rows)
        return result
    if full and not state.skip_paging and state.pages == 1:  # later pages came by nextLink
        logger.warning(
            "OData %s: a full page of %d rows came without a nextLink; if the server does not "
            "send nextLinks, read with skip_paging=True",
            state.entity,
            state.page_size,
        )
    return None
