"""The original project's own snippets for the REST client, run against txo_runtime.

Each snippet is quoted from the reference documentation of the scripts this runtime
replaces, adapted only from ``utils.`` to ``txo_runtime.`` imports, and run as written
against a real local server.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from txo_runtime.api_common import CircuitBreaker, RateLimiter
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer


def test_seed_signature_minimal_rest_api_token_rate_limiter_circuit_breaker_by_position() -> None:
    # Seed: `def __init__(self, token, rate_limiter=None, circuit_breaker=None)` and the
    # factory's `MinimalRestAPI(token, limiter, breaker)`.
    limiter = RateLimiter(50, burst_size=5)
    breaker = CircuitBreaker(failure_threshold=3, timeout_seconds=30)

    with LocalApiServer() as server:
        server.add_collection("customers", [{"name": "Anna"}])
        with MinimalRestAPI("seed-token", limiter, breaker) as api:
            assert api.get(f"{server.url}/api/customers") == [{"name": "Anna", "id": 1}]
            assert api.rate_limiter is limiter
            assert api.circuit_breaker is breaker
        assert server.requests[0].headers["Authorization"] == "Bearer seed-token"


def test_seed_connection_pooling_automatic_cleanup_on_exit() -> None:
    # Seed, "Connection Pooling": "SessionManager - ... Maximum 50 sessions (LRU eviction)
    # - Automatic cleanup on exit". A script that never calls close() and uses no `with`:
    # its sessions are closed when the interpreter exits.
    script = textwrap.dedent(
        """
        import requests

        real_close = requests.Session.close

        def close(self):
            print("session closed", flush=True)
            real_close(self)

        requests.Session.close = close

        from txo_runtime.rest_api_helpers import MinimalRestAPI, SessionManager
        from txo_runtime.testing import LocalApiServer

        server = LocalApiServer().start()
        server.add_collection("customers", [{"name": "Anna"}])
        api = MinimalRestAPI("seed-token")
        api.get(server.url + "/api/customers")
        assert SessionManager().max_sessions == 50  # the seed's cache size
        print("script done", flush=True)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.splitlines() == ["script done", "session closed"]
