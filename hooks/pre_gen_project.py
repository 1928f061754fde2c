"""cookiecutter pre-generation hook: reject invalid answers before anything is written.

cookiecutter renders this file with Jinja before running it, so the answers arrive as the
JSON literal below. (copier validates the same rules with ``validator:`` in copier.yml.)
On failure cookiecutter removes the half-created project folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

_CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""
_HOOKS_DIR = r"""{{ cookiecutter._repo_dir }}/hooks"""


def main() -> int:
    sys.path.insert(0, str(Path(_HOOKS_DIR).resolve()))
    from _shared import validate_answers

    errors = validate_answers(json.loads(_CONTEXT_JSON))
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
