"""v2.1 -> v3.0 end to end with real copier and git: the two migration routes.

A throwaway template repository gets tag v2.1.0 (the frozen fixture) and v3.0.0 (this
repository's template + runtime). Projects are generated at v2.1.0, edited like users do,
committed, then migrated by ``copier update`` (the ``_migrations`` entry) or by
``python -m txo_tools.migrate`` (a project cloned rather than generated).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.migrate.v21_project import (
    COPIER,
    SECRET_BYTES,
    SECRETS,
    build_template_repo,
    commit_all,
    git,
    make_v21_project,
    run,
    tree_digest,
)

pytestmark = pytest.mark.slow
MIGRATE = [sys.executable, "-m", "txo_tools.migrate"]
FLAT_KEYS = {"enable-rate-limiting", "rate-limit-per-second", "enable-circuit-breaker",
             "circuit-breaker-threshold", "circuit-breaker-timeout"}  # fmt: skip


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("e2e")
    home = root / "home"
    home.mkdir()
    return root, home, build_template_repo(root, home)


@pytest.fixture(scope="module")
def updated(workspace: tuple[Path, Path, Path]) -> tuple[Path, Path]:
    root, home, template = workspace
    project = make_v21_project(root, home, template, "via-copier")
    run([*COPIER, "update", "--trust", "--defaults", "--vcs-ref", "v3.0.0"], project, home)
    return project, home


@pytest.fixture(scope="module")
def adopted(workspace: tuple[Path, Path, Path]) -> tuple[Path, Path, str]:
    root, home, template = workspace
    project = make_v21_project(root, home, template, "cloned")
    git(project, home, "rm", "-q", ".copier-answers.yml")
    commit_all(project, home, "a clone has no answers file")
    result = run([*MIGRATE, str(project), "--template-src", str(template)], root, home)
    return project, home, result.stdout


def assert_is_working_v3_project(project: Path, home: Path) -> None:
    scripts = sorted((project / "src").glob("*.py"))
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        assert "from utils" not in text and "import utils" not in text, script.name
        compile(text, str(script), "exec")
    flakes = run([sys.executable, "-m", "pyflakes", "src"], project, home, check=False)
    assert "undefined name" not in flakes.stdout, flakes.stdout
    for script in scripts:
        if script.stem != "__init__":
            run([sys.executable, "-m", f"src.{script.stem}", "--help"], project, home)
    assert not (project / "utils").exists()
    assert (project / "config/log-redaction-patterns.json").is_file()
    assert json.loads((project / "config/logging-config.json").read_text())["version"] == "3.0"


def assert_config_migrated(project: Path) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((project / "schemas/org-env-config-schema.json").read_text())
    for path in sorted((project / "config").glob("acme-*-config.json")):
        config = json.loads(path.read_text(encoding="utf-8"))
        assert not FLAT_KEYS & set(config["script-behavior"]), path.name
        assert list(Draft202012Validator(schema).iter_errors(config)) == [], path.name
    test = json.loads((project / "config/acme-test-config.json").read_text())
    assert test["global"]["api-base-url"] == "https://erp.acme.example/odata"
    assert test["script-behavior"]["rate-limiting"] == {
        "enabled": True, "calls-per-second": 4, "burst-size": 1, "scope": "process"}  # fmt: skip
    assert test["script-behavior"]["batch-handling"]["vat-batch-size"] == 10
    assert test["sales-report"]["regions"] == ["north", "south"]
    assert schema["properties"]["sales-report"]["description"] == "Settings of src/sales_report.py"
    assert (project / SECRETS).read_bytes() == SECRET_BYTES


def assert_script_rewritten(project: Path) -> None:
    text = (project / "src/sales_report.py").read_text(encoding="utf-8")
    assert "# keep this comment: the endpoint is customer specific" in text
    assert "require_token=True" in text and "validate_config" not in text
    assert 'data_handler.save(rows, Dir.OUTPUT, "sales.xlsx")' in text
    assert "load_json(Dir.CONFIG, 'sales-settings.json')" in text
    assert "MinimalRestAPI" in text and "TxoRestAPI" not in text
    report = (project / "MIGRATION_REPORT.md").read_text(encoding="utf-8")
    for expected in ("src/sales_report.py", "config/acme-test-config.json", "require_token",
                     "Dir.OUTPUT", "`save_excel(...)` -> `save(...)`", "utils/logger.py",
                     "schemas/org-env-config-schema.json", "`src/sales_report.py:34`"):  # fmt: skip
        assert expected in report, expected
    assert "s3cr3t" not in report


def test_copier_update_across_v3_gives_a_working_project(updated: tuple[Path, Path]) -> None:
    project, home = updated
    assert_is_working_v3_project(project, home)
    assert_config_migrated(project)
    assert_script_rewritten(project)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v3.0.0"


def test_generated_project_tests_pass_after_the_update(updated: tuple[Path, Path]) -> None:
    project, home = updated
    if not (project / "tests").is_dir():
        pytest.skip("the v3.0 template has no project tests yet")
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                 project, home, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]


def test_txo_migrate_adopts_a_cloned_project(adopted: tuple[Path, Path, str]) -> None:
    project, home, stdout = adopted
    assert "change(s)" in stdout
    assert_is_working_v3_project(project, home)
    assert_config_migrated(project)
    assert_script_rewritten(project)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v3.0.0"
    assert (answers["org_id"], answers["environments"]) == ("acme", "test,prod")


def test_second_run_is_a_no_op(adopted: tuple[Path, Path, str]) -> None:
    project, home, _ = adopted
    commit_all(project, home, "migrated")
    before = tree_digest(project)
    result = run([*MIGRATE, str(project)], project, home)
    assert "Nothing to do" in result.stdout
    assert tree_digest(project) == before


def test_dry_run_changes_nothing(workspace: tuple[Path, Path, Path]) -> None:
    root, home, template = workspace
    project = make_v21_project(root, home, template, "dry-run")
    before = tree_digest(project)
    result = run([*MIGRATE, str(project), "--dry-run"], root, home)
    assert "would change" in result.stdout and "src/sales_report.py" in result.stdout
    assert tree_digest(project) == before


def test_update_conflict_is_reported_loudly_and_nothing_is_lost(
    workspace: tuple[Path, Path, Path],
) -> None:
    root, home, template = workspace
    project = make_v21_project(root, home, template, "conflict")
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("TXO v2.1 scripts", "Our own README line"))
    commit_all(project, home, "user edits a template-owned line")
    result = run([*COPIER, "update", "--trust", "--defaults", "--vcs-ref", "v3.0.0"],
                 project, home, check=False)  # fmt: skip
    assert result.returncode != 0
    assert "README.md" in result.stderr
    assert "Our own README line" in readme.read_text()
    report = (project / "MIGRATION_REPORT.md").read_text()
    assert "CONFLICTS" in report and "`README.md`" in report
