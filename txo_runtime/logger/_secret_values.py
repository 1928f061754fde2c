"""Exact-value redaction of secrets the runtime loaded or obtained.

Pattern rules guess; a registered value is known. Every value from a secrets file and every
OAuth token is registered, and each registered value is replaced wherever it appears in a log
line, also in the encoded forms it takes in HTTP debug output: URL-encoded (query strings,
form bodies), JSON/repr-escaped, XML/HTML-escaped, upper-cased, hex, and base64
(``Authorization: Basic``, SOAP ``BinarySecurityToken``). Base64 forms are matched by the
part of the encoding that depends only on the secret, for each of the three alignments, so
a secret base64-encoded inside a longer value (``user:password``) is found too.

Registering is incremental (adding N values computes N values' forms, whatever is already
registered), and lookup costs the same with 4 or 4,000 values: all forms are found in one
pass over the line by an Aho-Corasick automaton (``ahocorasick-rs``, the ``fast-redaction``
extra). Chosen over ``pyahocorasick`` and a compiled regex alternation by measurement on a
150-character log line: 0.3 us (4 secrets) to 0.9 us (1,000 secrets) per line, against
1.6-5 us for pyahocorasick and 1-380 us for substring scans; it is maintained, has no
dependencies and ships abi3 wheels for Linux (glibc), macOS and Windows. It is an extra and
not a core dependency because it has no musl (Alpine) wheel: there it would need a Rust
toolchain to install. Without it the registry falls back to C-speed substring tests for a
few dozen forms and, past :data:`SCAN_LIMIT` forms, to looking the line's fixed-length
slices up in an index of the forms' prefixes (cost per line still independent of the
number of secrets, about 10x the automaton's).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = [
    "MIN_SECRET_LENGTH",
    "SCAN_LIMIT",
    "SecretRegistry",
    "engine_name",
    "secret_variants",
]

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
    import html  # only registering a secret needs it (html.entities costs ~1 ms at start-up)

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


def _load_automaton_library() -> object | None:
    """``ahocorasick_rs`` when installed (the ``fast-redaction`` extra), else ``None``."""
    try:
        import ahocorasick_rs
    except ImportError:
        return None
    return ahocorasick_rs


def engine_name() -> str:
    """Which engine finds registered secrets here (benchmarks and diagnostics print it)."""
    if _load_automaton_library() is None:
        return "substring scan + prefix index (pure Python)"
    return "Aho-Corasick automaton (ahocorasick-rs)"


def _replace_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the union of the (possibly overlapping) spans replaced, each run once."""
    spans.sort()
    pieces = []
    done = 0
    run_start, run_end = spans[0]
    for start, end in spans[1:]:
        if start <= run_end:  # overlapping or adjacent forms: one marker for the union
            run_end = max(run_end, end)
            continue
        pieces += [text[done:run_start], REDACTED]
        done, (run_start, run_end) = run_end, (start, end)
    pieces += [text[done:run_start], REDACTED, text[run_end:]]
    return "".join(pieces)


def _automaton_finder(library: Any, forms: Iterable[str]) -> Callable[[str], str]:
    """One pass over the line finds every form, overlapping ones included.

    Overlapping matches matter: two secrets that share characters (``...abc`` and
    ``abc...``) are both hidden, where a leftmost-longest pass would leave the tail of the
    second one in the line.
    """
    automaton = library.AhoCorasick(list(forms), matchkind=library.MatchKind.Standard)
    find = automaton.find_matches_as_indexes

    def redact(text: str) -> str:
        found = find(text, overlapping=True)
        if not found:
            return text
        return _replace_spans(text, [(start, end) for _, start, end in found])

    return redact


def _unchanged(text: str) -> str:
    return text


class SecretRegistry:
    """A thread-safe set of secret values and the structure that finds their forms.

    Writers add under a lock and only mark the finder stale; the next ``redact`` rebuilds
    it once (an automaton over all forms, or the fallback's sorted scan list). ``rebuilds``
    counts those rebuilds: registering values never recomputes the forms of values already
    known. ``generation`` changes whenever the set of values does, so results cached
    per log record can tell whether they are still valid.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._variants: set[str] = set()
        self._by_prefix: dict[str, list[str]] = {}  # fallback: prefix -> forms, longest first
        # Fallback, once past SCAN_LIMIT: the keys, for a C-speed disjoint test (each set
        # operation is one C call under the GIL, so readers need no lock).
        self._prefixes: set[str] = set()
        self._scan: tuple[str, ...] = ()  # fallback: longest first
        self._finder: Callable[[str], str] | None = _unchanged  # None: stale
        self.rebuilds = 0
        self.generation = 0

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
                self.generation += 1
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
        self._finder = None

    def _large(self) -> bool:
        return len(self._variants) > SCAN_LIMIT

    def clear(self) -> None:
        with self._lock:
            self._values = set()
            self._variants = set()
            self._by_prefix = {}
            self._prefixes = set()
            self._scan = ()
            self._finder = _unchanged
            self.generation += 1

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:  # never the values
        return f"SecretRegistry({len(self._values)} values)"

    def redact(self, text: str) -> str:
        finder = self._finder
        if finder is None:
            finder = self._rebuild()
        return finder(text)

    def _rebuild(self) -> Callable[[str], str]:
        with self._lock:
            if self._finder is None:
                library = _load_automaton_library()
                if library is not None:
                    self._finder = _automaton_finder(library, self._variants)
                else:
                    small = () if self._large() else self._variants
                    # Longest first, so a value is replaced before a shorter form inside it.
                    self._scan = tuple(sorted(small, key=len, reverse=True))
                    self._finder = self._redact_fallback
                self.rebuilds += 1
            return self._finder

    def _redact_fallback(self, text: str) -> str:
        # A substring test per form is the fastest pure-Python way for the few dozen forms
        # a script has, and the common case (no secret in the line) only tests.
        found = [form for form in self._scan if form in text]
        if self._prefixes:
            found += self._indexed_forms(text)
        if not found:
            return text
        spans = []
        for form in found:  # every occurrence, overlapping ones too: one marker per union
            index = text.find(form)
            while index >= 0:
                spans.append((index, index + len(form)))
                index = text.find(form, index + 1)
        return _replace_spans(text, spans)

    def _indexed_forms(self, text: str) -> list[str]:
        """Many forms: look the line's slices up among the forms' prefixes."""
        prefixes = self._prefixes
        grams = {text[i : i + _PREFIX] for i in range(len(text) - _PREFIX + 1)}
        if prefixes.isdisjoint(grams):
            return []
        with self._lock:  # buckets are lists a writer may be appending to
            return [v for g in grams & prefixes for v in self._by_prefix[g] if v in text]
