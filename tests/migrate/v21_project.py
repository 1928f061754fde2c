"""Build v2.1 projects the way users have them: generated from the frozen v2.1 template,
then edited (a script of their own, changed and custom config, a secrets file)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "template_v21"
SECRETS = "config/acme-test-config-secrets.json"
SECRET_BYTES = b'{\n  "client-secret": "s3cr3t-Value~abc",\n  "az-token": "eyJhbGciOi.x.y"\n}\n'
COPIER = [sys.executable, "-m", "copier"]

USER_SCRIPT = '''\
# src/sales_report.py
"""Monthly sales report (a user's own v2.1 script)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from utils.logger import setup_logger  # noqa: E402
from utils.load_n_save import TxoDataHandler  # noqa: E402
from utils.path_helpers import get_path  # noqa: E402
from utils.rest_api_helpers import TxoRestAPI  # noqa: E402
from utils.script_runner import parse_args_and_load_config  # noqa: E402

logger = setup_logger()
data_handler = TxoDataHandler()


def fetch(config, api: TxoRestAPI):
    # keep this comment: the endpoint is customer specific
    return api.get(config["sales-report"]["endpoint"])


def main():
    config = parse_args_and_load_config(
        "Monthly sales report",
        validate_config=True
    )
    settings = data_handler.load_json('config', 'sales-settings.json')
    rows = fetch(config, TxoRestAPI(token=config["_token"]))
    data_handler.save_excel(rows, 'output', "sales.xlsx")
    data_handler.save_json(settings, "output", "settings-copy.json")
    folder_var = config["sales-report"]["folder"]
    data_handler.save_json(rows, folder_var, "rows.json")
    logger.info("Report at %s", get_path('output', 'sales.xlsx'))


if __name__ == "__main__":
    main()
'''


def env(home: Path) -> dict[str, str]:
    values = dict(os.environ)
    values.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", PYTHONDONTWRITEBYTECODE="1")
    values.pop("TXO_PROJECT_ROOT", None)
    return values


def run(
    args: list[str], cwd: Path, home: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env(home), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def git(cwd: Path, home: Path, *args: str) -> str:
    return run(["git", *args], cwd, home).stdout


def commit_all(cwd: Path, home: Path, message: str) -> None:
    git(cwd, home, "add", "-A")
    git(cwd, home, "commit", "-q", "-m", message)


def build_template_repo(root: Path, home: Path) -> Path:
    """Template repo with tag v2.1.0 (frozen fixture) and v3.0.0 (this repository's template)."""
    repo = root / "txo-template"
    shutil.copytree(FIXTURE, repo)
    git(repo, home, "init", "-q", "-b", "main")
    commit_all(repo, home, "v2.1")
    git(repo, home, "tag", "v2.1.0")
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("copier.yml", "cookiecutter.json", "pyproject.toml", "README.md"):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, repo / name)
    for name in ("template", "hooks", "txo_runtime"):
        shutil.copytree(REPO / name, repo / name, symlinks=True, ignore=ignore)
    commit_all(repo, home, "v3.0")
    git(repo, home, "tag", "v3.0.0")
    return repo


def make_v21_project(root: Path, home: Path, template: Path, name: str) -> Path:
    """``copier copy`` at v2.1.0, then the user's edits, committed."""
    project = root / name
    run([*COPIER, "copy", "--trust", "--defaults", "--vcs-ref", "v2.1.0", str(template),
         str(project)], root, home)  # fmt: skip
    (project / "src" / "sales_report.py").write_text(USER_SCRIPT, encoding="utf-8")
    (project / "config" / "sales-settings.json").write_text('{"currency": "EUR"}\n')
    edit_json(project / "config/acme-test-config.json", _user_config_edits)
    edit_json(project / "schemas/org-env-config-schema.json", _user_schema_edits)
    (project / SECRETS).write_bytes(SECRET_BYTES)
    git(project, home, "init", "-q", "-b", "main")
    commit_all(project, home, "v2.1 project with user changes")
    return project


def edit_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _user_config_edits(data: dict[str, Any]) -> None:
    data["global"]["api-base-url"] = "https://erp.acme.example/odata"
    data["script-behavior"]["rate-limit-per-second"] = 4
    data["script-behavior"]["enable-rate-limiting"] = True
    data["sales-report"] = {"endpoint": "https://erp.acme.example/sales", "folder": "output",
                            "regions": ["north", "south"]}  # fmt: skip


def _user_schema_edits(data: dict[str, Any]) -> None:
    data["properties"]["sales-report"] = {
        "type": "object",
        "description": "Settings of src/sales_report.py",
        "properties": {"endpoint": {"type": "string"}, "folder": {"type": "string"},
                       "regions": {"type": "array", "items": {"type": "string"}}},
    }  # fmt: skip


def tree_digest(root: Path) -> str:
    """Hash of every file (names and bytes) outside .git: proves 'nothing changed'."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if ".git" not in p.parts and p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
