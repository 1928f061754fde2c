"""``python -m txo_tools`` runs the ``txo`` command line."""

from txo_tools.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
