"""SOAP over zeep with the runtime's rate limiting, circuit breaker, retries and redaction.

zeep (and lxml) are imported only when a client is created, so ``import txo_runtime`` stays
light. Most scripts get a client from ``txo_runtime.api_factory.create_soap_api(config,
wsdl)`` or ``ApiManager.get_soap_api(wsdl)``, which read timeouts, limiter, breaker and
retry settings from the config.
"""

from __future__ import annotations

from txo_runtime.soap_api_helpers._client import (
    DEFAULT_OPERATION_TIMEOUT,
    DEFAULT_WSDL_TIMEOUT,
    SoapAPI,
)
from txo_runtime.soap_api_helpers._errors import fault_category, translate_fault
from txo_runtime.soap_api_helpers._masking import MASK, mask_xml

__all__ = [
    "DEFAULT_OPERATION_TIMEOUT",
    "DEFAULT_WSDL_TIMEOUT",
    "MASK",
    "SoapAPI",
    "fault_category",
    "mask_xml",
    "translate_fault",
]
