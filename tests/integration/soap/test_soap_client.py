"""SoapAPI against a real spyne SOAP server on loopback (see conftest.py)."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator

import pytest
import requests
from fake_time import FakeTime

try:
    from spyne_service import SESSION_PREFIX, VALID_PASSWORD, VALID_USER, SoapServer
except ImportError:  # spyne 2.14 runs on Python < 3.13 only (it imports cgi)
    pytest.skip("spyne is not available", allow_module_level=True)
from txo_runtime.api_common import CircuitBreaker, RateLimiter, RetryPolicy
from txo_runtime.exceptions import (
    ApiAuthenticationError,
    ApiError,
    ApiOperationError,
    ApiRateLimitError,
    ApiTimeoutError,
    ApiValidationError,
    CircuitBreakerOpenError,
    HelpfulError,
)
from txo_runtime.soap_api_helpers import MASK, SoapAPI

pytestmark = pytest.mark.integration

# Only the timeout test uses a short client timeout, against an operation that waits far
# longer (released at teardown); every other call gets a generous one, so a busy machine
# cannot turn a slow answer into a failed test.
FAST_TIMEOUT = 0.5
SLOW_SECONDS = 60.0
GENEROUS_TIMEOUT = 60.0


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api(server: SoapServer) -> Iterator[SoapAPI]:
    with SoapAPI(server.wsdl_url, operation_timeout=GENEROUS_TIMEOUT, cache=None) as client:
        yield client


def no_wait_policy(max_retries: int = 2) -> RetryPolicy:
    return RetryPolicy(max_retries=max_retries, backoff_factor=0.0)


def test_authenticated_operation_succeeds_with_valid_credentials(api: SoapAPI) -> None:
    assert api.service.Login(username=VALID_USER, password=VALID_PASSWORD) == (
        SESSION_PREFIX + VALID_USER
    )
    assert api.call("Echo", text="hello") == "hello"


def test_wrong_password_fault_becomes_authentication_error_with_code_and_message(
    api: SoapAPI, server: SoapServer
) -> None:
    with pytest.raises(ApiAuthenticationError) as caught:
        api.service.Login(username=VALID_USER, password="wrong-password")

    error = caught.value
    assert error.context is not None and error.context.details is not None
    assert error.context.details["fault_code"] == "soap11env:Client.AuthenticationFailed"
    assert error.context.details["fault_message"] == "Bad login"
    assert "Bad login" in str(error) and "Client.AuthenticationFailed" in str(error)
    assert len(server.posts()) == 1


@pytest.mark.parametrize(
    ("kind", "error_class", "code", "message"),
    [
        ("client", ApiValidationError, "soap11env:Client.InvalidCustomer", "Customer 42 unknown"),
        ("server", ApiOperationError, "soap11env:Server.Boom", "Database is down"),
    ],
)
def test_faults_map_to_the_runtime_exceptions_by_fault_code(
    api: SoapAPI, kind: str, error_class: type[ApiError], code: str, message: str
) -> None:
    with pytest.raises(error_class) as caught:
        api.service.Fail(kind=kind)

    assert type(caught.value) is error_class
    assert caught.value.context is not None and caught.value.context.details is not None
    assert caught.value.context.details["fault_code"] == code
    assert message in str(caught.value)


def test_slow_operation_raises_api_timeout_error_after_one_attempt(server: SoapServer) -> None:
    with (
        SoapAPI(server.wsdl_url, operation_timeout=FAST_TIMEOUT, cache=None) as api,
        pytest.raises(ApiTimeoutError) as caught,
    ):
        api.service.Slow(seconds=SLOW_SECONDS)

    assert caught.value.timeout_seconds == FAST_TIMEOUT
    assert caught.value.attempts == 1  # a SOAP POST is not idempotent: a timeout is not retried
    deadline = time.monotonic() + 30  # a busy server may record the request late
    while not server.posts() and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for a condition, not asserting a duration
    assert len(server.posts()) == 1
    server.release_slow.set()  # let the waiting operation end now instead of at teardown


def test_password_in_request_body_is_absent_from_debug_logs(api: SoapAPI) -> None:
    # A plain formatter: the transport itself must not log the password.
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(name) for name in ("zeep", "urllib3", "txo_runtime")]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.addHandler(handler)
        each.setLevel(logging.DEBUG)
    try:
        api.service.Login(username=VALID_USER, password=VALID_PASSWORD)
    finally:
        for each, level in zip(loggers, levels, strict=True):
            each.removeHandler(handler)
            each.setLevel(level)

    output = captured.getvalue()
    assert "zeep.transports DEBUG HTTP Post to" in output
    assert "Login" in output and VALID_USER in output
    assert f"password>{MASK}<" in output
    assert VALID_PASSWORD not in output


def test_registered_secret_is_redacted_even_outside_a_password_element(
    server: SoapServer,
) -> None:
    redacting = pytest.importorskip("txo_runtime.logger").RedactingFormatter
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(redacting("%(name)s %(message)s"))
    transport_logger = logging.getLogger("zeep.transports")
    transport_logger.addHandler(handler)
    transport_logger.setLevel(logging.DEBUG)
    try:
        with SoapAPI(server.wsdl_url, cache=None) as client:
            client.service.Login(username=VALID_USER, password=VALID_PASSWORD)
            client.service.Echo(text=f"echo {VALID_PASSWORD} back")  # no password element
    finally:
        transport_logger.removeHandler(handler)
        transport_logger.setLevel(logging.NOTSET)

    output = captured.getvalue()
    assert "Echo" in output
    assert VALID_PASSWORD not in output


def test_history_plugin_keeps_a_masked_copy_while_the_server_gets_the_password(
    server: SoapServer,
) -> None:
    from lxml import etree

    with SoapAPI(server.wsdl_url, history=2, cache=None) as client:
        client.service.Login(username=VALID_USER, password=VALID_PASSWORD)
        assert client.history is not None
        sent = etree.tostring(client.history.last_sent["envelope"]).decode()

    assert VALID_PASSWORD not in sent
    assert MASK in sent and VALID_USER in sent
    assert VALID_PASSWORD.encode() in server.posts()[0].body


def test_soap_client_fetches_the_wsdl_through_its_own_session(server: SoapServer) -> None:
    rest_session = requests.Session()
    with SoapAPI(server.wsdl_url, cache=None) as client:
        assert client.transport.session is client.session
        assert client.session is not rest_session

    wsdl_gets = server.gets()
    assert len(wsdl_gets) == 1
    assert wsdl_gets[0].user_agent.startswith("Zeep/")  # zeep's session, not a shared one
    assert "Zeep" not in rest_session.headers["User-Agent"]


def test_rate_limiter_gates_every_soap_call(server: SoapServer, fake_time: FakeTime) -> None:
    limiter = RateLimiter(2, burst_size=1, clock=fake_time.clock, sleep=fake_time.sleep)

    with SoapAPI(server.wsdl_url, rate_limiter=limiter, cache=None) as client:
        for text in ("a", "b", "c"):
            client.service.Echo(text=text)

    assert len(server.posts()) == 3
    # 2 calls/s; the WSDL download took the first token, so every call waited once
    assert fake_time.sleeps == pytest.approx([0.5, 0.5, 0.5])


def test_503_with_retry_after_is_retried_even_for_a_non_idempotent_post(
    server: SoapServer, fake_time: FakeTime
) -> None:
    server.script((503, "1"), (503, "2"))
    with SoapAPI(
        server.wsdl_url, retry_policy=no_wait_policy(), sleep=fake_time.sleep, cache=None
    ) as client:
        assert client.service.Echo(text="ok") == "ok"

    assert len(server.posts()) == 3
    assert fake_time.sleeps[0] >= 1 and fake_time.sleeps[1] >= 2  # Retry-After honoured


def test_429_after_the_last_retry_raises_rate_limit_error_with_attempts(
    server: SoapServer, fake_time: FakeTime
) -> None:
    server.script((429, "0"), (429, "0"))
    with (
        SoapAPI(
            server.wsdl_url, retry_policy=no_wait_policy(1), sleep=fake_time.sleep, cache=None
        ) as client,
        pytest.raises(ApiRateLimitError) as caught,
    ):
        client.service.Echo(text="x")

    assert caught.value.attempts == 2
    assert len(server.posts()) == 2


def test_http_401_is_an_authentication_error_and_is_not_retried(server: SoapServer) -> None:
    server.script((401, None))
    with (
        SoapAPI(server.wsdl_url, retry_policy=no_wait_policy(), cache=None) as client,
        pytest.raises(ApiAuthenticationError),
    ):
        client.service.Echo(text="x")

    assert len(server.posts()) == 1


def test_server_faults_are_retried_only_for_idempotent_clients(
    server: SoapServer, fake_time: FakeTime
) -> None:
    for idempotent, expected_posts in ((False, 1), (True, 3)):
        server.reset()
        with (
            SoapAPI(
                server.wsdl_url,
                retry_policy=no_wait_policy(),
                idempotent=idempotent,
                sleep=fake_time.sleep,
                cache=None,
            ) as client,
            pytest.raises(ApiOperationError),
        ):
            client.service.Fail(kind="server")
        assert len(server.posts()) == expected_posts


def test_client_faults_are_never_retried_even_for_idempotent_clients(server: SoapServer) -> None:
    with (
        SoapAPI(
            server.wsdl_url, retry_policy=no_wait_policy(), idempotent=True, cache=None
        ) as client,
        pytest.raises(ApiValidationError),
    ):
        client.service.Fail(kind="client")

    assert len(server.posts()) == 1


def test_server_faults_open_the_circuit_and_then_calls_fail_without_a_request(
    server: SoapServer, fake_time: FakeTime
) -> None:
    breaker = CircuitBreaker(failure_threshold=2, timeout_seconds=60, clock=fake_time.clock)
    with SoapAPI(server.wsdl_url, circuit_breaker=breaker, cache=None) as client:
        for _ in range(2):
            with pytest.raises(ApiOperationError):
                client.service.Fail(kind="server")
        with pytest.raises(CircuitBreakerOpenError):
            client.service.Echo(text="never sent")

    assert len(server.posts()) == 2


def test_client_faults_do_not_open_the_circuit(server: SoapServer, fake_time: FakeTime) -> None:
    breaker = CircuitBreaker(failure_threshold=2, timeout_seconds=60, clock=fake_time.clock)
    with SoapAPI(server.wsdl_url, circuit_breaker=breaker, cache=None) as client:
        for _ in range(3):
            with pytest.raises(ApiValidationError):
                client.service.Fail(kind="client")
        assert client.service.Echo(text="still open for business") == "still open for business"

    assert breaker.state.value == "closed"


def test_unknown_operation_names_the_available_ones(api: SoapAPI) -> None:
    with pytest.raises(HelpfulError) as caught:
        api.call("DeleteEverything")

    assert "Echo, Fail, Login, Slow" in str(caught.value)


def test_unreachable_wsdl_is_an_api_error_naming_the_url() -> None:
    closed_port = "http://127.0.0.1:9/service?wsdl"  # discard port: nothing listens

    with pytest.raises(ApiOperationError) as caught:
        SoapAPI(closed_port, wsdl_timeout=2, cache=None)

    assert closed_port in str(caught.value)


def test_repr_shows_no_credentials(server: SoapServer) -> None:
    with SoapAPI(server.wsdl_url, secrets=[VALID_PASSWORD], cache=None) as client:
        assert VALID_PASSWORD not in repr(client)
        assert server.wsdl_url in repr(client)


def _open_pools(session: requests.Session) -> int:
    """Connection pools held by the session's HTTP adapters (zeep adds a file:// one)."""
    adapters = {id(a): a for a in session.adapters.values() if hasattr(a, "poolmanager")}
    return sum(len(adapter.poolmanager.pools) for adapter in adapters.values())


