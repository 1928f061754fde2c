"""Exact-value redaction of secrets the runtime loaded or obtained.

Pattern rules guess; a registered value is known. Every value from a secrets file and every
OAuth token is registered, and each registered value is replaced wherever it appears in a log
line, also in the encoded forms it takes in HTTP debug output: URL-encoded (query strings,
form bodies), JSON/repr-escaped, XML/HTML-escaped, upper-cased, hex, and base64
(``Authorization: Basic``, SOAP ``BinarySecurityToken``). Base64 forms are matched by the
part of the encoding that depends only on the secret, for each of the three alignments, so
a secret base64-encoded inside a longer value (``user:password``) is found too.

Registering is incremental (adding N values computes N values' forms, whatever is already
registered), and lookup stays cheap with thousands of values: a script has a few dozen
forms, scanned with C-speed substring tests; past :data:`SCAN_LIMIT` forms the line's
fixed-length slices are looked up in an index of the forms' prefixes instead, so the cost
per line depends on the line's length, not on how many secrets are registered.
"""

from __future__ import annotations

import base64
import html
import json
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["MIN_SECRET_LENGTH", "SCAN_LIMIT", "SecretRegistry", "secret_variants"]

# Values shorter than this are not redacted by value: replacing "test" or "1234" in every
# log line would destroy the logs, and such values are not real secrets. A secret this
# short is rare (a PIN); it is reported once with a warning that carries only its length.
MIN_SECRET_LENGTH = 6
# Forms up to which a plain scan (one ``in`` per form, ~45 ns each) beats slicing the line
# into prefixes (~90 ns per character of the line; measured on a 120-character line).
SCAN_LIMIT = 256
REDACTED = "[REDACTED]"  # also the default replacement of the pattern rules
_URLSAFE = str.maketrans("+/", "-_")
_PREFIX = MIN_SECRET_LENGTH  # every form is at least this long, so it has such a prefix


def _base64_fragments(raw: bytes) -> set[str]:
    """The base64 characters that depend only on ``raw``, at each of the 3 byte offsets."""
    fragments = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        start = -(-8 * offset // 6)  # first character made only of secret bits
        end = 8 * (offset + len(raw)) // 6  # characters before the last partial one
        fragment = encoded[start:end]
        fragments.update({fragment, fragment.translate(_URLSAFE)})
    return fragments


def secret_variants(value: str) -> set[str]:
    """The forms in which ``value`` can appear in a log line (all at least the minimum)."""
    raw = value.encode("utf-8")
    variants = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
        html.escape(value, quote=False),  # XML text (zeep, lxml)
        html.escape(value),  # XML/HTML attribute values
        value.upper(),  # upper-cased ids, some logging of headers
        raw.hex(),  # bytes printed with .hex()
    }
    variants |= _base64_fragments(raw)
    return {v for v in variants if len(v) >= MIN_SECRET_LENGTH}


class SecretRegistry:
    """A thread-safe set of secret values and the structures that find their forms.

    Writers add under a lock and only mark the scan list stale; the next ``redact``
    rebuilds it once (sorting at most :data:`SCAN_LIMIT` forms). ``rebuilds`` counts those
    rebuilds: registering values never recomputes the forms of values already known.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._variants: set[str] = set()
        self._by_prefix: dict[str, list[str]] = {}  # prefix -> its forms, longest first
        # The keys, once past SCAN_LIMIT, for a C-speed disjoint test (each set operation is
        # one C call under the GIL, so readers need no lock).
        self._prefixes: set[str] = set()
        self._scan: tuple[str, ...] | None = ()  # None: stale; longest first
        self.rebuilds = 0

    def add(self, values: Iterable[str]) -> list[int]:
        """Register values; returns the lengths of the ones too short to redact."""
        too_short = []
        fresh = set()
        for value in values:
            text = value if isinstance(value, str) else str(value)
            if len(text) < MIN_SECRET_LENGTH:
                if text.strip():
                    too_short.append(len(text))
            elif text not in self._values:
                fresh.add(text)
        if fresh:
            new_forms = set().union(*(secret_variants(v) for v in fresh))
            with self._lock:
                self._values |= fresh
                self._index(new_forms - self._variants)
        return too_short

    def _index(self, forms: set[str]) -> None:
        """Add new forms to the prefix index: cost grows with the new forms only."""
        if not forms:
            return
        self._variants |= forms
        for form in forms:
            bucket = self._by_prefix.setdefault(form[:_PREFIX], [])
            bucket.append(form)
            bucket.sort(key=len, reverse=True)  # buckets hold one or two forms
        if self._prefixes:
            self._prefixes.update(form[:_PREFIX] for form in forms)
        elif self._large():  # crossing SCAN_LIMIT: once
            self._prefixes = set(self._by_prefix)
        self._scan = None

    def _large(self) -> bool:
        return len(self._variants) > SCAN_LIMIT

    def clear(self) -> None:
        with self._lock:
            self._values = set()
            self._variants = set()
            self._by_prefix = {}
            self._prefixes = set()
            self._scan = ()

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:  # never the values
        return f"SecretRegistry({len(self._values)} values)"

    def redact(self, text: str) -> str:
        scan = self._scan
        if scan is None:
            scan = self._rebuild()
        # A substring test per form is the fastest for the few dozen forms a script has,
        # and the common case (no secret in the line) only tests.
        for variant in scan:
            if variant in text:
                text = text.replace(variant, REDACTED)
        if self._prefixes:
            text = self._redact_indexed(text)
        return text

    def _rebuild(self) -> tuple[str, ...]:
        with self._lock:
            if self._scan is None:
                small = () if self._large() else self._variants
                # Longest first, so a value is replaced before a shorter form inside it.
                self._scan = tuple(sorted(small, key=len, reverse=True))
                self.rebuilds += 1
            return self._scan

    def _redact_indexed(self, text: str) -> str:
        """Many forms: look the line's slices up among the forms' prefixes."""
        prefixes = self._prefixes
        grams = {text[i : i + _PREFIX] for i in range(len(text) - _PREFIX + 1)}
        if prefixes.isdisjoint(grams):
            return text
        with self._lock:  # buckets are lists a writer may be appending to
            found = {v for g in grams & prefixes for v in self._by_prefix[g] if v in text}
        for variant in sorted(found, key=len, reverse=True):
            text = text.replace(variant, REDACTED)
        return text
