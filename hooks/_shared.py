"""Generation hook code shared by cookiecutter's hooks and copier's tasks.

Runs under the generator's own Python (copier's or cookiecutter's), before the customer
project has any virtual environment, so it uses the standard library only (and Jinja, which
both engines bring, for cookiecutter's second rendering of pyproject.toml). cookiecutter runs
``pre_gen_project.py`` / ``post_gen_project.py``; copier validates with ``validator:`` in
``copier.yml`` and runs ``post_gen_project.py --copier <answers>`` as a task on copy, and
``_shared.py check-conflicts`` as a task on update. Both engines therefore produce the same
tree from the same code.

Usage as a script (also by hand after ``copier update``)::

    python hooks/_shared.py check-conflicts [PROJECT_DIR]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ORG_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
ENV_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13")
CHOICES = {
    "ci_provider": ("github", "gitlab", "none"),
    "dependency_updates": ("renovate", "dependabot", "none"),
    "orchestrator": ("none", "prefect"),
}
RUN_FOLDERS = ("data", "output", "logs", "tmp")
ENVIRONMENT_SOURCE = Path("config") / "_environment"
INDEX_REQUIREMENT = "txo-runtime>=3,<4"
FROM_TEMPLATE_SOURCE = "from-template-source"
_SHORTCUTS = {
    "gh:": "https://github.com/",
    "gl:": "https://gitlab.com/",
    "bb:": "https://bitbucket.org/",
}
_CONFLICT_START = re.compile(r"^<{7}( |$)", re.MULTILINE)


# ------------------------------------------------------------------ answers
def environment_list(text: str) -> list[str]:
    """``"test, prod"`` -> ``["test", "prod"]`` (the answer is one comma-separated string)."""
    return [part.strip() for part in str(text).split(",")]


def validate_answers(answers: Mapping[str, Any]) -> list[str]:
    """The same rules as the ``validator:`` entries of copier.yml, one message per problem."""
    errors: list[str] = []
    org_id = str(answers["org_id"])
    if not ORG_ID_PATTERN.match(org_id):
        errors.append(
            "org_id must be a lower-case slug: a letter, then 1-30 lower-case letters, digits "
            "or '-' (e.g. acme or contoso-eu), because it becomes part of file names such as "
            f"config/acme-test-config.json; got '{org_id}'"
        )
    slug = str(answers["project_slug"])
    if not SLUG_PATTERN.match(slug):
        errors.append(
            "project_slug must be lower-case letters, digits and '-', starting with a letter "
            f"(e.g. acme-integrations); got '{slug}'"
        )
    envs = environment_list(answers["environments"])
    bad = [env for env in envs if not ENV_PATTERN.match(env)]
    if bad:
        errors.append(
            "Each environment must be lower-case letters, digits or '_', starting with a "
            f"letter, separated by commas (e.g. test,prod); '{bad[0]}' is not"
        )
    if len(set(envs)) != len(envs):
        errors.append(f"Environments must not repeat: '{answers['environments']}'")
    if str(answers["python_version"]) not in PYTHON_VERSIONS:
        errors.append(f"python_version must be one of {', '.join(PYTHON_VERSIONS)}")
    for name, allowed in CHOICES.items():
        if name in answers and str(answers[name]) not in allowed:
            errors.append(f"{name} must be one of {', '.join(allowed)}; got '{answers[name]}'")
    if org_id == "demo" and _is_yes(answers.get("use_try_me", False)):
        errors.append(
            "org_id 'demo' is the try-me script's demo organisation "
            "(config/demo-test-config.json): choose another org_id or answer no to use_try_me"
        )
    return errors


def _is_yes(value: Any) -> bool:
    """A yes/no answer as either engine passes it (True, "true", "yes", "1" ...)."""
    return str(value).strip().lower() in {"true", "yes", "y", "1", "on"}


# ------------------------------------------------------------------ project layout
def expand_environment_configs(project: Path, org_id: str, environments: list[str]) -> list[Path]:
    """Write ``config/{org}-{env}-config.json`` (+ secrets example) for every environment.

    copier cannot loop over a list in file names, so the template holds one rendered source
    per kind in ``config/_environment/``; this expands it and removes the sources. Existing
    files are never overwritten (a re-copy must not clobber a user's config).
    """
    source = project / ENVIRONMENT_SOURCE
    written: list[Path] = []
    for env in environments:
        for name in sorted(os.listdir(source)):
            target = project / "config" / f"{org_id}-{env}-{name}"
            if not target.exists():
                shutil.copyfile(source / name, target)
                written.append(target)
    shutil.rmtree(source)
    return written


def remove_empty_folders(
    project: Path, names: tuple[str, ...] = (".github/workflows", ".github")
) -> None:
    """Remove folders left empty because none of their files were wanted.

    Both engines create a folder before they skip its files whose names render empty (no
    GitHub CI, no Dependabot), so ``.github/`` would otherwise stay behind, empty.
    """
    for name in names:
        folder = project / name
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def create_run_folders(project: Path) -> None:
    """data/ output/ logs/ tmp/ with a .gitkeep, so git keeps the folders but not their content."""
    for folder in RUN_FOLDERS:
        (project / folder).mkdir(exist_ok=True)
        (project / folder / ".gitkeep").touch()


# ------------------------------------------------------------------ txo-runtime requirement
def pip_vcs_url(source: str) -> str:
    """A template source as copier/cookiecutter accept it -> a pip ``git+`` URL."""
    for shortcut, base in _SHORTCUTS.items():
        if source.startswith(shortcut):
            return f"git+{base}{source[len(shortcut) :]}"
    if source.startswith("git+"):
        return source
    if source.startswith("git@"):
        return "git+ssh://" + source.replace(":", "/", 1)
    if "://" in source:
        return "git+" + source
    return "git+file://" + str(Path(source).resolve())


def _git(repo: Path, *args: str) -> str | None:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def source_ref(repo: Path) -> str | None:
    """The exact tag of the checked-out commit, else its full hash (None: not a git repo)."""
    return _git(repo, "describe", "--tags", "--exact-match", "HEAD") or _git(
        repo, "rev-parse", "HEAD"
    )


def requirement_from_source(source: str, repo_dir: Path) -> tuple[str, list[str]]:
    """The rule of docs/template.md for cookiecutter (copier computes it in copier.yml).

    Returns the requirement and warnings to show (dirty checkout, no git).
    """
    ref = source_ref(repo_dir)
    if ref is None:
        return INDEX_REQUIREMENT, [
            f"'{source}' is not a git checkout, so the project cannot pin txo-runtime to it; "
            f"wrote '{INDEX_REQUIREMENT}' (needs a package index that serves txo-runtime)"
        ]
    warnings = []
    if _git(repo_dir, "status", "--porcelain"):
        warnings.append(
            f"The template checkout '{repo_dir}' has uncommitted changes; the requirement "
            f"points at its last commit {ref}, which does not contain them"
        )
    return f"txo-runtime @ {pip_vcs_url(source)}@{ref}", warnings


def unreachable_ref_warning(requirement: str) -> str | None:
    """A ``git+file://`` pin whose commit the source lacks (generated from a dirty checkout)."""
    match = re.match(
        r"^txo-runtime(\[[\w,\s]+\])? @ git\+file://(?P<path>.+)@(?P<ref>[^@#]+)", requirement
    )
    if not match or not Path(match["path"]).is_dir():
        return None
    if _git(Path(match["path"]), "cat-file", "-e", f"{match['ref']}^{{commit}}") is not None:
        return None
    return (
        f"pyproject.toml pins '{requirement}', but {match['path']} has no commit "
        f"{match['ref']} (the template checkout had uncommitted changes), so installing the "
        "project will fail: commit (and tag) the template and regenerate, or set "
        "txo_runtime_requirement"
    )


def _local_source(template: str, repo_dir: str) -> str:
    """cookiecutter keeps a local template path as typed; make it absolute."""
    if Path(template).is_absolute() or "://" in template or template[:3] in _SHORTCUTS:
        return template
    if template.startswith(("git@", "git+")):
        return template
    start = os.environ.get("PWD", os.getcwd())
    return str((Path(start) / repo_dir).resolve())


def resolve_requirement_placeholder(project: Path, context: Mapping[str, Any]) -> list[str]:
    """cookiecutter only: render ``pyproject.toml`` again with the pin for the placeholder.

    cookiecutter cannot ask git for the template's tag or commit while it renders, so its
    answer is ``from-template-source`` until this hook knows the pin. ``pyproject.toml``
    derives both requirements (txo-runtime with its extras, txo-tools for dev) from that one
    answer, so the file is rendered again from the template rather than patched here: the
    rule stays in one place for both engines.
    """
    if context["txo_runtime_requirement"] != FROM_TEMPLATE_SOURCE:
        return []
    source = _local_source(str(context["_template"]), str(context["_repo_dir"]))
    repo_dir = _checkout_dir(context)
    requirement, warnings = requirement_from_source(source, repo_dir)
    answers = {**context, "txo_runtime_requirement": requirement}
    render_template_file(repo_dir, project, "pyproject.toml", answers)
    return warnings


def _checkout_dir(context: Mapping[str, Any]) -> Path:
    """The template checkout being rendered (cookiecutter's clone, or cruft's at a commit):
    its tag or commit is the pin, whatever the source's own working tree holds."""
    repo_dir = Path(str(context["_repo_dir"]))
    if not repo_dir.is_absolute():
        repo_dir = Path(os.environ.get("PWD", os.getcwd())) / repo_dir
    return repo_dir.resolve()


STARTERS = (
    "src/fetch_customers.py",
    "src/call_soap_service.py",
    "tests/test_fetch_customers.py",
    "tests/test_call_soap_service.py",
    "src/try_me_script.py",
    "tests/test_features.py",
    "config/demo-test-config.json",
    "config/demo-test-config-secrets.json.example",
)


def write_cruft_state(project: Path, context: Mapping[str, Any], environments: list[str]) -> None:
    """``.cruft.json``: what ``cruft update`` needs to update a cookiecutter-made project.

    The template source and commit it was made from, the answers (the runtime placeholder
    stays a placeholder, so each update pins the version it renders), and the files the
    project owns, which updates skip as copier's do: starter scripts and the
    per-environment configs.
    """
    import json

    template = str(context["_template"])
    source = _local_source(template, str(context["_repo_dir"]))
    source = source[len("git+") :] if source.startswith("git+") else source  # git's own URL
    commit = _git(_checkout_dir(context), "rev-parse", "HEAD")
    answers = {key: value for key, value in context.items() if not key.startswith("_")}
    org = str(context["org_id"])
    configs = [
        f"config/{org}-{env}-{name}"
        for env in environments
        for name in ("config.json", "config-secrets.json.example")
    ]
    state = {
        "template": source,
        "commit": commit,
        "checkout": None,
        "context": {"cookiecutter": {**answers, "_template": source, "_commit": commit}},
        "directory": None,
        "skip": [*STARTERS, *configs],
    }
    text = json.dumps(state, indent=2, ensure_ascii=False) + "\n"
    (project / ".cruft.json").write_text(text, encoding="utf-8")


def render_template_file(
    repo_dir: Path, project: Path, name: str, answers: Mapping[str, Any]
) -> None:
    """Render ``template/<name>`` with ``answers`` into ``project/<name>``, as cookiecutter does."""
    import jinja2  # both engines depend on it; only this cookiecutter step needs it

    source = (repo_dir / "template" / name).read_text(encoding="utf-8")
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    text = environment.from_string(source).render(cookiecutter=dict(answers))
    with open(project / name, "w", encoding="utf-8", newline="\n") as target:
        target.write(text)


# ------------------------------------------------------------------ copier update conflicts
def _marker_hunks(path: Path) -> int:
    """How many ``<<<<<<<`` conflict blocks a file holds (0: none, or not a text file)."""
    if not path.is_file():
        return 0
    text = path.read_text(encoding="utf-8", errors="replace")
    return len(_CONFLICT_START.findall(text))


def find_update_conflicts(project: Path) -> list[str]:
    """Every file ``copier update`` left in conflict, one line each with its hunk count.

    copier exits 0 after an update with conflicts; this turns them into a list to report.
    A file counts once whether git lists it as unmerged, it holds conflict markers, or a
    ``*.rej`` file holds its rejected hunks (``--conflict rej``).
    """
    unmerged = {
        line.split("\t", 1)[1] for line in (_git(project, "ls-files", "-u") or "").splitlines()
    }
    changed = set((_git(project, "diff", "--name-only", "HEAD") or "").splitlines())
    others = (_git(project, "ls-files", "--others", "--exclude-standard") or "").splitlines()
    problems = []
    for name in sorted(unmerged | changed):
        hunks = _marker_hunks(project / name)
        if hunks:
            problems.append(f"{name}: {hunks} conflicting hunk(s) marked <<<<<<< / >>>>>>>")
        elif name in unmerged:
            problems.append(f"{name}: unmerged")
    for name in sorted(n for n in others if n.endswith(".rej")):
        rejected = (project / name).read_text(encoding="utf-8", errors="replace").count("\n@@ ")
        problems.append(f"{name[:-4]}: {max(rejected, 1)} rejected hunk(s) in {name}")
    return problems


def check_conflicts_main(argv: list[str]) -> int:
    project = Path(argv[0] if argv else ".").resolve()
    problems = find_update_conflicts(project)
    if not problems:
        print(f"No update conflicts in {project}")
        return 0
    print(f"copier update left conflicts in {len(problems)} file(s) in {project}:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    print(
        "Resolve them (edit the files, delete *.rej), then: git add -A && git commit",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "check-conflicts":
        raise SystemExit(check_conflicts_main(sys.argv[2:]))
    print("usage: python hooks/_shared.py check-conflicts [PROJECT_DIR]", file=sys.stderr)
    raise SystemExit(2)