def test_manager_soap_and_rest_share_limits_per_origin_but_never_a_session(
    server: SoapServer,
) -> None:
    from txo_runtime.api_factory import ApiManager
    from txo_runtime.testing.pytest_plugin import demo_test_config

    config = demo_test_config(f"{server.base_url}/api")  # same origin as the SOAP service

    with ApiManager(config) as manager:
        soap = manager.get_soap_api(server.wsdl_url)
        rest = manager.get_rest_api(require_auth=False)
        rest_session = manager.session_manager.get_session(server.base_url)
        assert soap.service.Echo(text="hi") == "hi"

        assert manager.get_soap_api(server.wsdl_url) is soap
        assert soap.session is not rest_session
        assert "Zeep" not in rest_session.headers["User-Agent"]
        assert soap.rules.circuit_breaker is rest.circuit_breaker is not None
        assert (
            soap.operation_timeout
            == config["script-behavior"]["api-timeouts"]["soap-timeout-seconds"]
        )
        assert _open_pools(soap.session) >= 1

    assert _open_pools(soap.session) == 0  # closed on exit
    assert server.gets()[0].user_agent.startswith("Zeep/")


def test_one_client_serves_parallel_calls_in_input_order(api: SoapAPI, server: SoapServer) -> None:
    from txo_runtime.concurrency import parallel_map

    result = parallel_map(lambda i: api.service.Echo(text=f"item-{i}"), range(20), max_workers=5)

    assert result.results == [f"item-{i}" for i in range(20)]
    assert len(server.posts()) == 20


