"""Rules generated from the ``keys`` list of ``log-redaction-patterns.json``.

One list of sensitive key names yields the rules for every way a key/value pair shows up
in a log line: JSON (``"password": "x"``, also escaped inside another JSON string), Python
repr (``{'_client_secret': 'x'}``, ``Config(token='x')``), query strings and form bodies
(``&client_secret=x``), headers (``Authorization: Bearer x``), connection strings
(``Password=x;``), command lines (``--client-secret x``) and XML elements
(``<wsse:Password>x</wsse:Password>``).

Speed matters (this runs on every log line that contains a key word): the last word of
each key is located with ``str.find`` on the lower-cased line, a small regex is *matched*
right after it, and what stands before it is checked in Python. A name may be joined to
a prefix by ``_ . -`` (``_client_secret``, ``x-api-key``, ``db.password``) or in
camelCase (``clientSecret``), but not glued to lower-case letters unless the whole is a
known compound (``apikey``): ``$skiptoken``, ``%24skiptoken`` and ``deltatoken`` are
OData paging, not ``token``.

What a key name counts as is deliberately narrow where ordinary data uses the same words:

- a last word that is not a key on its own (``key``) counts only in a configured compound
  or a custom header name: ``api_key``, ``AccountKey``, ``aws_secret_access_key``,
  ``x-functions-key``, ``X-Acme-Key``, but not ``key``, ``primary_key``, ``partitionKey``
  or ``sortKey`` (database and storage vocabulary);
- paging cursors are not credentials: ``nextPageToken``, ``pageToken``,
  ``continuationToken``, ``skipToken``, ``deltaToken``, ``syncToken`` (they grant nothing
  without the caller's own authorization, and a log without them cannot be followed);
- ``PWD=/home/user/work`` is a shell's working directory, not an ODBC password: a ``pwd``
  value that is an absolute path is kept;
- ``Signature: John Smith`` (capitalised words separated by spaces) is a person's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["KeyAssignmentRule", "key_name_regex", "xml_add_pattern", "xml_element_pattern"]

_SEPARATOR_TOKEN = "\0"  # a word boundary inside a key name: matches "_", ".", "-" or nothing
_AUTH_SCHEMES = r"(?:bearer|basic|token|digest|negotiate|sharedaccesssignature)\s+"
_VALUE = (
    r"(?P<value>\\\"(?:[^\"\\]|\\(?!\"))*\\\""  # \"escaped\" (JSON inside a JSON string)
    r"|\"(?:[^\"\\\n]|\\.)*\""  # "double quoted"
    r"|'(?:[^'\\\n]|\\.)*'"  # 'single quoted' (Python repr)
    # a JSON list or object, one level of nesting: {"password": ["x"]}, {"value": "x"}
    r"|(?P<container>\[(?!REDACTED)(?:[^\[\]\n]|\[[^\[\]\n]*\])*\]"
    r"|\{(?:[^{}\n]|\{[^{}\n]*\})*\})"
    rf"|(?P<scheme>{_AUTH_SCHEMES})?"  # bare: query string, header, connection string ...
    # ... up to a separator (also a URL-encoded "&", %26), or already redacted
    r"(?P<bare>\[REDACTED[A-Z_]*\]|(?:[^\s&;,'\"<>)}\]\\%]|%(?!26))+))"
)
# "%3D" is "=" URL-encoded once more (a form body inside a query string).
_ASSIGNMENT = r"(?P<q>\\?[\"'])?\s*(?:=>|[:=]|%3[dD])\s*|(?P<space>[ \t]+)"
_PREFIX_SEPARATORS = "_.-"
_ENCODED_SEPARATORS = frozenset({"%5f", "%2d", "%2e"})  # "_", "-", "." URL-encoded: client%5Fsecret
_SEPARATORS_RE = re.compile(r"%5f|%2d|%2e|[_.\-]")
# Words before "token" that make it a paging cursor, not a credential (see module doc).
_CURSOR_WORDS = ("page", "continuation", "skip", "delta", "sync")
_ABSOLUTE_PATH = re.compile(r"/|~/|[A-Za-z]:[\\/]")
_HUMAN_NAME = re.compile(r"[A-Z][a-z'.-]+(?: [A-Z][a-z'.-]*)+")
_HUMAN_NAME_WORDS = ("sig", "signature")
# "x-" + words + "-": a custom header name before its last word (lower case, any prefix
# before it such as "headers." is allowed).
_CUSTOM_HEADER = re.compile(r"(?:^|[^a-z0-9-])x-(?:[a-z0-9]+-)+$")
_HEADER_WORDS = frozenset({"key", "token", "secret"})


def _words(key: str) -> list[str]:
    return [w for w in re.split(r"[\s_.-]+", key.strip().lower()) if w]


def _emit(node: dict[str, Any]) -> str:
    branches = []
    for token, child in sorted(node.items()):
        if token:
            head = "[_.-]?" if token == _SEPARATOR_TOKEN else re.escape(token)
            branches.append(head + _emit(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if "" in node else body


def key_name_regex(keys: Iterable[str]) -> str:
    """A trie regex for all spellings: ``client_secret`` -> ``client[_.-]?secret``."""
    trie: dict[str, Any] = {}
    for key in keys:
        words = _words(key)
        if not words:
            continue
        node = trie
        for token in _SEPARATOR_TOKEN.join(words):
            node = node.setdefault(token, {})
        node[""] = {}
    return _emit(trie)


_XML_NAME_PREFIX = r"(?:[\w.:-]*[_.:-]|\w*(?-i:[a-z0-9](?=[A-Z])))?"


def xml_element_pattern(names: str) -> str:
    """``<ns:Name attr="...">value</`` (also CDATA) with the tag in group ``open``."""
    value = r"(?:\s*<!\[CDATA\[.*?\]\]>\s*|[^<]+)"
    return rf"(?P<open><(?:[\w.-]+:)?{_XML_NAME_PREFIX}(?:{names})(?:\s[^>]*)?>){value}(?=</)"


def xml_add_pattern(names: str) -> str:
    """.NET config ``<add key="Password" value="x"/>``: the value, with the rest in ``open``."""
    key = rf"(?P<q>[\"']){_XML_NAME_PREFIX}(?:{names})(?P=q)"
    return rf"(?P<open><add\s+key\s*=\s*{key}\s+value\s*=\s*(?P<v>[\"']))[^\"']*(?=(?P=v))"


def _key_start(text: str, lowered: str, index: int, compounds: tuple[str, ...]) -> int | None:
    """Where the key whose last word starts at ``index`` begins; ``None``: not a key."""
    if index == 0:
        return 0
    before = text[index - 1]
    start = index
    encoded = lowered[index - 3 : index] if index >= 3 and lowered[index - 3] == "%" else ""
    if encoded == "%24":  # "$" URL-encoded: %24skiptoken
        return None
    if encoded and encoded not in _ENCODED_SEPARATORS:  # %26password, %3Ftoken: a boundary
        return index
    if before in _PREFIX_SEPARATORS or encoded:
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.-%"):
            start -= 1
    elif before.isalnum():
        if text[index].isupper() and (before.islower() or before.isdigit()):  # camelCase
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                start -= 1
        else:  # glued words count only as a known compound: apikey, clientsecret
            glued = next((c for c in compounds if lowered.endswith(c, 0, index)), None)
            if glued is None:
                return None
            start = index - len(glued)
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                return None
    return None if start > 0 and text[start - 1] == "$" else start


def _is_key_name(prefix: str, word: str, compounds: tuple[str, ...], standalone: bool) -> bool:
    """The words before the last one (lower case) make a sensitive key, not data.

    A custom HTTP header (``x-functions-key``, ``X-Acme-Api-Token``) names a credential
    with any words before ``key``/``token``/``secret``.
    """
    if _CUSTOM_HEADER.search(prefix) and word in _HEADER_WORDS:
        return True
    words = _SEPARATORS_RE.sub("", prefix)
    if not standalone and not (compounds and words.endswith(compounds)):
        return False  # "key", "primary_key", "partitionKey"
    return not (word == "token" and words.endswith(_CURSOR_WORDS))


def _benign_value(text: str, word: str, match: re.Match[str]) -> bool:
    """Values that a key's name would hide but that are plainly not secrets."""
    bare = match.group("bare")
    if word == "pwd":
        return bare is not None and _ABSOLUTE_PATH.match(text, match.start("value")) is not None
    if word in _HUMAN_NAME_WORDS:
        if bare is not None:  # the bare value stopped at the blank inside the name
            name = _HUMAN_NAME.match(text, match.start("value"))
            return name is not None and name.end() > match.end()
        value = match.group("value")
        return value[0] in "\"'" and _HUMAN_NAME.fullmatch(value[1:-1]) is not None
    return False


