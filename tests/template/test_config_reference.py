"""The configuration reference (docs/configuration.md) covers what a new project gets."""

from __future__ import annotations

import json
from pathlib import Path

from tests.template.conftest import REPO_ROOT, copier_copy


def _leaf_paths(node: object, prefix: str = "") -> list[str]:
    if not isinstance(node, dict):
        return [prefix]
    paths = [prefix] if prefix else []
    for name, child in node.items():
        paths += _leaf_paths(child, f"{prefix}.{name}" if prefix else name)
    return paths


def test_configuration_page_covers_every_key_a_generated_project_has(
    tmp_path: Path, home: Path
) -> None:
    project = tmp_path / "acme"
    copier_copy(project, home, {"org_id": "acme", "use_odata": "true", "use_soap": "true"})
    page = (REPO_ROOT / "docs/configuration.md").read_text()
    config = json.loads((project / "config/acme-test-config.json").read_text())
    assert [path for path in _leaf_paths(config) if f"`{path}`" not in page] == []
    secrets = json.loads((project / "config/acme-test-config-secrets.json.example").read_text())
    assert [key for key in secrets if f"`{key}`" not in page] == []
    assert "`az-token`" in page and "## `odata`" in page and "## `soap`" in page
    # the value a new project gets is shown beside its key
    assert "| `script-behavior.rate-limiting.calls-per-second` | number | yes | `10` |" in page
