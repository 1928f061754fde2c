"""URL building, OData literals and filters, link resolution, URL redaction.

String functions: no network, no state of their own (the secret query keys are a constant
read once from the packaged ``log-redaction-patterns.json``; :func:`redact_url` also applies
the logger's redaction, registered secrets included).
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from txo_runtime.extras import is_instance_of
from txo_runtime.path_helpers import packaged_data

__all__ = [
    "build_odata_filter",
    "build_url",
    "is_absolute_url",
    "is_secret_name",
    "join_url",
    "odata_literal",
    "redact_url",
    "resolve_odata_link",
    "url_origin",
]

# RFC 3986 pchar minus "/" (a segment's own "/" must be escaped) and "?" / "#".
_SEGMENT_SAFE = "!$&'()*+,;=:@"
_QUERY_SAFE = "$'(),:/"
_ODATA_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "has", "in"})
# Secret query keys beyond the logger's ``keys`` list (those are read from the packaged
# log-redaction-patterns.json, so that URL and log redaction agree). ``code`` is left out:
# OData/REST services use it for data (``?code=DE``), and txo runs no authorization-code
# flow; ``$skiptoken``/``$deltatoken`` are OData paging cursors, never secrets.
_URL_ONLY_SECRET_KEYS = ("auth", "client_assertion", "key", "x_api_key")
_PAGING_KEYS = frozenset({"skiptoken", "deltatoken"})
_PATTERNS_FILE = packaged_data("log-redaction-patterns.json")
REDACTED = "[REDACTED]"


def is_absolute_url(url: str) -> bool:
    """True for ``scheme://host...`` URLs."""
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc)


def url_origin(url: str) -> str:
    """``scheme://host:port`` (lower case, default port filled in): what a token is bound to.

    ``https://API.example.com/x`` and ``https://api.example.com:443/y`` have one origin;
    ``http://`` vs ``https://``, another host or another port do not (RFC 6454).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a malformed port: no origin equals it
        return f"invalid:{url}"
    port = port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _encode_query(params: Mapping[str, Any] | None) -> str:
    """``None`` values dropped, list/tuple values repeated, spaces as ``%20`` (not ``+``)."""
    if not params:
        return ""
    pairs: list[tuple[str, Any]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, item) for item in value if item is not None)
        else:
            pairs.append((key, value))
    return urlencode(pairs, quote_via=quote, safe=_QUERY_SAFE)


def build_url(base: str, *segments: Any, query_params: Mapping[str, Any] | None = None) -> str:
    """``build_url("https://api.example.com", "v2", "customers", 42, query_params={...})``.

    Each segment is percent-encoded as ONE path segment (a ``/`` or a space inside it is
    escaped), so ids coming from data cannot change the path. The base may end with ``/``
    or not and may carry its own query string, which is kept.
    """
    scheme, netloc, path, query, fragment = urlsplit(base)
    quoted = [quote(str(segment), safe=_SEGMENT_SAFE) for segment in segments]
    if quoted:
        path = "/".join([path.rstrip("/"), *quoted])
    extra = _encode_query(query_params)
    query = "&".join(part for part in (query, extra) if part)
    return urlunsplit((scheme, netloc, path, query, fragment))


def join_url(base: str | None, url: str) -> str:
    """``url`` if absolute, else appended to ``base`` (``base/v2`` + ``x`` -> ``base/v2/x``).

    Deliberately not RFC 3986 ``urljoin``, which would drop the last segment of a base
    written without a trailing slash.
    """
    if is_absolute_url(url):
        return url
    if not base:
        raise ValueError(f"Relative URL '{redact_url(url)}' needs a base_url")
    if not url:
        return base
    return f"{base.rstrip('/')}/{url.lstrip('/')}"


def resolve_odata_link(link: str, context_url: str | None, request_url: str) -> str:
    """Resolve an ``@odata.nextLink`` (OData v4 JSON format, section 4.6).

    A relative link resolves against the context URL (``@odata.context``), which itself
    may be relative to the request URL; without a context URL the request URL is used.
    They differ for paths such as ``Orders(1)/Items``.
    """
    if is_absolute_url(link):
        return link
    base = urljoin(request_url, context_url) if context_url else request_url
    return urljoin(base, link)


def redact_url(url: str) -> str:
    """The URL with secret-looking query values and URL passwords replaced (for errors/logs),
    then redacted like a log line: a registered secret sent under any query name (or in
    the path) is replaced too, so an exception's text and its ``url`` leak nothing.

    OData ``$skiptoken``/``$deltatoken`` are paging cursors, not secrets, and stay.
    """
    from txo_runtime.logger import redact  # the logger's registered secrets and rules

    return redact(_redact_url_parts(url))


def _redact_url_parts(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}:{REDACTED}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret_key(key) for key, _ in pairs):
            cleaned = [(k, REDACTED if _is_secret_key(k) else v) for k, v in pairs]
            query = urlencode(cleaned, quote_via=quote, safe=_QUERY_SAFE + "[]")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _normalise_key(key: str) -> str:
    """``X-Api-Key`` / ``x.api_key`` / ``xApiKey`` -> ``x_api_key`` (as the log rules do)."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key.strip().lstrip("$"))
    return re.sub(r"[-._\s]+", "_", words.lower()).strip("_")


