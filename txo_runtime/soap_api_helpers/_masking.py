"""Keep credentials sent inside SOAP bodies out of logs and in-memory history.

SOAP puts passwords in the XML body (``<password>``, WS-Security ``<wsse:Password>``), where
header- and URL-based redaction never looks. Three layers, because each alone has a gap:

1. :class:`SecretRegistrar` (a zeep plugin, first in the chain) registers the text of every
   credential element of each *request* with the logger's exact-value redaction (one batch
   per envelope), so the value is masked in *any* later log line or traceback, whoever
   writes it.
2. :func:`mask_xml` masks credential elements in the bodies our transport logs at DEBUG.
3. :class:`MaskedObserver` hands observer plugins such as zeep's ``HistoryPlugin`` a masked
   *copy* of the envelope: ``HistoryPlugin.last_sent`` otherwise keeps the raw password.

Credential elements are an exact list of local names, not name fragments: a fragment
match registered ``Standard`` from ``<PasswordPolicy>Standard</PasswordPolicy>`` and then
took that word out of every later log line. Responses are never registered: what a
service returns (``PaymentToken`` columns of 2000 rows) is data, and what we send is what
we know to be a credential. Single-use values (WS-Security ``Nonce`` and a
``PasswordDigest``) are masked but not registered: a new pair per call would grow the
registry for the life of the process, and the pattern rules still redact those elements.
"""

from __future__ import annotations

import copy
from typing import Any

from txo_runtime.logger import MIN_SECRET_LENGTH, register_secrets

MASK = "***"
# Local element names (compared lower-cased, '-'/'_' removed) whose text is a credential.
CREDENTIAL_ELEMENTS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "clientsecret",
        "sharedsecret",
        "apikey",
        "subscriptionkey",
        "accesskey",
        "secretkey",
        "privatekey",
        "token",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "authtoken",
        "sessiontoken",
        "securitytoken",
        "binarysecuritytoken",
        "nonce",
        "credential",
    }
)
_SINGLE_USE = frozenset({"nonce"})
_DIGEST_TYPE = "#PasswordDigest"  # WS-Security UsernameToken with use_digest=True
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def _local_name(tag: Any) -> str:
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].replace("-", "").replace("_", "").lower()


def sensitive_elements(root: Any) -> list[Any]:
    """Elements of an lxml tree whose local name is a credential's and that hold text."""
    return [
        element
        for element in root.iter()
        if element.text and element.text.strip() and _local_name(element.tag) in CREDENTIAL_ELEMENTS
    ]


def mask_elements(root: Any) -> Any:
    """Replace the text of sensitive elements in ``root`` (in place) and return it."""
    for element in sensitive_elements(root):
        element.text = MASK
    return root


def mask_xml(message: bytes | str) -> str:
    """A loggable form of an XML body: sensitive elements masked; never the raw bytes."""
    from lxml import etree  # zeep's own dependency; only when DEBUG logging is on

    raw = message.encode("utf-8") if isinstance(message, str) else message
    try:
        root = etree.fromstring(raw)
    except etree.XMLSyntaxError:
        return f"<{len(raw)} bytes, not XML; not logged>"
    masked = etree.tostring(mask_elements(root), encoding="unicode")
    return str(masked)


def mask_headers(headers: Any) -> dict[str, str]:
    """A copy of HTTP headers with credentials (Authorization, cookies) masked."""
    return {
        key: MASK if key.lower() in SENSITIVE_HEADERS else value
        for key, value in dict(headers or {}).items()
    }


def _single_use(element: Any) -> bool:
    if _local_name(element.tag) in _SINGLE_USE:
        return True
    return str(element.get("Type", "")).endswith(_DIGEST_TYPE)


def register_element_secrets(root: Any) -> None:
    """Register the text of every credential element, in one batch, for log redaction."""
    values = [
        element.text.strip() for element in sensitive_elements(root) if not _single_use(element)
    ]
    # Shorter ones would shred ordinary words (register_secrets would warn about them).
    values = [value for value in values if len(value) >= MIN_SECRET_LENGTH]
    if values:
        register_secrets(values)


class SecretRegistrar:
    """zeep plugin: register request credentials before anything can log or keep them."""

    def egress(
        self, envelope: Any, http_headers: dict[str, str], operation: Any, binding_options: Any
    ) -> tuple[Any, dict[str, str]]:
        register_element_secrets(envelope)
        return envelope, http_headers

    def ingress(
        self, envelope: Any, http_headers: dict[str, str], operation: Any
    ) -> tuple[Any, dict[str, str]]:
        return envelope, http_headers  # responses are data, not credentials we sent


class MaskedObserver:
    """Wraps an observer plugin (``HistoryPlugin``) so it only ever sees masked copies.

    The wrapped plugin's return value is ignored: an observer must not change what is sent.
    """

    def __init__(self, plugin: Any) -> None:
        self.plugin = plugin

    def egress(
        self, envelope: Any, http_headers: dict[str, str], operation: Any, binding_options: Any
    ) -> None:
        masked = mask_elements(copy.deepcopy(envelope))
        self.plugin.egress(masked, mask_headers(http_headers), operation, binding_options)

    def ingress(self, envelope: Any, http_headers: dict[str, str], operation: Any) -> None:
        masked = mask_elements(copy.deepcopy(envelope))
        self.plugin.ingress(masked, mask_headers(http_headers), operation)
