"""REST calls, SOAP operations, OAuth token requests and WSDL downloads judge the same
outcomes the same way: one engine, one classification. Real local server, scripted faults;
waits are recorded by an injected sleep, never slept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from refused_port import refused_url

from txo_runtime.api_common import CircuitBreaker, RetryPolicy
from txo_runtime.exceptions import ApiError, ApiValidationError
from txo_runtime.oauth_helpers import OAuthManager
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer, SoapFault, SoapOperation

pytest.importorskip("zeep")
from txo_runtime.soap_api_helpers import SoapAPI  # noqa: E402 (after the importorskip)

CLIENT_ID = "engine-client"
SECRET = "engine-S3cret-Value-0123456789"
SERVICE = "Engine"
POLICY = RetryPolicy(max_retries=2, backoff_factor=1.0, jitter_min=1.0, jitter_max=1.0)


@dataclass(frozen=True)
class Observed:
    """What a call did, seen from outside: requests that reached the scripted path,
    retry waits, whether it succeeded, and the failures the circuit breaker counted."""

    hits: int
    waits: int
    succeeded: bool
    breaker_failures: int


RETRIED = Observed(hits=2, waits=1, succeeded=True, breaker_failures=0)
FINAL_FAILURE = Observed(hits=1, waits=0, succeeded=False, breaker_failures=1)
FINAL_ANSWER = Observed(hits=1, waits=0, succeeded=False, breaker_failures=0)


@dataclass(frozen=True)
class Client:
    """One kind of request: where it goes (path, method) and how it is made."""

    name: str
    path: str
    method: str
    call: Callable[[str, Callable[[], None], CircuitBreaker, list[float]], None]
    soap: bool = False  # given the WSDL URL, not the server's base URL


def fail_soap(parameters: dict[str, Any]) -> None:
    if parameters["kind"] == "client":
        raise SoapFault("Order 7 does not exist", "Client.UnknownOrder")
    raise RuntimeError("database is down")


@pytest.fixture
def server(txo_api_server: LocalApiServer) -> LocalApiServer:
    txo_api_server.add_collection("orders", [])
    txo_api_server.add_client(CLIENT_ID, SECRET)
    txo_api_server.add_soap_service(
        SERVICE,
        {
            "Echo": SoapOperation(lambda p: p["text"], parameters={"text": str}),
            "Fail": SoapOperation(fail_soap, parameters={"kind": str}),
        },
    )
    return txo_api_server


def rest_post(base: str, arm: Callable[[], None], breaker: CircuitBreaker, waits: list) -> None:
    arm()
    policy = {"retry_policy": POLICY, "circuit_breaker": breaker, "sleep": waits.append}
    with MinimalRestAPI(base_url=base, **policy) as api:
        api.post("/api/orders", json={"item": "fig"})


def soap_call(wsdl: str, arm: Callable[[], None], breaker: CircuitBreaker, waits: list) -> None:
    policy = {"retry_policy": POLICY, "circuit_breaker": breaker, "sleep": waits.append}
    with SoapAPI(wsdl, cache=None, **policy) as api:  # the WSDL loads before the fault
        arm()
        api.call("Echo", text="x")


def token_request(base: str, arm: Callable[[], None], breaker: CircuitBreaker, waits: list) -> None:
    arm()
    config = {
        "global": {"oauth-token-url": f"{base}/oauth2/token", "client-id": CLIENT_ID,
                   "oauth-scope": "api://engine/.default"},
        "_client_secret": SECRET,
    }  # fmt: skip
    manager = OAuthManager(retry_policy=POLICY, circuit_breaker=breaker, sleep=waits.append)
    manager.get_token(config)


def wsdl_load(wsdl: str, arm: Callable[[], None], breaker: CircuitBreaker, waits: list) -> None:
    arm()
    policy = {"retry_policy": POLICY, "circuit_breaker": breaker, "sleep": waits.append}
    SoapAPI(wsdl, cache=None, **policy).close()


CLIENTS = [
    Client("rest POST", "/api/orders", "POST", rest_post),
    Client("soap operation", f"/soap/{SERVICE}", "POST", soap_call, soap=True),
    Client("oauth token", "/oauth2/token", "POST", token_request),
    Client("wsdl GET", f"/soap/{SERVICE}", "GET", wsdl_load, soap=True),
]


def target(client: Client, server: LocalApiServer) -> str:
    """What the client is given: a base URL, or the WSDL for the SOAP clients."""
    return server.wsdl_url(SERVICE) if client.soap else server.url


def observe(client: Client, server: LocalApiServer, where: str, fault: dict[str, Any]) -> Observed:
    breaker = CircuitBreaker(failure_threshold=100)
    waits: list[float] = []

    def arm() -> None:  # scripts the fault when the client is ready for it
        if fault:
            server.add_fault(client.path, method=client.method, **fault)

    try:
        client.call(where, arm, breaker, waits)
        succeeded = True
    except ApiError:
        succeeded = False
    hits = server.hits(client.path, method=client.method)
    return Observed(hits, len(waits), succeeded, breaker.failure_count)


SCENARIOS = {
    "429 with Retry-After, then 200": (
        {"status": 429, "times": 1, "headers": {"Retry-After": "3"}},
        dict.fromkeys(("rest POST", "soap operation", "oauth token", "wsdl GET"), RETRIED),
    ),
    "503, then 200": (
        {"status": 503, "times": 1},
        dict.fromkeys(("rest POST", "soap operation", "oauth token", "wsdl GET"), RETRIED),
    ),
    "500, then 200": (
        {"status": 500, "times": 1},
        {
            "rest POST": FINAL_FAILURE,
            "soap operation": FINAL_FAILURE,
            "oauth token": FINAL_FAILURE,
            "wsdl GET": RETRIED,
        },
    ),  # fmt: skip
    "connection reset, then 200": (
        {"kind": "reset", "times": 1},
        {
            "rest POST": FINAL_FAILURE,
            "soap operation": FINAL_FAILURE,
            "oauth token": FINAL_FAILURE,
            "wsdl GET": RETRIED,
        },
    ),  # fmt: skip
    "400": (
        {"status": 400},
        dict.fromkeys(("rest POST", "soap operation", "oauth token", "wsdl GET"), FINAL_ANSWER),
    ),
}


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.name)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_client_treats_the_same_outcome_the_same_way(
    server: LocalApiServer, client: Client, scenario: str
) -> None:
    fault, expected = SCENARIOS[scenario]
    assert observe(client, server, target(client, server), fault) == expected[client.name]


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.name)
def test_every_client_waits_at_least_the_servers_retry_after(
    server: LocalApiServer, client: Client
) -> None:
    server.add_fault(client.path, method=client.method, status=429, times=2,
                     headers={"Retry-After": "4"})  # fmt: skip
    waits: list[float] = []
    client.call(target(client, server), lambda: None, CircuitBreaker(), waits)
    assert waits == [4.0, 4.0]  # never shorter than Retry-After (backoff 1 s, 2 s)


def _wsdl_pointing_at(server: LocalApiServer, base: str, folder: Path) -> str:
    """The service's WSDL saved to a file, with its address moved to ``base``."""
    text = requests.get(server.wsdl_url(SERVICE), timeout=5).text
    path = folder / f"{SERVICE}.wsdl"
    path.write_text(text.replace(server.url, base), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.name)
