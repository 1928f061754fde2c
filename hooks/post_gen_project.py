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
import sys
from pathlib import Path
from typing import Any

_CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""
_HOOKS_DIR = r"""{{ cookiecutter._repo_dir }}/hooks"""


def _answers(argv: list[str]) -> dict[str, Any]:
    if argv[:1] == ["--copier"]:
        return json.loads(argv[1])
    sys.path.insert(0, str(Path(_HOOKS_DIR).resolve()))
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
    if "_template" in answers:  # cookiecutter
        for warning in _shared.resolve_requirement_placeholder(project, answers):
            print(f"WARNING: {warning}", file=sys.stderr)
    else:
        warning = _shared.unreachable_ref_warning(answers["txo_runtime_requirement"])
        if warning:
            print(f"WARNING: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
