"""Which SOAP values are registered for exact-value log redaction, and how.

Against the package's own loopback SOAP server (``LocalApiServer.add_soap_service``) and
real lxml envelopes: only credential elements of *requests* are registered, in one batch
per envelope, never a ``PasswordPolicy`` value or a response's ``PaymentToken`` column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from txo_runtime.logger import redact, reset_logging
from txo_runtime.logger._state import state
from txo_runtime.soap_api_helpers import MASK, SoapAPI, _masking, mask_xml
from txo_runtime.testing import LocalApiServer, SoapOperation

pytestmark = pytest.mark.integration

ENVELOPE = b"""<Envelope xmlns="urn:t" xmlns:wsse="urn:wsse"><Body><Login>
<wsse:Password>Sent-P4ssword</wsse:Password><api_key>Sent-Api-K3y</api_key>
<PasswordPolicy>Standard</PasswordPolicy><PaymentToken>pt000123</PaymentToken>
<Nonce>bm9uY2VWYWx1ZTEyMw==</Nonce></Login></Body></Envelope>"""


@pytest.fixture(autouse=True)
def _no_registered_secrets() -> Iterator[None]:
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def local_server() -> Iterator[LocalApiServer]:
    rows = [{"ID": i, "PaymentToken": f"pt{i:06d}"} for i in range(50)]
    server = LocalApiServer()
    server.start()
    server.add_soap_service(
        "S",
        {
            "Policy": SoapOperation(lambda p: "ok", parameters={"PasswordPolicy": str}),
            "Login": SoapOperation(lambda p: "session", parameters={"Password": str}),
            "List": SoapOperation(
                lambda p: rows, parameters={}, fields={"ID": int, "PaymentToken": str}
            ),
        },
    )
    try:
        yield server
    finally:
        server.stop()


def test_only_exact_credential_names_are_registered_in_one_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batches: list[list[str]] = []
    real_register = _masking.register_secrets

    def recording(values: list[str]) -> None:
        batches.append(list(values))
        real_register(values)

    monkeypatch.setattr(_masking, "register_secrets", recording)
    _masking.register_element_secrets(etree.fromstring(ENVELOPE))

    assert batches == [["Sent-P4ssword", "Sent-Api-K3y"]]  # no policy, payment token, nonce
    assert redact("Standard plan, invoice pt000123") == "Standard plan, invoice pt000123"
    assert redact("echo Sent-P4ssword") == "echo [REDACTED]"


def test_logged_bodies_mask_credentials_but_keep_look_alike_names() -> None:
    masked = mask_xml(ENVELOPE)
    assert "Sent-P4ssword" not in masked and "Sent-Api-K3y" not in masked
    assert f"<Nonce>{MASK}</Nonce>" in masked
    assert "<PasswordPolicy>Standard</PasswordPolicy>" in masked
    assert "<PaymentToken>pt000123</PaymentToken>" in masked


def test_requests_register_credentials_and_responses_register_nothing(
    local_server: LocalApiServer,
) -> None:
    with SoapAPI(local_server.wsdl_url("S"), cache=None) as client:
        client.call("Policy", PasswordPolicy="Standard")
        rows: Any = client.call("List")
        assert len(state().secrets) == 0  # neither "Standard" nor 50 payment tokens
        client.call("Login", Password="Requ3st-P4ssword")

    assert len(rows) == 50
    assert len(state().secrets) == 1
    assert redact("Standard plan pt000007 Requ3st-P4ssword") == "Standard plan pt000007 [REDACTED]"


def test_digest_password_and_nonce_are_not_registered_on_every_call(
    local_server: LocalApiServer,
) -> None:
    from zeep.wsse.username import UsernameToken

    token = UsernameToken("bob", "Hunter2Secret", use_digest=True)
    with SoapAPI(local_server.wsdl_url("S"), wsse=token, cache=None) as client:
        for _ in range(3):
            client.call("Policy", PasswordPolicy="Standard")

    assert len(state().secrets) == 0  # a fresh digest and nonce per call would pile up
