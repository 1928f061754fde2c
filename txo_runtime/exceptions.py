"""Exception hierarchy of the txo runtime; it imports nothing else from txo_runtime.

Every error a user can meet derives from :class:`TxoBaseError` and can carry an
:class:`ErrorContext` so logs say *what* was being done to *which* resource. Errors that a
person has to act on render as a three-part message (problem / solution / example), so the
reader learns what to change without reading code; :func:`render_user_message` is the one renderer
of that text (plain labels, or ❌ / ✅ / 📝 before them on a terminal that can show them).

Hierarchy::

    TxoBaseError
    ├── ApiError
    │   ├── ApiOperationError
    │   │   └── CircuitBreakerOpenError
    │   ├── ApiTimeoutError
    │   ├── ApiAuthenticationError
    │   ├── ApiRateLimitError      (retry_after)
    │   ├── ApiValidationError
    │   └── EntityNotFoundError    (entity_type, entity_id)
    ├── ConfigurationError         (config_file, key_path)
    │   └── MissingConfigKeyError  (also a KeyError, so ``except KeyError`` keeps working)
    ├── ValidationError
    ├── FileOperationError         (path)
    └── HelpfulError               (what_went_wrong, how_to_fix, example)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "ApiAuthenticationError",
    "ApiError",
    "ApiOperationError",
    "ApiRateLimitError",
    "ApiTimeoutError",
    "ApiValidationError",
    "CircuitBreakerOpenError",
    "ConfigurationError",
    "EntityNotFoundError",
    "ErrorContext",
    "FileOperationError",
    "HelpfulError",
    "MissingConfigKeyError",
    "TxoBaseError",
    "ValidationError",
    "render_user_message",
    "shorten",
    "symbols_supported",
]

MAX_QUOTED_CHARS = 200  # a value quoted in a message is cut to this many characters
MAX_MESSAGE_CHARS = 10_000  # no message is longer, whatever it quotes
PROBLEM_LABEL = "Problem"
SOLUTION_LABEL = "Solution"
EXAMPLE_LABEL = "Example"


def shorten(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was:
    ``'xxxx… (5,000,000 characters)'``. A message quoting a huge value stays readable and
    does not fill the console and the log."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


@dataclass(slots=True)
class ErrorContext:
    """Structured context for debugging: the operation, the resource and free-form details."""

    operation: str | None = None
    resource: str | None = None
    details: dict[str, Any] | None = None

    def describe(self) -> str:
        """One line such as ``operation=GET resource=/customers attempts=3``."""
        parts = []
        if self.operation:
            parts.append(f"operation={self.operation}")
        if self.resource:
            parts.append(f"resource={self.resource}")
        for key, value in (self.details or {}).items():
            parts.append(f"{key}={value}")
        return " ".join(parts)


class TxoBaseError(Exception):
    """Root of every txo error.

    ``how_to_fix`` and ``example`` are optional on every error so any of them can be shown
    to a user in the three-part form; :class:`HelpfulError` makes them mandatory.
    """

    def __init__(
        self,
        message: str,
        *,
        how_to_fix: str | None = None,
        example: str | None = None,
        context: ErrorContext | None = None,
    ) -> None:
        message = shorten(message, MAX_MESSAGE_CHARS)  # whatever it quotes, stays readable
        super().__init__(message)
        self.message = message
        self.how_to_fix = how_to_fix
        self.example = example
        self.context = context

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive pickling (multiprocessing) by default.
        return (_rebuild_error, (type(self), self.__dict__.copy()))


def _rebuild_error(cls: type[TxoBaseError], state: dict[str, Any]) -> TxoBaseError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class ApiError(TxoBaseError):
    """An API call failed. ``status_code``/``url`` are set when an HTTP response was seen."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        url: str | None = None,
        attempts: int | None = None,
        how_to_fix: str | None = None,
        example: str | None = None,
        context: ErrorContext | None = None,
    ) -> None:
        super().__init__(message, how_to_fix=how_to_fix, example=example, context=context)
        self.status_code = status_code
        self.url = url
        self.attempts = attempts


class ApiOperationError(ApiError):
    """Generic API failure (5xx after retries, unexpected status, partial OData read ...)."""


