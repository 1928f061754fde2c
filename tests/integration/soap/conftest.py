"""Fixtures: a real spyne SOAP server on loopback, started once per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

try:
    from spyne_service import SoapServer, start
except ImportError:  # spyne 2.14 runs on Python < 3.13 only (it imports cgi)
    pytest.skip("spyne is not available", allow_module_level=True)


@pytest.fixture(scope="module")
def soap_server() -> Iterator[SoapServer]:
    handle = SoapServer(base_url="")
    httpd, thread = start(handle)
    try:
        yield handle
    finally:
        handle.release_slow.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server(soap_server: SoapServer) -> SoapServer:
    """The module's server with an empty request log."""
    soap_server.reset()
    return soap_server
