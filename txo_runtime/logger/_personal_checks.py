"""Check digits and structure rules of personal identifiers (pure functions, no regexes).

A pattern alone would turn order numbers, phone numbers, timestamps and amounts into
redaction markers; a log full of false markers cannot be read. Every identifier class the
logger redacts therefore carries a check the issuer defined, and a candidate that fails it
stays readable:

- payment cards: the Luhn (mod-10) check digit;
- IBAN: the country's length from the IBAN registry and the ISO 7064 mod-97-10 check;
- US social security numbers: the Social Security Administration's never-issued ranges;
- Swedish personnummer: a valid date (day + 60 for a samordningsnummer) and Luhn;
- Norwegian fødselsnummer: a past date (D- and H-numbers) in the century its individual
  number names, and two mod-11 check digits;
- Danish CPR: a past date whose century follows from the 7th digit (the mod-11 check was
  dropped in 2007 because the numbers ran out, so valid CPR numbers fail it);
- Finnish henkilötunnus: a valid date, its century sign and the mod-31 check character.
"""

from __future__ import annotations

import datetime as _dt

__all__ = [
    "IBAN_LENGTHS",
    "dk_cpr_valid",
    "fi_henkilotunnus_valid",
    "iban_valid",
    "luhn_valid",
    "no_fodselsnummer_valid",
    "se_personnummer_valid",
    "us_ssn_valid",
]

# Total IBAN length per country (SWIFT IBAN registry). French overseas territories use FR's.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GF": 27, "GI": 23, "GL": 18, "GP": 27, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MN": 20, "MQ": 27, "MR": 27, "MT": 31, "MU": 30, "NC": 27, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PF": 27, "PK": 24, "PL": 28, "PM": 27, "PS": 29, "PT": 25,
    "QA": 29, "RE": 27, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TF": 27, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "WF": 27, "XK": 20, "YE": 30, "YT": 27,
}  # fmt: skip
# A doubled digit's digit sum: 0->0, 1->2, ..., 5->1 (10), ..., 9->9 (18).
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")
# IBAN letters as numbers for the mod-97 check: A -> 10 ... Z -> 35.
_IBAN_LETTERS = str.maketrans({chr(65 + i): str(10 + i) for i in range(26)})
_NO_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_NO_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_FI_CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
# Century of a henkilötunnus from its sign ("Y".."U" and "B".."F" since 2023).
_FI_CENTURY = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod-10) check that payment card numbers and personnummer end with.

    Every second digit from the right is doubled (digits of the product summed); the
    doubling is a character table, so the sum is two C-speed passes.
    """
    kept = sum(map(int, digits[-1::-2]))
    doubled = sum(map(int, digits[-2::-2].translate(_LUHN_DOUBLED)))
    return (kept + doubled) % 10 == 0


def iban_valid(iban: str) -> bool:
    """Registry length for its country and ISO 7064 mod-97-10 (``iban`` without blanks)."""
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    return int((iban[4:] + iban[:4]).translate(_IBAN_LETTERS)) % 97 == 1


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _is_past_date(year: int, month: int, day: int) -> bool:
    """A birth date: it exists and is not in the future."""
    try:
        return _dt.date(year, month, day) <= _dt.date.today()
    except ValueError:
        return False


def us_ssn_valid(area: str, group: str, serial: str) -> bool:
    """Never issued: area 000, 666 or 900-999 (ITINs), group 00, serial 0000."""
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def se_personnummer_valid(digits: str, century: int | None = None) -> bool:
    """``YYMMDDNNNC`` (10 digits): a date (day + 60 for a samordningsnummer) and Luhn.

    ``century`` (18, 19, 20) comes from a 12-digit form; without it any century whose date
    exists counts, so 29 February is checked against a leap year.
    """
    year, month, day = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if day > 60:
        day -= 60
    centuries = (century,) if century is not None else (19, 20)
    if not any(_is_date(c * 100 + year, month, day) for c in centuries):
        return False
    return luhn_valid(digits)


def _mod11_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


def _no_birth_year(year: int, individual: int) -> int | None:
    """The century follows from the individual number (Skatteetaten's allocation)."""
    if individual <= 499:
        return 1900 + year
    if individual <= 749 and year >= 55:
        return 1800 + year
    if year <= 39:
        return 2000 + year
    return 1900 + year if individual >= 900 else None


def no_fodselsnummer_valid(digits: str) -> bool:
    """``DDMMYYIIIKK``: a past date (D-number day + 40, H-number month + 40) in the century
    the individual number ``III`` names, and two mod-11 check digits."""
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    day = day - 40 if day > 40 else day
    month = month - 40 if month > 40 else month
    birth_year = _no_birth_year(year, int(digits[6:9]))
    if birth_year is None or not _is_past_date(birth_year, month, day):
        return False
    first = _mod11_digit(digits[:9], _NO_WEIGHTS_1)
    if first is None or first != int(digits[9]):
        return False
    second = _mod11_digit(digits[:10], _NO_WEIGHTS_2)
    return second is not None and second == int(digits[10])


def _dk_century(year: int, seventh: int) -> int:
    """The CPR office's table: the first serial digit and the year give the century."""
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if year <= 36 else 1900
    return 2000 if year <= 57 else 1800


def dk_cpr_valid(digits: str) -> bool:
    """``DDMMYYSSSS``: a past birth date in the century the serial's first digit names.

    No mod-11: numbers issued since 1 October 2007 need not satisfy it.
    """
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    return _is_past_date(_dk_century(year, int(digits[6])) + year, month, day)


def fi_henkilotunnus_valid(text: str) -> bool:
    """``DDMMYYCZZZQ``: a date in the century of sign C, individual number, check char Q."""
    digits, sign, individual, check = text[:6], text[6], text[7:10], text[10]
    century = _FI_CENTURY.get(sign)
    if century is None or not (digits + individual).isdigit() or individual in ("000", "001"):
        return False
    if not _is_date(century + int(digits[4:6]), int(digits[2:4]), int(digits[0:2])):
        return False
    return _FI_CHECK_CHARACTERS[int(digits + individual) % 31] == check
