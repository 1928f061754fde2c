"""The ``txo`` command line: ``txo new``, ``txo migrate``, ``txo check``.

argparse keeps ``txo --help`` instant; everything heavy (copier, jsonschema, libcst, rich)
is imported inside the command that needs it. Exit codes, for scripts and CI:

- 0: success (``check`` found nothing, ``migrate`` had no conflicts)
- 1: problems found, or the command failed (a three-part message says how to fix it)
- 2: usage error (unknown option, missing argument)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from txo_runtime.exceptions import (
    HelpfulError,
    TxoBaseError,
    render_user_message,
    symbols_supported,
)
from txo_tools import __version__
from txo_tools.new_project import (
    TEMPLATE_ENV,
    check_data,
    default_template,
    is_packaged,
    key_value,
    packaged_answers,
    refuse_non_empty_dest,
    run_copier,
)

if TYPE_CHECKING:
    from rich.console import Console

    from txo_tools.checks import Finding
    from txo_tools.migrate.report import MigrationReport

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

EXIT_CODES_EPILOG = """\
exit codes:
  0  success (check: nothing found; migrate: migrated without conflicts)
  1  problems found, or the command failed (the message says how to fix it)
  2  usage error (unknown option, missing or malformed argument)

Documentation: docs/cli/ in the txo repository (mkdocs site)."""

Handler = Callable[[argparse.Namespace], int]


def escape(text: str) -> str:
    """Text shown literally by rich (``[red]`` in a message is not markup)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


# --- txo new -----------------------------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    template = args.template or default_template()
    data = dict(args.data)
    refuse_non_empty_dest(args.dest)
    check_data(template, data, vcs_ref=args.vcs_ref)
    run_copier(args, template, packaged_answers(template, data))
    console = _console()
    console.print(f"[green]Created[/] {escape(args.dest)} from {escape(template)}")
    if is_packaged(template):
        console.print(
            f"[yellow]Note[/] the template packaged with txo-tools {__version__} is not a git "
            "repository, so `copier update` cannot follow it. To follow the template's git "
            f"source, set `_src_path: <txo git URL>` and `_commit: v{__version__}` in "
            f"{escape(args.dest)}/.copier-answers.yml, commit, then run "
            "`copier update --trust --defaults`"
        )
    console.print(f"Next: cd {escape(args.dest)} && txo check")
    return EXIT_OK


# --- txo migrate -------------------------------------------------------------------------


def _print_migration(report: MigrationReport) -> None:
    console = _console()
    if report.dry_run:
        console.print(report.to_markdown(), markup=False)
    console.print(report.summary(), markup=False)
    for item in report.follow_ups:
        console.print(f"[yellow]follow-up[/] {escape(item.location)}: {escape(item.description)}")
    for conflict in report.conflicts:
        console.print(f"[red]conflict[/] {escape(conflict)}")
    if report.report_path is not None and not report.dry_run:
        console.print(f"Report: {escape(str(report.report_path))}")


def cmd_migrate(args: argparse.Namespace) -> int:
    from txo_tools.migrate import migrate_project

    report = migrate_project(
        Path(args.path),
        dry_run=args.dry_run,
        allow_dirty=args.allow_dirty,
        template_src=args.template_src,
    )
    _print_migration(report)
    return EXIT_PROBLEMS if report.conflicts else EXIT_OK


# --- txo check ---------------------------------------------------------------------------


def _print_findings_text(findings: Sequence[Finding]) -> None:
    console = _console()
    for item in findings:
        console.print(
            f"[bold]{escape(item.location())}[/]: [red]{item.code}[/] "
            f"{escape(item.message)} — {escape(item.how_to_fix)}"
        )
    if findings:
        console.print(f"[red]{len(findings)} problem(s) found[/]")
    else:
        console.print("[green]No problems found[/]")


def _explicit_project_root(root: Path) -> Path:
    from txo_runtime.path_helpers import is_project_root

    """``txo check PATH``: PATH must be a project root, else rules would report nonsense."""
    if not root.is_dir():
        raise HelpfulError(
            what_went_wrong=f"'{root}' is not a folder",
            how_to_fix="Pass the root folder of a customer project",
            example="txo check ~/projects/acme-integrations",
        )
    if is_project_root(root):
        return root
    parent = next((p for p in root.resolve().parents if is_project_root(p)), None)
    hint = f" (the project containing it is '{parent}')" if parent else ""
    raise HelpfulError(
        what_went_wrong=f"'{root}' is not a txo project: it has no .copier-answers.yml and "
        "no config/ folder next to pyproject.toml",
        how_to_fix=f"Pass the root folder of a customer project{hint}, or create one with txo new",
        example=f"txo check {parent or '~/projects/acme-integrations'}",
    )


