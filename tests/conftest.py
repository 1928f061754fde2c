"""Suite-wide fixtures: an isolated git identity and HOME-independent settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from redis_server import redis_url  # noqa: F401 (a fixture: a real redis-server per test)

_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "txo tests",
    "GIT_AUTHOR_EMAIL": "tests@txo.invalid",
    "GIT_COMMITTER_NAME": "txo tests",
    "GIT_COMMITTER_EMAIL": "tests@txo.invalid",
}


@pytest.fixture(autouse=True, scope="session")
def _git_identity() -> None:
    """Tests that commit (copier update, migration) must not depend on the machine's git config."""
    for key, value in _GIT_IDENTITY.items():
        os.environ.setdefault(key, value)


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """Each test starts and ends without txo handlers, hooks or registered secrets."""
    from txo_runtime.logger import reset_logging

    yield
    reset_logging()
