"""Keep credentials sent inside SOAP bodies out of logs and in-memory history.

SOAP puts passwords in the XML body (``<password>``, WS-Security ``<wsse:Password>``), where
header- and URL-based redaction never looks. Three layers, because each alone has a gap:

1. :class:`SecretRegistrar` (a zeep plugin, first in the chain) registers the text of every
   sensitive element with the logger's exact-value redaction, so the value is masked in
   *any* later log line or traceback, whoever writes it.
2. :func:`mask_xml` masks sensitive elements in the bodies our transport logs at DEBUG.
3. :class:`MaskedObserver` hands observer plugins such as zeep's ``HistoryPlugin`` a masked
   *copy* of the envelope: ``HistoryPlugin.last_sent`` otherwise keeps the raw password.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from txo_runtime.logger import MIN_SECRET_LENGTH, register_secret

MASK = "***"
# Local element names (case-insensitive, '-'/'_' ignored) whose text is a credential.
SENSITIVE_ELEMENT = re.compile(
    r"password|passwd|pwd|passphrase|secret|token|apikey|nonce|credential|privatekey",
    re.IGNORECASE,
)
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def _local_name(tag: Any) -> str:
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1].replace("-", "").replace("_", "")


def sensitive_elements(root: Any) -> list[Any]:
    """Leaf elements of an lxml tree whose name says they hold a credential."""
    return [
        element
        for element in root.iter()
        if SENSITIVE_ELEMENT.search(_local_name(element.tag)) and element.text
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


def register_element_secrets(root: Any) -> None:
    """Register the text of every sensitive element for exact-value log redaction."""
    for element in sensitive_elements(root):
        value = element.text.strip()
        if len(value) >= MIN_SECRET_LENGTH:  # shorter ones would shred ordinary words
            register_secret(value)


class SecretRegistrar:
    """zeep plugin: register body credentials before anything can log or keep them."""

    def egress(
        self, envelope: Any, http_headers: dict[str, str], operation: Any, binding_options: Any
    ) -> tuple[Any, dict[str, str]]:
        register_element_secrets(envelope)
        return envelope, http_headers

    def ingress(
        self, envelope: Any, http_headers: dict[str, str], operation: Any
    ) -> tuple[Any, dict[str, str]]:
        register_element_secrets(envelope)  # e.g. a session token returned by Login
        return envelope, http_headers


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
