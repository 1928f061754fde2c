"""Sessions read proxies, NO_PROXY, the CA bundle and netrc once per host, and still obey
them: a real forward proxy and an HTTPS server signed by a CA of the test's own."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import http.server
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from txo_runtime.exceptions import ApiError
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.rest_api_helpers.session import EnvironmentOnceSession
from txo_runtime.testing import LocalApiServer

ENVIRONMENT = (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE", "NETRC",
)  # fmt: skip


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))  # never the user's own file


class _ForwardProxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[str] = []


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """A plain HTTP forward proxy: absolute-URI requests are passed on to their host."""

    server: _ForwardProxy

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.seen.append(self.path)
        target = requests.utils.urlparse(self.path)
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream.request("GET", path, headers=headers)
        answer = upstream.getresponse()
        body = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        upstream.close()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[_ForwardProxy]:
    server = _ForwardProxy()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def api_server() -> Iterator[LocalApiServer]:
    with LocalApiServer() as server:
        server.add_collection("items", [{"id": 1}])
        yield server


def test_http_proxy_from_the_environment_carries_every_request_of_a_session(
    monkeypatch: pytest.MonkeyPatch, proxy: _ForwardProxy, api_server: LocalApiServer
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    url = f"{api_server.url}/api/items"

    with MinimalRestAPI() as api:
        answers = [api.get(url) for _ in range(3)]

    assert answers == [[{"id": 1}]] * 3
    assert proxy.seen == [url] * 3
    assert api_server.hits("/api/items") == 3


def test_no_proxy_host_goes_direct_while_another_host_uses_the_proxy(
    monkeypatch: pytest.MonkeyPatch, proxy: _ForwardProxy, api_server: LocalApiServer
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", "localhost")
    direct = f"http://localhost:{api_server.port}/api/items"
    proxied = f"{api_server.url}/api/items"  # 127.0.0.1: not in NO_PROXY

    with MinimalRestAPI() as api:
        for _ in range(2):
            api.get(direct)
            api.get(proxied)

    assert proxy.seen == [proxied, proxied]
    assert api_server.hits("/api/items") == 4


def test_environment_is_read_once_per_host_not_per_request(
    monkeypatch: pytest.MonkeyPatch, api_server: LocalApiServer
) -> None:
    lookups: list[str] = []
    real = requests.sessions.get_environ_proxies

    def counting(url: str, no_proxy: Any = None) -> dict[str, str]:
        lookups.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counting)
    session = EnvironmentOnceSession()
    for _ in range(5):
        session.get(f"{api_server.url}/api/items", timeout=10)
        session.get(f"http://localhost:{api_server.port}/api/items", timeout=10)
    session.close()

    assert len(lookups) == 2  # one per host


def test_netrc_credentials_are_still_sent_to_their_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api_server: LocalApiServer
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login robot password s3cret-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    with MinimalRestAPI() as api:
        api.get(f"{api_server.url}/api/items")
        api.get(f"http://localhost:{api_server.port}/api/items")

    sent = [r.headers.get("Authorization") for r in api_server.requests]
    assert sent == ["Basic " + base64.b64encode(b"robot:s3cret-netrc").decode(), None]


# --- a CA of our own ----------------------------------------------------------------------


def _certificate(subject: str, key: Any, issuer: Any, issuer_key: Any, *, ca: bool) -> Any:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
    else:
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS JSON server on loopback and the PEM file of the CA that signed it."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "txo test CA")])
    ca_cert = _certificate("txo test CA", ca_key, ca_name, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _certificate("127.0.0.1", server_key, ca_name, ca_key, ca=False)
    ca_file, chain = tmp_path / "ca.pem", tmp_path / "server.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM) + key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _JsonHandler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/hello", ca_file
    server.shutdown()
    server.server_close()
    thread.join()


class _JsonHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"hello": "tls"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_bundle_from_the_environment_verifies_a_server_of_a_private_ca(
    monkeypatch: pytest.MonkeyPatch, https_server: tuple[str, Path], variable: str
) -> None:
    url, ca_file = https_server
    monkeypatch.setenv(variable, str(ca_file))

    with MinimalRestAPI() as api:
        assert [api.get(url) for _ in range(2)] == [{"hello": "tls"}] * 2


def test_server_of_a_private_ca_is_refused_without_the_bundle(
    https_server: tuple[str, Path],
) -> None:
    url, _ = https_server

    waits: list[float] = []

    with MinimalRestAPI(sleep=waits.append) as api, pytest.raises(ApiError, match="(?i)ssl|cert"):
        api.get(url)
