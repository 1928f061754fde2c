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
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from txo_runtime import __version__
from txo_runtime.exceptions import HelpfulError, TxoBaseError, render_user_message

if TYPE_CHECKING:
    from rich.console import Console

    from txo_runtime.checks import Finding
    from txo_runtime.migrate.report import MigrationReport

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
TEMPLATE_ENV = "TXO_TEMPLATE"

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


def _source_checkout() -> Path | None:
    """The txo repository this package runs from, when it is a source checkout."""
    candidate = Path(__file__).resolve().parent.parent
    return candidate if (candidate / "copier.yml").is_file() else None


def default_template() -> str:
    """``$TXO_TEMPLATE``, else the source checkout txo runs from, else an error."""
    from_env = os.environ.get(TEMPLATE_ENV)
    if from_env:
        return from_env
    checkout = _source_checkout()
    if checkout is not None:
        return str(checkout)
    raise HelpfulError(
        what_went_wrong="No template given, and txo_runtime is not running from a source "
        "checkout of the txo repository",
        how_to_fix=f"Pass --template with the txo repository's git URL (or set {TEMPLATE_ENV})",
        example="txo new acme-integrations --template https://github.com/ORG/txo.git "
        "--vcs-ref v3.0.0",
    )


def key_value(text: str) -> tuple[str, str]:
    """argparse type of ``--data``: ``"org_id=acme"`` -> ``("org_id", "acme")``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got '{text}'")
    return key.strip(), value


_BOOL_WORDS = {"true", "false", "yes", "no", "1", "0"}


def _refuse_non_empty_dest(dest: str) -> None:
    """copier would render into a non-empty folder and leave half a project behind."""
    path = Path(dest)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise HelpfulError(
            what_went_wrong=f"'{dest}' already exists and is not empty; txo new only creates "
            "a project in a new or empty folder",
            how_to_fix="Pick a new folder name; to bring an existing project up to date with "
            "the template, run `copier update` inside it instead",
            example=f"cd {dest} && copier update --trust --defaults",
        )


def _template_questions(template: str) -> dict[str, dict[str, Any]] | None:
    """The answerable questions of a local template's copier.yml (None: not a local folder).

    copier offers no public API to read a template's questions, and a remote template would
    need a second clone, so only a local template is checked; copier still checks the rest.
    """
    config = next(
        (Path(template) / name for name in ("copier.yml", "copier.yaml")
         if (Path(template) / name).is_file()),
        None,
    )  # fmt: skip
    if config is None:
        return None
    import yaml

    raw = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    return {
        name: spec if isinstance(spec, dict) else {"default": spec}
        for name, spec in raw.items()
        if not name.startswith("_") and not (isinstance(spec, dict) and spec.get("when") is False)
    }


def _answer_problem(spec: dict[str, Any], value: str) -> str | None:
    kind = spec.get("type")
    if kind == "bool" and value.strip().lower() not in _BOOL_WORDS:
        return "a yes/no question: use true, false, yes, no, 1 or 0"
    casts: dict[str, Callable[[str], Any]] = {"int": int, "float": float}
    if kind in casts:
        try:
            casts[kind](value)
        except ValueError:
            return f"a number question ({kind})"
    choices = spec.get("choices")
    if isinstance(choices, list) and value not in [str(choice) for choice in choices]:
        return f"one of: {', '.join(str(choice) for choice in choices)}"
    return None


def check_data(template: str, data: dict[str, str]) -> None:
    """Reject an unknown question or a value its question's type cannot take, before copier.

    copier casts ``--data use_soap=maybe`` to True and ignores unknown keys silently.
    """
    questions = _template_questions(template)
    if questions is None:
        return
    for key, value in data.items():
        if key not in questions:
            raise HelpfulError(
                what_went_wrong=f"--data {key}=...: the template has no question '{key}'",
                how_to_fix=f"Use one of the template's questions: {', '.join(questions)}",
                example="txo new acme-integrations --data org_id=acme --defaults --trust",
            )
        problem = _answer_problem(questions[key], value)
        if problem:
            raise HelpfulError(
                what_went_wrong=f"--data {key}={value}: '{key}' is {problem}",
                how_to_fix=f"Pass a value that '{key}' accepts",
                example=f"txo new acme-integrations --data {key}="
                f"{_example_value(questions[key])} --defaults --trust",
            )


def _example_value(spec: dict[str, Any]) -> str:
    if spec.get("type") == "bool":
        return "true"
    choices = spec.get("choices")
    return str(choices[0]) if isinstance(choices, list) and choices else str(spec.get("default"))


def _copier_error(exc: Exception, dest: str) -> HelpfulError:
    """copier's errors -> what went wrong and how to fix it (one place, see cmd_new)."""
    from copier.errors import InteractiveSessionError, TaskError, UnsafeTemplateError

    retry = f"txo new {dest} --data org_id=acme --defaults --trust"
    if isinstance(exc, UnsafeTemplateError):
        what, fix = (
            f"The template runs tasks after copying: {exc}",
            ("Read the template's copier.yml; if you trust it, pass --trust"),
        )
        retry = f"txo new {dest} --trust"
    elif isinstance(exc, InteractiveSessionError):
        what = f"copier needs an answer it cannot ask without a terminal: {exc}"
        fix = "Answer the questions with --data KEY=VALUE and take defaults for the rest"
    elif isinstance(exc, TaskError):
        what = f"A template task failed after copying (its output is above): {exc}"
        fix = f"Fix the cause shown above, delete {dest} and run txo new again"
    elif "Validation error for question" in str(exc):
        what, fix = f"An answer is not valid: {exc}", "Correct that --data value"
    else:
        what = f"copier could not generate the project: {exc}"
        fix = "Check --template and --vcs-ref (the template must be a git URL or a path)"
    return HelpfulError(what_went_wrong=what, how_to_fix=fix, example=retry)


