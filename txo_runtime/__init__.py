"""txo runtime: config + secrets, redacted logging, resilient HTTP/OData/SOAP, one-call save.

Public names are importable from here and from the module that defines them
(``from txo_runtime.path_helpers import Dir``). They are resolved lazily (PEP 562) so that
``import txo_runtime`` stays light: nothing heavy (pandas, openpyxl, zeep, jsonschema) is
imported until it is used.
"""

from __future__ import annotations

from txo_runtime.extras import lazy_exports

__version__ = "3.0.0"

# Public name -> the module of txo_runtime that defines it.
_EXPORTS: dict[str, str] = {
    "ApiAuthenticationError": "exceptions",
    "ApiError": "exceptions",
    "ApiOperationError": "exceptions",
    "ApiRateLimitError": "exceptions",
    "ApiTimeoutError": "exceptions",
    "ApiValidationError": "exceptions",
    "CircuitBreakerOpenError": "exceptions",
    "ConfigurationError": "exceptions",
    "EntityNotFoundError": "exceptions",
    "ErrorContext": "exceptions",
    "FileOperationError": "exceptions",
    "HelpfulError": "exceptions",
    "MissingConfigKeyError": "exceptions",
    "TxoBaseError": "exceptions",
    "ValidationError": "exceptions",
    "measure_complexity": "method_metrics",
    "Dir": "path_helpers",
    "find_project_root": "path_helpers",
    "get_path": "path_helpers",
    "setup_logger": "logger",
    "CircuitBreaker": "api_common",
    "RateLimiter": "api_common",
    "RetryPolicy": "api_common",
    "TxoDataHandler": "load_n_save",
    "output_filename": "load_n_save",
    "MinimalRestAPI": "rest_api_helpers",
    "RestOperationResult": "rest_api_helpers",
    "SessionManager": "rest_api_helpers",
    "OAuthManager": "oauth_helpers",
    "build_url": "url_helpers",
    "odata_literal": "url_helpers",
    "ConfigDict": "config_loader",
    "ConfigProxy": "config_loader",
    "load_config": "config_loader",
    "ApiManager": "api_factory",
    "create_rest_api": "api_factory",
    "create_soap_api": "api_factory",
    "ProcessingResult": "concurrency",
    "batch_process": "concurrency",
    "parallel_map": "concurrency",
    "rate_limited_parallel": "concurrency",
    "ArgumentDefinition": "script_runner",
    "parse_args_and_load_config": "script_runner",
    "run": "script_runner",
}

__all__ = sorted([*_EXPORTS, "__version__"])


__getattr__, _ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__
