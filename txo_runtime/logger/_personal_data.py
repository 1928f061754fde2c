"""Personal data out of log lines: card numbers, IBANs, national identity numbers, e-mail.

ERP and CRM integrations log customer records, and a log full of personal data is a
liability under GDPR. The ``personal-data`` section of ``log-redaction-patterns.json``
switches each class on or off (one line per class)::

    "personal-data": {"cards": true, "iban": true, "national-ids": [], "email": false}

Each class has its own marker, so a reader still sees *what* was there. Every candidate
must pass the issuer's check (see ``_personal_checks.py``) and stand on its own (not glued
to letters, digits, ``_``, ``-`` or a decimal point): order numbers, GUIDs, phone numbers,
dates, amounts, timestamps, OData paging tokens and git SHAs stay readable.

Cost: every line pays for one C-speed prefilter (its digits and capitals mapped to a
*shape* that must hold, say, six digits in a row; a log line's time stamp does not); only
then the IBAN regex and the one regex shared by the digit classes run, and the Python
checks run only on their candidates. E-mail runs only on lines containing ``@``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_runtime.logger._personal_checks import (
    IBAN_LENGTHS,
    dk_cpr_valid,
    fi_henkilotunnus_valid,
    iban_valid,
    luhn_valid,
    no_fodselsnummer_valid,
    se_personnummer_valid,
    us_ssn_valid,
)

__all__ = [
    "CARD_MARKER",
    "COUNTRIES",
    "EMAIL_MARKER",
    "IBAN_MARKER",
    "NATIONAL_ID_MARKER",
    "SECTION",
    "PersonalDataRule",
    "PersonalDataSettings",
    "parse_personal_data",
]

SECTION = "personal-data"
CARD_MARKER = "[REDACTED_CARD]"
IBAN_MARKER = "[REDACTED_IBAN]"
NATIONAL_ID_MARKER = "[REDACTED_NATIONAL_ID]"
EMAIL_MARKER = "[REDACTED_EMAIL]"
# ISO 3166 codes whose national identity numbers can be named in "national-ids".
COUNTRIES = ("DK", "FI", "NO", "SE", "US")
_CLASSES = ("cards", "iban", "national-ids", "email")
_SECTION_EXAMPLE = (
    '"personal-data": {"cards": true, "iban": true, "national-ids": ["SE", "NO"], "email": false}'
)

# Candidates must not continue a longer token (checked again, fully, by _isolated): the
# look-behind sits after the first character so that ``re`` still skips to candidate
# characters in C, and a start inside a longer number fails without calling Python.
# re.ASCII: only 0-9 are digits here (and the character classes are cheaper to test).
_NOT_AFTER = r"(?<![\w+-]\d)(?<!\d\.\d)"
_IBAN = re.compile(r"[A-Z](?<![\w][A-Z])[A-Z]\d{2}[A-Z0-9]{0,4}(?: ?[A-Z0-9]{1,4}){2,8}", re.ASCII)
# The digit classes share one regex: a token's first digit, then one alternative per enabled
# class (the rest of its shape), so a line is scanned once whatever the classes.
_DIGIT_SHAPES = {
    "card": r"(?<=[2-6])\d{3}(?:(?P<card_sep>[ -])\d{4,6}(?:(?P=card_sep)\d{3,6}){1,3}|\d{9,15})",
    "se_long": r"(?<=[12])\d{7}-?\d{4}",  # YYYYMMDD-NNNC, YYYYMMDDNNNC
    "no": r"\d{5} ?\d{5}",  # DDMMYYIIIKK
    # DDMMYY-SSSS (DK), YYMMDD-NNNC (SE), DDMMYYCZZZQ (FI) share one shape
    "nordic": r"\d{5}[-+A-FU-Y]\d{3}[0-9A-Y]",
    "ssn": r"\d\d(?P<ssn_sep>[ -])\d{2}(?P=ssn_sep)\d{4}",
}
# The shape of a line for the prefilter: digits -> "0", capitals -> "A", blank -> "-".
_SHAPE = bytes.maketrans(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ", b"0" * 10 + b"A" * 26 + b"-")
_CARD_NEEDLES = ("000000", "00-0000")  # 13+ digits in a row, or groups of 4+
_IBAN_NEEDLES = ("AA00",)  # country code and check digits
_SSN_NEEDLES = ("00-0000",)  # the end of 000-00-0000
_NORDIC_NEEDLES = ("000000",)  # the birth date
_PAGING_KEYS = ("skiptoken=", "deltatoken=", "skiptoken%3d", "deltatoken%3d")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
)


@dataclass(frozen=True, slots=True)
class PersonalDataSettings:
    """Which classes are on; the defaults are what a file without the section gets."""

    cards: bool = True
    iban: bool = True
    national_ids: tuple[str, ...] = ()
    email: bool = False

    @property
    def any_enabled(self) -> bool:
        return self.cards or self.iban or bool(self.national_ids) or self.email


def _section_error(source: str, problem: str, fix: str) -> HelpfulError:
    return HelpfulError(
        what_went_wrong=f"Redaction patterns file '{source}' is invalid: '{SECTION}' {problem}",
        how_to_fix=fix,
        example=_SECTION_EXAMPLE,
    )


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    import difflib  # only an invalid section needs it; start-up stays light

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _countries(value: Any, source: str) -> tuple[str, ...]:
    fix = f"List ISO country codes from {list(COUNTRIES)}, or [] to leave national ids alone"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _section_error(source, "'national-ids' must be a list of country codes", fix)
    for code in value:
        if code.upper() not in COUNTRIES:
            raise _section_error(
                source,
                f"names an unknown country '{code}' in 'national-ids'"
                + _suggest(code.upper(), COUNTRIES),
                fix,
            )
    return tuple(sorted({code.upper() for code in value}))


def parse_personal_data(data: Mapping[str, Any], source: str) -> PersonalDataSettings:
    """The validated ``personal-data`` section; a file without it gets the defaults.

    A key left out of the section keeps its default, so ``{"email": true}`` is enough to
    add e-mail addresses. A misspelt class or country is an error, never silently ignored.
    """
    section = data.get(SECTION, {})  # optional: the documented defaults apply
    classes = f"Use the classes {list(_CLASSES)} (true/false; 'national-ids': a list)"
    if not isinstance(section, Mapping):
        raise _section_error(source, "must be a JSON object", classes)
    for key, value in section.items():
        if key == "description":
            continue
        if key not in _CLASSES:
            raise _section_error(
                source, f"has an unknown class '{key}'" + _suggest(key, _CLASSES), classes
            )
        if key != "national-ids" and not isinstance(value, bool):
            raise _section_error(source, f"'{key}' must be true or false", classes)
    defaults = PersonalDataSettings()
    return PersonalDataSettings(
        cards=section.get("cards", defaults.cards),
        iban=section.get("iban", defaults.iban),
        national_ids=_countries(section.get("national-ids", []), source),
        email=section.get("email", defaults.email),
    )


def _isolated(text: str, start: int, end: int) -> bool:
    """Not part of a longer token: no letter, digit or ``_`` around it, no ``-``/``+``
    before it (``SO-4111...``, ``+46...``), no decimal point before or after it."""
    if start > 0:
        before = text[start - 1]
        if before.isalnum() or before in "_-+":
            return False
        if before == "." and start > 1 and text[start - 2].isdigit():
            return False
    if end < len(text):
        after = text[end]
        if after.isalnum() or after == "_":
            return False
        following = text[end + 1 : end + 2]
        if after in "-." and following.isalnum():
            return False
    return True


def _card_network_fits(digits: str) -> bool:
    """The length is one the card network of the leading digits issues today.

    Keeps Luhn-valid numbers of other kinds readable: compact time stamps
    (``20261125103000``: no network starts with 2026), EAN-13 barcodes (13-digit Visa
    numbers are no longer issued), IMEIs (15 digits, mostly starting with 35).
    """
    length, two, four = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return length in (16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return length == 16
    if two in (34, 37):  # American Express
        return length == 15
    if two in (30, 36, 38, 39):  # Diners Club
        return 14 <= length <= 19
    # Mir (2200-2204), JCB (35), Discover, UnionPay, Maestro, RuPay (5x, 6x)
    return (2200 <= four <= 2204 or two == 35 or digits[0] in "56") and 16 <= length <= 19


def _is_paging_value(text: str, start: int) -> bool:
    """An OData ``$skiptoken``/``$deltatoken`` value: a cursor, whatever its digits."""
    return text[max(0, start - 16) : start].lower().endswith(_PAGING_KEYS)


def _card(match: re.Match[str]) -> str:
    """A grouped number may run into the next number: try it with fewer trailing groups."""
    text, start, found = match.string, match.start(), match.group(0)
    if _is_paging_value(text, start):
        return found
    separator = match.group("card_sep")
    if not separator:  # contiguous digits: one candidate
        fits = _isolated(text, start, match.end()) and _card_network_fits(found)
        return CARD_MARKER if fits and luhn_valid(found) else found
    groups = found.split(separator)
    for count in range(len(groups), max(len(groups) - 3, 0), -1):
        candidate = separator.join(groups[:count])
        digits = candidate.replace(separator, "")
        end = start + len(candidate)
        if not (13 <= len(digits) <= 19 and _isolated(text, start, end)):
            continue
        if _card_network_fits(digits) and luhn_valid(digits):
            return CARD_MARKER + found[len(candidate) :]
    return found


def _iban(match: re.Match[str]) -> str:
    """Cut the candidate at its country's length (it may run into the next word)."""
    text, start, found = match.string, match.start(), match.group(0)
    length = IBAN_LENGTHS.get(found[:2])
    if length is None or _is_paging_value(text, start):
        return found
    if " " not in found:  # electronic format: no walk needed
        compact = cut = min(length, len(found))
    else:
        compact, cut = 0, 0
        while cut < len(found) and compact < length:
            compact += found[cut] != " "
            cut += 1
    iban = found[:cut].replace(" ", "")
    if compact < length or not _isolated(text, start, start + cut) or not iban_valid(iban):
        return found
    return IBAN_MARKER + found[cut:]


