"""Config sections (and their schema) the v3.0 template adds for its starter scripts.

During ``copier update`` the new template may bring a starter script (``use_odata`` defaults
to true) that reads a config section a v2.1 config never had. The template's per-environment
config source is rendered with the project's answers and every top-level section the user's
config lacks is added with the template's values; the user's own sections win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from txo_tools.migrate.config import JsonDict, loads

CONFIG_SOURCE = Path("template") / "config" / "_environment" / "config.json"
SCHEMA_SOURCE = Path("template") / "schemas" / "org-env-config-schema.json"
CORE_SECTIONS = ("global", "script-behavior")


def template_sections(template_root: Path | None, answers_text: str | None) -> JsonDict:
    """Top-level sections of the template's config rendered with the project's answers."""
    rendered = render_template_json(template_root, CONFIG_SOURCE, answers_text)
    if rendered is None:
        return {}
    return {k: v for k, v in rendered.items() if k not in CORE_SECTIONS}


def template_schema(template_root: Path | None, answers_text: str | None) -> JsonDict | None:
    """The template's project schema rendered with the project's answers (its ``odata`` and
    ``soap`` sections match the sections :func:`template_sections` adds to the configs)."""
    return render_template_json(template_root, SCHEMA_SOURCE, answers_text)


def render_template_json(
    template_root: Path | None, source: Path, answers_text: str | None
) -> JsonDict | None:
    """One JSON file of the template rendered with the project's answers, else None."""
    path = template_root / source if template_root is not None else None
    if path is None or not path.is_file() or not answers_text:
        return None
    import jinja2
    import yaml

    answers = {k: v for k, v in (yaml.safe_load(answers_text) or {}).items() if k[:1] != "_"}
    try:
        text = jinja2.Environment().from_string(path.read_text(encoding="utf-8"))
        rendered: Any = loads(text.render(cookiecutter=answers))
    except (jinja2.TemplateError, ValueError):
        return None  # an unexpected template: the follow-ups still name what is missing
    return rendered if isinstance(rendered, dict) else None


def add_missing_sections(config: JsonDict, sections: JsonDict) -> list[str]:
    """Add the template's sections the config lacks; returns one note per added section."""
    notes = []
    for name, value in sections.items():
        if name not in config:
            config[name] = value
            notes.append(f"added section '{name}' from the v3.0 template ({value})")
    return notes
