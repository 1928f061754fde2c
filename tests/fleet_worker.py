"""One worker process of a fleet sharing (or not) one rate limit, driven by its parent.

``python tests/fleet_worker.py '<json>'`` builds what the config says (``load_settings`` or an
``ApiManager``), prints ``ready``, reads ``{"start": t0, "end": t1}`` (wall-clock seconds)
from stdin, waits for ``t0``, works until ``t1`` and prints a JSON summary.

Modes:
- ``limiter``: take a token from the configured limiter, then send one plain GET if the
  deadline has not passed: the server then counts exactly the tokens granted in the window.
- ``client``: GET through the configured REST client (limiter, retries, Retry-After, the
  shared pause), as a script does; counts calls that still failed after the retries.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import requests

from txo_runtime.api_factory import ApiManager, load_settings
from txo_runtime.exceptions import ApiError


def _limiter_loop(spec: dict[str, Any], end: float) -> dict[str, int]:
    config, url = spec["config"], spec["url"]
    limiter = load_settings(config).new_rate_limiter(config["global"]["api-base-url"])
    assert limiter is not None, "the worker needs rate limiting enabled"
    sent = 0
    with requests.Session() as session:
        while True:
            limiter.acquire()
            if time.time() >= end:
                break
            session.get(url, timeout=30)
            sent += 1
    limiter.close()
    return {"sent": sent, "failed": 0}


def _client_loop(spec: dict[str, Any], end: float) -> dict[str, int]:
    sent = failed = 0
    with ApiManager(spec["config"]) as manager:
        api = manager.get_rest_api(require_auth=False)
        while time.time() < end:
            try:
                api.get(spec["path"])
            except ApiError:
                failed += 1
            sent += 1
    return {"sent": sent, "failed": failed}


def main() -> int:
    spec = json.loads(sys.argv[1])
    loop = _limiter_loop if spec["mode"] == "limiter" else _client_loop
    print("ready", flush=True)
    window = json.loads(sys.stdin.readline())
    time.sleep(max(0.0, window["start"] - time.time()))
    print(json.dumps(loop(spec, window["end"])), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
