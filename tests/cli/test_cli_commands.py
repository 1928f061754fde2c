"""The `txo` command line: help, version, exit codes, light start-up, `txo new`, `txo migrate`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_projects import git, run_txo

from txo_runtime.exceptions import HelpfulError
from txo_tools import __version__, cli
from txo_tools import new_project as _new_project

HEAVY_MODULES = ("pandas", "openpyxl", "zeep", "jsonschema", "copier", "libcst", "yaml", "rich")


@pytest.mark.parametrize("command", [[], ["new"], ["migrate"], ["check"]], ids=str)
def test_every_command_has_help_with_the_exit_codes(command: list[str]) -> None:
    result = run_txo(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: txo" in result.stdout
    assert "2  usage error" in result.stdout


def test_the_console_script_runs() -> None:
    txo = Path(sys.executable).parent / "txo"
    result = subprocess.run([str(txo), "--version"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, f"txo {__version__}")


def test_help_imports_no_heavy_module() -> None:
    probe = (
        "import sys\nfrom txo_tools.cli import main\n"
        "try:\n    main(['check', '--help'])\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "args",
    [["bogus"], [], ["check", "--nope"], ["new"], ["new", "x", "--data", "no-equals-sign"]],
    ids=str,
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    result = run_txo(*args)
    assert result.returncode == 2
    assert "usage: txo" in result.stderr


def test_template_comes_from_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.TEMPLATE_ENV, "https://example.invalid/txo.git")
    assert cli.default_template() == "https://example.invalid/txo.git"


def test_template_defaults_to_the_source_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli.TEMPLATE_ENV, raising=False)
    checkout = Path(cli.__file__).resolve().parents[2]
    if not (checkout / "copier.yml").is_file():
        pytest.skip("txo_tools is not installed from a source checkout with copier.yml")
    assert cli.default_template() == str(checkout)


def test_without_a_template_new_fails_with_how_to_pass_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(cli.TEMPLATE_ENV, raising=False)
    monkeypatch.setattr(_new_project, "_source_checkout", lambda: None)
    monkeypatch.setattr(_new_project, "packaged_template", lambda: None)
    assert cli.main(["new", str(tmp_path / "p")]) == cli.EXIT_PROBLEMS
    assert "--template" in capsys.readouterr().err


def _tiny_template(root: Path, *, with_task: bool = False) -> Path:
    """A throwaway copier template in its own git repository (real copier, real git)."""
    root.mkdir()
    settings = "_subdirectory: tpl\n"
    if with_task:
        settings += '_tasks:\n  - "touch task-ran"\n'
    questions = "org_id:\n  type: str\n  default: demo\nuse_soap:\n  type: bool\n  default: false\n"
    (root / "copier.yml").write_text(settings + questions)
    (root / "tpl").mkdir()
    (root / "tpl" / "{{ org_id }}.json.jinja").write_text('{"soap": {{ use_soap | tojson }}}\n')
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "template")
    return root


def test_new_generates_a_project_with_the_given_answers(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    dest = tmp_path / "acme"
    result = run_txo(
        "new", str(dest), "--template", str(template), "--vcs-ref", "HEAD",
        "--data", "org_id=acme", "--data", "use_soap=true", "--defaults",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads((dest / "acme.json").read_text()) == {"soap": True}


def test_new_refuses_template_tasks_without_trust(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template", with_task=True)
    dest = tmp_path / "acme"
    result = run_txo("new", str(dest), "--template", str(template), "--defaults")
    assert result.returncode == 1
    assert "--trust" in result.stderr and "Problem:" in result.stderr
    trusted = run_txo("new", str(dest), "--template", str(template), "--defaults", "--trust")
    assert trusted.returncode == 0, trusted.stderr
    assert (dest / "task-ran").is_file()


def test_new_refuses_a_non_empty_folder_and_leaves_it_untouched(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    dest = tmp_path / "existing"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    result = run_txo("new", str(dest), "--template", str(template), "--defaults")
    assert result.returncode == 1
    assert "already exists and is not empty" in result.stderr
    assert "copier update" in result.stderr and "Example:" in result.stderr
    assert "Interactive session" not in result.stderr
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]


def test_new_into_an_existing_empty_folder_works(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    dest = tmp_path / "empty"
    dest.mkdir()
    result = run_txo("new", str(dest), "--template", str(template), "--vcs-ref", "HEAD",
                     "--defaults")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (dest / "demo.json").is_file()


def test_new_reports_a_failing_validator_as_an_invalid_answer(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    validator = """  validator: "{% if org_id != 'acme' %}org_id must be acme{% endif %}"\n"""
    config = (template / "copier.yml").read_text()
    (template / "copier.yml").write_text(
        config.replace("default: demo\n", "default: demo\n" + validator)
    )
    git(template, "commit", "-qam", "validator")
    result = run_txo("new", str(tmp_path / "p"), "--template", str(template), "--vcs-ref",
                     "HEAD", "--data", "org_id=bad", "--defaults")  # fmt: skip
    assert result.returncode == 1
    assert "An answer is not valid" in result.stderr and "org_id must be acme" in result.stderr
    assert "Interactive session" not in result.stderr


def test_new_without_a_terminal_asks_for_data_or_defaults(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    result = run_txo("new", str(tmp_path / "p"), "--template", str(template), "--vcs-ref", "HEAD")
    assert result.returncode == 1
    assert "without a terminal" in result.stderr and "--data" in result.stderr


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("use_soap=maybe", "'use_soap' is a yes/no question"),
        ("use_sop=true", "the template has no question 'use_sop'"),
    ],
)
def test_new_rejects_bad_data_before_generating_anything(
    tmp_path: Path, answer: str, expected: str
) -> None:
    template = _tiny_template(tmp_path / "template")
    dest = tmp_path / "p"
    result = run_txo("new", str(dest), "--template", str(template), "--vcs-ref", "HEAD",
                     "--data", answer, "--defaults")  # fmt: skip
    assert result.returncode == 1
    assert expected in result.stderr and "Solution:" in result.stderr
    assert not dest.exists()


@pytest.mark.parametrize("source", ["file-url", "git+file-url"])
def test_new_checks_data_against_a_git_url_template_before_generating(
    tmp_path: Path, source: str
) -> None:
    template = _tiny_template(tmp_path / "template")
    url = ("git+" if source == "git+file-url" else "") + template.as_uri()
    dest = tmp_path / "p"
    result = run_txo("new", str(dest), "--template", url, "--vcs-ref", "HEAD",
                     "--data", "use_sop=true", "--defaults")  # fmt: skip
    assert result.returncode == 1
    assert "the template has no question 'use_sop'" in result.stderr
    assert not dest.exists()


def test_a_git_url_template_is_read_at_its_newest_tag_like_copier(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    git(template, "tag", "v1.0.0")
    config = template / "copier.yml"
    config.write_text(config.read_text() + "region:\n  type: str\n  default: eu\n")
    git(template, "commit", "-q", "-am", "a question after the tag")
    result = run_txo("new", str(tmp_path / "p"), "--template", template.as_uri(),
                     "--data", "region=us", "--defaults")  # fmt: skip
    assert result.returncode == 1  # v1.0.0, which copier would render, has no 'region'
    assert "the template has no question 'region'" in result.stderr
    ok = run_txo("new", str(tmp_path / "q"), "--template", "git+" + template.as_uri(),
                 "--vcs-ref", "HEAD", "--data", "region=us", "--defaults")  # fmt: skip
    assert ok.returncode == 0, ok.stderr


def test_a_template_path_copier_refuses_is_not_reported_as_a_bad_answer(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    result = run_txo("new", str(tmp_path / "p"), "--template", template.as_uri(),
                     "--vcs-ref", "HEAD", "--defaults")  # fmt: skip
    assert result.returncode == 1  # copier wants git+file:// for a file URL
    assert "copier could not generate the project" in result.stderr
    assert "An answer is not valid" not in result.stderr


def test_an_unreachable_git_template_is_a_three_part_error(tmp_path: Path) -> None:
    missing = (tmp_path / "no-such-repo").as_uri()
    result = run_txo("new", str(tmp_path / "p"), "--template", missing,
                     "--data", "org_id=acme", "--defaults")  # fmt: skip
    assert result.returncode == 1
    assert "Could not read the template" in result.stderr and "Example:" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_data_message_lists_the_valid_questions(tmp_path: Path) -> None:
    template = _tiny_template(tmp_path / "template")
    result = run_txo("new", str(tmp_path / "p"), "--template", str(template),
                     "--data", "nope=1", "--defaults")  # fmt: skip
    assert "org_id, use_soap" in result.stderr


@pytest.mark.parametrize("value", ["true", "False", "yes", "NO", "1", "0"])
def test_new_accepts_every_spelling_of_a_yes_no_answer(tmp_path: Path, value: str) -> None:
    template = _tiny_template(tmp_path / "template")
    cli.check_data(str(template), {"use_soap": value})  # raises on a rejected value


def test_new_checks_choices_of_the_real_template() -> None:
    checkout = Path(cli.__file__).resolve().parents[2]
    if not (checkout / "copier.yml").is_file():
        pytest.skip("txo_tools is not installed from a source checkout with copier.yml")
    with pytest.raises(HelpfulError, match="one of: 3.10, 3.11"):
        cli.check_data(str(checkout), {"python_version": "2.7"})
    with pytest.raises(HelpfulError, match="no question 'cookiecutter'"):
        cli.check_data(str(checkout), {"cookiecutter": "{}"})
    cli.check_data(str(checkout), {"org_id": "acme", "use_soap": "yes", "python_version": "3.12"})


@pytest.mark.slow
def test_new_reports_a_failing_validator_of_the_txo_template_as_an_invalid_answer(
    tmp_path: Path,
) -> None:
    checkout = Path(cli.__file__).resolve().parents[2]
    if not (checkout / "copier.yml").is_file():
        pytest.skip("txo_tools is not installed from a source checkout with copier.yml")
    dest = tmp_path / "p"
    result = run_txo("new", str(dest), "--template", str(checkout), "--vcs-ref", "HEAD",
                     "--data", "org_id=Not An Id", "--defaults", "--trust")  # fmt: skip
    assert result.returncode == 1
    assert "An answer is not valid" in result.stderr
    assert "org_id must be a lower-case slug" in result.stderr
    assert "got 'Not An Id'" in result.stderr
    assert not dest.exists()


def _packaged_copy(root: Path) -> Path:
    """A folder laid out like the template inside an installed txo-tools wheel."""
    root.mkdir()
    (root / "copier.yml").write_text("org_id:\n  type: str\n  default: demo\n")
    return root


def test_answers_for_the_packaged_template_pin_the_index_unless_data_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    packaged = _packaged_copy(tmp_path / "packaged")
    monkeypatch.setattr(_new_project, "packaged_template", lambda: packaged)
    pinned = _new_project.packaged_answers(str(packaged), {"org_id": "acme"})
    assert pinned == {"runtime_from_index": True, "template_version": __version__, "org_id": "acme"}
    own = {"runtime_from_index": False, "template_version": "9.9.9"}
    assert _new_project.packaged_answers(str(packaged), own) == own
    other = str(tmp_path / "elsewhere")
    assert _new_project.packaged_answers(other, {"org_id": "acme"}) == {"org_id": "acme"}
