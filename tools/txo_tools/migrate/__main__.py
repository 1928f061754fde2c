"""``python -m txo_tools.migrate PATH [--dry-run] [--allow-dirty] [--template-src URL]``.

Same as ``txo migrate``. ``--template-src`` matters for a project without
``.copier-answers.yml`` (a clone): the template is rendered at v3.0.0, the files the clone
lacks are added and the rendered answers file (with ``_src_path``) is written, so a later
``copier update`` knows where the template lives and brings changes to every file.

Exit codes: 0 migrated or nothing to do, 1 unresolved conflicts, 2 refused (HelpfulError).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from txo_runtime.exceptions import HelpfulError, render_user_message, symbols_supported
from txo_tools.migrate import migrate_project

EXIT_CONFLICTS = 1
EXIT_REFUSED = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m txo_tools.migrate",
        description="Migrate a TXO v2.1 project to v3.0 (config, logging, scripts, utils/).",
    )
    parser.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    parser.add_argument("--dry-run", action="store_true", help="show the report, change nothing")
    parser.add_argument("--allow-dirty", action="store_true", help="run on uncommitted changes")
    parser.add_argument(
        "--template-src",
        metavar="URL",
        help="txo template git URL or path: a project without an answers file gets the "
        "template's v3.0.0 files it lacks and an answers file (so `copier update` works)",
    )
    args = parser.parse_args(argv)
    try:
        report = migrate_project(
            args.path,
            dry_run=args.dry_run,
            allow_dirty=args.allow_dirty,
            template_src=args.template_src,
        )
    except HelpfulError as error:
        symbols = symbols_supported(sys.stderr)
        sys.stderr.write(render_user_message(error, symbols=symbols) + "\n")
        return EXIT_REFUSED
    sys.stdout.write(report.to_markdown() if args.dry_run else report.summary() + "\n")
    if report.report_path is not None:
        sys.stdout.write(f"Report: {report.report_path}\n")
    return EXIT_CONFLICTS if report.conflicts else 0


if __name__ == "__main__":
    raise SystemExit(main())
