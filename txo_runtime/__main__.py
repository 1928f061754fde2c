"""``python -m txo_runtime`` runs the ``txo`` command line."""

from txo_runtime.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
