"""The documentation site builds with `mkdocs build --strict`; the generated pages are fresh."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mkdocs build --strict`` once for the tests of the built site."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return out


def _pages(site: Path) -> dict[str, str]:
    return {
        path.relative_to(site).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(site.rglob("*.html"))
    }


def test_mkdocs_build_strict_passes(site: Path) -> None:
    assert (site / "api" / "exceptions" / "index.html").is_file()


SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|data|attr|mod|exc|obj|const):(?:<code>|`)")


def test_the_built_site_shows_no_literal_sphinx_role(site: Path) -> None:
    found = {name: SPHINX_ROLE.findall(html) for name, html in _pages(site).items()}
    assert {name: roles for name, roles in found.items() if roles} == {}


def test_every_script_of_the_site_is_served_from_the_site_itself(site: Path) -> None:
    remote = {
        name: sources
        for name, html in _pages(site).items()
        if (sources := re.findall(r'<script[^>]*src="((?:https?:)?//[^"]+)"', html))
    }
    assert remote == {}


def test_the_mermaid_diagram_renders_with_the_bundled_renderer(site: Path) -> None:
    html = (site / "architecture" / "index.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid">' in html
    (script,) = re.findall(r'<script src="([^"]*mermaid[^"]*\.js)"', html)
    renderer = (site / "architecture" / script).resolve()
    assert (
        renderer.is_file() and "globalThis.mermaid" in renderer.read_text(encoding="utf-8")[-500:]
    )


def _public_methods(cls: type) -> list[str]:
    """Public functions and properties a class has from txo_runtime, inherited ones too."""
    names = []
    for name in dir(cls):
        owner = next((base for base in cls.__mro__ if name in vars(base)), None)
        if name.startswith("_") or owner is None or not owner.__module__.startswith("txo_"):
            continue
        if callable(getattr(cls, name)) or isinstance(vars(owner)[name], property):
            names.append(name)
    return names


@pytest.mark.parametrize(
    ("page", "module_name"),
    [(path.stem, f"txo_runtime.{path.stem}") for path in sorted((REPO / "docs/api").glob("*.md"))
     if path.stem != "checks"],
)  # fmt: skip
def test_api_pages_list_every_public_name_and_method(
    site: Path, page: str, module_name: str
) -> None:
    module = importlib.import_module(module_name)
    html = (site / "api" / page / "index.html").read_text(encoding="utf-8")
    missing = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        # a lazily re-exported name is documented where the page shows its module
        found = re.search(rf'id="((?:{re.escape(module_name)})(?:\.\w+)*)\.{name}"', html)
        prefix = found.group(1) if found else None
        if prefix is None:
            missing.append(name)
        elif inspect.isclass(obj) and obj.__module__.startswith("txo_runtime"):
            missing += [f"{name}.{m}" for m in _public_methods(obj)
                        if f'id="{prefix}.{name}.{m}"' not in html]  # fmt: skip
    assert missing == []


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
