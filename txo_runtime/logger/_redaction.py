"""Pattern rules that take secrets out of log text.

``log-redaction-patterns.json`` is compiled once into a :class:`RedactionRules`; its
``redact()`` runs on every *final* formatted log string, so it has to be cheap on the
99% of lines that hold no secret. Each rule therefore carries literal *triggers*: the
rule's regex only runs when one of them occurs in the lower-cased line (a C-speed
substring test). Rules for sensitive key names (``password=``, ``"client_secret": ...``,
``<Password>``) are generated from the file's ``keys`` list, because a key name is much
easier for a user to add than a correct regex for JSON, Python repr, query strings,
headers, connection strings and XML at once. The ``personal-data`` section adds one more
rule, last (``_personal_data.py``): card numbers, IBANs, national identity numbers and
e-mail addresses, each checked by its issuer's rules.

Hand-written rather than taken from detect-secrets/gitleaks: those scan files offline and
report findings; we must rewrite text in the hot path of every log call, keep benign
look-alikes (OData ``$skiptoken`` values, git SHAs, GUIDs) readable, and let users extend
the rules without code. Their rules were the source for the defaults.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from txo_runtime.exceptions import HelpfulError
from txo_runtime.logger._personal_data import (
    SECTION,
    PersonalDataRule,
    PersonalDataSettings,
    parse_personal_data,
)
from txo_runtime.logger._secret_values import REDACTED
from txo_runtime.path_helpers import packaged_data

__all__ = [
    "CHECKS",
    "PATTERNS_FORMAT_VERSION",
    "RedactionRules",
    "load_redaction_rules",
]

PATTERNS_FORMAT_VERSION = "3.0"
# Share of an opaque-looking candidate made of word-like runs above which it is a path or an
# identifier (``TestRedactionNeverLeaks2``), not a key. 40+ characters of random base64
# reach it about twice in 1000 (measured); registered secrets do not depend on it.
OPAQUE_MAX_WORD_SHARE = 0.5
# Changes between lower case, upper case and digit per character below which a candidate
# is a name (``report_2026-11-25T10-00-00``, ``TestRedactionNeverLeaks2``), not a key.
# Random base64 changes class at about half of its characters.
OPAQUE_MIN_CLASS_CHANGES = 0.3
# Letters-only values after an auth scheme this long are credentials: the longest words a
# log puts after "Bearer"/"Basic" ("authentication", "authorization") are shorter.
LETTERS_ONLY_CREDENTIAL = 16

_FLAGS = {
    "IGNORECASE": re.IGNORECASE,
    "MULTILINE": re.MULTILINE,
    "DOTALL": re.DOTALL,
    "VERBOSE": re.VERBOSE,
    "ASCII": re.ASCII,
}
_WORDISH = re.compile(r"[a-z]{5,}|[A-Z][a-z]{4,}|[A-Z]{5,}")
_CLASS_CHANGE = re.compile(r"[a-z](?=[A-Z0-9])|[A-Z](?=[a-z0-9])|[0-9](?=[A-Za-z])")
_CREDENTIAL_SYMBOLS = frozenset("+/=_~")
_HEX_OR_GUID = re.compile(r"[0-9a-fA-F]+(?:-[0-9a-fA-F]+)*")


def _looks_opaque(candidate: str) -> bool:
    """A long run of key characters, of any alphabet, that is random rather than words.

    Keeps hex strings (git SHAs, digests, GUIDs, also several joined by dashes), runs of
    one letter case only (a long lower-case word cannot be told from a key), paths,
    time-stamped file names and CamelCase identifiers (few changes between lower case,
    upper case and digit; word-like runs). Lower case + digits, upper case + digits,
    mixed-case letters and base64/base64url keys are redacted.
    """
    if _HEX_OR_GUID.fullmatch(candidate):
        return False
    has_lower = any(c.islower() for c in candidate)
    has_upper = any(c.isupper() for c in candidate)
    if has_lower + has_upper + any(c.isdigit() for c in candidate) < 2:
        return False
    if len(_CLASS_CHANGE.findall(candidate)) < OPAQUE_MIN_CLASS_CHANGES * len(candidate):
        return False
    wordy = sum(len(word) for word in _WORDISH.findall(candidate))
    return wordy < OPAQUE_MAX_WORD_SHARE * len(candidate)


def _looks_like_credential(candidate: str) -> bool:
    """Not a plain word: has a digit, an inner capital or a base64/token symbol, or is a
    letters-only run of :data:`LETTERS_ONLY_CREDENTIAL` characters or more.

    Keeps ``Bearer authentication failed`` readable while ``Bearer abc123...`` and
    ``Bearer abcdefghijklmnop`` are redacted (no English word after a scheme is that long).
    """
    return (
        any(c.isdigit() for c in candidate)
        or any(c.isupper() for c in candidate[1:])
        or not _CREDENTIAL_SYMBOLS.isdisjoint(candidate)
        or len(candidate) >= LETTERS_ONLY_CREDENTIAL
    )


# Named heuristics a pattern can ask for with "check": the candidate (group "secret" if the
# pattern has one, else the whole match) is only redacted when the check says so.
CHECKS: dict[str, Callable[[str], bool]] = {
    "opaque": _looks_opaque,
    "credential": _looks_like_credential,
}


class _TextRule(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def triggers(self) -> tuple[str, ...]: ...

    def apply(self, text: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule; ``apply`` returns ``text`` itself when nothing matched."""

    name: str
    regex: re.Pattern[str]
    replacement: str
    triggers: tuple[str, ...] = ()
    check: Callable[[str], bool] | None = None
    unless_preceded_by: tuple[str, ...] = ()

    def apply(self, text: str) -> str:
        if self.check is None and not self.unless_preceded_by and "\\" not in self.replacement:
            return self.regex.sub(self.replacement, text)
        # A callable is only called on a match; a template with groups would be parsed by
        # re on every call, matching or not.
        return self.regex.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        if self.unless_preceded_by:
            before = match.string[max(0, match.start() - 32) : match.start()].lower()
            if before.endswith(self.unless_preceded_by):
                return match.group(0)
        if self.check is not None:
            has_secret = "secret" in self.regex.groupindex
            if not self.check(match.group("secret") if has_secret else match.group(0)):
                return match.group(0)
        return match.expand(self.replacement)


