"""Build hooks of txo-tools: one version and one template for both distributions.

The version lives once, in ``txo_runtime/__init__.py`` at the repository root; txo-tools takes
it and depends on ``txo-runtime`` of exactly that version. The copier template (``copier.yml``,
``template/``, ``hooks/``) stays at the repository root so ``copier copy <git URL>`` works;
the wheel and the sdist carry a copy under ``txo_tools/template/`` so ``txo new DEST`` works
from an installed wheel. Building from an unpacked sdist finds both already inside.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface

TEMPLATE_PARTS = ("copier.yml", "template", "hooks")
PACKAGED_TEMPLATE = "txo_tools/template"
_SKIPPED = ("__pycache__", ".pyc", ".pyo", ".DS_Store")
_VERSION = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)


def _repository_root(project_root: str) -> Path | None:
    """The txo repository around this folder, or None when building from an sdist."""
    candidate = Path(project_root).resolve().parent
    return candidate if (candidate / "txo_runtime" / "__init__.py").is_file() else None


def _version(project_root: str) -> str:
    repo = _repository_root(project_root)
    if repo is not None:
        text = (repo / "txo_runtime" / "__init__.py").read_text(encoding="utf-8")
        found = _VERSION.search(text)
    else:  # an unpacked sdist: its PKG-INFO holds the version it was built with
        text = (Path(project_root) / "PKG-INFO").read_text(encoding="utf-8")
        found = re.search(r"^Version:\s*(\S+)", text, re.MULTILINE)
    if found is None:
        raise RuntimeError("txo-tools: no version found (txo_runtime/__init__.py or PKG-INFO)")
    return found.group(1)


class CustomMetadataHook(MetadataHookInterface):
    """Version from the runtime; dependencies: the runtime of that exact version + tools'."""

    def update(self, metadata: dict[str, Any]) -> None:
        version = _version(self.root)
        metadata["version"] = version
        own = list(self.config.get("dependencies", []))
        metadata["dependencies"] = [f"txo-runtime=={version}", *own]


class CustomBuildHook(BuildHookInterface):
    """Pack the repository's template into ``txo_tools/template/`` (symlinks resolved)."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        repo = _repository_root(self.root)
        if repo is None:
            return  # building from an sdist: the template is already in txo_tools/template
        if version == "editable":
            return  # an editable install runs from the checkout, which has the template
        for part in TEMPLATE_PARTS:
            source = repo / part
            files = [source] if source.is_file() else sorted(source.rglob("*"))
            for path in files:
                if path.is_dir() or any(s in path.as_posix() for s in _SKIPPED):
                    continue
                target = f"{PACKAGED_TEMPLATE}/{path.relative_to(repo).as_posix()}"
                build_data["force_include"][str(path.resolve())] = target
