"""Migrate a TXO v2.1 customer project to v3.0 (``txo migrate``, copier ``_migrations``).

``migrate_project(path)`` converts the config files (flat and nested v2.1 forms) and the
project schema, writes the v3.0 logging and redaction files, rewrites scripts with libcst,
removes the unmodified vendored ``utils/`` helpers, never opens secrets files, and writes
``MIGRATION_REPORT.md``. See docs/migration.md.
"""

from __future__ import annotations

from txo_tools.migrate.project import migrate_project
from txo_tools.migrate.report import Change, FollowUp, MigrationReport

__all__ = ["Change", "FollowUp", "MigrationReport", "migrate_project"]