def _se_short(found: str) -> bool:
    """``YYMMDD-NNNC`` (``+`` once the person is 100)."""
    return found[6] in "-+" and found[7:].isdigit() and se_personnummer_valid(found[:6] + found[7:])


def _dk(found: str) -> bool:
    """``DDMMYY-SSSS``."""
    return found[6] == "-" and found[7:].isdigit() and dk_cpr_valid(found[:6] + found[7:])


_NORDIC_CHECKS: dict[str, Callable[[str], bool]] = {
    "SE": _se_short,
    "DK": _dk,
    "FI": fi_henkilotunnus_valid,
}


def _se_long(found: str) -> bool:
    """``YYYYMMDD-NNNC``: the century (18, 19, 20) is given."""
    digits = found.replace("-", "")
    return digits[:2] in ("18", "19", "20") and se_personnummer_valid(
        digits[2:], century=int(digits[:2])
    )


def _no(found: str) -> bool:
    return no_fodselsnummer_valid(found.replace(" ", ""))


def _us(found: str) -> bool:
    return us_ssn_valid(found[0:3], found[4:6], found[7:11])


def _any_of(checks: tuple[Callable[[str], bool], ...]) -> Callable[[str], bool]:
    """One check for a shape several countries use (``DDMMYY-NNNN``)."""

    def check(found: str) -> bool:
        for one in checks:  # noqa: SIM110 (a plain loop: no generator per candidate)
            if one(found):
                return True
        return False

    return check


