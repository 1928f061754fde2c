"""The two distributions, built for real from this checkout and installed into fresh venvs.

``txo-runtime`` is what customer scripts install: lean, with heavy parts behind extras.
``txo-tools`` carries the ``txo`` command and the copier template. Everything runs offline:
wheels are built with the installed build backend, fresh environments see exactly the
third-party distributions a requirement needs (see ``packaging_env``), and our wheels are
installed with a real ``pip install --no-deps --no-index``.
"""

from __future__ import annotations

import configparser
import json
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging_env import (
    ROOT,
    FreshEnv,
    build,
    clean_env,
    closure,
    requires_of,
    unpack_sdist,
    wheel_metadata,
)

import txo_runtime

DATA_FILES = ("org-env-config-schema.json", "logging-config.json", "log-redaction-patterns.json")
TEMPLATE_PARTS = ("copier.yml", "template", "hooks")
LINKED_TEMPLATE_FILES = ("logging-config.json", "log-redaction-patterns.json")
MAX_CORE_DISTRIBUTIONS = 16
NOT_IN_CORE = ("copier", "libcst", "cookiecutter", "pandas", "numpy", "openpyxl", "rich", "pyyaml")
HEAVY_MODULES = ("pandas", "openpyxl", "zeep", "numpy", "lxml")
NOT_IN_LEAN_ENV = (*HEAVY_MODULES, "copier", "libcst", "cookiecutter", "rich", "yaml")
EXCEL_INSTALL = 'pip install "txo-runtime[excel]"'
COPIER_TIMEOUT = 300


@dataclass(frozen=True)
class Dists:
    runtime_wheel: Path
    runtime_sdist: Path
    tools_wheel: Path
    tools_sdist: Path

    def own(self) -> dict[str, list[str]]:
        """Our distributions' requirements, read from the built wheels."""
        return {
            "txo-runtime": requires_of(self.runtime_wheel),
            "txo-tools": requires_of(self.tools_wheel),
        }


