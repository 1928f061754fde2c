"""Canned SOAP 1.1 services (document/literal): a generated WSDL and envelope replies.

Written with the standard library only (no spyne, no lxml) so that generated projects can
test their SOAP scripts offline with nothing beyond ``txo-runtime[soap]``. The WSDL is a
template string: every operation takes optional string/int/float/bool parameters and
answers ``<{Operation}Response>`` holding zero or more ``<item>`` elements (strings, or
records whose ``fields`` are declared).
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from txo_runtime.testing._records import Response

logger = logging.getLogger(__name__)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_XS_TYPES: dict[type, str] = {str: "string", int: "int", float: "double", bool: "boolean"}

Handler = Callable[[dict[str, Any]], Any]

_WSDL = """<?xml version="1.0" encoding="utf-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="{ns}" targetNamespace="{ns}" name="{service}">
  <types>
    <xs:schema targetNamespace="{ns}" elementFormDefault="qualified">
{elements}
    </xs:schema>
  </types>
{messages}
  <portType name="{service}PortType">
{port_operations}
  </portType>
  <binding name="{service}Binding" type="tns:{service}PortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
{binding_operations}
  </binding>
  <service name="{service}">
    <port name="{service}Port" binding="tns:{service}Binding">
      <soap:address location={address}/>
    </port>
  </service>
