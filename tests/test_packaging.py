"""`pip install txo-runtime` users get a complete package: build the wheel, install it fresh."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = ("org-env-config-schema.json", "logging-config.json", "log-redaction-patterns.json")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-build-isolation: the build backend (hatchling, in the dev extra) is already here,
    # so the test needs no package index.
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    for project in (ROOT, ROOT / "tools"):
        built = subprocess.run(
            [*command, "-w", str(out), str(project)], capture_output=True, text=True
        )
        assert built.returncode == 0, built.stderr
    (found,) = out.glob("txo_runtime-3.*.whl")
    return found


def test_wheel_contains_the_data_files_and_plugin_entry_point(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for data in DATA_FILES:
        assert f"txo_runtime/data/{data}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "txo_runtime.testing.pytest_plugin" in text
    assert "txo_tools" not in text  # the command line is in the txo-tools wheel


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_works(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "venv"
    # Reuse this environment's third-party packages (no network), but not its txo_runtime.
    venv.create(target, with_pip=True, system_site_packages=False)
    py = target / "bin" / "python"
    site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    pth = next((target / "lib").glob("python3*/site-packages"))
    (pth / "_deps.pth").write_text(str(site) + "\n")
    subprocess.run(
        [
            py,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--force-reinstall",
            str(wheel),
            *map(str, wheel.parent.glob("txo_tools-*.whl")),
        ],
        check=True,
        capture_output=True,
    )
    help_run = subprocess.run(
        [target / "bin" / "txo", "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert help_run.returncode == 0, help_run.stderr
    assert "check" in help_run.stdout and "new" in help_run.stdout
    code = (
        "import json, pathlib, txo_runtime; d = pathlib.Path(txo_runtime.__file__).parent / 'data';"
        f"print(json.dumps({{n: bool(json.loads((d / n).read_text())) for n in {DATA_FILES!r}}}));"
        "print(txo_runtime.__file__)"
    )
    out = subprocess.run([py, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    loaded, location = out.stdout.splitlines()
    assert json.loads(loaded) == dict.fromkeys(DATA_FILES, True)
    assert str(target) in location  # the wheel's copy, not this checkout
