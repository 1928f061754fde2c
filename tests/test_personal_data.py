"""Personal data out of the logs: cards, IBANs, national identity numbers, e-mail addresses.

Each class is tried in the four places customer data shows up in log lines (JSON, a query
string, a CSV row, free text); look-alikes that fail the class's check must come out
unchanged; a class switched off must leave its data alone; and the classes must apply
wherever the secret redaction applies (every handler, other libraries' loggers, exception
texts and tracebacks, ``redact()``).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from project_factory import make_project, write_json

import txo_runtime
from txo_runtime.exceptions import HelpfulError
from txo_runtime.logger import (
    RedactionRules,
    TokenRedactionFilter,
    load_redaction_rules,
    redact,
    reset_logging,
    setup_logger,
)
from txo_runtime.logger._personal_checks import (
    dk_cpr_valid,
    fi_henkilotunnus_valid,
    iban_valid,
    luhn_valid,
    no_fodselsnummer_valid,
    se_personnummer_valid,
    us_ssn_valid,
)
from txo_runtime.logger._personal_data import PersonalDataSettings

DATA = Path(txo_runtime.__file__).parent / "data"
PACKAGED = json.loads((DATA / "log-redaction-patterns.json").read_text(encoding="utf-8"))
ALL_COUNTRIES = ["US", "SE", "NO", "DK", "FI"]
EVERYTHING = {"cards": True, "iban": True, "national-ids": ALL_COUNTRIES, "email": True}

CARDS = [
    "4111111111111111",
    "4111-1111-1111-1111",
    "4111 1111 1111 1111",
    "5555555555554444",
    "2223000048400011",  # Mastercard 2-series
    "378282246310005",  # American Express, 15 digits
    "3782 822463 10005",  # American Express as printed
    "6011111111111117",  # Discover
    "30569309025904",  # Diners Club, 14 digits
    "3530111333300000",  # JCB
]
IBANS = [
    "DE89370400440532013000",
    "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
    "GB82 WEST 1234 5698 7654 32",
    "NO9386011117947",
    "SE4550000000058398257466",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "CH9300762011623852957",
]
NATIONAL_IDS = [
    ("US", "536-22-1234"),
    ("US", "536 22 1234"),
    ("SE", "811218-9876"),
    ("SE", "19811218-9876"),
    ("SE", "198112189876"),
    ("SE", "701063-0007"),  # samordningsnummer: day + 60
    ("NO", "15038512363"),
    ("NO", "150385 12363"),
    ("NO", "55038512357"),  # D-number: day + 40
    ("DK", "010170-1234"),
    ("DK", "241299-4321"),
    ("FI", "131052-308T"),
    ("FI", "010105A123P"),  # born in the 2000s
    ("FI", "010594Y9032"),  # a century sign added in 2023
]
EMAILS = ["john.doe@example.com", "ada+invoices@mail.example.co.uk", "o.brien_x@acme-corp.io"]

# (where, template): how customer data reaches a log line
CONTEXTS = [
    ("json", '{{"customer": "Ada Lovelace", "value": "{v}", "amount": 12.5}}'),
    ("query", "GET https://api.example.com/v1/payments?ref=A-17&value={v}&top=10"),
    ("csv", "1001,Ada Lovelace,{v},12.50,2026-11-25"),
    ("free-text", "Customer paid with {v}. Thanks!"),
]


def _rules(**section: Any) -> RedactionRules:
    return RedactionRules.from_mapping({**PACKAGED, "personal-data": section})


def _cases(values: list[str], marker: str) -> list[Any]:
    return [
        pytest.param(value, template, marker, id=f"{where}-{value}")
        for value in values
        for where, template in CONTEXTS
    ]


@pytest.mark.parametrize(
    ("value", "template", "marker"),
    _cases(CARDS, "[REDACTED_CARD]")
    + _cases(IBANS, "[REDACTED_IBAN]")
    + _cases([v for _, v in NATIONAL_IDS], "[REDACTED_NATIONAL_ID]")
    + _cases(EMAILS, "[REDACTED_EMAIL]"),
)
def test_each_class_is_redacted_in_json_query_strings_csv_rows_and_free_text(
    value: str, template: str, marker: str
) -> None:
    line = template.format(v=value)
    assert _rules(**EVERYTHING).redact(line) == template.format(v=marker)


@pytest.mark.parametrize(("country", "value"), NATIONAL_IDS)
def test_a_national_id_is_redacted_once_its_country_is_named(country: str, value: str) -> None:
    line = f"person {value} updated"
    assert _rules(**{"national-ids": [country]}).redact(line) == (
        "person [REDACTED_NATIONAL_ID] updated"
    )
    others = [c for c in ALL_COUNTRIES if c != country]
    assert _rules(**{"national-ids": others}).redact(line) == line


def test_a_grouped_card_followed_by_another_number_keeps_that_number() -> None:
    rules = _rules()
    assert rules.redact("card 4111 1111 1111 1111 2026") == "card [REDACTED_CARD] 2026"
    assert rules.redact("BE68 5390 0754 7034 1234") == "[REDACTED_IBAN] 1234"


LOOK_ALIKES = [
    "order 4111111111111112 shipped",  # Luhn fails
    "order SO-4111111111111111 shipped",  # glued to an order prefix
    "order 4111111111111111-01 line",  # glued to a line suffix
    "EAN 4006381330060",  # Luhn-valid EAN-13: 13-digit Visa numbers are not issued
    "IMEI 490154203237518",  # Luhn-valid, 15 digits: not a Visa length
    "guid 41111111-1111-1111-1111-111111111111",
    "guid 12345678-1234-5678-1234-567812345678",
    "call +46 70 123 45 67 or +4915112345678",  # the second is Luhn-valid
    "call (555) 123-4567 or 555-123-4567",
    "dates 2026-11-25, 25.11.2026 and 11/25/2026",
    "at 2026-11-25T10:00:00.123456Z",
    "stamp 20261125103006",  # Luhn-valid compact time stamp
    "epoch 1733312345676 ms",  # Luhn-valid epoch milliseconds
    "amount 4111111111111111.50 EUR and ratio 0.4111111111111111",
    "amounts 1,234,567.89 and 1 234 567,89",
    "next https://api.example.com/odata/Orders?$skiptoken=4111111111111111",
    "next %24skiptoken%3D4111111111111111 and $deltatoken=5555555555554444",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b and a4111111111111111b",
    "IBAN DE88370400440532013000",  # mod-97 fails
    "IBAN DE8937040044053201300",  # one character short for DE
    "IBAN XX89370400440532013000",  # no such country
    "ssn 000-12-3456 666-12-3456 912-34-5678",  # areas never issued
    "ssn 123-00-4567 123-45-0000",  # group 00, serial 0000
    "pnr 811218-9875",  # Luhn fails
    "pnr 811318-9876 and 8112189876",  # month 13; ten digits without separator
    "fnr 15038512364",  # second check digit wrong
    "fnr 15038562363",  # first check digit wrong
    "cpr 320170-1234 and 300270-1234",  # 32 January, 30 February
    "cpr 010135-4321",  # 2035: a birth date in the future
    "hetu 131052-308U",  # wrong check character
    "mail user@localhost, @property, package@1.2.3",
]


@pytest.mark.parametrize("line", LOOK_ALIKES)
def test_look_alikes_that_fail_the_check_stay_readable(line: str) -> None:
    assert _rules(**EVERYTHING).redact(line) == line


@pytest.mark.parametrize(
    ("section", "line"),
    [
        ({"cards": False}, "card 4111 1111 1111 1111"),
        ({"iban": False}, "iban DE89370400440532013000"),
        ({"national-ids": []}, "ssn 536-22-1234 pnr 811218-9876 hetu 131052-308T"),
        ({"email": False}, "mail john.doe@example.com"),
        ({"cards": False, "iban": False}, "card 4111111111111111 iban NO9386011117947"),
    ],
    ids=["cards-off", "iban-off", "no-countries", "email-off", "all-off"],
)
def test_a_class_switched_off_leaves_its_data_alone(section: dict[str, Any], line: str) -> None:
    on = {**EVERYTHING, **section}
    assert _rules(**on).redact(line) == line


def test_the_packaged_defaults_redact_cards_and_ibans_but_not_ids_or_email() -> None:
    rules = load_redaction_rules(DATA / "log-redaction-patterns.json")
    assert rules.personal_data == PersonalDataSettings()
    assert rules.redact("Payment with card: 4111-1111-1111-1111") == (
        "Payment with card: [REDACTED_CARD]"
    )
    assert rules.redact("to DE89370400440532013000") == "to [REDACTED_IBAN]"
    kept = "ssn 536-22-1234 mail john.doe@example.com"
    assert rules.redact(kept) == kept


def test_a_patterns_file_without_the_section_gets_the_defaults() -> None:
    old = {k: v for k, v in PACKAGED.items() if k != "personal-data"}
    rules = RedactionRules.from_mapping(old)
    assert rules.personal_data == PersonalDataSettings(cards=True, iban=True, email=False)
    assert rules.redact("card 5555555555554444") == "card [REDACTED_CARD]"


def test_one_key_in_the_section_changes_one_class_and_keeps_the_other_defaults() -> None:
    rules = _rules(email=True)
    assert rules.personal_data == PersonalDataSettings(email=True)
    assert rules.redact("a@example.com 4111111111111111") == "[REDACTED_EMAIL] [REDACTED_CARD]"


def test_personal_data_and_secret_rules_apply_to_the_same_line() -> None:
    line = 'POST /pay {"password": "hunter2", "card": "4111111111111111"}'
    assert (
        _rules().redact(line) == 'POST /pay {"password": "[REDACTED]", "card": "[REDACTED_CARD]"}'
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"card": True}, "unknown class 'card' (did you mean 'cards'?)"),
        ({"national_ids": ["SE"]}, "unknown class 'national_ids' (did you mean 'national-ids'?)"),
        ({"national-ids": ["SW"]}, "unknown country 'SW'"),
        ({"national-ids": ["Sweden"]}, "unknown country 'Sweden'"),
        ({"national-ids": "SE"}, "'national-ids' must be a list"),
        ({"email": "yes"}, "'email' must be true or false"),
        ({"cards": 1}, "'cards' must be true or false"),
    ],
)
def test_a_typo_in_the_section_is_a_three_part_error(
    section: dict[str, Any], expected: str
) -> None:
    with pytest.raises(HelpfulError) as info:
        RedactionRules.from_mapping({**PACKAGED, "personal-data": section}, source="p.json")
    error = info.value
    assert "'p.json'" in error.what_went_wrong and "personal-data" in error.what_went_wrong
    assert expected in error.what_went_wrong
    assert error.how_to_fix and '"personal-data": {' in str(error.example)


def test_the_section_must_be_an_object() -> None:
    with pytest.raises(HelpfulError, match="must be a JSON object"):
        RedactionRules.from_mapping({**PACKAGED, "personal-data": ["cards"]})


def test_country_codes_may_be_lower_case() -> None:
    assert _rules(**{"national-ids": ["se", "US"]}).personal_data.national_ids == ("SE", "US")


# --- the checks on their own ---------------------------------------------------------------


def test_check_digit_functions_accept_issued_numbers_and_refuse_altered_ones() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111121")
    assert iban_valid("GB82WEST12345698765432") and not iban_valid("GB82WEST12345698765433")
    assert us_ssn_valid("536", "22", "1234") and not us_ssn_valid("666", "22", "1234")
    assert se_personnummer_valid("8112189876") and not se_personnummer_valid("8112189877")
    assert se_personnummer_valid("0002291234", century=20) is luhn_valid("0002291234")
    assert not se_personnummer_valid("0102291234", century=20)  # 2001 is no leap year
    assert no_fodselsnummer_valid("15038512363") and not no_fodselsnummer_valid("15038512373")
    assert dk_cpr_valid("0101701234") and not dk_cpr_valid("2902011234")  # 1901: no leap
    assert fi_henkilotunnus_valid("131052-308T") and not fi_henkilotunnus_valid("131052-308U")


# --- wherever the secret redaction applies ---------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Any:
    reset_logging()
    root = make_project(tmp_path / "project")
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    config["console"]["format"] = config["file"]["format"] = "%(message)s"
    write_json(root / "config" / "logging-config.json", config)
    write_json(
        root / "config" / "log-redaction-patterns.json", {**PACKAGED, "personal-data": EVERYTHING}
    )
    yield root
    reset_logging()


def _outputs(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    files = "".join(f.read_text(encoding="utf-8") for f in (root / "logs").glob("*.log"))
    return capsys.readouterr().err + files


PERSONAL = "card 4111 1111 1111 1111 iban DE89370400440532013000 ssn 536-22-1234 a@example.com"
MARKED = "card [REDACTED_CARD] iban [REDACTED_IBAN] ssn [REDACTED_NATIONAL_ID] [REDACTED_EMAIL]"


@pytest.mark.parametrize("name", ["txo", "urllib3.connectionpool", "zeep.transports", ""])
def test_every_handler_redacts_personal_data_from_any_logger(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    setup_logger(root=project)
    logging.getLogger(name).warning("row: %s", PERSONAL)
    output = _outputs(project, capsys)
    assert output.count(f"row: {MARKED}") == 2  # console and file
    assert "4111" not in output and "DE89" not in output and "example.com" not in output


def _fail_with_card(card: str) -> None:
    raise ValueError(f"payment refused for {card}")


def test_exception_texts_and_tracebacks_are_redacted(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logger = setup_logger(root=project)
    card = "5555" + "555555554444"  # built, so no source line shows it
    try:
        _fail_with_card(card)
    except ValueError as exc:
        logger.exception("charge failed")
        sys.excepthook(type(exc), exc, exc.__traceback__)
    output = _outputs(project, capsys)
    assert "ValueError: payment refused for [REDACTED_CARD]" in output
    assert "Uncaught exception" in output and card not in output


def test_redact_and_the_filter_use_the_project_classes(project: Path) -> None:
    setup_logger(root=project)
    assert redact(PERSONAL) == MARKED
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (PERSONAL,), None)
    assert TokenRedactionFilter().filter(record) and record.msg == MARKED


def test_redact_before_setup_uses_the_packaged_defaults() -> None:
    reset_logging()
    assert redact(PERSONAL) == (
        "card [REDACTED_CARD] iban [REDACTED_IBAN] ssn 536-22-1234 a@example.com"
    )


def test_setup_with_a_misspelt_class_names_the_project_file(project: Path) -> None:
    path = project / "config" / "log-redaction-patterns.json"
    write_json(path, {**PACKAGED, "personal-data": {"emails": True}})
    with pytest.raises(HelpfulError) as info:
        setup_logger(root=project)
    assert str(path) in info.value.what_went_wrong and "'emails'" in info.value.what_went_wrong