def test_soap_fault_echoing_a_registered_secret_is_redacted(txo_api_server) -> None:
    from txo_runtime.logger import register_secret
    from txo_runtime.testing import SoapFault, SoapOperation

    secret = "Echoed-S3cret-Value-1234"
    register_secret(secret)

    def login(parameters: dict) -> str:
        raise SoapFault(
            f"Password {parameters['password']} rejected", "Client.AuthenticationFailed"
        )

    operation = SoapOperation(login, parameters={"password": str})
    txo_api_server.add_soap_service("Auth", {"Login": operation})
    with (
        SoapAPI(txo_api_server.wsdl_url("Auth"), cache=None) as client,
        pytest.raises(ApiAuthenticationError) as caught,
    ):
        client.service.Login(password=secret)
    assert secret not in str(caught.value)
    assert caught.value.context is not None
    assert secret not in str(caught.value.context.details)
    assert "rejected" in str(caught.value)


def test_zeep_error_text_quoting_a_secret_is_redacted() -> None:
    from zeep import exceptions as zeep_errors

    from txo_runtime.soap_api_helpers._errors import translate_zeep_error

    secret = "password=hunter2hunter2"
    for error in (zeep_errors.XMLParseError(f"bad value {secret}"),
                  zeep_errors.ValidationError(f"invalid {secret}")):  # fmt: skip
        translated = translate_zeep_error(error, "Login", "http://h/x?wsdl")
        assert translated is not None
        assert "hunter2" not in str(translated)
