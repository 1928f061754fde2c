"""Adopting a project that was cloned, not generated: infer a ``.copier-answers.yml``.

With an answers file (``_commit: v3.0.0`` and the template source), a later
``copier update`` treats the project as generated from v3.0.0 and brings template changes.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

ANSWERS_FILE = ".copier-answers.yml"
ADOPTED_VERSION = "v3.0.0"
_CONFIG_NAME = re.compile(r"^(?P<org>[a-z][a-z0-9-]*)-(?P<env>[a-z][a-z0-9_]*)-config\.json$")
_ENV_ORDER = ["dev", "test", "qa", "staging", "uat", "prod"]
STARTERS = {
    "use_odata": "src/fetch_customers.py",
    "use_soap": "src/call_soap_service.py",
    "use_try_me": "src/try_me_script.py",
}
_HEADER = "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"


def org_and_envs(config_names: list[str]) -> tuple[list[str], list[str]]:
    """Organisations (most frequent first) and environments from config file names."""
    orgs: Counter[str] = Counter()
    envs: set[str] = set()
    for name in config_names:
        match = _CONFIG_NAME.match(name)
        if match and name != "logging-config.json":
            orgs[match["org"]] += 1
            envs.add(match["env"])

    def env_key(env: str) -> tuple[int, str]:
        return (_ENV_ORDER.index(env) if env in _ENV_ORDER else len(_ENV_ORDER), env)

    return [org for org, _ in orgs.most_common()], sorted(envs, key=env_key)


def is_environment_config(relpath: str) -> bool:
    """``config/{org}-{env}-config.json``: the user's data, never taken from a template render."""
    folder, _, name = relpath.rpartition("/")
    return folder == "config" and name != "logging-config.json" and bool(_CONFIG_NAME.match(name))


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug if slug and slug[0].isalpha() else f"project-{slug}".strip("-")


def project_name(root: Path, pyproject_text: str | None) -> str:
    """pyproject's name, else the README's title (v2.1 projects have no pyproject), else the
    folder: the v3.0 template renders it into README.md, so a wrong guess there would make
    every later template change to that line look like a user edit."""
    if pyproject_text:
        match = re.search(r'^\s*name\s*=\s*["\']([^"\']+)["\']', pyproject_text, re.MULTILINE)
        if match:
            return match[1]
    readme = root / "README.md"
    if readme.is_file():
        title = re.search(
            r"^#[ \t]+(\S.*?)\s*$",
            readme.read_text(encoding="utf-8", errors="replace"),
            re.MULTILINE,
        )
        if title:
            return title[1]
    return root.name


def infer_answers(
    root: Path,
    config_names: list[str],
    *,
    pyproject_text: str | None,
    sources: list[str],
    template_src: str | None,
) -> tuple[dict[str, Any], list[str]]:
    """Answers for the adopted project, plus follow-ups about guesses a person should check.

    ``sources`` (the scripts' text) is not needed any more: the starter questions are answered
    from the starter files themselves (see below); the parameter stays for callers.
    """
    follow_ups = []
    orgs, envs = org_and_envs(config_names)
    name = project_name(root, pyproject_text)
    answers: dict[str, Any] = {"_commit": ADOPTED_VERSION}
    if template_src:
        answers["_src_path"] = template_src
    else:
        follow_ups.append("set `_src_path` to the txo template's git URL so `copier update` works")
    answers["project_name"] = name
    answers["project_slug"] = slugify(name)
    if orgs:
        answers["org_id"] = orgs[0]
    if len(orgs) != 1:
        follow_ups.append(f"org_id guessed as {orgs[:1]} from config file names {orgs}: check it")
    answers["environments"] = ",".join(envs) if envs else "test,prod"
    # The questions ask whether to include a starter script. Answering "yes" for a project
    # without it would make the next `copier update` add the starter and its test (they are
    # `_skip_if_exists`) but not tests/conftest.py, which copier counts as deleted by the user.
    for question, starter in STARTERS.items():
        answers[question] = (root / starter).is_file()
    return answers, follow_ups


def answers_text(answers: dict[str, Any]) -> str:
    import yaml

    return _HEADER + yaml.safe_dump(answers, sort_keys=True, default_flow_style=False)
