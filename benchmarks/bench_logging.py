"""Logging through ``setup_logger()`` vs plain stdlib logging with the same two handlers.

Run: ``.venv/bin/python benchmarks/bench_logging.py [--lines 20000] [--repeat 7]
[--pure-python]`` (``--pure-python``: as without the ``fast-redaction`` extra)

Both sides log the same line mix at INFO to a console handler (``sys.stderr`` redirected to
a temp file) and a ``RotatingFileHandler`` (same size limit) with the packaged formats and a
``ContextFilter``. The txo side is a real ``setup_logger()`` in a temp project with the
packaged ``logging-config.json`` and ``log-redaction-patterns.json`` and N registered secrets
(as after ``load_config``); the plain side is ``logging.StreamHandler`` +
``logging.handlers.RotatingFileHandler`` with ``logging.Formatter``.

The mix is ~77 % benign realistic lines (OData URLs, skiptokens, git SHAs, GUIDs, ETags,
time-stamped file names) and ~23 % lines that carry a secret (JSON token responses, form
bodies with a registered secret, config reprs, Bearer headers).

Rows, each printed next to its reference:

- ``4 secrets`` / ``100 secrets``: txo vs plain (target <= 2.00x);
- ``1000 vs 10 secrets``: txo with 1,000 registered secrets vs txo with 10 (target <= 1.10x);
- ``personal data``: every personal-data class on, a customer-record mix (informative).

Runs are interleaved (a busy machine slows every side alike); figures are medians of CPU
time (``time.process_time``), spread = (max - min) / median of the measured side.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import logging.handlers
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import txo_runtime
from txo_runtime.logger import (
    ContextFilter,
    register_secrets,
    reset_logging,
    setup_logger,
)
from txo_runtime.logger._secret_values import engine_name

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
    ("Validated %d records against %s", (500, "schemas/org-env-config-schema.json")),
]
SECRET_LINES = [
    (
        "Token response: %s",
        (json.dumps({"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}),),
    ),
    ("POST %s body=%s", ("/token", f"grant_type=client_credentials&client_secret={SECRETS[0]}")),
    ("Config: %r", ({"_client_secret": SECRETS[1], "org": "acme"},)),
    ("Request headers: %s", ({"Authorization": f"Bearer {SECRETS[3]}", "Accept": "*/*"},)),
    ("Charging with key %s", (SECRETS[2],)),
    ("Connecting with %s", (f"Server=db;Password={SECRETS[1]};",)),
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
Mix = list[tuple[str, tuple[object, ...]]]


def secret_mix() -> Mix:
    """Ten benign lines and three secret lines per thirteen (76.9 % benign)."""
    mix: Mix = []
    for index in range(6):
        mix.extend(BENIGN)
        mix.extend(SECRET_LINES[(index * 3 + k) % len(SECRET_LINES)] for k in range(3))
    return mix


def personal_mix() -> Mix:
    """Three benign lines and one personal-data line per four."""
    mix: Mix = []
    for index in range(15):
        mix.extend(BENIGN[(index * 3 + k) % len(BENIGN)] for k in range(3))
        mix.append(PERSONAL_LINES[index % len(PERSONAL_LINES)])
    return mix


def generated_secrets(count: int) -> list[str]:
    """``count`` secrets: the four of the line mix, then generated ones."""
    extra = [f"Gen3rated-S3cret-{index:05d}-Zq" for index in range(max(0, count - len(SECRETS)))]
    return (SECRETS + extra)[:count]


def _project(folder: Path, personal: dict[str, Any] | None) -> Path:
    root = folder / ("personal" if personal else "secrets")
    (root / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "logging-config.json", root / "config" / "logging-config.json")
    patterns = json.loads((DATA / "log-redaction-patterns.json").read_text(encoding="utf-8"))
    if personal is not None:
        patterns["personal-data"] = personal
    text = json.dumps(patterns)
    (root / "config" / "log-redaction-patterns.json").write_text(text, encoding="utf-8")
    return root


def _log(mix: Mix, lines: int) -> float:
    bench = logging.getLogger("txo.bench")
    start = time.process_time()
    for index in range(lines):
        message, args = mix[index % len(mix)]
        bench.info(message, *args)
    return time.process_time() - start


@contextlib.contextmanager
def _console(folder: Path) -> Iterator[Any]:
    with (
        open(folder / "console.log", "w", encoding="utf-8") as stream,
        contextlib.redirect_stderr(stream),
    ):
        yield stream


def run_txo(folder: Path, mix: Mix, lines: int, secrets: int, personal: Any = None) -> float:
    """Seconds of CPU for ``lines`` records through a real ``setup_logger()``."""
    reset_logging()
    register_secrets(generated_secrets(secrets))
    root = _project(folder, personal)
    try:
        with _console(folder):
            setup_logger(org_id="bench", root=root)
            logging.getLogger("txo.bench").info("warm up (builds the secret automaton)")
            return _log(mix, lines)
    finally:
        reset_logging()


def _plain_handlers(folder: Path, stream: Any) -> list[logging.Handler]:
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    console = logging.StreamHandler(stream)
    console.setFormatter(
        logging.Formatter(config["console"]["format"], config["console"]["datefmt"])
    )
    file = config["file"]
    rotating = logging.handlers.RotatingFileHandler(
        folder / "plain.log", maxBytes=file["max_bytes"], backupCount=file["backup_count"]
    )
    rotating.setFormatter(logging.Formatter(file["format"], file["datefmt"]))
    for handler in (console, rotating):
        handler.addFilter(ContextFilter())
    return [console, rotating]


def run_plain(folder: Path, mix: Mix, lines: int) -> float:
    """Seconds of CPU for the same lines through plain stdlib handlers."""
    root = logging.getLogger()
    with _console(folder) as stream:
        handlers = _plain_handlers(folder, stream)
        level = root.level
        root.setLevel(logging.INFO)
        for handler in handlers:
            root.addHandler(handler)
        try:
            return _log(mix, lines)
        finally:
            root.setLevel(level)
            for handler in handlers:
                root.removeHandler(handler)
                handler.close()


def _interleaved(runs: dict[str, Callable[[], float]], repeat: int) -> dict[str, list[float]]:
    """Seconds of each run, ``repeat`` times, interleaved so a busy machine slows all alike."""
    results: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            results[name].append(run())
    return results


def _rows(folder: Path, lines: int) -> dict[str, tuple[Callable[[], float], Callable[[], float]]]:
    """Row name -> (measured, reference)."""
    secrets, personal = secret_mix(), personal_mix()
    return {
        "4 secrets": (
            lambda: run_txo(folder, secrets, lines, 4),
            lambda: run_plain(folder, secrets, lines),
        ),
        "100 secrets": (
            lambda: run_txo(folder, secrets, lines, 100),
            lambda: run_plain(folder, secrets, lines),
        ),
        "1000 vs 10 secrets": (
            lambda: run_txo(folder, secrets, lines, 1000),
            lambda: run_txo(folder, secrets, lines, 10),
        ),
        "personal data": (
            lambda: run_txo(folder, personal, lines, 4, ALL_CLASSES),
            lambda: run_plain(folder, personal, lines),
        ),
    }


def _leaked(folder: Path) -> bool:
    texts = [p.read_text("utf-8") for p in folder.glob("*/logs/*.log*")]
    texts.append((folder / "console.log").read_text("utf-8"))
    return any(secret in text for text in texts for secret in SECRETS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7, help="median of N interleaved runs")
    parser.add_argument(
        "--pure-python", action="store_true", help="the secret engine without ahocorasick-rs"
    )
    args = parser.parse_args()
    if args.pure_python:
        sys.modules["ahocorasick_rs"] = None  # type: ignore[assignment]  # import fails
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs: dict[str, Callable[[], float]] = {}
        for name, (measured, reference) in _rows(folder, args.lines).items():
            runs[f"{name}/measured"], runs[f"{name}/reference"] = measured, reference
        results = _interleaved(runs, args.repeat)
        leaked = _leaked(folder)
    header = f"{'row':<20}{'txo lines/s':>13}{'reference lines/s':>19}{'ratio':>8}{'spread':>8}"
    sys.stdout.write(header + "\n")
    for name in _rows(Path(), 0):
        measured, reference = results[f"{name}/measured"], results[f"{name}/reference"]
        ratio = statistics.median(measured) / statistics.median(reference)
        spread = (max(measured) - min(measured)) / statistics.median(measured)
        rate, ref_rate = (
            args.lines / statistics.median(measured),
            args.lines / statistics.median(reference),
        )
        sys.stdout.write(
            f"{name:<20}{rate:>13,.0f}{ref_rate:>19,.0f}{ratio:>7.2f}x{spread:>8.0%}\n"
        )
    sys.stdout.write(
        f"reference: plain stdlib logging, same two handlers (for '1000 vs 10 secrets': txo "
        f"with 10); targets <= 2.00x and <= 1.10x; {args.lines:,} lines, median of "
        f"{args.repeat} interleaved runs; secret engine: {engine_name()}; "
        f"secrets in any output: {'YES' if leaked else 'none'}\n"
    )


if __name__ == "__main__":
    main()
