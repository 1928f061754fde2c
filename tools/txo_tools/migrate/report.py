"""What a migration did and what is left for a person: the data behind MIGRATION_REPORT.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPORT_NAME = "MIGRATION_REPORT.md"


@dataclass(frozen=True)
class Change:
    """One edit the migration made (or would make, in a dry run)."""

    file: str
    kind: str
    description: str


@dataclass(frozen=True)
class FollowUp:
    """Manual work the migration could not do safely; ``line`` is 0 when it is file-wide."""

    file: str
    line: int
    description: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class MigrationReport:
    """Everything a run found, planned and wrote. ``changed`` is False for a migrated project."""

    project: Path
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    written_files: list[str] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def add(self, file: str, kind: str, description: str) -> None:
        self.changes.append(Change(file, kind, description))

    def follow_up(self, file: str, line: int, description: str) -> None:
        item = FollowUp(file, line, description)
        if item not in self.follow_ups:
            self.follow_ups.append(item)

    def summary(self) -> str:
        """One line for a console."""
        files = len({c.file for c in self.changes})
        verb = "would change" if self.dry_run else "changed"
        if not self.changes:
            head = "Nothing to do: the project is already on v3.0"
        else:
            head = f"{len(self.changes)} change(s) {verb} {files} file(s)"
        return (
            f"{head}; {len(self.follow_ups)} manual follow-up(s); "
            f"{len(self.conflicts)} unresolved conflict(s)"
        )

    def to_markdown(self) -> str:
        """The report a person reads after the migration (see docs/migration.md)."""
        title = "txo v2.1 -> v3.0 migration report" + (" (dry run)" if self.dry_run else "")
        lines = [f"# {title}", "", f"Project: `{self.project}`", "", self.summary(), ""]
        lines += _conflict_section(self.conflicts)
        lines += _changes_section(self.changes)
        lines += _follow_up_section(self.follow_ups)
        return "\n".join(lines).rstrip() + "\n"


def _conflict_section(conflicts: list[str]) -> list[str]:
    if not conflicts:
        return []
    lines = [
        "## CONFLICTS - resolve these first",
        "",
        "The update changed lines you had changed too. Each file below still holds conflict",
        "markers (`<<<<<<<`, `=======`, `>>>>>>>`) or a `.rej` file: keep the right lines,",
        "delete the markers, then `git add` the file.",
        "",
    ]
    lines += [f"- `{item}`" for item in conflicts]
    return [*lines, ""]


def _changes_section(changes: list[Change]) -> list[str]:
    if not changes:
        return ["## Changes", "", "Nothing to do.", ""]
    lines = ["## Changes", ""]
    by_file: dict[str, list[Change]] = {}
    for change in changes:
        by_file.setdefault(change.file, []).append(change)
    for file in sorted(by_file):
        lines += [f"### `{file}`", ""]
        lines += [f"- **{c.kind}**: {c.description}" for c in by_file[file]]
        lines.append("")
    return lines


def _follow_up_section(follow_ups: list[FollowUp]) -> list[str]:
    lines = ["## Manual follow-ups", ""]
    if not follow_ups:
        return [*lines, "None.", ""]
    ordered = sorted(follow_ups, key=lambda f: (f.file, f.line))
    lines += [f"- [ ] `{item.location}`: {item.description}" for item in ordered]
    return [*lines, ""]
