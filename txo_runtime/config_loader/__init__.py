"""Load, validate and enrich ``config/{org}-{env}-config.json``.

The config is validated against ``schemas/org-env-config-schema.json`` on every load; no
switch turns that off, so a script never runs on a config it cannot use. Secrets from
``{org}-{env}-config-secrets.json`` are injected as ``_snake_case`` keys and registered
with the logger for exact-value redaction. The result is a :class:`ConfigDict`: a plain
``dict`` (so ``json.dumps`` and ``**`` work) whose missing keys raise
:class:`MissingConfigKeyError` naming the file and the JSON path, instead of a bare
``KeyError`` that leaves the user guessing. :func:`require` reads a key path the same way
from a ConfigDict or a plain dict.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from txo_runtime.config_loader._key_path import config_source, optional, require
from txo_runtime.config_loader._proxy import ConfigProxy
from txo_runtime.config_loader._schema import (
    SCHEMA_FILENAME,
    packaged_schema,
    validate_against_schema,
    validate_section,
)
from txo_runtime.config_loader._secret_sources import (
    PROVIDER_GROUP,
    SECRETS_FILE_ENV,
    SecretLookup,
    SecretProvider,
    collect_secrets,
    env_variable_for,
    to_snake_key,
)
from txo_runtime.exceptions import (
    ConfigurationError,
    HelpfulError,
    MissingConfigKeyError,
    shorten,
)
from txo_runtime.path_helpers import Dir, find_project_root, get_path
from txo_runtime.url_helpers import is_secret_name

__all__ = [
    "PROVIDER_GROUP",
    "SCHEMA_FILENAME",
    "SECRETS_FILE_ENV",
    "ConfigDict",
    "ConfigProxy",
    "SecretLookup",
    "SecretProvider",
    "check_identity",
    "config_filename",
    "config_source",
    "env_variable_for",
    "inject_secrets",
    "load_config",
    "load_secrets",
    "optional",
    "packaged_schema",
    "require",
    "secrets_filename",
    "to_snake_key",
    "validate_against_schema",
    "validate_section",
]

logger = logging.getLogger(__name__)

_NAME_PART = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def config_filename(org_id: str, env_type: str) -> str:
    return f"{org_id}-{env_type}-config.json"


def secrets_filename(org_id: str, env_type: str) -> str:
    return f"{org_id}-{env_type}-config-secrets.json"


class ConfigDict(dict[str, Any]):
    """A ``dict`` whose missing keys explain themselves.

    ``config["global"]["api-url"]`` on a config without that key raises
    :class:`MissingConfigKeyError` (also a ``KeyError``) that names the file, the JSON
    path and how to fix it. Nested dicts are wrapped on construction so the path is
    known at every depth.
    """

    source_file: str
    key_path: str
    # The schema file this config was checked against when it was loaded (None: never
    # checked, e.g. built by hand), so that its values are not validated a second time.
    schema_file: str | None = None
    # The OAuthManager that obtained ``_token`` (set by the script runner), so that API
    # clients refresh through the same token cache. An attribute, not a key: it is no
    # configuration and must not show up in ``items()`` or a saved copy.
    oauth_manager: Any = None
    # Where the secrets were looked for (set by load_config): a missing secret names them all.
    secret_lookup: SecretLookup | None = None

    def __init__(self, data: Mapping[str, Any], *, source_file: str = "config", path: str = ""):
        super().__init__()
        self.source_file = source_file
        self.key_path = path
        for key, value in data.items():
            self[key] = _wrap(value, source_file, _join(path, key))

    def __missing__(self, key: str) -> Any:
        if self.secret_lookup is not None and _is_secret_key(key) and key != "_token":
            raise _missing_secret(str(key), self.secret_lookup, self.source_file)
        raise MissingConfigKeyError.for_key(
            _join(self.key_path, str(key)), config_file=self.source_file
        )

    def __repr__(self) -> str:
        """Masks injected secrets and tokens: a repr() in a log or traceback leaks nothing."""
        shown = {
            key: (MASK if _is_secret_key(key) and value is not None else value)
            for key, value in self.items()
        }
        return f"ConfigDict({shown!r})"

    __str__ = __repr__

    def without_secrets(self) -> dict[str, Any]:
        """A plain copy without the injected secrets and tokens: what ``save()`` writes."""
        return {key: value for key, value in self.items() if not _is_secret_key(key)}

    def require(self, *keys: str) -> Any:
        """``config.require("global", "api-base-url")``, the same as :func:`require`."""
        return require(self, *keys)

    def optional(self, *keys: str, default: Any = None) -> Any:
        """``config.optional("odata", "page-size", default=100)``, the same as :func:`optional`."""
        return optional(self, *keys, default=default)


MASK = "***"
_NON_SECRET_INJECTED = frozenset({"_org_id", "_env_type", "_args"})


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and key.startswith("_") and key not in _NON_SECRET_INJECTED


def _missing_secret(name: str, lookup: SecretLookup, config_file: str) -> MissingConfigKeyError:
    """A secret no source had, naming every place looked at (in the order they are read).

    Built here rather than by ``MissingConfigKeyError.for_key``: only the loader knows the
    sources of this run (environment, mounted file, providers)."""
    key = name[1:].replace("_", "-")
    places = lookup.places(key)
    variable = env_variable_for(lookup.org_id, lookup.env_type, key)
    return MissingConfigKeyError(
        f"Secret '{name}' is not available; looked for '{key}' in: " + "; ".join(places),
        config_file=config_file,
        key_path=name,
        how_to_fix=f'Set {variable}, or add "{key}" to {lookup.project_file} (git-ignored; '
        "create it if it does not exist)",
        example=f'{variable}=<value>\nor in the secrets file:\n{{\n  "{key}": "<value>"\n}}',
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _wrap(value: Any, source_file: str, path: str) -> Any:
    if isinstance(value, Mapping):
        return ConfigDict(value, source_file=source_file, path=path)
    if isinstance(value, list):
        return [_wrap(item, source_file, f"{path}[{i}]") for i, item in enumerate(value)]
    return value


def check_identity(org_id: str, env_type: str) -> None:
    """Refuse an org/env that would name files outside the usual pattern (before any I/O)."""
    _check_name("org_id", org_id)
    _check_name("env_type", env_type)


def _check_name(kind: str, value: str) -> None:
    if not value or not _NAME_PART.match(value):
        raise HelpfulError(
            what_went_wrong=f"Invalid {kind} {shorten(repr(value))}",
            how_to_fix=f"Use a lower-case {kind} made of letters, digits, '-' or '_'",
            example="python -m src.my_script acme prod",
        )


class _NonFiniteNumberError(ValueError):
    """``NaN``/``Infinity`` in a file: Python's json accepts them, JSON does not."""


