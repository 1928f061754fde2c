"""Certificate sign-in: client assertions (RFC 7523) against the local server, which checks
signature, thumbprint, audience, issuer/subject, expiry and jti; tokens cached and refreshed
like secret-based ones. Plus the per-tenant client of OAuthManager."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from certificates import AppCertificate, app_certificate

from txo_runtime.exceptions import ApiAuthenticationError, HelpfulError
from txo_runtime.logger import RedactingFormatter
from txo_runtime.oauth_helpers import (
    JWT_BEARER,
    CertificateCredential,
    OAuthClient,
    OAuthManager,
    has_client_credentials,
)
from txo_runtime.testing import LocalApiServer

CLIENT_ID = "cert-client"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def certificate() -> AppCertificate:
    return app_certificate()


@pytest.fixture
def server(certificate: AppCertificate) -> Any:
    with LocalApiServer() as api:
        api.add_certificate_client(CLIENT_ID, certificate.certificate_pem)
        yield api


def cert_config(server: LocalApiServer, cert: AppCertificate, tmp_path: Path) -> dict[str, Any]:
    cert_file = tmp_path / "app-cert.pem"
    cert_file.write_text(cert.certificate_pem)
    return {
        "global": {
            "client-id": CLIENT_ID,
            "oauth-scope": "api://x/.default",
            "oauth-token-url": server.token_url,
            "client-certificate-file": str(cert_file),
        },
        "_client_certificate_key": cert.key_pem,
    }


def test_certificate_sign_in_gets_a_token_the_server_verified(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    config = cert_config(server, certificate, tmp_path)
    assert has_client_credentials(config)
    token = OAuthManager().get_token(config)
    assert token and server.assertions_accepted == 1 and server.tokens_issued == 1
    (request,) = server.requests
    form = dict(p.split("=", 1) for p in request.body.decode().split("&"))
    assert "client_secret" not in form
    assert form["client_assertion_type"] == requests.utils.quote(JWT_BEARER, safe="")


def test_the_assertion_carries_the_claims_and_thumbprints_entra_id_expects(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    credential = CertificateCredential.from_config(cert_config(server, certificate, tmp_path))
    assertion = credential.assertion(CLIENT_ID, server.token_url)
    header = jwt.get_unverified_header(assertion)
    claims = jwt.decode(assertion, options={"verify_signature": False})
    assert header["alg"] == "RS256"
    assert jwt.utils.base64url_decode(header["x5t"]).hex() == certificate.sha1_hex
    assert "x5t#S256" in header
    assert claims["aud"] == server.token_url
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"]
    second = jwt.decode(credential.assertion(CLIENT_ID, server.token_url),
                        options={"verify_signature": False})  # fmt: skip
    assert second["jti"] != claims["jti"]


def test_certificate_tokens_are_cached_and_refreshed_before_expiry(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    clock = Clock()
    manager = OAuthManager(clock=clock)
    config = cert_config(server, certificate, tmp_path)
    first = manager.get_token(config)
    assert manager.get_token(config) == first and server.assertions_accepted == 1
    clock.now += 3600 - 299  # inside the refresh margin of a one-hour token
    assert manager.get_token(config) != first
    assert server.assertions_accepted == 2  # a new assertion, with a new jti


def test_thumbprint_only_and_an_ec_key_with_a_password_work(
    tmp_path: Path,
) -> None:
    ec_cert = app_certificate("ec", password=b"pem-Password-123")
    with LocalApiServer() as server:
        server.add_certificate_client(CLIENT_ID, ec_cert.certificate_pem)
        config = cert_config(server, ec_cert, tmp_path)
        del config["global"]["client-certificate-file"]
        config["global"]["client-certificate-thumbprint"] = ec_cert.sha1_hex.upper()
        config["_client_certificate_key_password"] = "pem-Password-123"
        assert OAuthManager().get_token(config)
        assert server.assertions_accepted == 1


def test_a_key_file_path_in_the_secrets_is_read(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    config = cert_config(server, certificate, tmp_path)
    key_file = tmp_path / "app-key.pem"
    key_file.write_text(config.pop("_client_certificate_key"))
    config["_client_certificate_key_file"] = str(key_file)
    assert OAuthManager().get_token(config)


def test_an_assertion_signed_by_another_key_is_refused(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    config = cert_config(server, certificate, tmp_path)
    config["_client_certificate_key"] = app_certificate().key_pem  # not the certificate's key
    with pytest.raises(ApiAuthenticationError, match="InvalidSignatureError"):
        OAuthManager(retry_policy=None).get_token(config)
    assert server.tokens_issued == 0


def test_a_thumbprint_of_another_certificate_is_refused(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    config = cert_config(server, certificate, tmp_path)
    (tmp_path / "app-cert.pem").write_text(app_certificate().certificate_pem)
    with pytest.raises(ApiAuthenticationError, match="another certificate"):
        OAuthManager(retry_policy=None).get_token(config)


def _post(server: LocalApiServer, assertion: str) -> requests.Response:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "scope": "s",
            "client_assertion_type": JWT_BEARER, "client_assertion": assertion}  # fmt: skip
    return requests.post(server.token_url, data=form, timeout=30)


def test_the_server_refuses_wrong_audience_expired_and_replayed_assertions(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    config = cert_config(server, certificate, tmp_path)
    fresh = CertificateCredential.from_config(config)
    wrong_audience = fresh.assertion(CLIENT_ID, server.url + "/other/token")
    assert (
        _post(server, wrong_audience).json()["error_description"].endswith("InvalidAudienceError")
    )
    old = CertificateCredential.from_config(config, clock=lambda: time.time() - 3600)
    expired = old.assertion(CLIENT_ID, server.token_url)
    assert _post(server, expired).json()["error_description"].endswith("ExpiredSignatureError")
    good = fresh.assertion(CLIENT_ID, server.token_url)
    assert _post(server, good).status_code == 200
    replay = _post(server, good)
    assert replay.status_code == 401 and "replay" in replay.json()["error_description"]
    assert server.tokens_issued == 1


def test_certificate_sign_in_without_the_certificate_says_what_to_set(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    config = cert_config(server, certificate, tmp_path)
    del config["global"]["client-certificate-file"]
    with pytest.raises(HelpfulError, match="client-certificate-thumbprint"):
        OAuthManager().get_token(config)


def test_neither_the_key_nor_an_assertion_reaches_the_log(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        config = cert_config(server, certificate, tmp_path)
        from txo_runtime.logger import register_secret

        register_secret(config["_client_certificate_key"])  # as the config loader does
        token = OAuthManager().get_token(config)
        assertion = CertificateCredential.from_config(config).assertion(CLIENT_ID, "u")
        logging.getLogger("script").info(
            "key %s token %s", config["_client_certificate_key"], token
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = buffer.getvalue()
    assert token not in text and "PRIVATE KEY-----\nMII" not in text
    assert assertion not in text


# --- OAuthManager(cache_enabled=...) and get_client(tenant_id) -------------------------------

TENANT = "00000000-0000-0000-0000-0000000000aa"


def test_oauth_manager_cache_enabled_and_get_client_per_tenant_as_the_refactoring_guide_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalApiServer() as server:
        server.add_client("tenant-client", "tenant-Secret-value-42")
        monkeypatch.setattr(
            "txo_runtime.oauth_helpers.AZURE_TOKEN_URL",
            server.url + "/{tenant_id}/oauth2/v2.0/token",
        )
        manager = OAuthManager(cache_enabled=True)
        client = manager.get_client(TENANT)
        assert isinstance(client, OAuthClient) and manager.get_client(TENANT) is client
        assert manager.get_client("other-tenant") is not client
        first = client.get_client_credentials_token("tenant-client", "tenant-Secret-value-42", "s")
        again = client.get_client_credentials_token("tenant-client", "tenant-Secret-value-42", "s")
        assert first == again and server.tokens_issued == 1
        assert server.hits(f"/{TENANT}/oauth2/v2.0/token") == 1

        uncached = OAuthManager(cache_enabled=False).get_client(TENANT)
        uncached.get_client_credentials_token("tenant-client", "tenant-Secret-value-42", "s")
        uncached.get_client_credentials_token("tenant-client", "tenant-Secret-value-42", "s")
        assert server.tokens_issued == 3

        with pytest.raises(ApiAuthenticationError, match="answered 401"):
            client.get_client_credentials_token(
                "tenant-client", "wrong-Secret-value-1", "s", force_refresh=True
            )


def test_a_cached_token_is_returned_without_reading_the_key_again(
    server: LocalApiServer, certificate: AppCertificate, tmp_path: Path
) -> None:
    config = cert_config(server, certificate, tmp_path)
    key_file = tmp_path / "app-key.pem"
    key_file.write_text(config.pop("_client_certificate_key"))
    config["_client_certificate_key_file"] = str(key_file)
    manager = OAuthManager()
    first = manager.get_token(config)
    key_file.unlink()  # a key read per API call would now fail
    assert manager.get_token(config) == first
    with pytest.raises(HelpfulError, match="Cannot read the private key file"):
        manager.get_token(config, force_refresh=True)
