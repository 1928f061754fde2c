"""Post-generation hook, shared by both engines.

- cookiecutter renders this file with Jinja and runs it without arguments: the answers are
  the JSON literal below.
- copier runs it unrendered as a task on copy (copier.yml ``_tasks``) with
  ``--copier <answers as JSON>``.

Both then do the same: expand the per-environment configs, create the run folders
(data/ output/ logs/ tmp/) and, for cookiecutter, pin txo-runtime to the template source.
The working directory is the generated project.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

_CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""
# cookiecutter names its template folder; cruft's renders do not (see _template_dir).
_REPO_DIR = r"""{{ cookiecutter._repo_dir | default('') }}"""


def _template_dir() -> Path:
    """The template checkout these hooks belong to.

    cookiecutter passes ``_repo_dir``. cruft does not, but runs the hooks while its own
    working directory is its clone of the template (read from /proc on Linux); else a local
    template path.
    """
    if _REPO_DIR:
        return Path(_REPO_DIR)
    parent = Path(f"/proc/{os.getppid()}/cwd")
    if (parent / "hooks" / "_shared.py").is_file():
        return parent.resolve()
    return Path(json.loads(_CONTEXT_JSON).get("_template", "."))


def _answers(argv: list[str]) -> dict[str, Any]:
    if argv[:1] == ["--copier"]:
        return json.loads(argv[1])
    sys.path.insert(0, str((_template_dir() / "hooks").resolve()))
    return json.loads(_CONTEXT_JSON)


def main(argv: list[str]) -> int:
    answers = _answers(argv)
    import _shared  # next to this script (copier) or in _HOOKS_DIR (cookiecutter)

    errors = _shared.validate_answers(answers)
    if errors:
        for error in errors:
            print(f"ERROR: {error}", file=sys.stderr)
        return 1
    project = Path.cwd()
    environments = _shared.environment_list(answers["environments"])
    _shared.expand_environment_configs(project, answers["org_id"], environments)
    _shared.create_run_folders(project)
    _shared.remove_empty_folders(project)
    if "_template" in answers:  # cookiecutter, or cruft rendering a template version
        under_cruft = not _REPO_DIR
        answers = {**answers, "_repo_dir": str(_template_dir())}
        for warning in _shared.resolve_requirement_placeholder(project, answers):
            print(f"WARNING: {warning}", file=sys.stderr)
        if not under_cruft:
            _shared.write_cruft_state(project, answers, environments)
    else:
        warning = _shared.unreachable_ref_warning(answers["txo_runtime_requirement"])
        if warning:
            print(f"WARNING: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