def test_every_client_retries_a_refused_connection_even_for_a_post(
    server: LocalApiServer, client: Client, tmp_path: Path
) -> None:
    with refused_url() as base:
        if client.name == "soap operation":
            where = _wsdl_pointing_at(server, base, tmp_path)  # WSDL from a file, POST refused
        elif client.name == "wsdl GET":
            where = f"{base}/soap/{SERVICE}?wsdl"
        else:
            where = base
        observed = observe(client, server, where, {})
    assert observed == Observed(hits=0, waits=2, succeeded=False, breaker_failures=3)


@pytest.mark.parametrize(
    ("kind", "error", "posts", "breaker_failures"),
    [("client", ApiValidationError, 1, 0), ("server", ApiError, 3, 3)],
)
def test_a_soap_client_fault_in_a_500_is_final_and_no_breaker_failure_even_when_idempotent(
    server: LocalApiServer, kind: str, error: type[ApiError], posts: int, breaker_failures: int
) -> None:
    breaker = CircuitBreaker(failure_threshold=100)
    waits: list[float] = []
    with (
        SoapAPI(server.wsdl_url(SERVICE), cache=None, retry_policy=POLICY, idempotent=True,
                circuit_breaker=breaker, sleep=waits.append) as api,
        pytest.raises(error),
    ):  # fmt: skip
        api.call("Fail", kind=kind)
    assert server.hits(f"/soap/{SERVICE}", method="POST") == posts
    assert breaker.failure_count == breaker_failures
