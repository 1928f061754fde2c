"""copier and cookiecutter generate the v3.0 customer repository from the same files."""

from __future__ import annotations

import filecmp
import json
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.template.conftest import (
    REPO_ROOT,
    cookiecutter_generate,
    copier_copy,
    load_hooks_shared,
    run,
)

PACKAGED = REPO_ROOT / "txo_runtime" / "data"
RUFF = str(Path(sys.executable).with_name("ruff"))
SAME_REQUIREMENT = {"txo_runtime_requirement": "txo-runtime>=3,<4"}
BAD_ORG_MESSAGE = "org_id must be a lower-case slug"


def _tree(root: Path) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and ".ruff_cache" not in path.parts
    )


def _validate_configs(project: Path) -> dict[str, list[str]]:
    schema = json.loads((project / "schemas" / "org-env-config-schema.json").read_text())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return {
        path.name: [error.message for error in validator.iter_errors(json.loads(path.read_text()))]
        for path in sorted((project / "config").glob("*-*-config.json"))
    }


def test_default_copier_project_has_the_v3_layout(default_project: Path) -> None:
    files = set(_tree(default_project))
    assert {
        ".copier-answers.yml", ".gitignore", "README.md", "pyproject.toml",
        "config/acme-test-config.json", "config/acme-prod-config.json",
        "config/acme-test-config-secrets.json.example",
        "config/acme-prod-config-secrets.json.example",
        "config/logging-config.json", "config/log-redaction-patterns.json",
        "schemas/org-env-config-schema.json", "src/__init__.py", "src/fetch_customers.py",
        "tests/conftest.py", "tests/test_config.py", "tests/test_fetch_customers.py",
        "data/.gitkeep", "output/.gitkeep", "logs/.gitkeep", "tmp/.gitkeep",
    } <= files  # fmt: skip
    assert not any(name.startswith("config/_environment") for name in files)
    assert "src/call_soap_service.py" not in files


def test_every_generated_config_validates_against_the_generated_schema(
    default_project: Path,
) -> None:
    results = _validate_configs(default_project)
    expected = {"acme-test-config.json", "acme-prod-config.json", "demo-test-config.json"}
    assert set(results) == expected  # demo-test: the try-me script's (use_try_me)
    assert all(errors == [] for errors in results.values()), results


@pytest.mark.parametrize("name", ["logging-config.json", "log-redaction-patterns.json"])
def test_logging_files_are_the_packaged_defaults(default_project: Path, name: str) -> None:
    generated = (default_project / "config" / name).read_bytes()
    assert generated == (PACKAGED / name).read_bytes(), (
        f"template/config/{name} differs from txo_runtime/data/{name}: "
        f"cp txo_runtime/data/{name} template/config/"
    )


def test_schema_is_the_packaged_schema_plus_the_starter_sections(default_project: Path) -> None:
    generated = json.loads((default_project / "schemas" / "org-env-config-schema.json").read_text())
    packaged = json.loads((PACKAGED / "org-env-config-schema.json").read_text())
    assert set(generated["properties"]) == set(packaged["properties"])  # SOAP starter off
    odata = generated["properties"]["odata"]  # the OData starter adds its keys to "odata"
    assert odata.pop("required") == ["customers-entity-set", "page-size"]
    del odata["properties"]["customers-entity-set"], odata["properties"]["page-size"]
    assert generated == packaged


def test_generated_schema_rejects_unknown_top_level_keys_and_secret_looking_keys(
    default_project: Path,
) -> None:
    schema = json.loads((default_project / "schemas" / "org-env-config-schema.json").read_text())
    config = json.loads((default_project / "config" / "acme-test-config.json").read_text())
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(config)) == []
    for extra in ({"scrpit-behavior": {}}, {"password": "x"}, {"api-key": "x"}):
        assert list(validator.iter_errors({**config, **extra})), extra


def test_answers_file_records_the_answers_not_the_computed_namespace(
    default_project: Path,
) -> None:
    answers = (default_project / ".copier-answers.yml").read_text()
    assert "_src_path:" in answers and "org_id: acme" in answers
    assert "environments: test,prod" in answers
    assert "cookiecutter" not in answers


