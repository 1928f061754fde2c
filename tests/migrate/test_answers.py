"""Answers inferred for a cloned v2.1 project (``txo_tools.migrate.answers``)."""

from __future__ import annotations

from pathlib import Path

import yaml

from txo_tools.migrate.answers import answers_text, infer_answers, project_name


def _infer(root: Path, template_src: str | None = "https://git.example.com/txo.git") -> dict:
    names = ["acme-test-config.json", "acme-prod-config.json", "logging-config.json"]
    answers, _ = infer_answers(
        root, names, pyproject_text=None, sources=[], template_src=template_src
    )
    return answers


def test_project_name_comes_from_pyproject_then_readme_title_then_folder(tmp_path: Path) -> None:
    assert project_name(tmp_path, 'name = "acme-jobs"\n') == "acme-jobs"
    assert project_name(tmp_path, None) == tmp_path.name
    (tmp_path / "README.md").write_text("# Acme Integrations \n\nTXO v2.1 scripts for acme.\n")
    assert project_name(tmp_path, None) == "Acme Integrations"


def test_starter_questions_follow_the_starter_scripts_the_project_has(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src/sales.py").write_text("# calls get_odata_entities via odata\n")
    assert (_infer(tmp_path)["use_odata"], _infer(tmp_path)["use_soap"]) == (False, False)
    (tmp_path / "src/fetch_customers.py").write_text("")
    (tmp_path / "src/call_soap_service.py").write_text("")
    assert (_infer(tmp_path)["use_odata"], _infer(tmp_path)["use_soap"]) == (True, True)


def test_answers_file_names_the_v3_template_commit_and_source(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Acme Integrations\n")
    answers = yaml.safe_load(answers_text(_infer(tmp_path)))
    assert answers["_commit"] == "v3.0.0"
    assert answers["_src_path"] == "https://git.example.com/txo.git"
    assert (answers["project_slug"], answers["org_id"], answers["environments"]) == (
        "acme-integrations", "acme", "test,prod")  # fmt: skip


def test_missing_template_source_is_a_follow_up(tmp_path: Path) -> None:
    answers, follow_ups = infer_answers(
        tmp_path, ["acme-test-config.json"], pyproject_text=None, sources=[], template_src=None
    )
    assert "_src_path" not in answers
    assert any("_src_path" in item for item in follow_ups)
