"""The specification's own snippets, run as written (``utils.`` read as ``txo_runtime.``).

Each snippet is kept verbatim apart from the import path and the marked adaptations (a
``# adapted:`` comment says what and why), so a user who copies it from the specification
gets what these tests prove.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest


def run_snippet(code: str, **names: Any) -> dict[str, Any]:
    """Execute a snippet in a fresh namespace (plus ``names``); returns the namespace."""
    namespace: dict[str, Any] = {"__name__": "seed_snippet", **names}
    exec(compile(textwrap.dedent(code), "<seed snippet>", "exec"), namespace)
    return namespace


# --- ConfigProxy (refactoring guide, phase 6 "new patterns") ------------------------------

CONFIG_PROXY_USAGE = """
from txo_runtime.config_loader import ConfigProxy

config = ConfigProxy(raw_config, "demo-test-config.json")
url = config.require("global", "api-base-url")
timeout = config.optional("timeouts", "rest", default=60)
"""


def test_seed_config_proxy_usage_reads_required_and_optional_values() -> None:
    raw_config = {"global": {"api-base-url": "https://api.example.com"}}
    namespace = run_snippet(CONFIG_PROXY_USAGE, raw_config=raw_config)
    assert namespace["url"] == "https://api.example.com"
    assert namespace["timeout"] == 60


def test_seed_config_proxy_usage_fails_with_the_path_and_an_example() -> None:
    from txo_runtime.exceptions import MissingConfigKeyError, render_user_message

    with pytest.raises(MissingConfigKeyError) as caught:
        run_snippet(CONFIG_PROXY_USAGE, raw_config={"global": {}})
    shown = render_user_message(caught.value)
    assert "'global.api-base-url' is missing in demo-test-config.json" in shown
    assert '"api-base-url": "<value>"' in shown


# --- hard-fail validation (refactoring guide, phase 1) -----------------------------------

PHASE_1_VALIDATION = """
from txo_runtime.api_factory import create_rest_api

# Test that KeyError is raised
config = {"global": {}}
try:
    api = create_rest_api(config)
    print("ERROR: Should have raised KeyError")
except KeyError as e:
    print(f"✓ Correctly raised KeyError: {e}")
"""


def test_seed_phase_1_validation_a_plain_dict_without_settings_raises_key_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_snippet(PHASE_1_VALIDATION)
    out = capsys.readouterr().out
    assert out.startswith("✓ Correctly raised KeyError: ")
    assert "script-behavior" in out  # the message names what is missing


MIGRATION_OPTION_2 = """
# Option 2: With default
try:
    delay = config["script-behavior"]["delay"]
except KeyError:
    delay = 1
"""


@pytest.mark.parametrize("loaded", [False, True], ids=["plain-dict", "loaded-config"])
def test_seed_migration_guide_except_key_error_default_works_on_any_config(loaded: bool) -> None:
    from txo_runtime.config_loader import ConfigDict

    raw: dict[str, Any] = {"script-behavior": {}}
    config = ConfigDict(raw, source_file="config/demo-test-config.json") if loaded else raw
    assert run_snippet(MIGRATION_OPTION_2, config=config)["delay"] == 1


# --- ProcessingResult (script guide "Batch Processing" / "utils.concurrency") -------------

SUCCESS_RATE_LOG = """
from txo_runtime.concurrency import rate_limited_parallel

# Process items with rate limiting
results = rate_limited_parallel(
    api_call_function,
    items,
    calls_per_second=5,
    max_workers=10
)

logger.info(f"Success rate: {results.success_rate:.1%}")
"""

FAILURE_RATE_CHECK = """
from txo_runtime.concurrency import batch_process

# Batch processing
result = batch_process(
    process_batch, data,
    batch_size=1000
)

# Check results
if result.success_percent < 90:  # adapted: the guide wrote success_rate, a fraction
    logger.warning(f"High failure rate: {result.failure_count} failed")
