"""SOAP keeps credentials on the WSDL's origin, as REST keeps its bearer token on the
caller's: a WSDL whose service address names another server gets a clear error, and that
server receives nothing, unless the endpoint is configured explicitly. Errors name the
endpoint that was called, not the WSDL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from txo_runtime.exceptions import ApiError, ApiOperationError
from txo_runtime.soap_api_helpers import SoapAPI
from txo_runtime.testing import LocalApiServer, SoapOperation

zeep = pytest.importorskip("zeep")
from zeep.wsse.username import UsernameToken  # noqa: E402 (after the importorskip)

SERVICE = "Orders"
PASSWORD = "wsse-Password-never-elsewhere-91"
BASIC = ("soap-user", "basic-Password-never-elsewhere-92")


def _serve(server: LocalApiServer) -> LocalApiServer:
    server.add_soap_service(
        SERVICE, {"Echo": SoapOperation(lambda p: p["text"], parameters={"text": str})}
    )
    return server


@pytest.fixture
def other() -> Iterator[LocalApiServer]:
    """The second server, the one the WSDL's service address points at."""
    with _serve(LocalApiServer()) as server:
        yield server


@pytest.fixture
def wsdl_host(txo_api_server: LocalApiServer, other: LocalApiServer) -> LocalApiServer:
    """Serves (GET) a WSDL whose soap:address is the other server's endpoint."""
    _serve(txo_api_server)
    foreign_wsdl = requests.get(other.wsdl_url(SERVICE), timeout=10).text
    txo_api_server.add_fault(
        f"/soap/{SERVICE}",
        method="GET",
        status=200,
        body=foreign_wsdl,
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )
    return txo_api_server


def _client(wsdl_host: LocalApiServer, **options: object) -> SoapAPI:
    api = SoapAPI(
        wsdl_host.wsdl_url(SERVICE), wsse=UsernameToken("soap-user", PASSWORD), cache=None,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip
    api.session.auth = BASIC
    return api


def _credentials_seen_by(server: LocalApiServer) -> list[str]:
    found = []
    for request in server.requests:
        text = request.body.decode("utf-8", "replace") + repr(dict(request.headers))
        if PASSWORD in text or "Authorization" in repr(dict(request.headers)):
            found.append(f"{request.method} {request.path}")
    return found


def test_a_wsdl_naming_another_host_gets_a_clear_error_and_that_host_no_credentials(
    wsdl_host: LocalApiServer, other: LocalApiServer
) -> None:
    with _client(wsdl_host) as api, pytest.raises(ApiOperationError) as caught:
        api.service.Echo(text="hi")
    message = str(caught.value)
    assert other.soap_url(SERVICE) in message and "another origin" in message
    assert "endpoint" in (caught.value.how_to_fix or "")
    assert [r.method for r in other.requests] == ["GET"]  # only the fixture's WSDL fetch
    assert _credentials_seen_by(other) == []


def test_an_explicit_endpoint_is_where_the_credentials_may_go(
    wsdl_host: LocalApiServer, other: LocalApiServer
) -> None:
    with _client(wsdl_host, endpoint=other.soap_url(SERVICE)) as api:
        assert api.service.Echo(text="hi") == ["hi"]
        assert api.endpoint == other.soap_url(SERVICE)
    posts = [r for r in other.requests if r.method == "POST"]
    assert len(posts) == 1 and PASSWORD in posts[0].body.decode()


@pytest.mark.parametrize(
    ("status", "body"), [(404, None), (500, "<html>proxy error</html>"), (200, "not xml")]
)
def test_a_soap_http_error_names_the_endpoint_called_not_the_wsdl(
    txo_api_server: LocalApiServer, status: int, body: str | None
) -> None:
    _serve(txo_api_server)
    txo_api_server.add_fault(f"/soap/{SERVICE}", method="POST", status=status, body=body)
    with (
        SoapAPI(txo_api_server.wsdl_url(SERVICE), cache=None) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.service.Echo(text="hi")
    assert caught.value.url == txo_api_server.soap_url(SERVICE)
    assert "?wsdl" not in str(caught.value)


def test_a_redirect_of_the_envelope_is_not_followed_so_credentials_stay_put(
    txo_api_server: LocalApiServer, other: LocalApiServer
) -> None:
    _serve(txo_api_server)
    location = {"Location": other.soap_url(SERVICE)}
    txo_api_server.add_fault(f"/soap/{SERVICE}", method="POST", status=307, headers=location)
    with _client(txo_api_server) as api, pytest.raises(ApiError) as caught:
        api.service.Echo(text="hi")
    assert caught.value.status_code == 307
    assert other.requests == [] and _credentials_seen_by(other) == []
