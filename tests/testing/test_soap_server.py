"""LocalApiServer's SOAP services through zeep and ``SoapAPI``: values, faults, injection."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from txo_runtime.api_factory import create_soap_api
from txo_runtime.exceptions import (
    ApiAuthenticationError,
    ApiError,
    ApiOperationError,
    ApiTimeoutError,
    ApiValidationError,
)
from txo_runtime.soap_api_helpers import SoapAPI
from txo_runtime.testing import LocalApiServer, SoapFault, SoapOperation
from txo_runtime.testing.pytest_plugin import demo_test_config
from txo_runtime.testing.server import build_demo_server

zeep = pytest.importorskip("zeep")
from zeep.helpers import serialize_object  # noqa: E402 (after the importorskip)

SERVICE = "CustomerService"
PATH = f"/soap/{SERVICE}"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
CUSTOMERS = [
    {"ID": 1, "Name": "Anna O'Brien & Co", "Revenue": 12.5, "Active": True},
    {"ID": 2, "Name": "Liam <Smith>", "Revenue": 0.25, "Active": False},
    {"ID": 3, "Name": "Müller", "Revenue": None, "Active": True},
]
FIELDS = {"ID": int, "Name": str, "Revenue": float, "Active": bool}


def get_customers(parameters: dict[str, Any]) -> list[dict[str, Any]]:
    active = parameters.get("active")
    rows = [c for c in CUSTOMERS if active is None or c["Active"] is active]
    return rows[: parameters.get("limit", len(rows))]


def fail(parameters: dict[str, Any]) -> None:
    reason = parameters["reason"]
    if reason == "bad-input":
        raise SoapFault("Order 7 does not exist", "Client.UnknownOrder")
    if reason == "login":
        raise SoapFault("Wrong password", "Client.AuthenticationFailed")
    raise RuntimeError("database is down")


@pytest.fixture
def server(txo_api_server: LocalApiServer) -> LocalApiServer:
    txo_api_server.add_soap_service(
        SERVICE,
        {
            "GetCustomers": SoapOperation(
                get_customers, parameters={"limit": int, "active": bool}, fields=FIELDS
            ),
            "Echo": SoapOperation(lambda p: p["text"], parameters={"text": str}),
            "ListTags": lambda _: ["red", "green"],
            "Fail": SoapOperation(fail, parameters={"reason": str}),
        },
    )
    return txo_api_server


@pytest.fixture
def waits() -> list[float]:
    """The retry waits SoapAPI asked for (recorded instead of slept)."""
    return []


@pytest.fixture
def soap(server: LocalApiServer, waits: list[float]) -> Iterator[SoapAPI]:
    config = demo_test_config()  # 3 retries, backoff 0.1, soap timeout 10 s
    with create_soap_api(config, server.wsdl_url(SERVICE), sleep=waits.append) as api:
        yield api


def _envelope(body: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns="urn:txo:local:{SERVICE}">'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def _fault_of(response: requests.Response) -> tuple[str, str]:
    fault = ET.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, response.text
    return fault.findtext("faultcode", ""), fault.findtext("faultstring", "")


# -- calls ------------------------------------------------------------------------------------
def test_plain_zeep_reads_the_wsdl_and_gets_typed_records(server: LocalApiServer) -> None:
    client = zeep.Client(server.wsdl_url(SERVICE))

    assert serialize_object(client.service.GetCustomers(), dict) == CUSTOMERS


def test_parameters_reach_the_handler_converted_to_their_declared_types(soap: SoapAPI) -> None:
    assert [row.ID for row in soap.call("GetCustomers", active=True)] == [1, 3]
    assert [row.ID for row in soap.service.GetCustomers(active=False, limit=5)] == [2]
    assert [row.ID for row in soap.call("GetCustomers", limit=1)] == [1]
    assert soap.service.Echo(text=" spaced & <escaped> ") == [" spaced & <escaped> "]
    assert soap.call("ListTags") == ["red", "green"]
    assert soap.operations() == ["Echo", "Fail", "GetCustomers", "ListTags"]


def test_the_wsdl_names_the_server_address_and_every_operation(server: LocalApiServer) -> None:
    response = requests.get(server.wsdl_url(SERVICE), timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    wsdl = ET.fromstring(response.content)
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and address.get("location") == server.soap_url(SERVICE)
    port_type = wsdl.find(f"{{{WSDL_NS}}}portType")
    assert port_type is not None
    names = [op.get("name") for op in port_type.iter(f"{{{WSDL_NS}}}operation")]
    assert names == ["GetCustomers", "Echo", "ListTags", "Fail"]


def test_an_answer_without_items_is_empty(txo_api_server: LocalApiServer) -> None:
    txo_api_server.add_soap_service("Empty", {"Nothing": lambda _: []})
    with SoapAPI(txo_api_server.wsdl_url("Empty")) as api:
        assert not api.call("Nothing")


def test_requests_are_logged_like_any_other(server: LocalApiServer, soap: SoapAPI) -> None:
    soap.call("Echo", text="logged")

    (post,) = [r for r in server.requests if r.method == "POST"]
    assert post.path == PATH and b">logged<" in post.body
    assert server.hits(PATH, method="GET") == 1  # the WSDL, loaded once


# -- faults -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "error_class", "code", "message"),
    [
        ("bad-input", ApiValidationError, "soap:Client.UnknownOrder", "Order 7 does not exist"),
        ("login", ApiAuthenticationError, "soap:Client.AuthenticationFailed", "Wrong password"),
        ("crash", ApiOperationError, "soap:Server", "RuntimeError: database is down"),
    ],
)
def test_a_raising_handler_is_a_fault_that_soap_api_maps_to_a_txo_error(
    server: LocalApiServer,
    soap: SoapAPI,
    reason: str,
    error_class: type[ApiError],
    code: str,
    message: str,
) -> None:
    with pytest.raises(ApiError) as caught:
        soap.call("Fail", reason=reason)

    assert type(caught.value) is error_class
    assert caught.value.context.details["fault_code"] == code
    assert caught.value.context.details["fault_message"] == message
    assert server.hits(PATH, method="POST") == 1  # faults are not retried by default


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"this is not xml", "The request is not XML"),
        (b"<Envelope/>", "Expected a SOAP 1.1 Envelope"),
        (_envelope("<Nope/>"), "has no operation 'Nope'"),
        (_envelope("<GetCustomers><limit>ten</limit></GetCustomers>"), "limit must be xs:int"),
        (_envelope("<GetCustomers><active>yes</active></GetCustomers>"), "must be xs:boolean"),
    ],
)
def test_a_bad_request_is_a_client_fault(server: LocalApiServer, body: bytes, message: str) -> None:
    response = requests.post(server.soap_url(SERVICE), data=body, timeout=5)

    code, text = _fault_of(response)
    assert (response.status_code, code) == (500, "soap:Client")
    assert message in text


def test_a_handler_returning_the_wrong_shape_is_a_server_fault(
    txo_api_server: LocalApiServer,
) -> None:
    txo_api_server.add_soap_service("Odd", {"Get": SoapOperation(lambda _: "x", fields=FIELDS)})
    body = _envelope("<Get/>").replace(b"CustomerService", b"Odd")
    response = requests.post(txo_api_server.soap_url("Odd"), data=body, timeout=5)

    code, text = _fault_of(response)
    assert code == "soap:Server" and "items of this operation are dicts" in text


def test_unknown_services_and_methods_are_http_errors(server: LocalApiServer) -> None:
    assert requests.post(server.soap_url("Nope"), data=b"", timeout=5).status_code == 404
    response = requests.put(server.soap_url(SERVICE), data=b"", timeout=5)
    assert response.status_code == 405 and response.headers["Allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("name", "operations"),
    [
        ("Bad Name", {"Op": lambda _: None}),
        ("Service", {"bad-op": lambda _: None}),
        ("Service", {}),
    ],
)
def test_unusable_names_and_types_are_rejected_up_front(
    txo_api_server: LocalApiServer, name: str, operations: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        txo_api_server.add_soap_service(name, operations)


def test_only_str_int_float_and_bool_are_soap_types() -> None:
    with pytest.raises(ValueError, match="must be one of str/int/float/bool"):
        SoapOperation(lambda _: None, parameters={"when": dict})


# -- fault injection --------------------------------------------------------------------------
def test_an_injected_503_is_retried_and_the_call_succeeds(
    server: LocalApiServer, soap: SoapAPI, waits: list[float]
) -> None:
    server.add_fault(PATH, method="POST", status=503, times=1, headers={"Retry-After": "0"})

    assert soap.call("Echo", text="after the 503") == ["after the 503"]  # one item
    assert server.hits(PATH, method="POST") == 2
    assert len(waits) == 1


def test_a_503_that_never_ends_exhausts_the_retries(
    server: LocalApiServer, soap: SoapAPI, waits: list[float]
) -> None:
    server.add_fault(PATH, method="POST", status=503)

    with pytest.raises(ApiOperationError) as caught:
        soap.call("Echo", text="x")

    assert caught.value.status_code == 503 and caught.value.attempts == 4
    assert server.hits(PATH, method="POST") == 4 and len(waits) == 3


def test_a_slow_answer_beyond_the_soap_timeout_is_a_timeout_error(server: LocalApiServer) -> None:
    config = demo_test_config()
    config["script-behavior"]["api-timeouts"]["soap-timeout-seconds"] = 0.2
    held = server.add_fault(PATH, method="POST", kind="hold")  # answers only when released
    with create_soap_api(config, server.wsdl_url(SERVICE)) as api, pytest.raises(ApiTimeoutError):
        api.call("Echo", text="slow")
    held.release()

    deadline = time.monotonic() + 30  # a busy server may record the request late
    while server.hits(PATH, method="POST") < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.hits(PATH, method="POST") == 1  # a timed-out POST is not repeated


# -- the demo service -------------------------------------------------------------------------
def test_the_demo_server_serves_what_the_template_soap_starter_calls() -> None:
    with build_demo_server() as server, SoapAPI(server.wsdl_url(SERVICE)) as api:
        rows = serialize_object(api.call("GetCustomers"), dict)
        irish = api.call("GetCustomers", Country="IE")

    assert [row["ID"] for row in rows] == list(range(1, 21))
    assert set(rows[0]) == {"ID", "Name", "City", "Country", "Revenue", "CreatedAt"}
    assert irish and {row.Country for row in irish} == {"IE"}


def test_wsdl_download_counts_against_the_rate_limit(server: LocalApiServer) -> None:
    from txo_runtime.api_common import RateLimiter

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(1, burst_size=1, clock=lambda: now[0], sleep=sleep)
    with SoapAPI(server.wsdl_url(SERVICE), rate_limiter=limiter) as api:
        assert slept == []  # the WSDL download took the only token
        api.call("Echo", text="x")
    assert slept == [pytest.approx(1.0)]  # so the first call waited for the next one
