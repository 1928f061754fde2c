"""Lines per second through the redacting file handler vs the same handler without redaction.

Run: ``.venv/bin/python benchmarks/bench_logging.py [--lines 100000] [--repeat 3]``

Both runs use the packaged file format, a ``ContextFilter`` and a ``FileHandler`` on a temp
file; only the formatter differs (``RedactingFormatter`` with the packaged rules and four
registered secrets, as after ``load_config``, vs ``logging.Formatter``). The line mix is
what a script's DEBUG log looks like: mostly ordinary lines, one in ten carrying a secret.
Target (issue 4): redaction costs at most 2x the unredacted path.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import txo_runtime
from txo_runtime.logger import (
    ContextFilter,
    RedactingFormatter,
    load_redaction_rules,
    register_secrets,
    reset_logging,
)

DATA = Path(txo_runtime.__file__).parent / "data"
SECRETS = [
    "abc8Q~Zx9yW7vU5tS3rQ1pO-nM_lK.jI8hG6fE4d",
    "Pr0d-DB-pa55w0rd!",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "x9Tq2LmZ8vR4pW6sY1nB3kD7fH5jG0cA",
]
BENIGN = [
    ("Retrieved %d customers from %s", (250, "https://api.example.com/odata/Customers")),
    ("GET %s -> %d in %.2fs", ("/odata/Customers?$top=100&$skip=200", 200, 0.132)),
    ("Saved %d rows to %s", (1200, "output/acme-test_customers_2026-11-25T10-00-00.xlsx")),
    ("Starting new HTTPS connection (%d): %s:%d", (1, "api.example.com", 443)),
    ("Rate limiter waited %.3fs (%d calls/s)", (0.1, 10)),
    ("Processing batch %d/%d (%d items)", (3, 40, 50)),
    ("Next page: %s", ("https://graph.microsoft.com/v1.0/users?$skiptoken=RFNwdAIAAQAAAB8",)),
    ("Commit %s deployed by %s", ("3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", "ci-bot")),
    ("Entity %s updated (etag %s)", ("6f1c2b9e-4d3a-4e5f-8a7b-1c2d3e4f5a6b", 'W/"42"')),
]
SECRET_LINES = [
    (
        "Token response: %s",
        (json.dumps({"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}),),
    ),
    ("POST %s body=%s", ("/token", f"grant_type=client_credentials&client_secret={SECRETS[0]}")),
    ("Config: %r", ({"_client_secret": SECRETS[1], "org": "acme"},)),
]


def _line_mix() -> list[tuple[str, tuple[object, ...]]]:
    """Nine benign lines and one secret line per ten."""
    mix = []
    for index in range(30):
        mix.extend(BENIGN)
        mix.append(SECRET_LINES[index % len(SECRET_LINES)])
    return mix


def _file_format() -> str:
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    return str(config["file"]["format"])


def _run(formatter: logging.Formatter, lines: int, folder: Path) -> float:
    handler = logging.FileHandler(folder / "bench.log", mode="w", encoding="utf-8")
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    bench = logging.getLogger("txo.bench")
    bench.propagate = False
    bench.setLevel(logging.DEBUG)
    bench.addHandler(handler)
    mix = _line_mix()
    try:
        start = time.process_time()
        for index in range(lines):
            message, args = mix[index % len(mix)]
            bench.debug(message, *args)
        elapsed = time.process_time() - start
    finally:
        bench.removeHandler(handler)
        handler.close()
    return lines / elapsed


def _best_of(runs: dict[str, Callable[[], float]], repeat: int) -> dict[str, float]:
    """Best lines/s of each, runs interleaved so a busy machine slows both alike."""
    best = dict.fromkeys(runs, 0.0)
    for _ in range(repeat):
        for name, run in runs.items():
            best[name] = max(best[name], run())
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args()
    fmt = _file_format()
    rules = load_redaction_rules(DATA / "log-redaction-patterns.json")
    register_secrets(SECRETS)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            best = _best_of(
                {
                    "plain": lambda: _run(logging.Formatter(fmt), args.lines, folder),
                    "redacting": lambda: _run(
                        RedactingFormatter(fmt, rules=rules), args.lines, folder
                    ),
                },
                args.repeat,
            )
            plain, redacting = best["plain"], best["redacting"]
            leaked = any(s in (folder / "bench.log").read_text("utf-8") for s in SECRETS)
    finally:
        reset_logging()
    print(f"{'handler':<24}{'lines/s':>12}")
    print(f"{'without redaction':<24}{plain:>12,.0f}")
    print(f"{'redacting':<24}{redacting:>12,.0f}")
    print(
        f"cost factor: {plain / redacting:.2f}x (target <= 2.00x); {args.lines:,} lines, "
        f"best of {args.repeat}; secrets in redacted file: {'YES' if leaked else 'none'}"
    )


if __name__ == "__main__":
    main()