def cmd_check(args: argparse.Namespace) -> int:
    from txo_runtime.path_helpers import find_project_root
    from txo_tools.checks import run_checks, to_sarif

    root = _explicit_project_root(Path(args.path)) if args.path else find_project_root()
    findings = run_checks(root, select=args.select, ignore=args.ignore)
    if args.format == "json":
        sys.stdout.write(json.dumps([f.as_dict() for f in findings], indent=2) + "\n")
    elif args.format == "sarif":
        sys.stdout.write(json.dumps(to_sarif(findings, __version__), indent=2) + "\n")
    else:
        _print_findings_text(findings)
    return EXIT_PROBLEMS if findings else EXIT_OK


def _codes(text: str) -> list[str]:
    """argparse type of --select/--ignore: ``"TXO007,txo01"`` -> ``["TXO007", "TXO01"]``.

    An unknown code is a usage error (exit 2), not a silently empty selection.
    """
    from txo_tools.checks import validate_codes

    try:
        return validate_codes(text.split(","))
    except HelpfulError as exc:
        raise argparse.ArgumentTypeError(f"{exc.message}. {exc.how_to_fix}") from exc


# --- parser ------------------------------------------------------------------------------


def _subparser(
    commands: Any, name: str, handler: Handler, summary: str, description: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=EXIT_CODES_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def _add_new(commands: Any) -> None:
    parser = _subparser(
        commands,
        "new",
        cmd_new,
        "generate a customer repository from the txo template (copier copy)",
        "Generate a customer repository with copier, asking the template's questions.\n"
        f"Template: --template, else ${TEMPLATE_ENV}, else the txo source checkout this\n"
        "txo runs from, else the template packaged with txo-tools. For `copier update` later,\n"
        "generate from the txo repository's git URL (--template URL --vcs-ref TAG).",
    )
    parser.add_argument("dest", metavar="DEST", help="folder to create the project in")
    parser.add_argument("--template", metavar="SRC", help="template git URL or absolute path")
    parser.add_argument(
        "--vcs-ref", metavar="REF", help="git tag/branch/commit (default: newest tag)"
    )
    parser.add_argument(
        "--data",
        metavar="KEY=VALUE",
        action="append",
        type=key_value,
        default=[],
        help="answer a question (repeatable), e.g. --data org_id=acme",
    )
    parser.add_argument(
        "--defaults", action="store_true", help="use defaults for unanswered questions"
    )
    parser.add_argument("--trust", action="store_true", help="allow the template's tasks to run")


def _add_migrate(commands: Any) -> None:
    parser = _subparser(
        commands,
        "migrate",
        cmd_migrate,
        "migrate a v2.1 project to v3.0 (config, logging files, scripts)",
        "Migrate a v2.1 project to v3.0 in place and write a report of every change and\n"
        "every manual follow-up. Secrets files are never touched. Exit 1 on conflicts.",
    )
    parser.add_argument(
        "path", metavar="PATH", nargs="?", default=".", help="project root (default: .)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change, write nothing"
    )
    parser.add_argument(
        "--allow-dirty", action="store_true", help="run even with uncommitted git changes"
    )
    parser.add_argument(
        "--template-src",
        metavar="URL",
        default=None,
        help="txo template git URL or path: a project without an answers file gets the "
        "template's v3.0.0 files it lacks and an answers file (so `copier update` works later)",
    )


def _add_check(commands: Any) -> None:
    parser = _subparser(
        commands,
        "check",
        cmd_check,
        "check a customer repository against the txo rules (TXO001...)",
        "Check config against schema, kebab-case keys, secrets in git, and scripts\n"
        "(soft-fail config reads, print, string folders, sys.exit), stale save() temp\n"
        "files. Exit 1 if anything is found. Silence one line with # txo: ignore[TXO007].\n"
        "Rule codes: docs/cli/check.md.",
    )
    parser.add_argument(
        "path", metavar="PATH", nargs="?", help="project root (default: found from the cwd)"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="output format (default: text; sarif: SARIF 2.1.0 for code-host annotations)",
    )
    parser.add_argument(
        "--select",
        metavar="CODES",
        type=_codes,
        action="extend",
        default=[],
        help="report only these rule codes or prefixes, comma-separated (e.g. TXO007,TXO01)",
    )
    parser.add_argument(
        "--ignore",
        metavar="CODES",
        type=_codes,
        action="extend",
        default=[],
        help="never report these rule codes or prefixes; a single line: # txo: ignore[TXO007]",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="txo",
        description="txo: create, migrate and check customer integration repositories.",
        epilog=EXIT_CODES_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"txo {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_new(commands)
    _add_migrate(commands)
    _add_check(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``txo`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors, 0 on --help/--version
    handler: Handler = args.handler
    try:
        return handler(args)
    except TxoBaseError as exc:
        symbols = symbols_supported(sys.stderr)
        _console(stderr=True).print(render_user_message(exc, symbols=symbols), markup=False)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