def _one(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """Both distributions as sdist and wheel, each built straight from the checkout."""
    out = tmp_path_factory.mktemp("dist")
    build(ROOT, out, "sdist", "wheel")
    build(ROOT / "tools", out, "sdist", "wheel")
    return Dists(
        runtime_wheel=_one(out, "txo_runtime-*.whl"),
        runtime_sdist=_one(out, "txo_runtime-*.tar.gz"),
        tools_wheel=_one(out, "txo_tools-*.whl"),
        tools_sdist=_one(out, "txo_tools-*.tar.gz"),
    )


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _entry_points(wheel: Path) -> configparser.ConfigParser:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(name).decode("utf-8")
    parser = configparser.ConfigParser()
    parser.optionxform = str  # keep the case of entry-point names
    parser.read_string(text)
    return parser


def _checkout_template_files() -> set[str]:
    files: set[str] = set()
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        paths = [source] if source.is_file() else source.rglob("*")
        files |= {
            path.relative_to(ROOT).as_posix()
            for path in paths
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        }
    return files


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads(path.read_text(encoding="utf-8"))


# --- what the wheels hold ----------------------------------------------------------------


def test_both_wheels_ship_py_typed(dists: Dists) -> None:
    assert "txo_runtime/py.typed" in _names(dists.runtime_wheel)
    assert "txo_tools/py.typed" in _names(dists.tools_wheel)


def test_runtime_wheel_holds_its_data_files_and_the_pytest_plugin_but_no_tooling(
    dists: Dists,
) -> None:
    names = _names(dists.runtime_wheel)
    assert {f"txo_runtime/data/{name}" for name in DATA_FILES} <= names
    entry_points = _entry_points(dists.runtime_wheel)
    assert dict(entry_points["pytest11"]) == {"txo": "txo_runtime.testing.pytest_plugin"}
    assert not entry_points.has_section("console_scripts")  # `txo` comes with txo-tools
    assert [n for n in names if not n.startswith(("txo_runtime/", "txo_runtime-"))] == []


def test_runtime_requires_only_requests_jsonschema_and_tenacity_without_extras(
    dists: Dists,
) -> None:
    requirements = [Requirement(text) for text in requires_of(dists.runtime_wheel)]
    core = {req.name for req in requirements if req.marker is None}
    assert core == {"requests", "jsonschema", "tenacity"}
    extras = set(wheel_metadata(dists.runtime_wheel).get_all("Provides-Extra") or [])
    assert {"excel", "yaml", "soap"} <= extras


def test_tools_wheel_holds_the_whole_template_with_symlinks_resolved(dists: Dists) -> None:
    prefix = "txo_tools/template/"
    with zipfile.ZipFile(dists.tools_wheel) as archive:
        packaged = {i.filename[len(prefix) :]: i for i in archive.infolist()
                    if i.filename.startswith(prefix)}  # fmt: skip
        assert set(packaged) == _checkout_template_files()
        for name in LINKED_TEMPLATE_FILES:
            info = packaged[f"template/config/{name}"]
            assert not stat.S_ISLNK(info.external_attr >> 16), f"{name} is packed as a symlink"
            assert archive.read(info) == (ROOT / "txo_runtime" / "data" / name).read_bytes()
    assert not any(n.startswith("txo_runtime/") for n in _names(dists.tools_wheel))


def test_tools_wheel_has_the_txo_command_and_requires_the_runtime_of_its_own_version(
    dists: Dists,
) -> None:
    assert dict(_entry_points(dists.tools_wheel)["console_scripts"]) == {
        "txo": "txo_tools.cli:main"
    }
    version = wheel_metadata(dists.tools_wheel)["Version"]
    assert version == wheel_metadata(dists.runtime_wheel)["Version"] == txo_runtime.__version__
    requirements = requires_of(dists.tools_wheel)
    assert f"txo-runtime=={version}" in requirements
    assert {"copier", "libcst"} <= {Requirement(text).name for text in requirements}


@pytest.mark.parametrize("which", ["runtime", "tools"])
def test_a_wheel_built_from_the_sdist_equals_the_wheel_built_from_the_checkout(
    dists: Dists, tmp_path: Path, which: str
) -> None:
    sdist, wheel = getattr(dists, f"{which}_sdist"), getattr(dists, f"{which}_wheel")
    unpacked = unpack_sdist(sdist, tmp_path / "unpacked")  # no checkout around it
    (rebuilt,) = build(unpacked, tmp_path / "out", "wheel")
    assert rebuilt.name == wheel.name
    assert _names(rebuilt) == _names(wheel)
    assert requires_of(rebuilt) == requires_of(wheel)


# --- a lean runtime ------------------------------------------------------------------------


def test_runtime_without_extras_needs_at_most_16_light_distributions(dists: Dists) -> None:
    needed = closure(["txo-runtime"], own=dists.own())
    assert len(needed) <= MAX_CORE_DISTRIBUTIONS, sorted(needed)
    assert sorted(set(NOT_IN_CORE) & set(needed)) == []
    assert {"requests", "jsonschema", "tenacity"} <= set(needed)


@pytest.fixture(scope="module")
def starter_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default generated project (OData starter script), made with copier from HEAD."""
    work = tmp_path_factory.mktemp("starter")
    project = work / "acme-integrations"
    command = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet",
               "--vcs-ref", "HEAD", str(ROOT), str(project)]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=COPIER_TIMEOUT,
        env=clean_env(work),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return project


def _project_copy(starter_project: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(starter_project, project)
    return project


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _last_json(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


FIND = """
import importlib.util, json, txo_runtime
import txo_runtime.script_runner, txo_runtime.api_factory, txo_runtime.load_n_save
import txo_runtime.logger
names = {names!r}
print(json.dumps({{"runtime": txo_runtime.__file__,
                  "found": [n for n in names if importlib.util.find_spec(n) is not None]}}))
"""

SAVE_XLSX = """
import json
from txo_runtime.exceptions import HelpfulError, render_user_message
from txo_runtime.load_n_save import TxoDataHandler
from txo_runtime.path_helpers import Dir
try:
    path = TxoDataHandler().save([{"a": 1}], Dir.OUTPUT, "x.xlsx")
except HelpfulError as exc:
    print(json.dumps({"error": render_user_message(exc)}))
else:
    print(json.dumps({"saved": str(path)}))
"""

HELP_IMPORTS = """
import json, runpy, sys
import txo_runtime
after_import = [n for n in {names!r} if n in sys.modules]
sys.argv = ["fetch_customers", "--help"]
try:
    runpy.run_module("src.fetch_customers", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "after_import": after_import,
                  "after_help": [n for n in {names!r} if n in sys.modules]}}))
