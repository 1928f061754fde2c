"""OAuth 2.0 client-credentials token endpoint and bearer-token checks (not thread-safe:
the server calls it under its lock)."""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
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
        self._tokens: dict[str, float] = {}
        self.issued = 0

    def add_client(self, client_id: str, client_secret: str) -> None:
        self._clients[client_id] = client_secret

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

    def issue(self, form: Mapping[str, str], authorization: str, lifetime: float) -> Response:
        """Answer one token request (form fields or HTTP Basic client authentication)."""
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "Only grant_type=client_credentials is supported"
            )
        credentials = _basic_credentials(authorization) or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        if not self._authenticated(*credentials):
            return _oauth_error(
                401, "invalid_client", "Client authentication failed: unknown client or secret"
            )
        scope = form.get("scope", "")
        token = self._new_token(credentials[0], scope, lifetime)
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