@dataclass(frozen=True, slots=True)
class RedactionRules:
    """The compiled pattern rules of one ``log-redaction-patterns.json``.

    Immutable and thread-safe (compiled regexes only; the rules generated from ``keys`` and
    ``personal-data`` are compiled by the first :meth:`redact`); build with
    :func:`load_redaction_rules` or :meth:`from_mapping`.
    """

    rules: tuple[_TextRule, ...]
    source: str = "<mapping>"
    keys: tuple[str, ...] = field(default=())
    personal_data: PersonalDataSettings = field(default_factory=PersonalDataSettings)
    # (triggers, apply) pairs of the built rules, made by the first redact(): the hot loop
    # then does no attribute look-ups.
    _plan: tuple[tuple[tuple[str, ...], Callable[[str], str]], ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<mapping>") -> RedactionRules:
        _check_top_level(data, source)
        replacement = data.get("replacement", REDACTED)  # optional, documented default
        rules: list[_TextRule] = [
            _compile_pattern(entry, replacement, source) for entry in data["patterns"]
        ]
        keys = tuple(str(key) for key in data["keys"])
        if keys:
            rules.extend(_key_rules(keys, replacement))
        personal = parse_personal_data(data, source)
        if personal.any_enabled:  # last: the secret rules above keep their exact output
            rules.append(_BuiltOnFirstUse(SECTION, (), lambda: PersonalDataRule.build(personal)))
        return cls(rules=tuple(rules), source=source, keys=keys, personal_data=personal)

    def redact(self, text: str) -> str:
        """``text`` with every rule applied in order: file patterns, key rules, personal data."""
        if not text:
            return text
        plan = self._plan if self._plan is not None else self._build_plan()
        lowered = text.lower()
        for triggers, apply in plan:
            if triggers:
                for trigger in triggers:  # a plain loop: no generator on the hot path
                    if trigger in lowered:
                        break
                else:
                    continue
            redacted = apply(text)
            if redacted != text:
                text = redacted
                lowered = text.lower()
        return text

    def _build_plan(self) -> tuple[tuple[tuple[str, ...], Callable[[str], str]], ...]:
        """Build the rules compiled on first use; threads that race here build equal plans."""
        built = [r.built() if isinstance(r, _BuiltOnFirstUse) else r for r in self.rules]
        plan = tuple((rule.triggers, rule.apply) for rule in built)
        object.__setattr__(self, "_plan", plan)
        return plan

    def __repr__(self) -> str:
        return f"RedactionRules({len(self.rules)} rules from {self.source})"


class _BuiltOnFirstUse:
    """A rule generated from the file (key names, personal data), compiled for the first
    line that is redacted.

    Its regexes take a few milliseconds to compile, which every start-up (``--help``
    included) would otherwise pay before logging anything. What it is built from was
    validated when the file was read, so building cannot fail later. Two threads that
    build it at once make equal rules; either is kept.
    """

    __slots__ = ("_build", "_rule", "name", "triggers")

    def __init__(self, name: str, triggers: tuple[str, ...], build: Callable[[], _TextRule]):
        self.name = name
        self.triggers = triggers
        self._build = build
        self._rule: _TextRule | None = None

    def built(self) -> _TextRule:
        rule = self._rule
        if rule is None:
            rule = self._rule = self._build()
        return rule

    def apply(self, text: str) -> str:
        return self.built().apply(text)

    def __repr__(self) -> str:
        return f"<rule {self.name!r}, built on first use>"


def load_redaction_rules(path: Path | str) -> RedactionRules:
    """Read and compile a ``log-redaction-patterns.json``; errors name the file and rule."""
    file = Path(path)
    data = _read_json(file, what="redaction patterns file")
    return RedactionRules.from_mapping(data, source=str(file))


def _read_json(file: Path, *, what: str) -> Any:
    """A logging file's JSON. A UTF-8 byte order mark (Windows Notepad writes one) is
    accepted, as the config loader accepts it in the config files next to it."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HelpfulError(
            what_went_wrong=f"The {what} '{file}' does not exist (it is mandatory)",
            how_to_fix=f"Copy the packaged default into your project: {_copy_hint(file)}",
            example="See docs/logging.md for the format",
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise HelpfulError(
            what_went_wrong=f"The {what} '{file}' is not valid JSON "
            f"(line {exc.lineno}, column {exc.colno}: {exc.msg})",
            how_to_fix="Fix the JSON syntax (a trailing comma or a missing quote is typical), "
            f"or start again from the packaged default: {_copy_hint(file)}",
        ) from exc


def _copy_hint(file: Path) -> str:
    packaged = packaged_data(file.name)
    return f"cp '{packaged}' '{file}'"


def _invalid(source: str, problem: str) -> HelpfulError:
    return HelpfulError(
        what_went_wrong=f"Redaction patterns file '{source}' is invalid: {problem}",
        how_to_fix="Correct the entry (format in docs/logging.md), or compare with the "
        f"packaged default {packaged_data('log-redaction-patterns.json')}",
        example='{"name": "my-api-key", "pattern": "myk_[A-Za-z0-9]{32}", '
        '"replacement": "[REDACTED]", "requires": ["myk_"]}',
    )


def _check_top_level(data: Any, source: str) -> None:
    if not isinstance(data, Mapping):
        raise _invalid(source, "the top level must be a JSON object")
    if data.get("version") != PATTERNS_FORMAT_VERSION:
        raise _invalid(source, f"'version' must be \"{PATTERNS_FORMAT_VERSION}\"")
    for name in ("patterns", "keys"):
        if not isinstance(data.get(name), list):
            raise _invalid(source, f"'{name}' must be a list (it may be empty)")
    allowed = {"version", "replacement", "patterns", "keys", SECTION, "description", "$comment"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _invalid(source, f"unknown top-level key(s) {unknown}")


_ENTRY_KEYS = {
    "name",
    "pattern",
    "replacement",
    "flags",
    "requires",
    "check",
    "unless_preceded_by",
    "description",
}


def _strings(entry: Mapping[str, Any], key: str, where: str, source: str) -> tuple[str, ...]:
    values = entry.get(key, [])  # optional list, documented default []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _invalid(source, f"{where}: '{key}' must be a list of strings")
    return tuple(values)


def _compile_pattern(entry: Any, default_replacement: str, source: str) -> Rule:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("pattern"), str):
        raise _invalid(source, f"pattern entry {entry!r:.60} needs a string 'pattern'")
    name = str(entry.get("name", "?"))
    where = f"pattern '{name}'"
    if "name" not in entry or set(entry) - _ENTRY_KEYS:
        raise _invalid(source, f"{where}: needs 'name'; allowed keys {sorted(_ENTRY_KEYS)}")
    flags = 0
    for flag in _strings(entry, "flags", where, source):
        if flag.upper() not in _FLAGS:
            raise _invalid(source, f"{where}: unknown flag '{flag}' (use {sorted(_FLAGS)})")
        flags |= _FLAGS[flag.upper()]
    check_name = entry.get("check")
    if check_name is not None and check_name not in CHECKS:
        raise _invalid(source, f"{where}: unknown check '{check_name}' (use {sorted(CHECKS)})")
    try:
        regex = re.compile(entry["pattern"], flags)
    except re.error as exc:
        raise _invalid(source, f"{where}: the regex does not compile ({exc})") from exc
    return Rule(
        name=name,
        regex=regex,
        replacement=str(entry.get("replacement", default_replacement)),
        triggers=tuple(t.lower() for t in _strings(entry, "requires", where, source)),
        check=CHECKS[check_name] if check_name else None,
        unless_preceded_by=tuple(
            p.lower() for p in _strings(entry, "unless_preceded_by", where, source)
        ),
    )


def _key_rules(keys: Sequence[str], replacement: str) -> list[_TextRule]:
    """The rules for the key names; each is compiled on first use (``_BuiltOnFirstUse``),
    and so is the module that writes their regexes."""
    escaped = "\\g<open>" + replacement.replace("\\", "\\\\")

    def assignment() -> _TextRule:
        from txo_runtime.logger._key_rules import KeyAssignmentRule

        return KeyAssignmentRule.build(keys, replacement)

    def xml_element() -> _TextRule:
        from txo_runtime.logger._key_rules import key_name_regex, xml_element_pattern

        regex = re.compile(xml_element_pattern(key_name_regex(keys)), re.IGNORECASE | re.DOTALL)
        return Rule("keys:xml-element", regex, escaped, ("</",))

    def xml_add() -> _TextRule:
        from txo_runtime.logger._key_rules import key_name_regex, xml_add_pattern

        regex = re.compile(xml_add_pattern(key_name_regex(keys)), re.IGNORECASE)
        return Rule("keys:xml-add", regex, escaped, ("<add",))

    return [
        _BuiltOnFirstUse("keys:assignment", (), assignment),
        # Closing tags are rare in log lines: a cheap trigger for a regex that only zeep's
        # SOAP bodies need.
        _BuiltOnFirstUse("keys:xml-element", ("</",), xml_element),
        _BuiltOnFirstUse("keys:xml-add", ("<add",), xml_add),
    ]
