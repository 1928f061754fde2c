# tests/test_config.py
"""Every config is valid against the project's schema, and secrets stay out of git."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from txo_runtime.config_loader import load_config

from tests.conftest import ENV_TYPE, ORG_ID, PROJECT_ROOT

CONFIG_DIR = PROJECT_ROOT / "config"
SCHEMA_FILE = PROJECT_ROOT / "schemas" / "org-env-config-schema.json"
CONFIG_FILES = sorted(CONFIG_DIR.glob("*-*-config.json"))  # not logging-config.json
DEMO_CONFIG = "demo-test-config.json"  # the try-me script's, for the local demo server


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(_read(SCHEMA_FILE))


def test_there_is_a_config_for_the_default_environment() -> None:
    assert CONFIG_DIR / f"{ORG_ID}-{ENV_TYPE}-config.json" in CONFIG_FILES


@pytest.mark.parametrize("config_file", CONFIG_FILES, ids=lambda path: path.name)
def test_config_matches_the_schema(config_file: Path) -> None:
    validator = Draft202012Validator(
        _read(SCHEMA_FILE), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = [
        f"{error.json_path}: {error.message}" for error in validator.iter_errors(_read(config_file))
    ]
    assert errors == []


@pytest.mark.parametrize("config_file", CONFIG_FILES, ids=lambda path: path.name)
def test_every_config_has_a_secrets_example_with_placeholders_only(config_file: Path) -> None:
    example = config_file.with_name(config_file.stem + "-secrets.json.example")
    secrets = _read(example)
    assert secrets, f"{example.name} is empty"
    if config_file.name == DEMO_CONFIG:
        return  # the local demo server's public secret; see the test below
    assert all(str(value).startswith("replace-with-") for value in secrets.values())


def test_the_demo_config_whose_example_holds_a_public_secret_talks_to_loopback_only() -> None:
    config_file = CONFIG_DIR / DEMO_CONFIG
    if not config_file.is_file():
        pytest.skip("this project has no try-me script")
    settings = _read(config_file)["global"]
    urls = [settings["api-base-url"], settings["oauth-token-url"]]  # where requests go
    assert all(url.startswith("http://127.0.0.1:") for url in urls)


def test_real_secrets_files_are_git_ignored() -> None:
    rules = (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "*-config-secrets.json" in rules
    assert "!*-config-secrets.json.example" in rules


def test_the_runtime_loads_the_config_and_injects_the_example_secrets(
    project_copy: Path,
) -> None:
    config_dir = project_copy / "config"
    example = config_dir / f"{ORG_ID}-{ENV_TYPE}-config-secrets.json.example"
    shutil.copyfile(example, config_dir / f"{ORG_ID}-{ENV_TYPE}-config-secrets.json")

    config = load_config(ORG_ID, ENV_TYPE, root=project_copy)

    assert config["_org_id"] == ORG_ID
    assert config["_client_secret"] == "replace-with-the-client-secret"
