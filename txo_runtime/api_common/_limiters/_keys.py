"""Which bucket a call belongs to, and where a host keeps the buckets it shares."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["STATE_DIR_ENV", "default_state_dir", "origin_of", "quota_key", "state_file_for"]

STATE_DIR_ENV = "TXO_RATELIMIT_DIR"


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a URL (the default port spelled out), else the text itself."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.scheme}://{parts.hostname.lower()}:{port}"
    return url


def quota_key(url: str, principal: str | None = None, *, override: str | None = None) -> str:
    """The bucket of calls to ``url`` made as ``principal`` (the OAuth client id).

    An API counts its quota per principal and service, so the key is the origin plus the
    client id; ``override`` (config ``quota-key``) replaces it when several origins share
    one quota, or one origin serves several quotas.
    """
    if override:
        return override
    return f"{origin_of(url)}|{principal or ''}"


def default_state_dir() -> Path:
    """Where one user's processes on this host meet: ``$TXO_RATELIMIT_DIR``, else
    ``$XDG_RUNTIME_DIR/txo-ratelimit`` (private to the user, emptied at reboot), else
    ``<temp dir>/txo-ratelimit-<uid>``."""
    explicit = os.environ.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "txo-ratelimit"
    uid = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    return Path(tempfile.gettempdir()) / f"txo-ratelimit-{uid}"


def state_file_for(key: str, state_dir: Path | None = None) -> Path:
    """The state file of one quota key (a hash: the key may hold a URL or a client id)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return (state_dir or default_state_dir()) / f"{digest}.bucket"