class CircuitBreakerOpenError(ApiOperationError):
    """The circuit breaker is open: the call failed fast without reaching the server."""


class ApiTimeoutError(ApiError):
    """A request (or a 202 polling loop) ran out of time."""

    def __init__(self, message: str, *, timeout_seconds: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.timeout_seconds = timeout_seconds


class ApiAuthenticationError(ApiError):
    """401/403, or no token could be obtained."""


class ApiRateLimitError(ApiError):
    """429 Too Many Requests; ``retry_after`` is the server's wait in seconds, if it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ApiValidationError(ApiError):
    """400/422: the server rejected the request data."""


class EntityNotFoundError(ApiError):
    """404: the entity does not exist. ``EntityNotFoundError("Customer", entity_id="42")``."""

    def __init__(
        self,
        entity_type: str,
        entity_id: str | int | None = None,
        *,
        message: str | None = None,
        **kwargs: Any,
    ) -> None:
        if message is None:
            suffix = f" '{entity_id}'" if entity_id is not None else ""
            message = f"{entity_type}{suffix} not found"
        super().__init__(message, **kwargs)
        self.entity_type = entity_type
        self.entity_id = entity_id


class ConfigurationError(TxoBaseError):
    """Configuration is missing or wrong; names the file and the JSON path where known."""

    def __init__(
        self,
        message: str,
        *,
        config_file: str | None = None,
        key_path: str | None = None,
        how_to_fix: str | None = None,
        example: str | None = None,
        context: ErrorContext | None = None,
    ) -> None:
        super().__init__(message, how_to_fix=how_to_fix, example=example, context=context)
        self.config_file = config_file
        self.key_path = key_path


class MissingConfigKeyError(ConfigurationError, KeyError):
    """A required key is absent. Also a ``KeyError`` so v2.1 ``except KeyError`` still works.

    Build it with :meth:`for_key`: every place that finds a missing key (a loaded config,
    a plain dict, the schema check) then tells the user the same thing.
    """

    def __str__(self) -> str:  # KeyError.__str__ would repr() the message
        return self.message

    @classmethod
    def for_key(
        cls, key_path: str, *, config_file: str | None = None, details: str = ""
    ) -> MissingConfigKeyError:
        """The error for the dotted ``key_path`` missing in ``config_file`` (None: not known).

        Keys starting with ``_`` are injected when the config is loaded (secrets, org and
        environment, arguments, token), so their fix names what injects them. ``details``
        (e.g. the other problems of a schema check) is appended to the message. No config
        value is ever part of the message.
        """
        where = config_file or "the config"
        message, how_to_fix, example = _missing_key_advice(key_path, where)
        return cls(
            f"{message}\n{details}" if details else message,
            config_file=config_file,
            key_path=key_path,
            how_to_fix=how_to_fix,
            example=example,
        )


_SCHEMA_PATH = "schemas/org-env-config-schema.json"
_LOADER_EXAMPLE = "config = parse_args_and_load_config('My script')  # or load_config(org, env)"
# Keys the loader or the script runner add to every config, and what adds them.
_INJECTED_KEYS: MappingProxyType[str, str] = MappingProxyType(
    {
        "_org_id": "load_config(org_id, env_type) and parse_args_and_load_config() add it",
        "_env_type": "load_config(org_id, env_type) and parse_args_and_load_config() add it",
        "_args": "parse_args_and_load_config(..., extra_args=[...]) adds it",
        "_token": "parse_args_and_load_config(..., require_token=True) adds it",
    }
)


def _missing_key_advice(key_path: str, where: str) -> tuple[str, str, str]:
    """(message, how to fix, example) for a missing key."""
    leaf = key_path.rsplit(".", 1)[-1]
    if leaf in _INJECTED_KEYS:
        return (
            f"'{key_path}' is not in {where}: it is added when the config is loaded",
            f"Use the config that the loader returns: {_INJECTED_KEYS[leaf]}",
            _LOADER_EXAMPLE,
        )
    if leaf.startswith("_"):
        secret_key = leaf[1:].replace("_", "-")
        secrets = _secrets_file_for(where)
        return (
            f"Secret '{leaf}' is not available (looked for '{secret_key}' in {secrets})",
            f'Add "{secret_key}" to {secrets} (create it if it does not exist; it is '
            "git-ignored), or request a token with require_token=True",
            f'{{\n  "{secret_key}": "<value>"\n}}',
        )
    return (
        f"Required configuration '{key_path}' is missing in {where}",
        f"Add '{key_path}' to {where}; every key a script reads is also declared in "
        f"{_SCHEMA_PATH} (schema must match config)",
        _nested_example(key_path),
    )


def _secrets_file_for(config_file: str) -> str:
    """``config/acme-prod-config.json`` -> ``config/acme-prod-config-secrets.json``."""
    if config_file.endswith("-config.json"):
        return config_file[: -len(".json")] + "-secrets.json"
    return f"the secrets file next to {config_file}"


def _nested_example(key_path: str) -> str:
    """``a.b`` -> the JSON ``{"a": {"b": "<value>"}}`` to paste into the config."""
    snippet: Any = "<value>"
    for part in reversed([p for p in key_path.split(".") if p]):
        snippet = {part: snippet}
    return json.dumps(snippet, indent=2)


class ValidationError(TxoBaseError):
    """Data (not configuration) failed validation."""


class FileOperationError(TxoBaseError):
    """Reading or writing a file failed; ``path`` names it."""

    def __init__(self, message: str, *, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.path = path


class HelpfulError(TxoBaseError):
    """A user-facing error: what went wrong, how to fix it, and an example.

    ``str()`` is the full three-part message, exactly what the script runner prints.
    """

    def __init__(
        self,
        what_went_wrong: str,
        how_to_fix: str,
        example: str | None = None,
        *,
        context: ErrorContext | None = None,
    ) -> None:
        super().__init__(what_went_wrong, how_to_fix=how_to_fix, example=example, context=context)
        self.what_went_wrong = what_went_wrong

    def __str__(self) -> str:
        return render_user_message(self)


# The symbols a terminal shows before each label ("❌ Problem: ..."); the words stay, so a
# search for "Problem:" finds a message in either form.
LABEL_SYMBOLS: MappingProxyType[str, str] = MappingProxyType(
    {PROBLEM_LABEL: "\u274c", SOLUTION_LABEL: "\u2705", EXAMPLE_LABEL: "\U0001f4dd"}
)
SYMBOLS_ENV = "TXO_SYMBOLS"  # "1": always show the symbols, "0": never (else: auto)


def render_user_message(error: BaseException, *, symbols: bool = False) -> str:
    """The three-part text shown to users: problem, solution, example (when known).

    ``symbols=True`` puts ❌ / ✅ / 📝 before the labels, for a terminal that can show
    them (decide with :func:`symbols_supported`); the default is the plain form, which is
    what ``str()``, log files and exception texts carry so that they read (and grep) the same
    on every machine.
    """

    def label(name: str) -> str:
        return f"{LABEL_SYMBOLS[name]} {name}" if symbols else name

    if not isinstance(error, TxoBaseError):
        return f"{label(PROBLEM_LABEL)}: {error}"
    lines = [f"{label(PROBLEM_LABEL)}: {error.message}"]
    if error.how_to_fix:
        lines += ["", f"{label(SOLUTION_LABEL)}: {error.how_to_fix}"]
    if error.example:
        lines += ["", f"{label(EXAMPLE_LABEL)}:", error.example]
    return "\n".join(lines)


def symbols_supported(stream: Any, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``stream`` should get the symbol form of user messages.

    ``TXO_SYMBOLS=1`` or ``0`` decides when set (a CI log that renders UTF-8, a terminal
    font without emoji). Otherwise: only an interactive terminal (``isatty()``) whose
    encoding can encode the symbols; a pipe, a file or a cp1252 console gets plain labels.
    """
    choice = (os.environ if environ is None else environ).get(SYMBOLS_ENV, "").strip()
    if choice in ("0", "1"):
        return choice == "1"
    try:
        if stream is None or not stream.isatty():
            return False
        "".join(LABEL_SYMBOLS.values()).encode(getattr(stream, "encoding", None) or "ascii")
    except (AttributeError, LookupError, UnicodeError, ValueError):  # closed or no encoding
        return False
    return True
