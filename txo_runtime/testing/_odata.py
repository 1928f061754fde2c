"""A small OData v4 entity-set engine: $filter/$select/$orderby/$top/$skip and paging.

Hand-written on purpose: the server must stay standard-library only, and it needs to
reproduce the exact quirks clients have to cope with (relative nextLinks like SAP CAP,
v3-style ``odata.nextLink``, servers without links, CAP paging past ``$top``), which no
general-purpose OData library lets us switch on and off.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from txo_runtime.testing._records import Response

NEXT_LINK_MODES = ("relative", "absolute", "odata3", "none")
# A faulty server that never stops paging once the rows are served: empty pages, the first
# page again, or new made-up rows, each with a fresh nextLink (a changing $skiptoken).
ENDLESS_MODES = ("empty", "repeat", "fresh")
JSON_ODATA = "application/json;odata.metadata=minimal;charset=utf-8"
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>\S))"
)
_KEYWORDS = {"true": True, "false": False, "null": None}


class ODataQueryError(Exception):
    """A request the service rejects; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class EntitySet:
    """Rows (read-only after registration) plus how the service pages them."""

    name: str
    rows: tuple[dict[str, Any], ...]
    page_size: int = 100
    key: str = "ID"
    next_link: str = "relative"
    ignore_top_in_paging: bool = False
    trailing_empty_page: bool = False
    relative_context: bool = False
    endless: str | None = None
    fields: frozenset[str] = field(default=frozenset())
    by_key: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, rows: Iterable[Mapping[str, Any]], **options: Any) -> EntitySet:
        stored = tuple(dict(row) for row in rows)
        if options.get("next_link", "relative") not in NEXT_LINK_MODES:
            raise ValueError(f"next_link must be one of {NEXT_LINK_MODES}")
        if options.get("page_size", 100) < 1:
            raise ValueError("page_size must be >= 1")
        if options.get("endless") not in (None, *ENDLESS_MODES):
            raise ValueError(f"endless must be None or one of {ENDLESS_MODES}")
        key = options.get("key", "ID")
        fields = frozenset(name for row in stored for name in row)
        by_key = {str(row[key]): row for row in stored if key in row}
        return cls(name, stored, fields=fields, by_key=by_key, **options)


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    literal: Any


@dataclass
class ODataQuery:
    """The system query options of one request, validated against the entity set."""

    filters: list[Comparison] = field(default_factory=list)
    select: list[str] | None = None
    order_by: tuple[str, bool] | None = None  # (field, descending)
    top: int | None = None
    skip: int = 0
    offset: int = 0  # from $skiptoken
    count: bool = False


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    for match in _TOKEN.finditer(text.rstrip()):
        kind = match.lastgroup or "bad"
        value = match.group(kind)
        if kind == "bad":
            reason = "syntax error"
            if value == "'":
                reason = "unterminated string literal (double a quote: 'O''Brien')"
            raise ODataQueryError(f"Invalid $filter at '{value}': {reason}")
        tokens.append((kind, value))
    return tokens


def _literal(kind: str, value: str) -> Any:
    if kind == "string":
        return value[1:-1].replace("''", "'")
    if kind == "number":
        return Decimal(value)
    if value in _KEYWORDS:
        return _KEYWORDS[value]
    raise ODataQueryError(f"Invalid $filter: expected a literal, got '{value}'")


def parse_filter(text: str, fields: frozenset[str]) -> list[Comparison]:
    """``Field op literal`` joined by ``and`` (op: eq ne gt ge lt le)."""
    tokens = _tokens(text)
    comparisons: list[Comparison] = []
    position = 0
    while True:
        part = tokens[position : position + 3]
        if len(part) < 3 or part[0][0] != "word" or part[1][1] not in _OPERATORS:
            raise ODataQueryError(f"Invalid $filter '{text}': expected 'Field eq value'")
        name = part[0][1]
        if name not in fields:
            raise ODataQueryError(f"Invalid $filter: unknown property '{name}'")
        comparisons.append(Comparison(name, part[1][1], _literal(*part[2])))
        position += 3
        if position == len(tokens):
            return comparisons
        if tokens[position] != ("word", "and"):
            raise ODataQueryError(f"Invalid $filter '{text}': expected 'and' or the end")
        position += 1