"""


def _lean_env(dists: Dists, root: Path, requirement: str) -> FreshEnv:
    env = FreshEnv.create(root)
    env.add_distributions(closure([requirement], own=dists.own()).values(), "core")
    env.pip_install(dists.runtime_wheel)
    return env


@pytest.mark.slow
def test_lean_runtime_names_the_excel_extra_until_it_is_installed_then_saves_xlsx(
    dists: Dists, starter_project: Path, tmp_path: Path
) -> None:
    project = _project_copy(starter_project, tmp_path)
    env = _lean_env(dists, tmp_path / "venv", "txo-runtime")

    found = env.run(["python", "-c", FIND.format(names=NOT_IN_LEAN_ENV)], project)
    assert found.returncode == 0, found.stderr
    report = _last_json(found.stdout)
    assert Path(report["runtime"]).is_relative_to(env.root)  # the wheel, not this checkout
    assert report["found"] == []  # the lean closure really lacks pandas & co

    before = _files(project)
    failed = env.run(["python", "-c", SAVE_XLSX], project)
    assert failed.returncode == 0, failed.stderr
    assert EXCEL_INSTALL in _last_json(failed.stdout)["error"]
    assert _files(project) == before  # no half-written or empty .xlsx

    excel = closure(["txo-runtime[excel]"], own=dists.own())
    core = closure(["txo-runtime"], own=dists.own())
    env.add_distributions([dist for name, dist in excel.items() if name not in core], "excel")
    saved = env.run(["python", "-c", SAVE_XLSX], project)
    assert saved.returncode == 0, saved.stderr
    path = Path(_last_json(saved.stdout)["saved"])
    assert path == project / "output" / "x.xlsx"
    import openpyxl

    sheet = openpyxl.load_workbook(path).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [["a"], [1]]


@pytest.mark.slow
def test_import_and_a_scripts_help_load_no_heavy_library_even_when_installed(
    dists: Dists, starter_project: Path, tmp_path: Path
) -> None:
    project = _project_copy(starter_project, tmp_path)
    env = _lean_env(dists, tmp_path / "venv", "txo-runtime[excel,soap]")

    found = env.run(["python", "-c", FIND.format(names=HEAVY_MODULES)], project)
    assert found.returncode == 0, found.stderr
    assert _last_json(found.stdout)["found"] == list(HEAVY_MODULES)  # installed, importable

    probe = env.run(["python", "-c", HELP_IMPORTS.format(names=HEAVY_MODULES)], project)
    assert probe.returncode == 0, probe.stderr
    assert "usage:" in probe.stdout
    assert _last_json(probe.stdout) == {"code": 0, "after_import": [], "after_help": []}


# --- txo new from the installed tools ------------------------------------------------------


@pytest.mark.slow
def test_txo_new_from_the_installed_tools_wheel_generates_a_project_whose_tests_pass(
    dists: Dists, tmp_path: Path
) -> None:
    # what the tools need, plus what the generated project's own tests need
    needed = closure(["txo-tools", "txo-runtime[excel]", "pytest"], own=dists.own())
    env = FreshEnv.create(tmp_path / "venv")
    env.add_distributions(needed.values(), "deps")
    env.pip_install(dists.runtime_wheel, dists.tools_wheel)
    work = tmp_path / "work"  # outside the checkout; TXO_TEMPLATE is not set
    work.mkdir()

    created = env.run(["txo", "new", "acme-integrations", "--trust", "--defaults",
                       "--data", "org_id=acme"], work, timeout=COPIER_TIMEOUT)  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    assert "`copier update` cannot follow it" in created.stdout
    project = work / "acme-integrations"
    packaged = (env.site_packages / "txo_tools" / "template").resolve()
    assert f"_src_path: {packaged}" in (project / ".copier-answers.yml").read_text()
    version = txo_runtime.__version__
    major = int(version.split(".")[0])
    pyproject = _load_toml(project / "pyproject.toml")["project"]
    assert pyproject["dependencies"] == [f"txo-runtime[excel]>={version},<{major + 1}"]
    assert f"txo-tools>={version},<{major + 1}" in pyproject["optional-dependencies"]["dev"]

    tests = env.run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout
    checked = env.run(["txo", "check", "--format", "json"], project)
    assert (checked.returncode, json.loads(checked.stdout)) == (0, []), checked.stderr