def _digit_replacer(
    checks: dict[str, Callable[[str], bool]], cards: bool
) -> Callable[[re.Match[str]], str]:
    """The replacement function of the shared digit regex: the check of the class whose
    alternative matched decides."""

    def replace(match: re.Match[str]) -> str:
        kind = match.lastgroup
        if kind == "card" and cards:
            return _card(match)
        text, start, found = match.string, match.start(), match.group(0)
        check = checks.get(kind or "")
        if (
            check is None
            or _is_paging_value(text, start)
            or not _isolated(text, start, match.end())
        ):
            return found
        return NATIONAL_ID_MARKER if check(found) else found

    return replace


@dataclass(frozen=True, slots=True)
class _Detector:
    """A regex for candidates, the needles they leave in a line's shape, and the
    replacement function that applies the checks."""

    needles: tuple[str, ...]
    regex: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]

    def apply(self, text: str, shape: str) -> str:
        for needle in self.needles:  # a plain loop: no generator on the hot path
            if needle in shape:
                return self.regex.sub(self.replace, text)
        return text


def _digit_detector(settings: PersonalDataSettings) -> _Detector | None:
    """One regex for cards and the named countries' numbers; it starts with ``\\d`` so
    ``re`` skips other characters in C, and a start inside a longer number fails at once."""
    countries = settings.national_ids
    nordic = tuple(check for country, check in _NORDIC_CHECKS.items() if country in countries)
    checks: dict[str, Callable[[str], bool]] = {}
    needles: list[str] = list(_CARD_NEEDLES) if settings.cards else []
    for kind, enabled, check, more in (
        ("se_long", "SE" in countries, _se_long, _NORDIC_NEEDLES),
        ("no", "NO" in countries, _no, _NORDIC_NEEDLES),
        ("nordic", bool(nordic), _any_of(nordic), _NORDIC_NEEDLES),
        ("ssn", "US" in countries, _us, _SSN_NEEDLES),
    ):
        if enabled:
            checks[kind] = check
            needles += [needle for needle in more if needle not in needles]
    kinds = (["card"] if settings.cards else []) + list(checks)
    if not kinds:
        return None
    shapes = "|".join(f"(?P<{kind}>{_DIGIT_SHAPES[kind]})" for kind in kinds)
    regex = re.compile(rf"\d{_NOT_AFTER}(?:{shapes})(?!\w)", re.ASCII)
    return _Detector(tuple(needles), regex, _digit_replacer(checks, settings.cards))


