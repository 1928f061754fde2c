"""Exact-value redaction of secrets the runtime loaded or obtained (private, logger layer).

Pattern rules guess; this layer knows. Every value from a secrets file and every OAuth
token is registered, and each registered value is replaced wherever it appears in a log
line, also in the encoded forms it takes in HTTP debug output: URL-encoded (query strings,
form bodies), JSON/repr-escaped, and base64 (``Authorization: Basic``, SOAP
``BinarySecurityToken``). Base64 forms are matched by the part of the encoding that
depends only on the secret, for each of the three alignments, so a secret base64-encoded
inside a longer value (``user:password``) is found too.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["MIN_SECRET_LENGTH", "SecretRegistry"]

# Values shorter than this are not redacted by value: replacing "test" or "1234" in every
# log line would destroy the logs, and such values are not real secrets. A secret this
# short is rare (a PIN); it is reported once with a warning that carries only its length.
MIN_SECRET_LENGTH = 6
REDACTED = "[REDACTED]"
_URLSAFE = str.maketrans("+/", "-_")


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
    variants = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
    }
    variants |= _base64_fragments(value.encode("utf-8"))
    return {v for v in variants if len(v) >= MIN_SECRET_LENGTH}


class SecretRegistry:
    """A thread-safe set of secret values and the ready-to-scan list of their forms.

    Readers never lock: ``redact`` reads one tuple that writers replace atomically.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._variants: tuple[str, ...] = ()

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
            with self._lock:
                values = self._values | fresh
                variants = set().union(*(secret_variants(v) for v in values))
                # Longest first, so a value is replaced before a shorter form inside it.
                self._variants = tuple(sorted(variants, key=len, reverse=True))
                self._values = values
        return too_short

    def clear(self) -> None:
        with self._lock:
            self._values = frozenset()
            self._variants = ()

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:  # never the values
        return f"SecretRegistry({len(self._values)} values)"

    def redact(self, text: str) -> str:
        # A substring test per form is faster than one alternation regex for the few dozen
        # forms a script has, and the common case (no secret in the line) only tests.
        for variant in self._variants:
            if variant in text:
                text = text.replace(variant, REDACTED)
        return text
