"""Config sections the v3.0 template adds for its starter scripts (``odata``, ``soap``).

During ``copier update`` the new template may bring a starter script (``use_odata`` defaults
to true) that reads a config section a v2.1 config never had. The template's per-environment
config source is rendered with the project's answers and every top-level section the user's
config lacks is added with the template's values; the user's own sections win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from txo_runtime.migrate.config import JsonDict, loads

CONFIG_SOURCE = Path("template") / "config" / "_environment" / "config.json"
CORE_SECTIONS = ("global", "script-behavior")


def template_sections(template_root: Path | None, answers_text: str | None) -> JsonDict:
    """Top-level sections of the template's config rendered with the project's answers."""
    source = template_root / CONFIG_SOURCE if template_root is not None else None
    if source is None or not source.is_file() or not answers_text:
        return {}
    import jinja2
    import yaml

    answers = {k: v for k, v in (yaml.safe_load(answers_text) or {}).items() if k[:1] != "_"}
    try:
        text = jinja2.Environment().from_string(source.read_text(encoding="utf-8"))
        rendered: Any = loads(text.render(cookiecutter=answers))
    except (jinja2.TemplateError, ValueError):
        return {}  # an unexpected template: the follow-ups still name missing sections
    if not isinstance(rendered, dict):
        return {}
    return {k: v for k, v in rendered.items() if k not in CORE_SECTIONS}


def add_missing_sections(config: JsonDict, sections: JsonDict) -> list[str]:
    """Add the template's sections the config lacks; returns one note per added section."""
    notes = []
    for name, value in sections.items():
        if name not in config:
            config[name] = value
            notes.append(f"added section '{name}' from the v3.0 template ({value})")
    return notes
