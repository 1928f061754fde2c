"""Project folders and paths.

``txo_runtime`` is installed in site-packages, so it cannot locate the customer project
from ``__file__``. The project root is found from the working directory upwards
(:func:`find_project_root`), or taken from ``TXO_PROJECT_ROOT``. Every path a script
touches goes through :func:`get_path` with a :class:`Dir` constant, so a typo in a folder
name or a ``../`` escape fails loudly instead of writing somewhere unexpected.
"""

from __future__ import annotations

import os
import warnings
from enum import Enum
from pathlib import Path

from txo_runtime.exceptions import HelpfulError

__all__ = [
    "PROJECT_ROOT_ENV",
    "Dir",
    "find_project_root",
    "get_path",
    "is_project_root",
    "packaged_data",
    "resolve_dir",
]

PROJECT_ROOT_ENV = "TXO_PROJECT_ROOT"
ANSWERS_FILE = ".copier-answers.yml"
# The runtime's own defaults (logging config, redaction patterns, config schema).
PACKAGE_DATA = Path(__file__).resolve().parent / "data"


def packaged_data(name: str) -> Path:
    """A default file shipped inside the runtime (``logging-config.json`` ...)."""
    return PACKAGE_DATA / name


class Dir(str, Enum):
    """The folders of a generated customer repository; ``get_path`` accepts no others."""

    CONFIG = "config"
    SCHEMAS = "schemas"
    DATA = "data"
    FILES = "files"
    OUTPUT = "output"
    LOGS = "logs"
    TMP = "tmp"
    WSDL = "wsdl"
    SRC = "src"
    TESTS = "tests"

    def __str__(self) -> str:  # f"{Dir.OUTPUT}" -> "output", as v2.1 strings did
        return self.value


def _valid_names() -> str:
    return ", ".join(f"Dir.{d.name}" for d in Dir)


def resolve_dir(directory: Dir | str, *, stacklevel: int = 3) -> Dir:
    """Turn a ``Dir`` or a v2.1 folder string into a ``Dir``.

    Strings still work for one major version, with a ``DeprecationWarning`` pointing at the
    caller; an unknown name is an error listing the valid ones.
    """
    if isinstance(directory, Dir):
        return directory
    if isinstance(directory, str):
        try:
            member = Dir(directory.strip().strip("/").lower())
        except ValueError:
            raise HelpfulError(
                what_went_wrong=f"Unknown project folder '{directory}'",
                how_to_fix=f"Use one of the Dir constants: {_valid_names()}",
                example="from txo_runtime.path_helpers import Dir\n"
                "get_path(Dir.OUTPUT, 'report.xlsx')",
            ) from None
        warnings.warn(
            f"String folder '{directory}' is deprecated; use Dir.{member.name} "
            "(from txo_runtime.path_helpers import Dir)",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        return member
    raise HelpfulError(
        what_went_wrong=f"Folder must be a Dir constant, got {type(directory).__name__}",
        how_to_fix=f"Pass one of: {_valid_names()}",
        example="get_path(Dir.DATA, 'input.csv')",
    )


def is_project_root(candidate: Path) -> bool:
    """Whether this very folder is a project root (the marker rule of find_project_root)."""
    if (candidate / ANSWERS_FILE).is_file():
        return True
    return (candidate / "config").is_dir() and (candidate / "pyproject.toml").is_file()


def find_project_root(start: Path | str | None = None) -> Path:
    """The customer project's root folder.

    ``TXO_PROJECT_ROOT`` wins when set (it must exist); otherwise the nearest folder, from
    ``start`` (default: the working directory) upwards, holding ``.copier-answers.yml`` or
    a ``config/`` folder next to ``pyproject.toml``.
    """
    override = os.environ.get(PROJECT_ROOT_ENV)
    if override:
        root = Path(override).expanduser().resolve()
        if not root.is_dir():
            raise HelpfulError(
                what_went_wrong=f"{PROJECT_ROOT_ENV} points to '{override}', which is not a folder",
                how_to_fix=f"Set {PROJECT_ROOT_ENV} to your customer project's root, "
                "or unset it to search from the working directory",
                example=f"export {PROJECT_ROOT_ENV}=$HOME/projects/acme-integrations",
            )
        return root
    here = Path(start if start is not None else Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if is_project_root(candidate):
            return candidate
    raise HelpfulError(
        what_went_wrong=f"No txo project found in '{here}' or any folder above it",
        how_to_fix="Run the script from inside your customer project (the folder with "
        f"config/ and pyproject.toml, or {ANSWERS_FILE}), or set {PROJECT_ROOT_ENV}",
        example="cd ~/projects/acme-integrations && python -m src.my_script acme test",
    )


def _check_inside(folder: Path, filename: str) -> Path:
    name = Path(filename)
    if name.is_absolute():
        raise HelpfulError(
            what_went_wrong=f"Absolute file name '{filename}' is not allowed here",
            how_to_fix="Pass a name relative to the project folder",
            example="get_path(Dir.OUTPUT, 'reports/summary.xlsx')",
        )
    target = (folder / name).resolve()
    if target != folder and folder not in target.parents:
        raise HelpfulError(
            what_went_wrong=f"File name '{filename}' escapes the '{folder.name}/' folder",
            how_to_fix="Remove '..' from the name; choose another Dir constant instead",
            example="get_path(Dir.DATA, 'input.csv') instead of "
            "get_path(Dir.OUTPUT, '../data/input.csv')",
        )
    return target


def get_path(
    directory: Dir | str,
    filename: str = "",
    *,
    root: Path | str | None = None,
    ensure_parent: bool = False,
) -> Path:
    """Absolute path of ``filename`` inside a project folder.

    ``ensure_parent`` creates the containing folder (writers use it; readers do not, so a
    missing input stays a clear "file not found").
    """
    member = resolve_dir(directory)
    base = Path(root).resolve() if root is not None else find_project_root()
    folder = (base / member.value).resolve()
    target = _check_inside(folder, filename) if filename else folder
    if ensure_parent:
        target.parent.mkdir(parents=True, exist_ok=True)
    return target