</definitions>
"""

_ELEMENTS = """\
      <xs:element name="{op}"><xs:complexType><xs:sequence>{parameters}
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="{op}Response"><xs:complexType><xs:sequence>
        <xs:element name="item" minOccurs="0" maxOccurs="unbounded" {item_type}/>
      </xs:sequence></xs:complexType></xs:element>{record}"""

_RECORD = """
      <xs:complexType name="{op}Item"><xs:sequence>{fields}
      </xs:sequence></xs:complexType>"""

_FIELD = '\n        <xs:element name="{name}" type="xs:{xs}" minOccurs="0"/>'

_MESSAGES = """\
  <message name="{op}Input"><part name="parameters" element="tns:{op}"/></message>
  <message name="{op}Output"><part name="parameters" element="tns:{op}Response"/></message>"""

_PORT_OPERATION = """\
    <operation name="{op}">
      <input message="tns:{op}Input"/><output message="tns:{op}Output"/>
    </operation>"""

_BINDING_OPERATION = """\
    <operation name="{op}"><soap:operation soapAction="{ns}/{op}" style="document"/>
      <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output>
    </operation>"""

_ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>{{body}}</soap:Body></soap:Envelope>'
)


class SoapFault(Exception):
    """Raise it in an operation handler to answer a SOAP fault with this code.

    ``code`` is the part after ``soap:``: ``Client`` (the request was wrong),
    ``Server`` (the service failed) or a dotted refinement such as
    ``Client.AuthenticationFailed``. Any other exception answers a ``soap:Server`` fault.
    """

    def __init__(self, message: str, code: str = "Server") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SoapOperation:
    """One operation: ``handler(parameters) -> item | list of items``.

    ``parameters`` and ``fields`` map names to ``str``/``int``/``float``/``bool``. Without
    ``fields`` an item is a string; with them an item is a dict (undeclared keys and
    ``None`` values are left out).
    """

    handler: Handler
    parameters: Mapping[str, type] = field(default_factory=dict)
    fields: Mapping[str, type] | None = None

    def __post_init__(self) -> None:
        for name, kind in {**self.parameters, **(self.fields or {})}.items():
            _check_name(name)
            if kind not in _XS_TYPES:
                raise ValueError(f"type of {name!r} must be one of str/int/float/bool: {kind}")


@dataclass(frozen=True)
class SoapService:
    """A named service at ``/soap/{name}``; its namespace is ``urn:txo:local:{name}``."""

    name: str
    operations: Mapping[str, SoapOperation]

    @classmethod
    def build(cls, name: str, operations: Mapping[str, SoapOperation | Handler]) -> SoapService:
        _check_name(name)
        if not operations:
            raise ValueError(f"SOAP service {name!r} needs at least one operation")
        built = {}
        for op, spec in operations.items():
            _check_name(op)
            built[op] = spec if isinstance(spec, SoapOperation) else SoapOperation(spec)
        return cls(name, built)

    @property
    def namespace(self) -> str:
        return f"urn:txo:local:{self.name}"

    def wsdl(self, address: str) -> str:
        ops = self.operations
        return _WSDL.format(
            ns=self.namespace,
            service=self.name,
            address=quoteattr(address),
            elements="\n".join(_elements(op, spec) for op, spec in ops.items()),
            messages="\n".join(_MESSAGES.format(op=op) for op in ops),
            port_operations="\n".join(_PORT_OPERATION.format(op=op) for op in ops),
            binding_operations="\n".join(
                _BINDING_OPERATION.format(op=op, ns=self.namespace) for op in ops
            ),
        )

    def handle(self, method: str, body: bytes, address: str) -> Response:
        """GET (``?wsdl`` or not): the WSDL; POST: an envelope in, an envelope or fault out."""
        if method in ("GET", "HEAD"):
            return Response(200, self.wsdl(address).encode("utf-8"), content_type=SOAP_CONTENT_TYPE)
        if method != "POST":
            return Response.error(
                405, f"{method} not allowed on a SOAP endpoint", {"Allow": "GET, POST"}
            )
        try:
            op, parameters = self._parse(body)
        except SoapFault as fault:
            return fault_response(fault.code, str(fault))
        return self._call(op, parameters)

    def _parse(self, body: bytes) -> tuple[str, dict[str, Any]]:
        try:
            # Trusted input only: this server listens on loopback for tests.
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise SoapFault(f"The request is not XML: {exc}", "Client") from None
        request = next(iter(root.findall(f"{{{SOAP_ENV}}}Body/*")), None)
        if root.tag != f"{{{SOAP_ENV}}}Envelope" or request is None:
            raise SoapFault("Expected a SOAP 1.1 Envelope with a Body element", "Client")
        op = _local(request.tag)
        spec = self.operations.get(op)
        if spec is None:
            raise SoapFault(f"{self.name} has no operation {op!r}", "Client")
        return op, _parameters(request, spec)

    def _call(self, op: str, parameters: dict[str, Any]) -> Response:
        spec = self.operations[op]
        try:
            items = _items(spec.handler(parameters))
            inner = "".join(_item(item, spec) for item in items)
        except SoapFault as fault:
            return fault_response(fault.code, str(fault))
        except Exception as exc:  # the handler is test code: its error becomes a fault
            logger.debug("SOAP handler %s.%s raised", self.name, op, exc_info=True)
            return fault_response("Server", f"{type(exc).__name__}: {exc}")
        body = f'<{op}Response xmlns="{self.namespace}">{inner}</{op}Response>'
        return Response(200, _envelope(body), content_type=SOAP_CONTENT_TYPE)


def fault_response(code: str, message: str) -> Response:
    """A SOAP 1.1 fault; HTTP 500 as the SOAP 1.1 binding says (also for Client faults)."""
    body = (
        f"<soap:Fault><faultcode>soap:{escape(code)}</faultcode>"
        f"<faultstring>{escape(message)}</faultstring></soap:Fault>"
    )
    return Response(500, _envelope(body), content_type=SOAP_CONTENT_TYPE)


def _envelope(body: str) -> bytes:
    return _ENVELOPE.format(body=body).encode("utf-8")


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not usable as a SOAP name (letters, digits, _)")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _elements(op: str, spec: SoapOperation) -> str:
    parameters = "".join(
        _FIELD.format(name=name, xs=_XS_TYPES[kind]) for name, kind in spec.parameters.items()
    )
    if spec.fields is None:
        return _ELEMENTS.format(
            op=op, parameters=parameters, item_type='type="xs:string"', record=""
        )
    fields = "".join(
        _FIELD.format(name=name, xs=_XS_TYPES[kind]) for name, kind in spec.fields.items()
    )
    record = _RECORD.format(op=op, fields=fields)
    return _ELEMENTS.format(
        op=op, parameters=parameters, item_type=f'type="tns:{op}Item"', record=record
    )


def _parameters(request: ET.Element, spec: SoapOperation) -> dict[str, Any]:
    """Declared parameters that were sent, converted to their type; others are ignored."""
    values: dict[str, Any] = {}
    for child in request:
        name = _local(child.tag)
        kind = spec.parameters.get(name)
        if kind is not None:
            values[name] = _convert(name, child.text or "", kind)
    return values


def _convert(name: str, text: str, kind: type) -> Any:
    try:
        if kind is bool:
            if text.strip() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.strip() in ("true", "1")
        return kind(text.strip()) if kind is not str else text
    except ValueError:
        raise SoapFault(f"Parameter {name} must be xs:{_XS_TYPES[kind]}, got {text!r}", "Client")


def _items(result: Any) -> list[Any]:
    """A list/tuple is the items, ``None`` is no item, anything else is one item."""
    if result is None:
        return []
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _item(item: Any, spec: SoapOperation) -> str:
    if spec.fields is None:
        return f"<item>{_text(item)}</item>"
    if not isinstance(item, Mapping):
        raise TypeError(f"items of this operation are dicts (fields declared), got {item!r}")
    inner = "".join(
        f"<{name}>{_text(item[name])}</{name}>"
        for name in spec.fields
        if item.get(name) is not None
    )
    return f"<item>{inner}</item>"
