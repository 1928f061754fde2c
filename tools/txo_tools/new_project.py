"""``txo new``: where the template comes from, checking ``--data`` answers, running copier.

Used by the command line (the layer below ``cli``), so each command's machinery stays
readable; copier and yaml are imported inside the functions that need them, which keeps
``txo --help`` instant. Without ``--template`` the template is ``$TXO_TEMPLATE``, else the
source checkout these tools run from, else the copy packaged inside the txo-tools wheel.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_tools import __version__
from txo_tools._template_source import local_template

TEMPLATE_ENV = "TXO_TEMPLATE"


def _source_checkout() -> Path | None:
    """The txo repository these tools run from, when they run from a source checkout."""
    candidate = Path(__file__).resolve().parents[2]
    return candidate if (candidate / "copier.yml").is_file() else None


def packaged_template() -> Path | None:
    """The template shipped inside the txo-tools wheel (None in a source checkout)."""
    candidate = Path(__file__).resolve().parent / "template"
    return candidate if (candidate / "copier.yml").is_file() else None


def default_template() -> str:
    """``$TXO_TEMPLATE``, else the source checkout txo runs from, else the packaged template."""
    from_env = os.environ.get(TEMPLATE_ENV)
    if from_env:
        return from_env
    found = _source_checkout() or packaged_template()
    if found is not None:
        return str(found)
    raise HelpfulError(
        what_went_wrong="No template given, and txo-tools has no packaged template (a "
        "damaged installation)",
        how_to_fix=f"Reinstall txo-tools, or pass --template with the txo repository's git URL "
        f"(or set {TEMPLATE_ENV})",
        example="txo new acme-integrations --template https://github.com/ORG/txo.git "
        "--vcs-ref v3.0.0",
    )


def is_packaged(template: str) -> bool:
    """Whether ``template`` is the copy inside the installed txo-tools (not a git source)."""
    packaged = packaged_template()
    return packaged is not None and Path(template).resolve() == packaged.resolve()


def packaged_answers(template: str, data: dict[str, Any]) -> dict[str, Any]:
    """Answers for the packaged template: the runtime of this release, from the package index.

    The packaged template is a plain folder, not a git checkout, so the template's default
    (``txo-runtime @ git+<template source>@<ref>``) would point at site-packages, and copier
    cannot read the release from a tag. The tools were installed from an index, so the
    runtime of the same version is there too: ``runtime_from_index`` and ``template_version``
    (never stored) give ``txo-runtime>=<version>,<next major>``, recomputed on every update
    like any template default. Answers given with ``--data`` win.
    """
    if not is_packaged(template):
        return data
    return {"runtime_from_index": True, "template_version": __version__, **data}


def key_value(text: str) -> tuple[str, str]:
    """argparse type of ``--data``: ``"org_id=acme"`` -> ``("org_id", "acme")``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got '{text}'")
    return key.strip(), value


_BOOL_WORDS = {"true", "false", "yes", "no", "1", "0"}


def refuse_non_empty_dest(dest: str) -> None:
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


def _template_questions(template: Path) -> dict[str, dict[str, Any]] | None:
    """The answerable questions of a template folder's copier.yml (None: there is none)."""
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


def check_data(template: str, data: dict[str, str], vcs_ref: str | None = None) -> None:
    """Reject an unknown question or a value its question's type cannot take, before copier.

    copier casts ``--data use_soap=maybe`` to True and ignores unknown keys silently. Works for
    every source: a git template is read from a temporary clone at the ref copier will use.
    """
    if not data:
        return
    with local_template(template, vcs_ref) as folder:
        questions = _template_questions(folder)
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


def _raised_by_a_validator(exc: BaseException) -> bool:
    """copier reports a failed question validator as a plain ``ValueError`` raised in
    ``Question.validate_answer``, like other ValueErrors (a bad template path): the raising
    frame, not the message text, tells them apart."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_name == "validate_answer":
            return True
        frame = frame.tb_next
    return False


def _copier_error(exc: Exception, dest: str) -> HelpfulError:
    """copier's errors -> what went wrong and how to fix it (one place, see cmd_new)."""
    from copier.errors import (
        CopierError,
        InteractiveSessionError,
        TaskError,
        UnsafeTemplateError,
    )

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
    elif not isinstance(exc, CopierError) and _raised_by_a_validator(exc):
        what, fix = f"An answer is not valid: {exc}", "Correct that --data value"
    else:
        what = f"copier could not generate the project: {exc}"
        fix = (
            "Check --template and --vcs-ref (a git URL such as git+file:///path or "
            "gh:ORG/REPO, or an absolute path)"
        )
    return HelpfulError(what_went_wrong=what, how_to_fix=fix, example=retry)


def run_copier(args: argparse.Namespace, template: str, data: dict[str, Any]) -> None:
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
