"""The documentation site builds with `mkdocs build --strict`; the generated pages are fresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_mkdocs_build_strict_passes(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "site" / "api" / "exceptions" / "index.html").is_file()


def test_configuration_page_is_generated_from_the_current_schema() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/gen_config_docs.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def _property_paths(node: dict, prefix: str = "") -> list[str]:
    paths = []
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        paths += [path, *_property_paths(child, path)]
    return paths


def test_configuration_page_lists_every_schema_property() -> None:
    schema = json.loads((REPO / "txo_runtime/data/org-env-config-schema.json").read_text())
    page = (REPO / "docs/configuration.md").read_text()
    missing = [path for path in _property_paths(schema) if f"`{path}`" not in page]
    assert missing == []