"""


def test_seed_success_rate_formats_as_a_percentage(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from txo_runtime.api_common import RateLimiter

    def api_call_function(n: int) -> int:
        if n == 3:
            raise ValueError("item 3 is locked")
        return n

    logger = logging.getLogger("seed")
    with caplog.at_level(logging.INFO, logger="seed"):
        run_snippet(
            # adapted: a fast limiter so the test does not wait; the call is as written
            SUCCESS_RATE_LOG.replace("calls_per_second=5,", "calls_per_second=1000,"),
            api_call_function=api_call_function,
            items=[1, 2, 3, 4],
            logger=logger,
            RateLimiter=RateLimiter,
        )
    assert "Success rate: 75.0%" in caplog.text


@pytest.mark.parametrize(("failing_batches", "warned"), [(0, False), (1, True)])
def test_seed_failure_rate_check_warns_only_below_90_percent(
    caplog: pytest.LogCaptureFixture, failing_batches: int, warned: bool
) -> None:
    import logging

    def process_batch(batch: list[int]) -> int:
        if batch[0] < failing_batches * 1000:
            raise ValueError("batch refused")
        return len(batch)

    logger = logging.getLogger("seed")
    with caplog.at_level(logging.WARNING, logger="seed"):
        run_snippet(
            FAILURE_RATE_CHECK, process_batch=process_batch, data=range(5000), logger=logger
        )
    assert ("High failure rate: 1 failed" in caplog.text) is warned


def test_seed_processing_result_has_slots_as_the_refactoring_guide_asks() -> None:
    from txo_runtime.concurrency import ProcessingResult

    assert "__slots__" in vars(ProcessingResult)
    assert {"results", "failures", "elapsed"} <= set(ProcessingResult.__slots__)
    # the v2.1 names the guide's snippet sets are still readable
    result: ProcessingResult[int, int] = ProcessingResult([1, None], elapsed=2.0)
    assert (result.successful, result.failed, result.total_time) == ([1, None], [], 2.0)


# --- HelpfulError output format (script guide "HelpfulError Pattern") --------------------

HELPFUL_ERROR_PATTERN = """
from pathlib import Path

from txo_runtime.exceptions import HelpfulError

if not Path(config_file).exists():
    raise HelpfulError(
        what_went_wrong=f"Configuration file '{config_file}' not found",
        how_to_fix="Create the file in the config/ directory",
        example=f"Copy config/example.json to config/{org_id}-{env_type}-config.json"
    )
"""

SEED_OUTPUT_FORMAT = """\
❌ Problem: Configuration file 'acme-prod-config.json' not found

✅ Solution: Create the file in the config/ directory

📝 Example:
Copy config/example.json to config/acme-prod-config.json"""


def test_seed_helpful_error_renders_in_the_seed_output_format_on_a_terminal(
    tmp_path: Any,
) -> None:
    from txo_runtime.exceptions import HelpfulError, render_user_message

    names = {"config_file": "acme-prod-config.json", "org_id": "acme", "env_type": "prod"}
    with pytest.raises(HelpfulError) as caught:
        run_snippet(HELPFUL_ERROR_PATTERN, **names)  # the file does not exist in the cwd
    assert render_user_message(caught.value, symbols=True) == SEED_OUTPUT_FORMAT
    plain = SEED_OUTPUT_FORMAT.replace("❌ ", "").replace("✅ ", "").replace("📝 ", "")
    assert str(caught.value) == plain  # logs and pipes: the same text, plain labels


# --- MethodMetrics (refactoring guide, phase 6) and its method_length check --------------

MEASURE_COMPLEXITY_USE = """
from txo_runtime.method_metrics import measure_complexity


@measure_complexity
def process_everything(config):
{body}
"""

METHOD_LENGTH_CHECK = """
import ast
import os

def check_method_length(filepath):
    with open(filepath, 'r') as f:
        tree = ast.parse(f.read())

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            lines = node.end_lineno - node.lineno
            if lines > 50:
                print(f"WARN: {filepath}::{node.name} has {lines} lines")

