"""Where secrets come from, in one documented order: the first source that has a key wins.

1. Environment variables ``TXO__<ORG>__<ENV>__<KEY>`` (org, env and key upper-case, ``-``
   written as ``_``), e.g. ``TXO__ACME__TEST__CLIENT_SECRET``. They override every file and
   are enough on their own: a container or CI job needs no secrets file.
2. The file named by ``TXO_SECRETS_FILE`` (a mounted secret). Set but missing is an error.
3. The project's ``config/<org>-<env>-config-secrets.json``.
4. Providers registered under the entry-point group ``txo_runtime.secret_providers`` (a
   vault): each is asked, in entry-point name order, for the keys no earlier source had.

A secret's identity is its injected name (``client-secret`` -> ``_client_secret``), so a
file key and an environment variable name the same secret when their injected names are
equal. The ``<KEY>`` of a variable maps back to the kebab-case file key (lower-case, ``_``
-> ``-``), which is the convention of secrets files; ``CLIENT_SECRET`` is ``client-secret``.
Every value from every source goes through the same checks and the same redaction
registration, whatever its origin.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from txo_runtime.exceptions import ConfigurationError, HelpfulError

__all__ = [
    "PROVIDER_GROUP",
    "SECRETS_FILE_ENV",
    "SecretLookup",
    "SecretProvider",
    "collect_secrets",
    "env_prefix",
    "env_variable_for",
]

logger = logging.getLogger(__name__)

SECRETS_FILE_ENV = "TXO_SECRETS_FILE"
PROVIDER_GROUP = "txo_runtime.secret_providers"


@runtime_checkable
class SecretProvider(Protocol):
    """What an entry point of ``txo_runtime.secret_providers`` loads (a class or a factory
    called without arguments, or an object that already has the method).

    ``secrets(org_id, env_type, wanted)`` returns the secrets it holds for that organisation
    and environment as ``{kebab-key: value}``; ``wanted`` names the keys the project's
    secrets example declares (may be empty: then return everything you know). Raise a
    ``TxoBaseError`` with a fix when the vault cannot be reached; never put a value in it.
    """

    def secrets(self, org_id: str, env_type: str, wanted: frozenset[str]) -> Mapping[str, Any]: ...


def _upper(part: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", part).strip("_").upper()


def env_prefix(org_id: str, env_type: str) -> str:
    """``acme``, ``test`` -> ``TXO__ACME__TEST__``."""
    return f"TXO__{_upper(org_id)}__{_upper(env_type)}__"


def env_variable_for(org_id: str, env_type: str, key: str) -> str:
    """The variable that holds secrets-file key ``key``: ``TXO__ACME__TEST__CLIENT_SECRET``."""
    return env_prefix(org_id, env_type) + _upper(key)


@dataclass
class SecretLookup:
    """Every place looked at for one load, so a missing secret can name them all."""

    org_id: str
    env_type: str
    project_file: str = ""
    files: list[str] = field(default_factory=list)
    providers: list[str] | None = None  # None: not asked (nothing declared was missing)
    origin: dict[str, str] = field(default_factory=dict)  # injected name -> where it came from

    def places(self, key: str) -> list[str]:
        """Where ``key`` (a kebab-case secrets-file key) was looked for, in order."""
        places = [f"environment variable {env_variable_for(self.org_id, self.env_type, key)}"]
        places += self.files
        providers = self.providers
        if providers is None:  # not asked: nothing the project declares was missing
            providers = [entry_point.name for entry_point in _provider_entry_points()]
        places += [f"secret provider '{name}'" for name in providers] or [
            f"secret providers (none installed in entry-point group {PROVIDER_GROUP})"
        ]
        return places


def _checked(source: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The same checks for every source: keys that give an injected name, JSON values
    (``null`` included, as secrets files always allowed)."""
    for key, value in values.items():
        if not isinstance(key, str) or to_snake_key(key) == "_":
            raise ConfigurationError(
                f"Secret name {key!r} from {source} is not a usable key",
                how_to_fix="Use kebab-case names made of letters, digits and '-'",
                example='{\n  "client-secret": "<value>"\n}',
            )
        if value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            raise ConfigurationError(
                f"Secret '{key}' from {source} has a {type(value).__name__} value",
                how_to_fix="Give secrets text (or JSON) values",
                example='{\n  "client-secret": "<value>"\n}',
            )
    return dict(values)