def _refuse_constant(name: str) -> Any:
    raise _NonFiniteNumberError(name)


_CONFIG_EXAMPLE = '{\n  "global": {\n    "api-base-url": "https://api.example.com"\n  }\n}'
_SECRETS_EXAMPLE = '{\n  "client-secret": "<value>"\n}'


def _read_json(path: Path, *, what: str, example: str = _CONFIG_EXAMPLE) -> Any:
    """Parse a JSON file; every failure is a ConfigurationError naming the file.

    A UTF-8 byte order mark (Windows Notepad writes one) is accepted: ``utf-8-sig``.
    ``example`` is the well-formed file shown with a syntax error.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"Cannot read {what} '{path.name}': {exc.__class__.__name__}",
            config_file=str(path),
            how_to_fix="Check the file's permissions and that it is UTF-8 text",
            example=f"ls -l {path}",
        ) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except _NonFiniteNumberError as exc:
        raise ConfigurationError(
            f"{what.capitalize()} '{path.name}' holds {exc.args[0]}, which is not a JSON number",
            config_file=str(path),
            how_to_fix="Write a finite number instead (JSON has no NaN or Infinity)",
            example='"calls-per-second": 10',
        ) from None
    except json.JSONDecodeError as exc:
        # exc.doc holds the file text; never include it (a secrets file would leak).
        raise ConfigurationError(
            f"{what.capitalize()} '{path.name}' is not valid JSON: {exc.msg} "
            f"at line {exc.lineno}, column {exc.colno}",
            config_file=str(path),
            how_to_fix=f"Fix the JSON syntax at line {exc.lineno}, column {exc.colno} "
            "(a missing comma or quote, or a trailing comma, is the usual cause)",
            example=example,
        ) from None


def _load_main_config(path: Path, org_id: str, env_type: str) -> dict[str, Any]:
    try:
        data = _read_json(path, what="config file")
    except FileNotFoundError:
        raise HelpfulError(
            what_went_wrong=f"Configuration file '{path.name}' not found in {path.parent}",
            how_to_fix=f"Create config/{path.name} for organisation '{org_id}' and "
            f"environment '{env_type}' (check the spelling of both arguments)",
            example=f"cp config/{_sibling_example(path.parent)} config/{path.name}",
        ) from None
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"Config file '{path.name}' must hold a JSON object, not {type(data).__name__}",
            config_file=str(path),
            how_to_fix="Wrap the settings in { ... } with 'global' and 'script-behavior'",
        )
    return data


def _secret_named_keys(data: Any, path: str = "") -> Iterable[str]:
    """Dotted paths of keys whose name says they hold a secret, at any depth."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = _join(path, str(key))
            if is_secret_name(str(key)):
                yield where
            yield from _secret_named_keys(value, where)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _secret_named_keys(item, f"{path}[{index}]")


def _refuse_secrets_in_main_config(raw: Mapping[str, Any], path: Path, secrets: str) -> None:
    """A committed config must not hold a password or token: name the key, never the value."""
    found = list(_secret_named_keys(raw))
    if not found:
        return
    leaf = found[0].rsplit(".", 1)[-1]
    raise ConfigurationError(
        f"Config file '{path.name}' holds '{found[0]}', which looks like a secret"
        + (f" (and {len(found) - 1} more: {', '.join(found[1:4])})" if len(found) > 1 else "")
        + "; the config is committed to git, secrets must not be",
        config_file=f"config/{path.name}",
        key_path=found[0],
        how_to_fix=f"Move it to config/{secrets} (git-ignored; create it if missing); scripts "
        f'read it as config["{to_snake_key(leaf)}"]',
        example=f'{{\n  "{leaf}": "<value>"\n}}',
    )