def _coerce(value: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(literal, Decimal) and not isinstance(value, bool):
        try:
            return Decimal(str(value)), literal
        except (InvalidOperation, ValueError):
            return value, literal
    return value, literal


def row_matches(row: Mapping[str, Any], comparisons: list[Comparison]) -> bool:
    for comparison in comparisons:
        value, literal = _coerce(row.get(comparison.field), comparison.literal)
        try:
            if not _OPERATORS[comparison.op](value, literal):
                return False
        except TypeError:  # e.g. 'abc' gt 5 or null lt 3: no match, as in SQL
            return False
    return True


def _non_negative(name: str, text: str) -> int:
    if not text.isdigit():
        raise ODataQueryError(f"Invalid {name} '{text}': expected a non-negative integer")
    return int(text)


def _known(fields: frozenset[str], names: Iterable[str], option: str) -> None:
    for name in names:
        if name not in fields:
            raise ODataQueryError(f"Invalid {option}: unknown property '{name}'")


def _parse_orderby(text: str, fields: frozenset[str]) -> tuple[str, bool]:
    parts = text.split()
    if not 1 <= len(parts) <= 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise ODataQueryError(f"Invalid $orderby '{text}': expected 'Field' or 'Field desc'")
    _known(fields, parts[:1], "$orderby")
    return parts[0], len(parts) == 2 and parts[1].lower() == "desc"


def _parse_select(text: str, fields: frozenset[str]) -> list[str] | None:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or names == ["*"]:
        return None
    _known(fields, names, "$select")
    return names


def parse_query(params: Mapping[str, str], entity: EntitySet) -> ODataQuery:
    """Validate the system query options; :class:`ODataQueryError` means 400."""
    query = ODataQuery()
    if "$filter" in params:
        query.filters = parse_filter(params["$filter"], entity.fields)
    if "$select" in params:
        query.select = _parse_select(params["$select"], entity.fields)
    if "$orderby" in params:
        query.order_by = _parse_orderby(params["$orderby"], entity.fields)
    if "$top" in params:
        query.top = _non_negative("$top", params["$top"])
    if "$skip" in params:
        query.skip = _non_negative("$skip", params["$skip"])
    if "$skiptoken" in params:
        query.offset = _non_negative("$skiptoken", params["$skiptoken"])
    if "$count" in params:
        query.count = params["$count"].lower() == "true"
    return query


def parse_prefer(header: str) -> dict[str, str]:
    """``Prefer: odata.maxpagesize=50, return=minimal`` -> ``{name: value}``."""
    preferences: dict[str, str] = {}
    for part in header.split(","):
        name, _, value = part.split(";")[0].partition("=")
        if name.strip():
            preferences[name.strip().lower()] = value.strip().strip('"')
    return preferences


def max_page_size(preferences: Mapping[str, str]) -> int | None:
    value = preferences.get("odata.maxpagesize", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


@dataclass(frozen=True)
class Page:
    rows: Sequence[dict[str, Any]]
    number: int  # 1-based, what ``fail_page`` counts
    next_offset: int | None
    total: int


def _select_rows(entity: EntitySet, query: ODataQuery) -> Sequence[dict[str, Any]]:
    """Filtered and ordered rows; the stored tuple itself when neither applies (no copy)."""
    rows: Sequence[dict[str, Any]] = entity.rows
    if query.filters:
        rows = [row for row in rows if row_matches(row, query.filters)]
    if query.order_by is not None:
        name, descending = query.order_by
        return sorted(
            rows, key=lambda row: (row.get(name) is None, row.get(name)), reverse=descending
        )
    return rows


def compute_page(entity: EntitySet, query: ODataQuery, preferred: int | None) -> Page:
    """One page from ``$skiptoken`` on; ``ignore_top_in_paging`` pages past ``$top`` (CAP)."""
    rows = _select_rows(entity, query)
    page_size = entity.page_size if preferred is None else min(preferred, entity.page_size)
    limit = page_size if query.top is None else min(page_size, query.top)
    if entity.ignore_top_in_paging:  # CAP: $top only caps each page; links keep it
        window = rows[query.skip :]
        chunk = window[query.offset : query.offset + limit]
    else:
        end = None if query.top is None else query.skip + query.top
        window = rows[query.skip : end]
        chunk = window[query.offset : query.offset + page_size]
    following = query.offset + len(chunk)
    full = len(chunk) == page_size
    if entity.ignore_top_in_paging:
        more = full and (following < len(window) or entity.trailing_empty_page)
    else:
        more = following < len(window) or (full and entity.trailing_empty_page)
    number = (query.skip + query.offset) // max(limit, 1) + 1
    next_offset = following if more and entity.next_link != "none" else None
    if entity.endless is not None and next_offset is None:
        chunk, next_offset = _endless_page(entity, window, chunk, query.offset, page_size)
    return Page(chunk, number, next_offset, len(rows))


def _endless_page(
    entity: EntitySet,
    window: Sequence[dict[str, Any]],
    chunk: Sequence[dict[str, Any]],
    offset: int,
    page_size: int,
) -> tuple[Sequence[dict[str, Any]], int]:
    """Past the last row: the page the faulty server sends, and a link that keeps going."""
    if offset >= len(window):
        if entity.endless == "empty":
            chunk = []
        elif entity.endless == "repeat":
            chunk = window[:page_size]
        else:  # "fresh": rows nobody has seen, so only a page budget stops the read
            chunk = [{entity.key: offset + i + 1} for i in range(page_size)]
    return chunk, offset + page_size


_LINK_SAFE = "$'(),:;@!*/"


def _next_link(entity: EntitySet, params: Mapping[str, str], offset: int, base: str) -> str:
    items = [(k, v) for k, v in params.items() if k != "$skiptoken"]
    items.append(("$skiptoken", str(offset)))
    query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=_LINK_SAFE)}" for k, v in items)
    relative = f"{entity.name}?{query}"
    return relative if entity.next_link == "relative" else f"{base}/odata/{relative}"