def _detectors(settings: PersonalDataSettings) -> tuple[_Detector, ...]:
    """IBAN first (its digits hold card-like runs), then the digit classes."""
    detectors = [_Detector(_IBAN_NEEDLES, _IBAN, _iban)] if settings.iban else []
    digits = _digit_detector(settings)
    return tuple(detectors + ([digits] if digits is not None else []))


@dataclass(frozen=True, slots=True)
class PersonalDataRule:
    """The enabled personal-data classes as one rule of :class:`RedactionRules`.

    Prefilter: a line's *shape* (one C-speed ``bytes.translate``) must contain a needle
    such as six digits in a row before a regex runs; a log line's time stamp
    (``2026-11-25 10:00:00,123``) has none. E-mail runs only on lines with ``@``.
    """

    settings: PersonalDataSettings
    detectors: tuple[_Detector, ...]
    needles: tuple[str, ...]  # of all detectors: most lines need only these tests
    name: str = SECTION
    triggers: tuple[str, ...] = ()  # its own prefilter, see above

    @classmethod
    def build(cls, settings: PersonalDataSettings) -> PersonalDataRule:
        detectors = _detectors(settings)
        needles = dict.fromkeys(n for detector in detectors for n in detector.needles)
        return cls(settings, detectors, tuple(needles))

    def apply(self, text: str) -> str:
        if self.settings.email and "@" in text:
            text = _EMAIL.sub(EMAIL_MARKER, text)
        if self.detectors:
            # bytes.translate is C-speed; str "in" is twice as fast as bytes "in"
            shape = text.encode("utf-8", "surrogatepass").translate(_SHAPE).decode("latin-1")
            for needle in self.needles:  # a plain loop: no generator on the hot path
                if needle in shape:
                    return self._detect(text, shape)
        return text

    def _detect(self, text: str, shape: str) -> str:
        for detector in self.detectors:
            text = detector.apply(text, shape)
        return text