@functools.lru_cache(maxsize=1)  # a constant read once, lazily: no mutable state
def secret_query_keys() -> tuple[frozenset[str], frozenset[str]]:
    """(normalised names, the same without ``_``) of every secret query key.

    The logger's packaged ``keys`` plus :data:`_URL_ONLY_SECRET_KEYS`.
    """
    data = json.loads(_PATTERNS_FILE.read_text(encoding="utf-8"))
    names = frozenset(_normalise_key(str(key)) for key in (*data["keys"], *_URL_ONLY_SECRET_KEYS))
    return names, frozenset(name.replace("_", "") for name in names)


@functools.lru_cache(maxsize=1)  # a constant read once, lazily: no mutable state
def _log_secret_names() -> frozenset[str]:
    data = json.loads(_PATTERNS_FILE.read_text(encoding="utf-8"))
    return frozenset(_normalise_key(str(key)) for key in data["keys"])


def is_secret_name(key: str) -> bool:
    """A setting name that says it holds a secret (``password``, ``client-secret``,
    ``sap-password``, ``apiKey``), by the log redaction's key list: the last words of the
    name are one of its keys. ``oauth-token-url`` or ``client-id`` are not."""
    words = _normalise_key(key).split("_")
    names = _log_secret_names()
    return any("_".join(words[i:]) in names for i in range(len(words)))


def _is_secret_key(key: str) -> bool:
    """A secret key name, in any spelling the log redaction also catches.

    ``client_secret``, ``Client-Secret``, ``clientSecret``, and prefixed names joined by a
    separator (``ocp-apim-subscription-key``, ``sap-password``); not ``$skiptoken``.
    """
    name = _normalise_key(key)
    if name.replace("_", "") in _PAGING_KEYS:
        return False
    names, compact = secret_query_keys()
    if name in names or name.replace("_", "") in compact:
        return True
    words = name.split("_")  # a prefix joined by a separator: x_api_key, sap_password
    return any("_".join(words[i:]) in names for i in range(1, len(words)))


# --------------------------------------------------------------------------- OData literals
def odata_literal(value: Any) -> str:
    """A Python value as an OData v4 URL literal (ABNF ``primitiveLiteral``).

    ``odata_literal("O'Brien") == "'O''Brien'"``; ``None -> null``; ``True -> true``;
    ``datetime`` must be timezone-aware (``DateTimeOffset``); ``date`` -> ``2024-01-31``;
    ``UUID`` bare; ``Decimal`` in plain notation; float NaN/INF spelled as OData does.
    """
    if value is None:
        return "null"
    if isinstance(value, enum.Enum):
        return odata_literal(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_literal(value)
    # Decimal and UUID are checked by name: importing ``uuid`` (which loads ``platform``)
    # and ``decimal`` here would slow every script's start-up, ``--help`` included.
    if is_instance_of(value, "decimal", "Decimal"):
        if not value.is_finite():
            raise ValueError(f"OData has no literal for Decimal {value}")
        return format(value, "f")
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return _temporal_or_uuid_literal(value)


def _float_literal(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(value)


def _temporal_or_uuid_literal(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} has no OData literal: attach a tzinfo "
                "(datetime(..., tzinfo=timezone.utc))"
            )
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if is_instance_of(value, "uuid", "UUID"):
        return str(value)
    raise TypeError(f"No OData literal for {type(value).__name__}: {value!r}")


_FIELD_RE = re.compile(r"^[A-Za-z_][\w/.]*$")

FilterConditions = Mapping[str, str] | Iterable[tuple[str, str, Any]]


def build_odata_filter(conditions: FilterConditions, *, join: str = "and") -> str:
    """Combine conditions into one ``$filter`` expression.

    v2.1 form: ``{"Status": "eq 'Active'", "Amount": "gt 1000"}`` (each value is the
    operator and an already-formatted literal, used as given). Safer form: triples
    ``[("Name", "eq", "O'Brien")]`` whose values go through :func:`odata_literal`.
    """
    if join not in {"and", "or"}:
        raise ValueError(f"join must be 'and' or 'or', got {join!r}")
    if isinstance(conditions, Mapping):
        parts = [f"{_field(name)} {expr.strip()}" for name, expr in conditions.items()]
    else:
        parts = [_triple(name, op, value) for name, op, value in conditions]
    if not parts:
        raise ValueError("build_odata_filter needs at least one condition")
    return f" {join} ".join(parts)


def _field(name: str) -> str:
    if not _FIELD_RE.match(name):
        raise ValueError(f"Not an OData property path: {name!r}")
    return name


def _triple(name: str, operator: str, value: Any) -> str:
    op = operator.strip().lower()
    if op not in _ODATA_OPERATORS:
        raise ValueError(
            f"Unknown OData operator {operator!r}; use one of {sorted(_ODATA_OPERATORS)}"
        )
    if op == "in":
        items = ",".join(odata_literal(item) for item in value)
        return f"{_field(name)} in ({items})"
    return f"{_field(name)} {op} {odata_literal(value)}"