def _rewrite(match: re.Match[str], replacement: str) -> str | None:
    """The new value text (quotes and auth scheme kept); ``None`` if already redacted."""
    value = match.group("value")
    if (match.group("bare") or value).startswith("[REDACTED"):
        return None
    if value.startswith('\\"'):
        return f'\\"{replacement}\\"'
    if match.group("container") is not None:
        return replacement
    if value[0] in "\"'":
        return f"{value[0]}{replacement}{value[0]}"
    return f"{match.group('scheme') or ''}{replacement}"


def _compounds(keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Last word -> the words before it written together (``api_key`` -> key: ("api",))."""
    found: dict[str, set[str]] = {}
    for words in map(_words, keys):
        if words:
            found.setdefault(words[-1], set())
            if len(words) > 1:
                found[words[-1]].add("".join(words[:-1]))
    return {word: tuple(sorted(c, key=len, reverse=True)) for word, c in found.items()}


def _standalone(keys: Iterable[str]) -> frozenset[str]:
    """Last words that are keys on their own (``token``), unlike ``key`` of ``api_key``."""
    return frozenset(words[0] for words in map(_words, keys) if len(words) == 1)


def _probes(words: Iterable[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Group last words by a shared leading part, so one ``find`` serves several words.

    ``pass`` finds password, passwd and passphrase; ``sig`` finds sig and signature. Each
    ``find`` costs about as much as the rest of a benign line's redaction.
    """
    groups: dict[str, list[str]] = {}
    for word in sorted(words, key=len):
        probe = next((p for p in groups if word.startswith(p)), None)
        if probe is None:
            probe = "pass" if word.startswith("pass") else word
        groups.setdefault(probe, []).append(word)
    return tuple((p, tuple(sorted(ws, key=len, reverse=True))) for p, ws in sorted(groups.items()))


@dataclass(frozen=True, slots=True)
class KeyAssignmentRule:
    """``<key><separator><value>`` in all its spellings; only the value is replaced.

    Not one big regex: an alternation of key names tried at every position of every line
    cost more than formatting the line. Instead the last word of each key is found with
    ``str.find`` and a small regex is *matched* right after it.
    """

    name: str
    probes: tuple[tuple[str, tuple[str, ...]], ...]
    compounds: dict[str, tuple[str, ...]]
    standalone: frozenset[str]
    tail: re.Pattern[str]
    replacement: str
    # No pre-check in RedactionRules: finding the probes is the pre-check.
    triggers: tuple[str, ...] = ()

    @classmethod
    def build(cls, keys: Iterable[str], replacement: str) -> KeyAssignmentRule:
        keys = list(keys)
        compounds = _compounds(keys)
        tail = re.compile(rf"(?:{_ASSIGNMENT}){_VALUE}", re.IGNORECASE)
        probes = _probes(compounds)
        return cls("keys:assignment", probes, compounds, _standalone(keys), tail, replacement)

    def _candidates(self, lowered: str) -> list[tuple[int, str]]:
        found = []
        for probe, words in self.probes:
            index = lowered.find(probe)
            while index >= 0:
                word = next((w for w in words if lowered.startswith(w, index)), None)
                if (
                    word is not None
                    and lowered[index + len(word) : index + len(word) + 1] in _AFTER_KEY
                ):
                    found.append((index, word))
                index = lowered.find(probe, index + 1)
        return sorted(found)

    def apply(self, text: str) -> str:
        lowered = _same_length_lower(text)
        pieces: list[str] = []
        done = 0
        for index, word in self._candidates(lowered):
            if index < done:
                continue
            match = self._value_after_key(text, lowered, index, word)
            if match is None:
                continue
            new_value = _rewrite(match, self.replacement)
            if new_value is not None:
                pieces += [text[done : match.start("value")], new_value]
                done = match.end()
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    def _value_after_key(
        self, text: str, lowered: str, index: int, word: str
    ) -> re.Match[str] | None:
        """The assignment after the key word at ``index``; ``None`` if it is not a secret."""
        compounds = self.compounds[word]
        start = _key_start(text, lowered, index, compounds)
        if start is None:
            return None
        standalone = word in self.standalone
        if start < index and not _is_key_name(lowered[start:index], word, compounds, standalone):
            return None
        if start == index and not standalone:
            return None
        match = self.tail.match(text, index + len(word))
        if match is None or (match.group("space") is not None and not text.startswith("--", start)):
            return None
        return None if _benign_value(text, word, match) else match


# What may follow a key name: a closing quote, an escaped quote, a separator or a blank.
_AFTER_KEY = frozenset("\"'\\:= \t%")


def _same_length_lower(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few non-ASCII characters grow when lower-cased; keys are ASCII, keep indexes aligned.
    return "".join(c.lower() if c.isascii() else c for c in text)