def _sibling_example(folder: Path) -> str:
    existing = sorted(p.name for p in folder.glob("*-config.json")) if folder.is_dir() else []
    return existing[0] if existing else "<org>-<env>-config.json"


def load_secrets(path: Path) -> dict[str, Any]:
    """The secrets file's content, or ``{}`` when the file does not exist.

    A missing secrets file is allowed: a secret that is actually needed fails at access
    time (``config["_client_secret"]``) with a message naming the file to create.
    Values never appear in error messages.
    """
    try:
        data = _read_json(path, what="secrets file", example=_SECRETS_EXAMPLE)
    except FileNotFoundError:
        logger.debug("No secrets file %s; continuing without secrets", path.name)
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"Secrets file '{path.name}' must hold a JSON object of name/value pairs",
            config_file=str(path),
            how_to_fix="Use kebab-case keys with string values",
            example=_SECRETS_EXAMPLE,
        )
    return data


def _secret_strings(values: Iterable[Any]) -> list[str]:
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append(str(value))  # a numeric PIN or account key is a secret too
        elif isinstance(value, Mapping):
            found.extend(_secret_strings(value.values()))
        elif isinstance(value, list):
            found.extend(_secret_strings(value))
    return found


def _register(secrets: Mapping[str, Any]) -> None:
    from txo_runtime.logger import register_secrets

    register_secrets(_secret_strings(secrets.values()))


def inject_secrets(
    config: dict[str, Any], secrets: Mapping[str, Any], *, register: bool = True
) -> None:
    """Add each secret as ``_snake_case`` and hand every value to the log redactor
    (``register=False``: the caller registered them already, so warnings come once)."""
    if register:
        _register(secrets)
    for key, value in secrets.items():
        config[to_snake_key(key)] = value


def _load_schema(root: Path) -> tuple[dict[str, Any], Path]:
    path = get_path(Dir.SCHEMAS, SCHEMA_FILENAME, root=root)
    try:
        schema = _read_json(path, what="schema file")
    except FileNotFoundError:
        raise HelpfulError(
            what_went_wrong=f"Schema file 'schemas/{SCHEMA_FILENAME}' not found",
            how_to_fix="Restore it from the template (every config is validated against it); "
            "the runtime ships a default copy",
            example='python -c "import shutil, txo_runtime, pathlib; shutil.copy('
            "pathlib.Path(txo_runtime.__file__).parent / 'data' / "
            f"'{SCHEMA_FILENAME}', 'schemas/')\"",
        ) from None
    return schema, path


def _gather_secrets(org_id: str, env_type: str, base: Path) -> tuple[dict[str, Any], SecretLookup]:
    """Every secret source in order (environment, ``TXO_SECRETS_FILE``, the project file,
    providers); providers are asked for the keys the project's secrets example declares."""
    project_file = get_path(Dir.CONFIG, secrets_filename(org_id, env_type), root=base)
    example = project_file.with_name(project_file.name + ".example")
    try:
        declared = _read_json(example, what="secrets example", example=_SECRETS_EXAMPLE)
    except FileNotFoundError:
        declared = {}
    wanted = frozenset(declared) if isinstance(declared, dict) else frozenset()
    return collect_secrets(org_id, env_type, project_file, read_file=load_secrets, wanted=wanted)


def load_config(org_id: str, env_type: str, *, root: Path | str | None = None) -> ConfigDict:
    """Load, validate and enrich the config for one organisation and environment."""
    check_identity(org_id, env_type)
    base = Path(root).resolve() if root is not None else find_project_root()
    config_path = get_path(Dir.CONFIG, config_filename(org_id, env_type), root=base)
    raw = _load_main_config(config_path, org_id, env_type)
    _refuse_secrets_in_main_config(raw, config_path, secrets_filename(org_id, env_type))
    # Secrets are registered before validation: a secret pasted into the main config by
    # mistake must not show up in the schema error that quotes the offending value.
    secrets, lookup = _gather_secrets(org_id, env_type, base)
    _register(secrets)
    schema, schema_path = _load_schema(base)
    validate_against_schema(
        raw,
        schema,
        config_file=f"config/{config_path.name}",
        schema_file=f"schemas/{schema_path.name}",
    )
    config = ConfigDict(raw, source_file=f"config/{config_path.name}")
    config.schema_file = f"schemas/{schema_path.name}"
    config.secret_lookup = lookup
    inject_secrets(config, secrets, register=False)  # registered above, before validation
    config["_org_id"] = org_id
    config["_env_type"] = env_type
    logger.debug("Loaded %s (%d secrets injected)", config_path.name, len(secrets))
    return config
