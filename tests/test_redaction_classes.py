"""The credential classes beyond key names and known prefixes, and their look-alikes.

Each rule is exercised through the packaged rules file (``RedactionRules``), the same
object ``setup_logger`` uses; ``tests/test_redaction_corpus.py`` runs the same classes
through real handlers.
"""

from __future__ import annotations

import pytest

from txo_runtime.logger import RedactionRules, load_redaction_rules
from txo_runtime.path_helpers import packaged_data


@pytest.fixture(scope="module")
def rules() -> RedactionRules:
    return load_redaction_rules(packaged_data("log-redaction-patterns.json"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/cb?code=0.AXEAq8Fz2LmX9vR4pW6s&state=42", "/cb?code=[REDACTED]&state=42"),
        ("/geo?q=x&key=Zq8kLm2xT9vB4nW7pR1s", "/geo?q=x&key=[REDACTED]"),
        ("/f?X-Amz-Credential=AKIA%2F20261125%2Fus", "/f?X-Amz-Credential=[REDACTED]"),
        ("/o?X-Goog-Credential=svc%40p.iam%2F2026", "/o?X-Goog-Credential=[REDACTED]"),
        ("/t?client_assertion=eyJhbGciOiJSUzI1NiJ9xyz", "/t?client_assertion=[REDACTED]"),
        ("/f?sv=2022-11-02&sig=Hx%2Bk9Lm%2FQw3E%3D", "/f?sv=2022-11-02&sig=[REDACTED]"),
        ("/n?access_token=Gr4phT0kenValue1", "/n?access_token=[REDACTED]"),
    ],
)
def test_credentials_in_url_query_parameters_are_redacted(
    rules: RedactionRules, line: str, expected: str
) -> None:
    assert rules.redact(line) == expected


def test_short_query_values_named_code_or_key_stay_readable(rules: RedactionRules) -> None:
    line = "GET /odata/Orders?code=200&key=42&auth=none&$skiptoken=RFNwdAIAAQAAAB8"
    assert rules.redact(line) == line


@pytest.mark.parametrize(
    "header",
    ["x-functions-key", "X-Acme-Api-Token", "x-partner-secret", "X-Shop-Key", "x-ms-cdn-key"],
)
def test_custom_x_headers_ending_in_key_token_or_secret_are_redacted(
    rules: RedactionRules, header: str
) -> None:
    assert rules.redact(f"{header}: V4lueAbc123") == f"{header}: [REDACTED]"
    assert rules.redact(f"{{'{header}': 'V4lueAbc123'}}") == f"{{'{header}': '[REDACTED]'}}"


def test_other_custom_headers_and_storage_words_stay_readable(rules: RedactionRules) -> None:
    line = "x-request-id: 4711 x-ratelimit-remaining: 99 partitionKey=tenant-42 sort_key=Name"
    assert rules.redact(line) == line


@pytest.mark.parametrize(
    "key",
    [
        "q8fz2lmx9vr4pw6sy1nb3kd7fh5jg0ca2et9ui4oz",  # lower case + digits
        "Q8FZ2LMX9VR4PW6SY1NB3KD7FH5JG0CA2ET9UI4OZ",  # upper case + digits
        "qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFg",  # mixed-case letters only
        "q8Fz2LmX9vR4pW6sY1nB3kD7fH5jG0cA2eT9uI4o",  # mixed case + digits
        "Zx8_Kq2-Lm9Wv4_Tp7Rs1-Nd3Fg5Hj6Kb0Nc2Ye8Aq",  # base64url
    ],
)
def test_40_plus_character_keys_of_any_alphabet_are_redacted(
    rules: RedactionRules, key: str
) -> None:
    assert rules.redact(f"using {key} now") == "using [REDACTED_TOKEN] now"


@pytest.mark.parametrize(
    "benign",
    [
        "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",  # git SHA (40 hex)
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # sha256 digest
        "6f1c2b9e-4d3a-4e5f-8a7b-1c2d3e4f5a6b-7a2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",  # GUIDs
        "$skiptoken=RFNwdAIAAQAAAB8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # OData paging
        'W/"JzQ0O0VnQUFBQUo3QlVNQU1RQXdBREFBTUFBd0FBQUFBQUE9MTswMDsn"',  # weak ETag
        "report-2026-11-25-customers-export-final-version-2",  # a slug with dates
        "TestRedactionNeverLeaksAnythingIntoTheLogFiles",  # CamelCase identifier
        "txoruntimeloggerredactioncorpuscheckpointhelper",  # one case: a word run
    ],
)
def test_hex_guids_paging_tokens_etags_and_names_of_40_plus_characters_stay(
    rules: RedactionRules, benign: str
) -> None:
    assert rules.redact(f"value {benign} end") == f"value {benign} end"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("the password is hunter2!", "the password is [REDACTED]"),
        ('The secret was "Xy9-abc-def".', 'The secret was "[REDACTED]".'),
        ("Your new API key is set to Ak3yV4lue99", "Your new API key is set to [REDACTED]"),
        ("PIN is: 48151623", "PIN is: [REDACTED]"),
    ],
)
def test_secrets_told_in_prose_are_redacted(
    rules: RedactionRules, line: str, expected: str
) -> None:
    assert rules.redact(line) == expected


def test_prose_about_secrets_without_one_stays_readable(rules: RedactionRules) -> None:
    line = (
        "Password is incorrect; the token was expired; secret is missing; "
        "Access token is valid for 3599 seconds; tokens are None"
    )
    assert rules.redact(line) == line


def test_letters_only_bearer_values_of_16_or_more_characters_are_redacted(
    rules: RedactionRules,
) -> None:
    assert rules.redact("retry with Bearer abcdefghijklmnop") == "retry with Bearer [REDACTED]"
    kept = "Bearer authentication failed; Bearer authorization required"
    assert rules.redact(kept) == kept