def _requirements(project: Path) -> tuple[list[str], list[str]]:
    """(dependencies, dev extra) of a generated pyproject.toml, read as TOML."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return data["dependencies"], data["optional-dependencies"]["dev"]


def _tools_requirement(dev: list[str]) -> str:
    (tools,) = [req for req in dev if req.startswith("txo-tools")]
    return tools


def test_requirement_defaults_to_the_template_source_and_commit(default_project: Path) -> None:
    dependencies, dev = _requirements(default_project)
    (runtime,) = dependencies
    prefix = f"txo-runtime[excel] @ git+file://{REPO_ROOT}@"
    assert runtime.startswith(prefix)
    ref = runtime[len(prefix) :]
    assert ref and "@" not in ref and "#" not in ref  # a tag or the full commit hash
    assert _tools_requirement(dev) == f"txo-tools @ git+file://{REPO_ROOT}@{ref}#subdirectory=tools"
    assert not any(req.startswith("txo-tools") for req in dependencies)  # dev only


GIT = "git+https://git.example.com/txo.git"
WHEELS = "https://files.example.com/wheels"


@pytest.mark.parametrize(
    ("answer", "use_soap", "runtime", "tools"),
    [
        ("txo-runtime>=3,<4", "false", "txo-runtime[excel]>=3,<4", "txo-tools>=3,<4"),
        ("txo-runtime>=3,<4", "true", "txo-runtime[excel,soap]>=3,<4", "txo-tools>=3,<4"),
        ("txo-runtime==3.0.0", "false", "txo-runtime[excel]==3.0.0", "txo-tools==3.0.0"),
        (f"txo-runtime @ {GIT}@v3.0.0", "false", f"txo-runtime[excel] @ {GIT}@v3.0.0",
         f"txo-tools @ {GIT}@v3.0.0#subdirectory=tools"),
        (f"txo-runtime[yaml] @ {GIT}@v3.0.0", "true",
         f"txo-runtime[excel,soap,yaml] @ {GIT}@v3.0.0",
         f"txo-tools @ {GIT}@v3.0.0#subdirectory=tools"),
        ("txo-runtime @ git+ssh://git@host/txo.git@0123abc#egg=txo-runtime", "false",
         "txo-runtime[excel] @ git+ssh://git@host/txo.git@0123abc#egg=txo-runtime",
         "txo-tools @ git+ssh://git@host/txo.git@0123abc#egg=txo-runtime&subdirectory=tools"),
        ("txo-runtime @ file:///srv/txo", "false", "txo-runtime[excel] @ file:///srv/txo",
         "txo-tools @ file:///srv/txo/tools"),
        (f"txo-runtime @ {WHEELS}/txo_runtime-3.0.0-py3-none-any.whl", "false",
         f"txo-runtime[excel] @ {WHEELS}/txo_runtime-3.0.0-py3-none-any.whl",
         f"txo-tools @ {WHEELS}/txo_tools-3.0.0-py3-none-any.whl"),
    ],
    ids=["index", "index-soap", "exact-version", "git-tag", "git-with-extra-soap", "git-fragment",
         "local-folder", "wheel-url"],
)  # fmt: skip
def test_every_requirement_form_gives_the_runtime_with_extras_and_the_tools_for_dev(
    tmp_path: Path, home: Path, answer: str, use_soap: str, runtime: str, tools: str
) -> None:
    from packaging.requirements import Requirement

    dst = tmp_path / "p"
    copier_copy(dst, home, {"txo_runtime_requirement": answer, "use_soap": use_soap})
    dependencies, dev = _requirements(dst)
    assert (dependencies, _tools_requirement(dev)) == ([runtime], tools)
    for text, name in ((runtime, "txo-runtime"), (tools, "txo-tools")):
        assert Requirement(text).name == name  # valid PEP 508, as pip reads it


def test_gitignore_keeps_real_secrets_and_run_artefacts_out_of_git(
    default_project: Path, tmp_path: Path, home: Path
) -> None:
    project = tmp_path / "repo"
    run(["cp", "-r", str(default_project), str(project)], cwd=tmp_path, home=home)
    for name in ("config/acme-test-config-secrets.json", "output/report.xlsx", "logs/a.log"):
        (project / name).write_text("x")
    run(["git", "init", "-q"], cwd=project, home=home)
    run(["git", "add", "-A"], cwd=project, home=home)
    staged = run(["git", "ls-files"], cwd=project, home=home).stdout.split()
    assert "config/acme-test-config-secrets.json" not in staged
    assert "config/acme-test-config-secrets.json.example" in staged
    assert {"output/.gitkeep", "logs/.gitkeep", "data/.gitkeep", "tmp/.gitkeep"} <= set(staged)
    assert "output/report.xlsx" not in staged and "logs/a.log" not in staged


@pytest.mark.slow
def test_generated_project_passes_its_own_tests_ruff_and_format_check(
    default_project: Path, home: Path
) -> None:
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                 cwd=default_project, home=home, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
    run([RUFF, "check", "--no-cache", "."], cwd=default_project, home=home)
    run([RUFF, "format", "--check", "--no-cache", "."], cwd=default_project, home=home)


@pytest.mark.parametrize(
    ("bad_org", "expected"),
    [("ACME", BAD_ORG_MESSAGE), ("1acme", BAD_ORG_MESSAGE), ("a", BAD_ORG_MESSAGE),
     ("acme_eu", BAD_ORG_MESSAGE)],
)  # fmt: skip
def test_copier_rejects_a_wrong_org_id_and_creates_nothing(
    tmp_path: Path, home: Path, bad_org: str, expected: str
) -> None:
    dst = tmp_path / "project"
    result = copier_copy(dst, home, {"org_id": bad_org}, check=False)
    assert result.returncode != 0
    assert expected in result.stderr and f"got '{bad_org}'" in result.stderr
    assert not dst.exists()


def test_cookiecutter_rejects_a_wrong_org_id_in_the_pre_gen_hook(
    tmp_path: Path, home: Path
) -> None:
    result = cookiecutter_generate(tmp_path / "out", home, {"org_id": "Bad Org"}, check=False)
    assert result.returncode != 0
    assert BAD_ORG_MESSAGE in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    "environments", ["test,,prod", "Test", "test,test", "te-st", "dev uat,prod"]
)
def test_copier_rejects_bad_environment_lists(
    tmp_path: Path, home: Path, environments: str
) -> None:
    result = copier_copy(tmp_path / "p", home, {"environments": environments}, check=False)
    assert result.returncode != 0
    assert "environments must" in result.stderr


@pytest.mark.parametrize(
    "answers",
    [
        SAME_REQUIREMENT,
        {"use_soap": "true", "use_odata": "false", "environments": "dev,uat,prod",
         "org_id": "contoso-eu", "python_version": "3.12", **SAME_REQUIREMENT},
        {"use_soap": "true", "txo_runtime_requirement": f"txo-runtime[yaml] @ {GIT}@v3.0.0"},
    ],
    ids=["defaults", "soap-only-three-envs", "git-source-soap"],
)  # fmt: skip
def test_copier_and_cookiecutter_outputs_are_identical(
    tmp_path: Path, home: Path, answers: dict[str, str]
) -> None:
    copier_dst = tmp_path / "copier" / "acme-integrations"
    copier_dst.parent.mkdir()
    copier_copy(copier_dst, home, answers)
    cookiecutter_generate(tmp_path / "cc", home, answers)
    cc_dst = tmp_path / "cc" / "acme-integrations"

    copier_files = [name for name in _tree(copier_dst) if name != ".copier-answers.yml"]
    assert copier_files == [name for name in _tree(cc_dst) if name != ".cruft.json"]
    _, mismatch, errors = filecmp.cmpfiles(copier_dst, cc_dst, copier_files, shallow=False)
    assert mismatch == [] and errors == []


TRICKY_ANSWERS = {
    "project_name": 'ACME "EU" \\ Nordics & Ørsted',
    "project_slug": "acme-eu",
    "author_name": 'Team "Data" \\ Ops',
    "environments": "dev, uat_2,prod",
}


def test_quotes_backslashes_and_spaced_environments_give_identical_valid_projects(
    tmp_path: Path, home: Path
) -> None:
    copier_dst = tmp_path / "copier" / "acme-eu"
    copier_dst.parent.mkdir()
    copier_copy(copier_dst, home, {**TRICKY_ANSWERS, **SAME_REQUIREMENT})
    cookiecutter_generate(tmp_path / "cc", home, {**TRICKY_ANSWERS, **SAME_REQUIREMENT})
    cc_dst = tmp_path / "cc" / "acme-eu"

    copier_files = [name for name in _tree(copier_dst) if name != ".copier-answers.yml"]
    assert copier_files == [name for name in _tree(cc_dst) if name != ".cruft.json"]
    _, mismatch, errors = filecmp.cmpfiles(copier_dst, cc_dst, copier_files, shallow=False)
    assert mismatch == [] and errors == []
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((copier_dst / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["description"].startswith(TRICKY_ANSWERS["project_name"] + ": ")
    assert project["authors"] == [
        {"name": TRICKY_ANSWERS["author_name"], "email": "integrations@example.com"}
    ]
    readme = (copier_dst / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {TRICKY_ANSWERS['project_name']}\n")
    assert "(dev, uat_2, prod)" in readme
    assert "acme-dev-config-secrets.json.example" in readme


@pytest.mark.slow
def test_soap_only_project_with_three_environments(tmp_path: Path, home: Path) -> None:
    dst = tmp_path / "soap-project"
    answers = {"use_soap": "true", "use_odata": "false", "environments": "dev, uat, prod"}
    copier_copy(dst, home, answers)

    files = set(_tree(dst))
    assert "src/call_soap_service.py" in files and "src/fetch_customers.py" not in files
    assert {f"config/acme-{env}-config.json" for env in ("dev", "uat", "prod")} <= files
    assert all(errors == [] for errors in _validate_configs(dst).values())
    assert '"txo-runtime[excel,soap] @ git+file://' in (dst / "pyproject.toml").read_text()
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                 cwd=dst, home=home, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    run([RUFF, "check", "--no-cache", "."], cwd=dst, home=home)
    run([RUFF, "format", "--check", "--no-cache", "."], cwd=dst, home=home)


def test_runtime_from_index_gives_a_plain_version_range(tmp_path: Path, home: Path) -> None:
    dst = tmp_path / "p"
    copier_copy(dst, home, {"runtime_from_index": "true"})
    dependencies, dev = _requirements(dst)
    assert (dependencies, _tools_requirement(dev)) == (
        ["txo-runtime[excel]>=3,<4"],
        "txo-tools>=3,<4",
    )


def test_cookiecutter_pins_runtime_and_tools_to_the_checkout_as_copier_would(
    tmp_path: Path, home: Path
) -> None:
    cookiecutter_generate(tmp_path / "cc", home, {"use_soap": "yes"})
    cc_dst = tmp_path / "cc" / "acme-integrations"
    (runtime,) = _requirements(cc_dst)[0]
    prefix = f"txo-runtime[excel,soap] @ git+file://{REPO_ROOT}@"
    assert runtime.startswith(prefix)
    assert runtime[len(prefix) :] == load_hooks_shared().source_ref(REPO_ROOT)
    # copier, given the same pin, renders the same pyproject.toml byte for byte
    copier_dst = tmp_path / "copier" / "acme-integrations"
    copier_dst.parent.mkdir()
    answer = runtime.replace("[excel,soap]", "", 1)
    copier_copy(copier_dst, home, {"use_soap": "true", "txo_runtime_requirement": answer})
    assert (cc_dst / "pyproject.toml").read_bytes() == (copier_dst / "pyproject.toml").read_bytes()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("gh:txo/txo", "git+https://github.com/txo/txo"),
        ("https://example.com/txo.git", "git+https://example.com/txo.git"),
        ("git+https://example.com/txo.git", "git+https://example.com/txo.git"),
        ("git@github.com:txo/txo.git", "git+ssh://git@github.com/txo/txo.git"),
        ("/srv/templates/txo", "git+file:///srv/templates/txo"),
    ],
)
def test_template_sources_become_pip_vcs_urls(source: str, expected: str) -> None:
    assert load_hooks_shared().pip_vcs_url(source) == expected
