"""``migrate_project``: plan every v2.1 -> v3.0 edit, then apply it (unless a dry run).

Two ways in (docs/migration.md):

* ``txo migrate PATH`` - the working tree is the v2.1 project; it must be committed first.
* the copier migration after ``copier update`` across v3.0.0 (``baseline="HEAD"``) - the
  working tree holds copier's merge; the user's own data files (configs, schema, logging
  config, modified helpers) are rebuilt from the committed v2.1 versions in ``HEAD``, so
  a line-level merge conflict in them, or copier deleting a file the old template owned,
  loses nothing.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from txo_runtime.exceptions import HelpfulError
from txo_runtime.path_helpers import packaged_data
from txo_tools._soft_fail import soft_fail_lines
from txo_tools.migrate import _git
from txo_tools.migrate._restore import plan_restore_deleted, plan_run_folders
from txo_tools.migrate._tree import ProjectTree
from txo_tools.migrate.adopt import RenderFailed, plan_template_files, render_template
from txo_tools.migrate.answers import (
    ADOPTED_VERSION,
    ANSWERS_FILE,
    answers_text,
    infer_answers,
)
from txo_tools.migrate.code_rewrite import rewrite_source
from txo_tools.migrate.config import Outcome, dumps, indent_of, loads, migrate_config
from txo_tools.migrate.logging_files import migrate_logging, migrate_redaction_patterns
from txo_tools.migrate.report import REPORT_NAME, MigrationReport
from txo_tools.migrate.schema import declare_config_keys, is_v3_schema, merge_schema
from txo_tools.migrate.template_sections import (
    add_missing_sections,
    template_schema,
    template_sections,
)

SCHEMA_FILE = "schemas/org-env-config-schema.json"
LOGGING_FILE = "config/logging-config.json"
REDACTION_FILE = "config/log-redaction-patterns.json"
# A v2.1 project saved Excel files, so the migrated one needs the excel extra.
RUNTIME_REQUIREMENT = "txo-runtime[excel]>=3,<4"
# Same placeholder as the v3.0 template's config/_environment/config-secrets.json.example.
SECRETS_EXAMPLE = '{\n  "client-secret": "replace-with-the-client-secret"\n}\n'


def packaged_text(name: str) -> str:
    """A default shipped in ``txo_runtime/data`` (read at run time, never copied in code)."""
    return packaged_data(name).read_text(encoding="utf-8")


def _known_utils_hashes() -> dict[str, list[str]]:
    text = resources.files("txo_tools.migrate").joinpath("v21_utils_sha256.json").read_text()
    files: dict[str, list[str]] = json.loads(text)["files"]
    return files


def migrate_project(
    path: Path | str = ".",
    *,
    dry_run: bool = False,
    allow_dirty: bool = False,
    template_src: str | None = None,
    baseline: str | None = None,
    template_root: Path | None = None,
) -> MigrationReport:
    """Migrate the v2.1 project at ``path`` to v3.0 and write ``MIGRATION_REPORT.md``.

    Nothing is written in a dry run or when there is nothing to do (a second run).
    ``baseline`` (a git ref) and ``template_root`` (the new template's checkout) are what
    the copier migration passes; ``template_src`` goes into an adopted answers file.
    """
    root = _project_root(Path(path))
    if not dry_run and not allow_dirty:
        _require_clean_git(root)
    unmerged = _git.unmerged_paths(root) if _git.is_repository(root) else []
    tree = ProjectTree(root, baseline)
    report = MigrationReport(project=root, dry_run=dry_run)
    answers = tree.current(ANSWERS_FILE)
    sections = template_sections(template_root, answers)
    configs = _plan_configs(tree, report, unmerged, sections)
    _plan_secrets_examples(tree, report, configs)
    _plan_schema(tree, report, configs, unmerged, template_schema(template_root, answers))
    _plan_logging(tree, report, unmerged)
    vendored = _plan_utils(tree, report)
    plan_restore_deleted(tree, report)
    _plan_code(tree, report, vendored)
    _plan_answers(tree, report, template_src)
    plan_run_folders(tree, report)
    _plan_requirements(tree, report)
    _collect_conflicts(tree, report, unmerged)
    if not dry_run and (report.changed or report.conflicts):
        _apply(tree, report, unmerged)
    return report


def _project_root(path: Path) -> Path:
    root = path.expanduser().resolve()
    if not (root / "config").is_dir():
        raise HelpfulError(
            what_went_wrong=f"'{root}' does not look like a txo project (no config/ folder)",
            how_to_fix="Pass the root folder of the customer project (it holds config/, "
            "src/ and, for v2.1 projects, utils/)",
            example="txo migrate ~/projects/acme-integrations --dry-run",
        )
    return root


def _require_clean_git(root: Path) -> None:
    if not _git.is_repository(root):
        raise HelpfulError(
            what_went_wrong=f"'{root}' is not in a git repository, so the migration could "
            "not be reviewed or undone",
            how_to_fix="Commit the project to git first, or pass --allow-dirty to migrate "
            "without a safety net",
            example=f'cd {root} && git init && git add -A && git commit -m "Before v3.0"',
        )
    dirty = _git.dirty_paths(root)
    if dirty:
        shown = ", ".join(dirty[:8]) + (" ..." if len(dirty) > 8 else "")
        raise HelpfulError(
            what_went_wrong=f"The git tree has uncommitted changes ({shown})",
            how_to_fix="Commit or stash them, so the migration's edits can be reviewed with "
            "git diff and undone with git checkout; or pass --allow-dirty",
            example='git add -A && git commit -m "Before txo v3.0 migration" && txo migrate .',
        )


def _record(report: MigrationReport, file: str, kind: str, outcome: Outcome) -> None:
    for note in outcome.notes:
        report.add(file, kind, note)
    for item in outcome.follow_ups:
        report.follow_up(file, 0, item)


def _parse(tree: ProjectTree, report: MigrationReport, rel: str, text: str) -> Any:
    try:
        return loads(text)
    except ValueError as exc:
        report.follow_up(
            rel,
            getattr(exc, "lineno", 0),
            f"not valid JSON ({exc}); fix it, then run `txo migrate` again",
        )
        return None


def _write_json(
    tree: ProjectTree, report: MigrationReport, rel: str, data: Any, unmerged: list[str]
) -> bool:
    """Plan ``data`` for ``rel`` unless the file already holds exactly that."""
    current = tree.current(rel)
    try:
        same = current is not None and loads(current) == data
    except ValueError:
        same = False
    if same:
        return False
    tree.write(rel, dumps(data, indent_of(tree.original(rel) or current)))
    if tree.baseline is not None and rel in unmerged:
        report.add(
            rel,
            "conflict resolved",
            "copier's line merge conflicted; rebuilt from "
            "your committed v2.1 version (every value kept)",
        )
    return True


def _config_files(tree: ProjectTree) -> list[str]:
    names = set(tree.walk(".json", "config")) | set(tree.baseline_files("config"))
    return sorted(
        rel
        for rel in names
        if PurePosixPath(rel).parent.as_posix() == "config"
        and rel.endswith("-config.json")
        and rel != LOGGING_FILE
    )


def _plan_configs(
    tree: ProjectTree, report: MigrationReport, unmerged: list[str], sections: dict[str, Any]
) -> dict[str, Any]:
    migrated: dict[str, Any] = {}
    for rel in _config_files(tree):
        text = tree.original(rel)
        data = _parse(tree, report, rel, text) if text is not None else None
        if not isinstance(data, dict):
            continue
        outcome = migrate_config(data)
        outcome.notes += add_missing_sections(outcome.data, sections)
        migrated[rel] = outcome.data
        if _write_json(tree, report, rel, outcome.data, unmerged):
            _record(report, rel, "config", outcome)
        else:
            for item in outcome.follow_ups:
                report.follow_up(rel, 0, item)
    return migrated


def _plan_secrets_examples(
    tree: ProjectTree, report: MigrationReport, configs: dict[str, Any]
) -> None:
    """v3.0 projects commit a placeholder example next to every config (never the secrets)."""
    for rel in configs:
        example = rel.removesuffix(".json") + "-secrets.json.example"
        if tree.add_secrets_example(example, SECRETS_EXAMPLE):
            report.add(
                example,
                "secrets example",
                "added a placeholder-only example (your real secrets file was not opened)",
            )


def _plan_schema(
    tree: ProjectTree,
    report: MigrationReport,
    configs: dict[str, Any],
    unmerged: list[str],
    template: Any,
) -> None:
    base = _schema_base(tree, template)
    text = tree.original(SCHEMA_FILE)
    user = _parse(tree, report, SCHEMA_FILE, text) if text is not None else None
    if not isinstance(user, dict):
        outcome = Outcome(base, ["added the packaged v3.0 schema"])
    elif is_v3_schema(user):
        outcome = Outcome(user)
    else:
        outcome = merge_schema(user, base)
    for rel, data in configs.items():
        declared = declare_config_keys(outcome.data, data, rel)
        outcome.notes += declared.notes
        outcome.follow_ups += declared.follow_ups
    if _write_json(tree, report, SCHEMA_FILE, outcome.data, unmerged):
        _record(report, SCHEMA_FILE, "schema", outcome)
    else:
        for item in outcome.follow_ups:
            report.follow_up(SCHEMA_FILE, 0, item)


def _schema_base(tree: ProjectTree, template: Any) -> Any:
    """The base the user's schema is merged into: after a copier update, the schema copier
    rendered; when its line merge conflicted, the new template's schema rendered with the
    project's answers (it declares the ``odata``/``soap`` sections the configs get);
    the packaged schema only when there is no template."""
    if tree.baseline is not None:
        rendered = tree.current(SCHEMA_FILE)
        try:
            data = loads(rendered) if rendered is not None else None
        except ValueError:  # conflict markers from copier's line merge
            data = None
        if isinstance(data, dict) and is_v3_schema(data):
            return data
    if isinstance(template, dict) and is_v3_schema(template):
        return template
    return loads(packaged_text("org-env-config-schema.json"))


def _plan_logging(tree: ProjectTree, report: MigrationReport, unmerged: list[str]) -> None:
    if tree.original(REDACTION_FILE) is None or tree.current(LOGGING_FILE) is None:
        _plan_logging_config(tree, report, unmerged)  # the redaction file came with v3.0
    _plan_redaction(tree, report, unmerged)


def _plan_logging_config(tree: ProjectTree, report: MigrationReport, unmerged: list[str]) -> None:
    old_text = tree.original(LOGGING_FILE)
    old = _parse(tree, report, LOGGING_FILE, old_text) if old_text is not None else None
    outcome = migrate_logging(old, loads(packaged_text("logging-config.json")))
    if _write_json(tree, report, LOGGING_FILE, outcome.data, unmerged):
        _record(report, LOGGING_FILE, "logging", outcome)


def _plan_redaction(tree: ProjectTree, report: MigrationReport, unmerged: list[str]) -> None:
    """Every project gets the personal-data classes; the user's own patterns stay."""
    text = tree.original(REDACTION_FILE) or tree.current(REDACTION_FILE)
    old = _parse(tree, report, REDACTION_FILE, text) if text is not None else None
    if text is not None and old is None:
        return  # not valid JSON: reported as a follow-up, never overwritten
    default = loads(packaged_text("log-redaction-patterns.json"))
    outcome = migrate_redaction_patterns(old, default)
    if _write_json(tree, report, REDACTION_FILE, outcome.data, unmerged):
        _record(report, REDACTION_FILE, "logging", outcome)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def _plan_utils(tree: ProjectTree, report: MigrationReport) -> set[str]:
    """Remove unmodified vendored helpers; keep (or restore) modified ones and own modules."""
    known = _known_utils_hashes()
    files = sorted(
        {p for p in tree.walk(".py", "utils") if p.count("/") == 1}
        | {p for p in tree.baseline_files("utils") if p.endswith(".py") and p.count("/") == 1}
    )
    contents = {rel: tree.current(rel) or tree.original(rel) or "" for rel in files}
    unmodified = {rel for rel in files if _sha256(contents[rel]) in known.get(_name(rel), [])}
    keep = [rel for rel in files if rel not in unmodified and _name(rel) != "__init__.py"]
    if keep:
        unmodified.discard("utils/__init__.py")
    for rel in files:
        if rel in unmodified:
            if tree.on_disk(rel):
                tree.delete(rel)
                report.add(rel, "removed", "unmodified v2.1 helper (now in txo_runtime)")
            elif tree.baseline is not None:
                report.add(rel, "removed", "unmodified v2.1 helper, removed by the update")
            continue
        if not tree.on_disk(rel):
            tree.write(rel, contents[rel])
            report.add(rel, "restored", "the update deleted it, but it holds your changes")
        if _name(rel) in known and _name(rel) != "__init__.py":
            report.follow_up(
                rel,
                0,
                "differs from the v2.1 helper, so it was kept: move your "
                "change into your scripts or a module of your own, then delete it",
            )
    return {rel for rel in files if _name(rel) in known}


def _name(rel: str) -> str:
    return PurePosixPath(rel).name


def _plan_code(tree: ProjectTree, report: MigrationReport, vendored: set[str]) -> None:
    candidates = set(tree.walk(".py")) | {r for r, t in tree.pending.items() if r.endswith(".py")}
    for rel in sorted(candidates - vendored):
        text = tree.current(rel)
        if text is None:
            continue
        result = rewrite_source(text, rel)
        for line, kind, description in result.changes:
            report.add(rel, kind, f"line {line}: {description}")
        for line, description in result.follow_ups:
            report.follow_up(rel, line, description)
        if result.source is not None:
            tree.write(rel, result.source)
        _report_soft_fails(report, rel, result.source or text)
    for rel in sorted(tree.skipped_python):
        report.follow_up(
            rel,
            0,
            "not migrated: Python in a run folder is not treated as code; if it is a script, "
            "move it into src/ and run `txo migrate` again",
        )


def _report_soft_fails(report: MigrationReport, rel: str, source: str) -> None:
    """v3.0 validates the config, so a required value read with ``.get`` hides a mistake."""
    if not rel.startswith("src/"):
        return
    for line in soft_fail_lines(source):
        report.follow_up(
            rel,
            line,
            "reads config with `.get(...)`: v3.0 validates the config against the schema, "
            'so read required values as `config["section"]["key"]` (a typo then fails loudly)',
        )


def _plan_answers(tree: ProjectTree, report: MigrationReport, template_src: str | None) -> None:
    if tree.on_disk(ANSWERS_FILE):
        return
    configs = [PurePosixPath(rel).name for rel in _config_files(tree)]
    sources = [tree.current(rel) or "" for rel in tree.walk(".py", "src")]
    answers, follow_ups = infer_answers(
        tree.root,
        configs,
        pyproject_text=tree.current("pyproject.toml"),
        sources=sources,
        template_src=template_src,
    )
    text = _adopt_template_files(tree, report, template_src, answers) if template_src else None
    tree.write(ANSWERS_FILE, text or answers_text(answers))
    shown = ", ".join(f"{k}={v}" for k, v in answers.items() if not k.startswith("_src"))
    report.add(ANSWERS_FILE, "adopted", f"answers inferred for later `copier update`: {shown}")
    for item in follow_ups:
        report.follow_up(ANSWERS_FILE, 0, item)


def _adopt_template_files(
    tree: ProjectTree, report: MigrationReport, template_src: str, answers: dict[str, Any]
) -> str | None:
    """Render the template at the adopted version, plan the files the project lacks, and
    return the rendered answers file; None (today's inferred file) if it cannot render."""
    try:
        rendered = render_template(template_src, ADOPTED_VERSION, answers)
    except RenderFailed as failed:
        report.follow_up(
            ANSWERS_FILE,
            0,
            f"could not render the template at {ADOPTED_VERSION} ({failed.reason}), so the "
            "template files this project lacks were not added and `copier update` will treat "
            "them as deleted: make the template reachable, delete this file, commit, and run "
            "`txo migrate --template-src` again",
        )
        return None
    plan_template_files(tree, report, rendered, ADOPTED_VERSION)
    return rendered.get(ANSWERS_FILE)


def _plan_requirements(tree: ProjectTree, report: MigrationReport) -> None:
    text = tree.current("requirements.txt")
    if text is None or "txo-runtime" in text or "txo_runtime" in text:
        return
    tree.write("requirements.txt", text.rstrip("\n") + f"\n{RUNTIME_REQUIREMENT}\n")
    report.add("requirements.txt", "dependency", f"added `{RUNTIME_REQUIREMENT}`")


def _collect_conflicts(tree: ProjectTree, report: MigrationReport, unmerged: list[str]) -> None:
    resolved = {rel for rel, text in tree.pending.items() if text is not None}
    found = [rel for rel in unmerged if rel not in resolved]
    found += [rel for rel in tree.conflicted_files() if rel not in found]
    report.conflicts = sorted(found)


def _apply(tree: ProjectTree, report: MigrationReport, unmerged: list[str]) -> None:
    report.written_files = tree.apply()
    _git.stage(tree.root, [rel for rel in report.written_files if rel in unmerged])
    report.report_path = tree.root / REPORT_NAME
    report.report_path.write_text(report.to_markdown(), encoding="utf-8")
    report.written_files.append(REPORT_NAME)
