"""copier ``_migrations`` step for updates that cross v3.0.0 (v2.1 project -> v3.0).

copier.yml::

    _migrations:
      - version: v3.0.0
        command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/migrate_v3.py",
                  "{{ _stage }}"]

copier runs it twice; only the "after" stage works. By then copier has rendered v3.0 and
replayed the user's edits, and ``HEAD`` still holds the user's committed v2.1 project
(copier refuses to update a dirty tree), so the migration rebuilds the user's data files
from ``HEAD`` and rewrites the scripts in the working tree. ``txo_runtime`` and
``txo_tools`` are imported from copier's clone of the new template version (the repository
holds both: ``txo_runtime/`` at its root, ``txo_tools`` in ``tools/``), else from the Python
that runs copier (a project's dev environment has txo-tools). Exit code 1 when conflicts are
left, so ``copier update`` fails loudly instead of exiting 0.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    stage = argv[1] if len(argv) > 1 else os.environ.get("STAGE", "after")
    if stage != "after":
        return 0
    sys.path[:0] = [str(TEMPLATE_ROOT), str(TEMPLATE_ROOT / "tools")]
    try:
        from txo_runtime.exceptions import HelpfulError, render_user_message
        from txo_tools.migrate import migrate_project
    except ImportError as exc:
        print(
            f"txo v3.0 migration could not start: {exc}.\n"
            "Install txo-tools into the Python that runs copier "
            "(e.g. `pipx inject copier txo-tools`), then run `txo migrate --allow-dirty .` "
            "in the project.",
            file=sys.stderr,
        )
        return 1
    try:
        report = migrate_project(
            Path.cwd(), allow_dirty=True, baseline="HEAD", template_root=TEMPLATE_ROOT
        )
    except HelpfulError as error:
        print(render_user_message(error), file=sys.stderr)
        return 1
    print(f"txo v3.0 migration: {report.summary()}")
    if report.report_path is not None:
        print(f"Read {report.report_path.name} for every change and the manual follow-ups.")
    if report.conflicts:
        print("CONFLICTS left by the update (resolve, then `git add`):", file=sys.stderr)
        for path in report.conflicts:
            print(f"  {path}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
