"""The ``make demo`` flow: scripts/demo.py generates a project and runs it end to end."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.template.conftest import REPO_ROOT, run

pytestmark = pytest.mark.slow

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")


def test_demo_prints_output_paths_and_leaves_no_secret_in_the_log(
    tmp_path: Path, home: Path
) -> None:
    from txo_runtime.testing._demo import DEMO_CLIENT_SECRET

    build = tmp_path / "demo"
    result = run([sys.executable, str(REPO_ROOT / "scripts" / "demo.py"), "--build-dir",
                  str(build)], cwd=tmp_path, home=home, check=False)  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    outputs = re.findall(r"^\[demo\] Output: (\S+)$", result.stdout, re.MULTILINE)
    logs = re.findall(r"^\[demo\] Log:\s+(\S+)", result.stdout, re.MULTILINE)
    names = sorted(Path(p).name for p in outputs)
    assert [Path(n).suffix for n in names] == [".json", ".xlsx", ".json"], names
    assert names[2].startswith("demo-test-try-me-customers_")  # the try-me path ran too
    assert "6 save: 250 customers" in result.stdout + result.stderr
    assert all(Path(p).is_file() and Path(p).parent == build / "output" for p in outputs)
    assert re.search(r"Fetched 250 customers", result.stdout)
    assert logs and all(Path(p).is_file() for p in logs)
    for text in [*(Path(p).read_text() for p in logs), result.stdout, result.stderr]:
        assert DEMO_CLIENT_SECRET not in text
        assert not JWT.search(text)
    assert "Local API server stopped" in result.stdout


def test_demo_fails_loudly_and_keeps_a_foreign_folder(tmp_path: Path, home: Path) -> None:
    build = tmp_path / "not-a-demo"
    build.mkdir()
    (build / "precious.txt").write_text("keep me")

    result = run([sys.executable, str(REPO_ROOT / "scripts" / "demo.py"), "--build-dir",
                  str(build)], cwd=tmp_path, home=home, check=False)  # fmt: skip

    assert result.returncode == 1
    assert "is not a demo project" in result.stderr
    assert (build / "precious.txt").read_text() == "keep me"