def _project(row: Mapping[str, Any], select: list[str] | None) -> dict[str, Any]:
    return dict(row) if select is None else {name: row.get(name) for name in select}


def render_page(
    entity: EntitySet, page: Page, query: ODataQuery, params: Mapping[str, str], base: str
) -> dict[str, Any]:
    """The JSON document of one page (context, optional count, value, optional nextLink)."""
    suffix = "" if query.select is None else f"({','.join(query.select)})"
    document: dict[str, Any] = {"@odata.context": _context(entity, base, suffix)}
    if query.count:
        document["@odata.count"] = page.total
    document["value"] = [_project(row, query.select) for row in page.rows]
    if page.next_offset is not None:
        key = "odata.nextLink" if entity.next_link == "odata3" else "@odata.nextLink"
        document[key] = _next_link(entity, params, page.next_offset, base)
    return document


def find_entity(entity: EntitySet, key_text: str) -> dict[str, Any]:
    """``5``, ``'A''B'``, ``ID=5`` or ``ID='x'`` -> the row; 404 if there is none."""
    text = re.sub(r"^\s*\w+\s*=\s*", "", key_text).strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    row = entity.by_key.get(text)
    if row is None:
        raise ODataQueryError(f"{entity.name} with key {key_text} not found", status=404)
    return row


def _context(entity: EntitySet, base: str, suffix: str) -> str:
    """CAP sends ``$metadata#Customers`` (relative to the request URL); others absolute."""
    prefix = "" if entity.relative_context else f"{base}/odata/"
    return f"{prefix}$metadata#{entity.name}{suffix}"


def entity_document(entity: EntitySet, row: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {"@odata.context": _context(entity, base, "/$entity"), **row}


def odata_response(status: int, document: Any, headers: dict[str, str] | None = None) -> Response:
    response = Response.json(status, document, {"OData-Version": "4.0", **(headers or {})})
    response.content_type = JSON_ODATA
    return response


_EDM_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "Edm.Boolean"),
    (int, "Edm.Int64"),
    (float, "Edm.Double"),
    (Decimal, "Edm.Decimal"),
)


def _edm_type(value: Any) -> str:
    return next((edm for kind, edm in _EDM_TYPES if isinstance(value, kind)), "Edm.String")


def metadata_xml(entities: Iterable[EntitySet]) -> bytes:
    """A minimal CSDL document so tools that fetch ``$metadata`` get something valid."""
    types, sets = [], []
    for entity in entities:
        sample = entity.rows[0] if entity.rows else {entity.key: 0}
        props = "".join(
            f'<Property Name="{name}" Type="{_edm_type(value)}"/>' for name, value in sample.items()
        )
        types.append(
            f'<EntityType Name="{entity.name}"><Key><PropertyRef Name="{entity.key}"/></Key>'
            f"{props}</EntityType>"
        )
        sets.append(f'<EntitySet Name="{entity.name}" EntityType="Local.{entity.name}"/>')
    return (
        '<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" '
        'xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>'
        '<Schema Namespace="Local" xmlns="http://docs.oasis-open.org/odata/ns/edm">'
        f'{"".join(types)}<EntityContainer Name="Container">{"".join(sets)}'
        "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    ).encode()
