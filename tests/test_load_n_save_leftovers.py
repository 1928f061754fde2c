"""Temp files left by a killed save are removed by the next save of the same target; a
temp file another process is still writing is never touched; a full disk while saving
.xlsx is one clean error."""

from __future__ import annotations

import gc
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from txo_runtime.exceptions import FileOperationError
from txo_runtime.load_n_save import TxoDataHandler, leftover_temp_files
from txo_runtime.load_n_save import _writers as writers
from txo_runtime.load_n_save._atomic import LOCK_GRACE_SECONDS, temp_files_of
from txo_runtime.path_helpers import Dir

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the writer's lock is POSIX flock")

WRITER = """
import sys, time
from pathlib import Path
from txo_runtime.load_n_save._atomic import atomic_target
with atomic_target(Path(sys.argv[1])) as temp:
    temp.write_text("half of the new content")
    print(temp, flush=True)
    time.sleep(120)  # killed long before
"""


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A process in the middle of saving output/report.json (its temp file written)."""
    target = tmp_path / "output" / "report.json"
    target.parent.mkdir()
    target.write_text('{"old": true}')
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    temp = Path(process.stdout.readline().strip())
    yield process, temp
    process.kill()
    process.wait(timeout=30)
    process.stdout.close()


def _age(path: Path, seconds: float) -> None:
    """Backdate ``path`` instead of waiting for it to age."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_temp_file_left_by_a_killed_save_is_removed_by_the_next_save(
    tmp_path: Path, writer: tuple[subprocess.Popen[str], Path]
) -> None:
    process, temp = writer
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    target = tmp_path / "output" / "report.json"
    assert temp_files_of(target) == [temp]
    assert target.read_text() == '{"old": true}'  # the old file is intact
    _age(temp, LOCK_GRACE_SECONDS + 1)

    TxoDataHandler(tmp_path).save({"new": True}, Dir.OUTPUT, "report.json")

    assert temp_files_of(target) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_a_temp_file_another_process_is_still_writing_is_left_alone(
    tmp_path: Path, writer: tuple[subprocess.Popen[str], Path]
) -> None:
    _, temp = writer
    _age(temp, 3 * 3600)  # however old it looks: its writer still holds it

    TxoDataHandler(tmp_path).save({"new": True}, Dir.OUTPUT, "report.json")

    assert temp.read_text() == "half of the new content"


def test_temp_files_of_other_targets_are_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "output"
    folder.mkdir()
    others = [".report.json.0123abcd.tmp.csv", ".other.json.0123abcd.tmp.json", ".report.json.x"]
    for name in others:
        (folder / name).write_text("x")
        _age(folder / name, 3600)

    TxoDataHandler(tmp_path).save({"new": True}, Dir.OUTPUT, "report.json")

    assert sorted(p.name for p in folder.iterdir()) == sorted([*others, "report.json"])


class _FullDisk(io.BytesIO):
    def write(self, data: Any) -> int:
        raise OSError(28, "No space left on device")


def test_a_full_disk_while_saving_xlsx_is_one_error_and_no_stray_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("openpyxl")
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    monkeypatch.setattr(writers, "open", lambda *args, **kwargs: _FullDisk(), raising=False)
    frame = pd.DataFrame({"a": range(2000), "b": ["text"] * 2000})

    with pytest.raises(FileOperationError, match="No space left on device"):
        TxoDataHandler(tmp_path).save(frame, Dir.OUTPUT, "report.xlsx")
    gc.collect()  # a half-written ZipFile's __del__ would report here

    assert unraisable == []
    assert list((tmp_path / "output").iterdir()) == []


def test_leftover_temp_files_lists_orphans_of_any_target_but_not_live_ones(
    tmp_path: Path, writer: tuple[subprocess.Popen[str], Path]
) -> None:
    _, live = writer
    _age(live, 3600)
    orphan = tmp_path / "output" / ".orders.csv.0123abcd.tmp.csv"
    orphan.write_text("x")
    _age(orphan, LOCK_GRACE_SECONDS + 1)
    (tmp_path / "output" / ".hidden-but-not-a-temp.txt").write_text("x")

    assert leftover_temp_files(tmp_path / "output") == [orphan]
