"""cookiecutter pre-generation hook: reject invalid answers before anything is written.

cookiecutter renders this file with Jinja before running it, so the answers arrive as the
JSON literal below. (copier validates the same rules with ``validator:`` in copier.yml.)
On failure cookiecutter removes the half-created project folder.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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


def main() -> int:
    sys.path.insert(0, str((_template_dir() / "hooks").resolve()))
    from _shared import validate_answers

    errors = validate_answers(json.loads(_CONTEXT_JSON))
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
