"""Certificate sign-in: a client assertion (RFC 7523) instead of a client secret.

The client proves who it is with a short-lived JWT signed by the private key of a
certificate registered with the identity provider (Microsoft Entra ID calls this a
certificate credential). Claims: ``aud`` = the token URL, ``iss`` = ``sub`` = the client id,
a fresh ``jti``, ``iat``/``nbf`` now and ``exp`` ten minutes later. The header names the
certificate by its thumbprints, ``x5t`` (SHA-1) and ``x5t#S256`` (SHA-256), base64url,
which is how Entra ID finds the key to check the signature with.

Where the parts come from (secrets through every secret source; config keys in ``global``):

- the private key: secret ``client-certificate-key`` (PEM text) or
  ``client-certificate-key-file`` (a path to a PEM file), with an optional
  ``client-certificate-key-password``;
- the certificate, for the thumbprints: config ``client-certificate-file`` (a PEM path,
  relative to the project root), or secret ``client-certificate`` (PEM text), or only the
  SHA-1 thumbprint as the Azure portal shows it, config ``client-certificate-thumbprint``.

PyJWT signs and cryptography reads keys (extra ``cert``), both imported only when a
certificate is used. msal is not used: its constructor makes a network discovery call.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_runtime.extras import import_lazily

__all__ = ["JWT_BEARER", "CertificateCredential", "uses_certificate"]

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 600.0
_KEY_SECRETS = ("_client_certificate_key", "_client_certificate_key_file")
_PURPOSE = "Certificate (client-assertion) sign-in"
_EXAMPLE = (
    '"global": {"client-certificate-file": "config/certs/app.pem"}\n'
    'secrets: {"client-certificate-key-file": "/run/secrets/app-key.pem"}'
)


def uses_certificate(config: Mapping[str, Any]) -> bool:
    """A private key in the secrets selects certificate sign-in (over a client secret)."""
    return any(name in config for name in _KEY_SECRETS)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _resolve(path_text: str) -> Path:
    """A path as given when absolute, else relative to the project root."""
    path = Path(path_text).expanduser()
    if path.is_absolute():
        return path
    from txo_runtime.path_helpers import find_project_root

    return find_project_root() / path


def _read_pem(path_text: str, what: str, key: str) -> bytes:
    path = _resolve(path_text)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HelpfulError(
            what_went_wrong=f"Cannot read the {what} '{path}' ({type(exc).__name__})",
            how_to_fix=f"Check '{key}' and that the file exists and is readable",
            example=_EXAMPLE,
        ) from None


def _private_key(config: Mapping[str, Any]) -> Any:
    serialization = import_lazily("cryptography.hazmat.primitives.serialization", purpose=_PURPOSE)
    if "_client_certificate_key" in config:
        pem = str(config["_client_certificate_key"]).replace("\\n", "\n").encode("utf-8")
    else:
        pem = _read_pem(
            str(config["_client_certificate_key_file"]),
            "private key file",
            "client-certificate-key-file",
        )
    password: bytes | None = None
    if "_client_certificate_key_password" in config:  # optional: only for an encrypted key
        password = str(config["_client_certificate_key_password"]).encode("utf-8")
    try:
        return serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise HelpfulError(
            what_went_wrong=f"The certificate's private key cannot be read ({type(exc).__name__})",
            how_to_fix="Give the key as PEM ('-----BEGIN PRIVATE KEY-----'), with "
            "'client-certificate-key-password' if it is encrypted",
            example=_EXAMPLE,
        ) from None


def _thumbprints(config: Mapping[str, Any]) -> dict[str, str]:
    """``x5t`` (and ``x5t#S256`` when the certificate itself is known) for the JWT header."""
    global_config = config["global"]
    pem: bytes | None = None
    if "client-certificate-file" in global_config:
        pem = _read_pem(
            str(global_config["client-certificate-file"]), "certificate file",
            "global.client-certificate-file",
        )  # fmt: skip
    elif "_client_certificate" in config:
        pem = str(config["_client_certificate"]).replace("\\n", "\n").encode("utf-8")
    if pem is not None:
        x509 = import_lazily("cryptography.x509", purpose=_PURPOSE)
        hashes = import_lazily("cryptography.hazmat.primitives.hashes", purpose=_PURPOSE)
        certificate = x509.load_pem_x509_certificate(pem)
        return {
            "x5t": _b64url(certificate.fingerprint(hashes.SHA1())),  # noqa: S303 - a name
            "x5t#S256": _b64url(certificate.fingerprint(hashes.SHA256())),
        }
    if "client-certificate-thumbprint" in global_config:
        thumbprint = str(global_config["client-certificate-thumbprint"]).replace(":", "")
        return {"x5t": _b64url(bytes.fromhex(thumbprint))}
    raise HelpfulError(
        what_went_wrong="Certificate sign-in needs the certificate (for its thumbprint)",
        how_to_fix="Set 'global.client-certificate-file' (a PEM path) or "
        "'global.client-certificate-thumbprint' in the config, or the secret "
        "'client-certificate' (PEM text)",
        example=_EXAMPLE,
    )


def _algorithm(key: Any) -> str:
    """RS256 for RSA keys (what Entra ID accepts), ES256/ES384 for EC keys."""
    curve = getattr(key, "curve", None)
    if curve is None:
        return "RS256"
    return "ES384" if getattr(curve, "name", "") == "secp384r1" else "ES256"


@dataclass(frozen=True)
class CertificateCredential:
    """A loaded private key and the certificate's thumbprints; signs assertions."""

    key: Any = field(repr=False)
    header: Mapping[str, str]
    algorithm: str
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], clock: Callable[[], float] = time.time
    ) -> CertificateCredential:
        key = _private_key(config)
        return cls(key, _thumbprints(config), _algorithm(key), clock)

    def assertion(self, client_id: str, token_url: str) -> str:
        """A fresh signed JWT for one token request (new ``jti``: never replayed)."""
        jwt = import_lazily("jwt", purpose=_PURPOSE)
        now = int(self.clock())
        claims = {
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + int(ASSERTION_LIFETIME),
        }
        token: str = jwt.encode(
            claims, self.key, algorithm=self.algorithm, headers=dict(self.header)
        )
        return token
