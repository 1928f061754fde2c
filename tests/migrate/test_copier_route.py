"""The ``copier update`` route ends like ``txo migrate``: same logging, same files, nothing lost.

Two identical v2.1 projects carry the edits users make that the plain end-to-end project
lacks: their own logging levels (including a numeric ``15`` and a custom ``TRACE`` the
v3.0 loader refuses), an extra requirement, a script whose name contains "secret", a
``config.get`` soft-fail read and a schema edit on a line the v3.0 template changes too.
One is migrated by ``copier update --vcs-ref v3.0.0``, the other by ``txo migrate``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.migrate.v21_project import (
    COPIER,
    build_template_repo,
    commit_all,
    edit_json,
    git,
    make_v21_project,
    run,
)
from txo_runtime.logger import load_logging_settings
from txo_tools.checks import run_checks

pytestmark = pytest.mark.slow
MIGRATE = [sys.executable, "-m", "txo_tools.migrate"]
LOGGING = "config/logging-config.json"
USER_REQUIREMENT = "acme-erp-client>=1.2"
GITKEEPS = {"data/.gitkeep", "logs/.gitkeep", "output/.gitkeep", "tmp/.gitkeep"}
ROTATE = '''\
"""Rotate the ERP client secret (a script, not a secrets file)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from utils.logger import setup_logger  # noqa: E402
from utils.script_runner import parse_args_and_load_config  # noqa: E402

logger = setup_logger()


def main():
    config = parse_args_and_load_config("Rotate the client secret")
    url = config.get("global", {}).get("api-base-url")
    logger.info("Rotating at %s", url)


if __name__ == "__main__":
    main()
'''


def _user_logging(data: dict) -> None:
    data["handlers"]["console"]["level"] = "WARNING"
    data["handlers"]["file"]["level"] = 15
    data["loggers"]["myapp.trace"] = {"level": 15}
    data["loggers"]["zeep"] = {"level": "TRACE"}


def _user_schema(data: dict) -> None:
    # The line after "script-behavior" in v2.1 is one the v3.0 schema rewrites: a conflict.
    data["properties"]["script-behavior"]["description"] = "Our own words on the behaviour"


def make_project(root: Path, home: Path, template: Path, name: str) -> Path:
    project = make_v21_project(root, home, template, name)
    edit_json(project / LOGGING, _user_logging)
    edit_json(project / "schemas/org-env-config-schema.json", _user_schema)
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text() + USER_REQUIREMENT + "\n")
    (project / "src/rotate_secrets.py").write_text(ROTATE, encoding="utf-8")
    commit_all(project, home, "the user's logging, requirement, script and schema")
    return project


@dataclass(frozen=True)
class Routes:
    via_copier: Path
    via_txo: Path
    copier_stderr: str


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> Routes:
    root = tmp_path_factory.mktemp("routes")
    home = root / "home"
    home.mkdir()
    template = build_template_repo(root, home)
    via_copier = make_project(root, home, template, "via-copier")
    update = [*COPIER, "update", "--trust", "--defaults", "--vcs-ref", "v3.0.0"]
    result = run(update, via_copier, home, check=False)
    via_txo = make_project(root, home, template, "via-txo")
    run([*MIGRATE, str(via_txo)], root, home)
    assert git(via_copier, home, "rev-parse", "HEAD")  # still a repository
    return Routes(via_copier, via_txo, result.stderr)


def report(project: Path) -> str:
    return (project / "MIGRATION_REPORT.md").read_text(encoding="utf-8")


def test_copier_route_carries_the_logging_choices_over_like_txo_migrate(routes: Routes) -> None:
    text = (routes.via_copier / LOGGING).read_text(encoding="utf-8")
    assert "<<<<<<<" not in text and LOGGING not in routes.copier_stderr
    migrated = json.loads(text)
    assert migrated["console"]["level"] == "WARNING"
    assert migrated["file"]["level"] == "DEBUG"  # 15 -> the standard level at or below
    assert migrated["loggers"]["myapp.trace"] == "DEBUG"
    assert migrated["loggers"]["zeep"] == "INFO"  # TRACE is unknown: the default stays
    assert text == (routes.via_txo / LOGGING).read_text(encoding="utf-8")
    for project in (routes.via_copier, routes.via_txo):
        load_logging_settings(project / LOGGING)  # what every script does at start
        assert "`config/logging-config.json`: your v2.1 level 'TRACE'" in report(project)


def test_copier_route_restores_and_reports_every_file_the_update_deleted(routes: Routes) -> None:
    project = routes.via_copier
    requirements = (project / "requirements.txt").read_text(encoding="utf-8")
    assert USER_REQUIREMENT in requirements and "txo-runtime[excel]>=3,<4" in requirements
    hello = (project / "src/hello_world.py").read_text(encoding="utf-8")
    assert "from utils" not in hello and "txo_runtime" in hello
    text = report(project)
    for rel in ("requirements.txt", "src/hello_world.py", "data/.gitkeep"):
        assert f"### `{rel}`\n\n- **restored**" in text, rel
    assert (project / "requirements.txt").read_text() == (
        routes.via_txo / "requirements.txt"
    ).read_text()


def test_both_routes_keep_the_same_run_folder_gitkeeps(routes: Routes) -> None:
    for project in (routes.via_copier, routes.via_txo):
        kept = {p.relative_to(project).as_posix() for p in project.glob("*/.gitkeep")}
        assert kept == GITKEEPS, project.name


def test_a_script_named_like_secrets_is_migrated_and_its_soft_fail_reported(
    routes: Routes,
) -> None:
    for project in (routes.via_copier, routes.via_txo):
        script = (project / "src/rotate_secrets.py").read_text(encoding="utf-8")
        assert "from utils" not in script and "from txo_runtime.logger" in script
        assert script.startswith("# src/rotate_secrets.py\n")  # the path comment, added
        # the follow-up names the line in the migrated file (one below the original)
        line = next(n for n, t in enumerate(script.splitlines(), 1) if "config.get(" in t)
        assert line == 17
        assert f"`src/rotate_secrets.py:{line}`: reads config with `.get(...)`" in report(project)


def test_copier_route_schema_keeps_the_template_sections_after_a_conflict(
    routes: Routes,
) -> None:
    project = routes.via_copier
    assert "### `schemas/org-env-config-schema.json`\n\n- **conflict resolved**" in report(project)
    schema = json.loads((project / "schemas/org-env-config-schema.json").read_text())
    assert "Added by txo migrate" not in json.dumps(schema["properties"]["odata"])
    assert schema["properties"]["sales-report"]["description"] == "Settings of src/sales_report.py"
    findings = [f for f in run_checks(project) if f.code in {"TXO002", "TXO003"}]
    assert findings == []