for root, dirs, files in os.walk('txo_runtime'):  # adapted: was 'utils'
    for file in files:
        if file.endswith('.py'):
            check_method_length(os.path.join(root, file))
"""


def test_seed_measure_complexity_warns_about_a_method_over_50_lines(tmp_path: Any) -> None:
    from pathlib import Path

    from txo_runtime.method_metrics import ComplexityWarning

    body = "".join(f"    step_{n} = config['global']\n" for n in range(55)) + "    return 0\n"
    path = Path(tmp_path) / "long_script.py"
    path.write_text(MEASURE_COMPLEXITY_USE.format(body=body))
    with pytest.warns(ComplexityWarning, match="process_everything has 57 lines"):
        exec(compile(path.read_text(), str(path), "exec"), {"__name__": "long_script"})


def test_seed_method_length_check_finds_no_long_method_in_the_runtime(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    run_snippet(METHOD_LENGTH_CHECK)
    assert capsys.readouterr().out == ""


# --- Path Centralization Pattern and pitfall 4 "Building Paths Manually" -----------------

PATH_CENTRALIZATION = """
import os
from pathlib import Path

# ✅ CORRECT
from txo_runtime.path_helpers import Dir, get_path
config_file = get_path(Dir.CONFIG, 'settings.json')  # adapted: Dir.CONFIG for 'config'
output_file = get_path(Dir.OUTPUT, 'report.xlsx')  # adapted: Dir.OUTPUT for 'output'

# ❌ WRONG
config_file = Path('config/settings.json')
config_file = 'config/settings.json'
config_file = os.path.join('config', 'settings.json')
path = "config/settings.json"
path = Path("config") / "settings.json"
"""


def test_seed_path_centralization_correct_form_runs_and_each_wrong_form_is_reported(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from txo_tools.checks import check_source

    (tmp_path / "config").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.setenv("TXO_PROJECT_ROOT", str(tmp_path))
    namespace = run_snippet(PATH_CENTRALIZATION)
    assert namespace["output_file"] == tmp_path.resolve() / "output" / "report.xlsx"

    findings = [
        (f.code, f.line, f.how_to_fix.split(" (from")[0])
        for f in check_source(PATH_CENTRALIZATION, "src/any_script.py")
    ]
    fix = 'Use get_path(Dir.CONFIG, "settings.json")'
    assert findings == [
        ("TXO017", 11, fix),
        ("TXO019", 12, fix),
        ("TXO018", 13, fix),
        ("TXO019", 14, fix),
        ("TXO017", 15, fix),
    ]


# --- "Architecture Decisions: See ADR Records" (script guide, "For More Information") ---

DELIBERATE_DEVIATIONS = {
    "two distributions": "Two distributions from one repository",
    "package per concern": "A package per concern",
    "stdlib logger, no singleton": "not a `TxoLogger` singleton",
    "one engine with tenacity": "One attempt-and-retry engine, built on tenacity",
    "no config cache": "No configuration cache",
    "KeyError and HelpfulError": "deliberately not a `HelpfulError`",
    "symbols only on a terminal": "symbols on a terminal, plain labels elsewhere",
    "retries only where safe": "Retries only where they are safe",
    "shared sessions": "not thread-local ones",
    "strings still accepted": "strings still accepted for one major version",
    "fraction and percentage": "reports a fraction and a percentage",
    "warning at definition": "warns once, when the function is defined",
    "ast checks": "Checks read code with `ast`",
}


@pytest.mark.parametrize("heading", DELIBERATE_DEVIATIONS.values(), ids=DELIBERATE_DEVIATIONS)
def test_seed_adr_record_names_each_deliberate_deviation_with_its_reason(heading: str) -> None:
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    text = (repo / "docs" / "decisions.md").read_text(encoding="utf-8")
    (record,) = [part for part in text.split("\n### ") if heading in part]
    assert "**Decision.**" in record and "**Why.**" in record
    assert "Design decisions: decisions.md" in (repo / "mkdocs.yml").read_text(encoding="utf-8")
