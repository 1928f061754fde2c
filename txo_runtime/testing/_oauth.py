"""OAuth 2.0 client-credentials token endpoint and bearer-token checks (not thread-safe:
the server calls it under its lock).

Clients authenticate with a secret (form fields or HTTP Basic) or, when registered with a
certificate, with a client assertion (RFC 7523): a JWT whose signature is checked against
the certificate's public key, whose ``x5t``/``x5t#S256`` header must match the certificate,
``aud`` must be the token URL, ``iss`` = ``sub`` = the client id, ``exp`` in the future and
``jti`` never seen before (PyJWT + cryptography, imported only for such a request)."""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from txo_runtime.testing._records import Response


def _b64(data: Mapping[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response.json(status, {"error": error, "error_description": description})


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1: ``Basic base64(urlencode(id) ":" urlencode(secret))``."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


class TokenStore:
    """Registered clients and the tokens issued to them, with expiry by ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._clients: dict[str, str] = {}
        self._certificates: dict[str, bytes] = {}
        self._seen_jti: set[str] = set()
        self._tokens: dict[str, float] = {}
        self.issued = 0
        self.assertions_accepted = 0

    def add_client(self, client_id: str, client_secret: str) -> None:
        self._clients[client_id] = client_secret

    def add_certificate_client(self, client_id: str, certificate_pem: bytes) -> None:
        self._certificates[client_id] = certificate_pem

    def _asserted_client(self, form: Mapping[str, str], audience: str) -> str | Response:
        """The client id a valid client assertion proves, or the 401 answer."""
        if form.get("client_assertion_type") != JWT_BEARER:
            return _oauth_error(400, "invalid_request", "Unsupported client_assertion_type")
        try:
            client_id = _verify_assertion(
                form.get("client_assertion", ""), self._certificates, audience, self._seen_jti
            )
        except _AssertionRejected as exc:
            return _oauth_error(401, "invalid_client", f"Client assertion rejected: {exc}")
        if form.get("client_id", client_id) != client_id:
            return _oauth_error(401, "invalid_client", "client_id differs from the assertion")
        self.assertions_accepted += 1
        return client_id

    def _authenticated(self, client_id: str, secret: str) -> bool:
        expected = self._clients.get(client_id)
        return expected is not None and hmac.compare_digest(expected, secret)

    def _new_token(self, client_id: str, scope: str, lifetime: float) -> str:
        """A JWT-shaped (unsigned) token, so log redaction can be tested on realistic input."""
        header = _b64({"alg": "none", "typ": "JWT"})
        claims = {"sub": client_id, "scope": scope, "jti": secrets.token_hex(8)}
        token = f"{header}.{_b64(claims)}.{secrets.token_urlsafe(24)}"
        self._tokens[token] = self._clock() + lifetime
        self.issued += 1
        return token

    def _client_of(
        self, form: Mapping[str, str], authorization: str, audience: str
    ) -> str | Response:
        """The authenticated client id (secret or assertion), or the error answer."""
        if "client_assertion" in form:
            return self._asserted_client(form, audience)
        credentials = _basic_credentials(authorization) or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        if not self._authenticated(*credentials):
            return _oauth_error(
                401, "invalid_client", "Client authentication failed: unknown client or secret"
            )
        return credentials[0]

    def issue(
        self, form: Mapping[str, str], authorization: str, lifetime: float, audience: str = ""
    ) -> Response:
        """Answer one token request; ``audience`` is this endpoint's URL (what a client
        assertion's ``aud`` must name)."""
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "Only grant_type=client_credentials is supported"
            )
        client = self._client_of(form, authorization, audience)
        if isinstance(client, Response):
            return client
        scope = form.get("scope", "")
        token = self._new_token(client, scope, lifetime)
        seconds = int(lifetime)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": seconds,
            "ext_expires_in": seconds,
            "scope": scope,
        }
        return Response.json(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def is_valid(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expiry is not None and self._clock() < expiry

    def expire_all(self) -> None:
        self._tokens.clear()


JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ALGORITHMS = ["RS256", "PS256", "ES256", "ES384"]


class _AssertionRejected(Exception):
    """Why a client assertion was refused (never its content)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _check_thumbprint(header: Mapping[str, object], certificate: Any) -> None:
    from cryptography.hazmat.primitives import hashes

    expected = {
        "x5t": _b64url(certificate.fingerprint(hashes.SHA1())),  # noqa: S303 - a name
        "x5t#S256": _b64url(certificate.fingerprint(hashes.SHA256())),
    }
    named = [name for name in expected if name in header]
    if not named:
        raise _AssertionRejected("no x5t or x5t#S256 header")
    if any(header[name] != expected[name] for name in named):
        raise _AssertionRejected("the thumbprint names another certificate")


def _verify_assertion(
    assertion: str, certificates: Mapping[str, bytes], audience: str, seen: set[str]
) -> str:
    """The client id of a valid assertion; :class:`_AssertionRejected` otherwise."""
    import jwt
    from cryptography import x509

    try:
        client_id = str(jwt.decode(assertion, options={"verify_signature": False})["iss"])
        header = jwt.get_unverified_header(assertion)
    except (jwt.PyJWTError, KeyError) as exc:
        raise _AssertionRejected(f"not a JWT with an issuer ({type(exc).__name__})") from None
    if client_id not in certificates:
        raise _AssertionRejected("no certificate registered for this client")
    certificate = x509.load_pem_x509_certificate(certificates[client_id])
    _check_thumbprint(header, certificate)
    public_key: Any = certificate.public_key()  # RSA or EC: what PyJWT verifies
    try:
        claims = jwt.decode(
            assertion, public_key, algorithms=_ALGORITHMS, audience=audience,
            issuer=client_id, options={"require": ["exp", "iss", "sub", "aud", "jti"]},
        )  # fmt: skip
    except jwt.PyJWTError as exc:
        raise _AssertionRejected(type(exc).__name__) from None
    if claims["sub"] != client_id:
        raise _AssertionRejected("sub differs from iss")
    if claims["jti"] in seen:
        raise _AssertionRejected("jti was used before (replay)")
    seen.add(str(claims["jti"]))
    return client_id
