"""`txo new` with this repository's template, then `txo check` on the result: clean, exit 0."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_projects import git, run_txo

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (REPO / "copier.yml").is_file(), reason="template not in this tree"),
]


@pytest.mark.parametrize(
    "answers",
    [
        [],  # the defaults: OData starter, no SOAP
        ["--data", "use_soap=true"],
        ["--data", "use_odata=false", "--data", "environments=dev"],
    ],
    ids=["defaults", "odata-and-soap", "no-starters"],
)
def test_a_freshly_generated_project_passes_txo_check(tmp_path: Path, answers: list[str]) -> None:
    dest = tmp_path / "acme-integrations"
    generated = run_txo(
        "new", str(dest), "--template", str(REPO), "--vcs-ref", "HEAD",
        "--data", "org_id=acme", *answers, "--defaults", "--trust",
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr[-3000:]
    # what the generated README asks the user to do: commit, then create the secrets file
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    for example in (dest / "config").glob("*-config-secrets.json.example"):
        shutil.copyfile(example, example.with_suffix(""))
    result = run_txo("check", str(dest), "--format", "json")
    findings = [
        f"{f['file']}:{f['line']}: {f['code']} {f['message']}" for f in json.loads(result.stdout)
    ]
    assert findings == []
    assert result.returncode == 0