def _run_copier(args: argparse.Namespace, template: str, data: dict[str, Any]) -> None:
    import copier
    from copier.errors import CopierError

    try:
        copier.run_copy(
            template,
            args.dest,
            data=data,
            vcs_ref=args.vcs_ref,
            defaults=args.defaults,
            unsafe=args.trust,
        )
    except (CopierError, ValueError) as exc:
        raise _copier_error(exc, args.dest) from exc


def cmd_new(args: argparse.Namespace) -> int:
    template = args.template or default_template()
    data = dict(args.data)
    _refuse_non_empty_dest(args.dest)
    check_data(template, data)
    _run_copier(args, template, data)
    console = _console()
    console.print(f"[green]Created[/] {args.dest} from {template}")
    console.print(f"Next: cd {args.dest} && txo check")
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
    from txo_runtime.migrate import migrate_project

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


def _looks_like_project(folder: Path) -> bool:
    # The marker rule of path_helpers.find_project_root, which cannot be asked about one
    # folder: it searches upwards and lets TXO_PROJECT_ROOT win over an explicit PATH.
    from txo_runtime.path_helpers import ANSWERS_FILE

    if (folder / ANSWERS_FILE).is_file():
        return True
    return (folder / "config").is_dir() and (folder / "pyproject.toml").is_file()


def _explicit_project_root(root: Path) -> Path:
    """``txo check PATH``: PATH must be a project root, else rules would report nonsense."""
    if not root.is_dir():
        raise HelpfulError(
            what_went_wrong=f"'{root}' is not a folder",
            how_to_fix="Pass the root folder of a customer project",
            example="txo check ~/projects/acme-integrations",
        )
    if _looks_like_project(root):
        return root
    parent = next((p for p in root.resolve().parents if _looks_like_project(p)), None)
    hint = f" (the project containing it is '{parent}')" if parent else ""
    raise HelpfulError(
        what_went_wrong=f"'{root}' is not a txo project: it has no .copier-answers.yml and "
        "no config/ folder next to pyproject.toml",
        how_to_fix=f"Pass the root folder of a customer project{hint}, or create one with txo new",
        example=f"txo check {parent or '~/projects/acme-integrations'}",
    )


def cmd_check(args: argparse.Namespace) -> int:
    from txo_runtime.checks import run_checks
    from txo_runtime.path_helpers import find_project_root

    root = _explicit_project_root(Path(args.path)) if args.path else find_project_root()
    findings = run_checks(root)
    if args.format == "json":
        sys.stdout.write(json.dumps([f.as_dict() for f in findings], indent=2) + "\n")
    else:
        _print_findings_text(findings)
    return EXIT_PROBLEMS if findings else EXIT_OK


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
        "txo runs from. Use a git URL or an absolute path so `copier update` works later.",
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
        "(soft-fail config reads, print, string folders, sys.exit). Exit 1 if anything\n"
        "is found. Rule codes: docs/cli/check.md.",
    )
    parser.add_argument(
        "path", metavar="PATH", nargs="?", help="project root (default: found from the cwd)"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
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
        _console(stderr=True).print(render_user_message(exc), markup=False)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