def _from_environment(prefix: str, environ: Mapping[str, str]) -> dict[str, str]:
    """``TXO__ACME__TEST__CLIENT_SECRET=x`` -> ``{"client-secret": "x"}`` (empty = unset)."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        if name.startswith(prefix) and len(name) > len(prefix) and value != "":
            found[name[len(prefix) :].lower().replace("_", "-")] = value
    return found


def _secrets_file_from_env(environ: Mapping[str, str]) -> Path | None:
    value = environ.get(SECRETS_FILE_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise HelpfulError(
            what_went_wrong=f"{SECRETS_FILE_ENV} names '{path}', which is not a file",
            how_to_fix=f"Mount or create the secrets file there, or unset {SECRETS_FILE_ENV}",
            example=f"{SECRETS_FILE_ENV}=/run/secrets/acme-prod.json python -m src.my_script "
            "acme prod",
        )
    return path


def to_snake_key(key: str) -> str:
    """``client-secret`` -> ``_client_secret``: the key a secret has in the loaded config,
    and its identity across sources."""
    return "_" + re.sub(r"[^0-9a-zA-Z]+", "_", key).strip("_").lower()


def _merge(
    found: dict[str, Any], new: Mapping[str, Any], source: str, lookup: SecretLookup
) -> None:
    """Add the keys of ``new`` whose injected name no earlier source had (first match wins)."""
    taken = {to_snake_key(key) for key in found}
    for key, value in _checked(source, new).items():
        name = to_snake_key(key)
        if name not in taken:
            found[key] = value
            taken.add(name)
            lookup.origin[name] = source


def _load_provider(entry_point: Any) -> SecretProvider:
    try:
        loaded = entry_point.load()
        provider = (
            loaded if hasattr(loaded, "secrets") and not isinstance(loaded, type) else loaded()
        )
    except Exception as exc:  # noqa: BLE001 - any plug-in failure becomes one clear message
        raise HelpfulError(
            what_went_wrong=f"Secret provider '{entry_point.name}' ({entry_point.value}) could "
            f"not be loaded: {type(exc).__name__}",
            how_to_fix="Reinstall the package that provides it, or uninstall it",
            example=f"pip show {entry_point.value.split('.')[0].split(':')[0]}",
        ) from None
    if not isinstance(provider, SecretProvider):
        raise HelpfulError(
            what_went_wrong=f"Secret provider '{entry_point.name}' has no secrets() method",
            how_to_fix="A provider implements secrets(org_id, env_type, wanted) -> mapping",
            example="class MyVault:\n    def secrets(self, org_id, env_type, wanted): ...",
        )
    return provider


def _provider_entry_points() -> list[Any]:
    from importlib.metadata import entry_points

    return sorted(entry_points(group=PROVIDER_GROUP), key=lambda ep: ep.name)


def _ask_providers(found: dict[str, Any], wanted: frozenset[str], lookup: SecretLookup) -> None:
    """Ask each registered provider for what is still missing. When the project declares
    its keys (``wanted``) and every one was found, the installed packages are not even
    scanned for providers (that scan costs 10-30 ms)."""
    if wanted and all(to_snake_key(key) in {to_snake_key(k) for k in found} for key in wanted):
        return
    lookup.providers = []
    for entry_point in _provider_entry_points():
        lookup.providers.append(entry_point.name)
        have = {to_snake_key(key) for key in found}
        missing = frozenset(key for key in wanted if to_snake_key(key) not in have)
        if wanted and not missing:
            continue
        values = _load_provider(entry_point).secrets(lookup.org_id, lookup.env_type, missing)
        _merge(found, values, f"secret provider '{entry_point.name}'", lookup)


def collect_secrets(
    org_id: str,
    env_type: str,
    project_file: Path,
    *,
    read_file: Callable[[Path], dict[str, Any]],
    wanted: frozenset[str] = frozenset(),
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], SecretLookup]:
    """The secrets of one org/env from every source (see the module docstring), keyed by
    their kebab-case names, and where each was looked for. ``read_file`` reads a secrets
    file (``{}`` when it does not exist); ``wanted`` are the keys the project declares."""
    env = os.environ if environ is None else environ
    lookup = SecretLookup(org_id, env_type)
    found: dict[str, Any] = {}
    prefix = env_prefix(org_id, env_type)
    _merge(found, _from_environment(prefix, env), f"environment variables {prefix}*", lookup)
    mounted = _secrets_file_from_env(env)
    if mounted is not None:
        lookup.files.append(f"{mounted} ({SECRETS_FILE_ENV})")
        _merge(found, read_file(mounted), str(mounted), lookup)
    project_name = lookup.project_file = f"config/{project_file.name}"
    exists = project_file.is_file()
    lookup.files.append(project_name if exists else f"{project_name} (not found)")
    if exists:
        _merge(found, read_file(project_file), project_name, lookup)
    _ask_providers(found, wanted, lookup)
    return found, lookup
