"""Lines per second through the redacting file handler vs the same handler without redaction.

Run: ``.venv/bin/python benchmarks/bench_logging.py [--lines 100000] [--repeat 5]``

Both runs use the packaged file format, a ``ContextFilter`` and a ``FileHandler`` on a temp
file; only the formatter differs (``RedactingFormatter`` with four registered secrets, as
after ``load_config``, vs ``logging.Formatter``). Two line mixes, each printed next to
plain stdlib logging of the same lines:

- ``secrets``: what a script's DEBUG log looks like: mostly ordinary lines, one in ten
  carrying a secret; the packaged rules (cards and IBAN on).
- ``personal data``: customer records: the same ordinary lines, one in four carrying a card
  number, IBAN, national identity number or e-mail address, plus number look-alikes; every
  personal-data class on (all countries, e-mail).

Runs are interleaved (a busy machine slows both alike); the figures are medians.
Target: redaction costs at most 2x the unredacted path.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import txo_runtime
from txo_runtime.logger import (
    ContextFilter,
    RedactingFormatter,
    RedactionRules,
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

PERSONAL = [
    "4111 1111 1111 1111",
    "DE89370400440532013000",
    "536-22-1234",
    "811218-9876",
    "131052-308T",
    "ada.lovelace@example.com",
]
PERSONAL_LINES = [
    ("Customer %s paid with card %s", ("C-1001", PERSONAL[0])),
    ("Payout %s", (json.dumps({"iban": PERSONAL[1], "amount": "1250.00"}),)),
    ("Row: %s", (f"1001,Ada Lovelace,{PERSONAL[2]},{PERSONAL[3]},{PERSONAL[4]}",)),
    ("Mail to %s queued (order %s)", (PERSONAL[5], "4111111111111112")),
    ("Order %s at %s, EAN %s", ("SO-20261125-0042", "20261125103006", "4006381330060")),
]
ALL_CLASSES = {
    "cards": True,
    "iban": True,
    "national-ids": ["US", "SE", "NO", "DK", "FI"],
    "email": True,
}


def _line_mix() -> list[tuple[str, tuple[object, ...]]]:
    """Nine benign lines and one secret line per ten."""
    mix = []
    for index in range(30):
        mix.extend(BENIGN)
        mix.append(SECRET_LINES[index % len(SECRET_LINES)])
    return mix


def _personal_mix() -> list[tuple[str, tuple[object, ...]]]:
    """Three benign lines and one personal-data line per four."""
    mix = []
    for index in range(15):
        mix.extend(BENIGN[(index * 3 + k) % len(BENIGN)] for k in range(3))
        mix.append(PERSONAL_LINES[index % len(PERSONAL_LINES)])
    return mix


def _file_format() -> str:
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    return str(config["file"]["format"])


def _run(
    formatter: logging.Formatter,
    lines: int,
    folder: Path,
    mix: list[tuple[str, tuple[object, ...]]],
) -> float:
    handler = logging.FileHandler(folder / "bench.log", mode="w", encoding="utf-8")
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    bench = logging.getLogger("txo.bench")
    bench.propagate = False
    bench.setLevel(logging.DEBUG)
    bench.addHandler(handler)
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


def _medians(runs: dict[str, Callable[[], float]], repeat: int) -> dict[str, list[float]]:
    """Lines/s of each run, ``repeat`` times, interleaved so a busy machine slows all alike."""
    results: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            results[name].append(run())
    return results


def _rules(personal: dict[str, Any] | None) -> RedactionRules:
    data = json.loads((DATA / "log-redaction-patterns.json").read_text(encoding="utf-8"))
    if personal is not None:
        data["personal-data"] = personal
    return RedactionRules.from_mapping(data)


def _measure(lines: int, repeat: int) -> tuple[dict[str, list[float]], bool]:
    fmt = _file_format()
    secrets_rules, personal_rules = _rules(None), _rules(ALL_CLASSES)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        secrets, personal = _line_mix(), _personal_mix()
        results = _medians(
            {
                "secrets/plain": lambda: _run(logging.Formatter(fmt), lines, folder, secrets),
                "secrets/redacting": lambda: _run(
                    RedactingFormatter(fmt, rules=secrets_rules), lines, folder, secrets
                ),
                "personal/plain": lambda: _run(logging.Formatter(fmt), lines, folder, personal),
                "personal/redacting": lambda: _run(
                    RedactingFormatter(fmt, rules=personal_rules), lines, folder, personal
                ),
            },
            repeat,
        )
        text = (folder / "bench.log").read_text("utf-8")  # the last run: personal, redacted
        leaked = any(s in text for s in SECRETS + PERSONAL)
    return results, leaked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="median of N interleaved runs")
    args = parser.parse_args()
    register_secrets(SECRETS)
    try:
        results, leaked = _measure(args.lines, args.repeat)
    finally:
        reset_logging()
    print(f"{'mix':<16}{'plain lines/s':>15}{'redacting lines/s':>19}{'cost':>8}{'spread':>9}")
    for mix in ("secrets", "personal"):
        plain, redacting = results[f"{mix}/plain"], results[f"{mix}/redacting"]
        spread = (max(redacting) - min(redacting)) / statistics.median(redacting)
        factor = statistics.median(plain) / statistics.median(redacting)
        print(
            f"{mix:<16}{statistics.median(plain):>15,.0f}{statistics.median(redacting):>19,.0f}"
            f"{factor:>7.2f}x{spread:>8.0%}"
        )
    print(
        f"target <= 2.00x; {args.lines:,} lines, median of {args.repeat} interleaved runs; "
        f"secrets or personal data in the redacted file: {'YES' if leaked else 'none'}"
    )


if __name__ == "__main__":
    main()
