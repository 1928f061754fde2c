"""The ``with`` protocol shared by clients, session managers and progress bars."""

from __future__ import annotations

import pytest

from txo_runtime.api_common import Closing


class Recorder(Closing):
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_with_block_gives_the_object_itself_and_closes_it_once() -> None:
    recorder = Recorder()
    with recorder as entered:
        assert entered is recorder
        assert recorder.closed == 0
    assert recorder.closed == 1


def test_with_block_closes_on_error_and_lets_the_error_through() -> None:
    recorder = Recorder()
    with pytest.raises(RuntimeError, match="boom"), recorder:
        raise RuntimeError("boom")
    assert recorder.closed == 1


def test_a_subclass_without_close_cannot_be_created() -> None:
    class NoClose(Closing):
        pass

    with pytest.raises(TypeError, match="close"):
        NoClose()  # type: ignore[abstract]
