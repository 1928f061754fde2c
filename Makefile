# txo developer commands. Newcomers need two: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CAP    := tests/integration/cap

.PHONY: help venv demo test pytest lint docs cap-deps bench test-pythons dist install-size release-check clean

help:
	@echo "make demo   - generate a demo customer project and run its script against a local API"
	@echo "make test   - lint, type-check, layer contract, docs build and the full test suite"
	@echo "make bench  - run the benchmarks (not part of CI gates)"
	@echo "make dist   - build both distributions (txo-runtime, txo-tools) into dist/"
	@echo "make release-check - build, twine check, tag = version, install with the oldest pip, txo new + its tests"
	@echo "make install-size - install each wheel into a fresh venv from the index; count and size"
	@echo "make test-pythons - the test suite on every other Python 3.10-3.13 found (on demand)"

# Both distributions, editable: txo-runtime with its dev extra (from the root pyproject.toml)
# and txo-tools (tools/pyproject.toml, the `txo` command).
$(STAMP): pyproject.toml tools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]" -e tools
	@touch $(STAMP)

venv: $(STAMP)

# The SAP CAP OData server used by the integration tests (Node 20 + npm, registry only).
# better-sqlite3 compiles from source (no prebuilt download here): node-gyp takes the Node
# headers from Debian's nodejs package instead of downloading them.
$(CAP)/node_modules/.package-lock.json: $(CAP)/package.json $(CAP)/package-lock.json
	cd $(CAP) && if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi; \
		npm ci --no-audit --no-fund --loglevel=error

cap-deps:
	@if command -v npm >/dev/null 2>&1 && [ -f $(CAP)/package-lock.json ]; then \
		$(MAKE) --no-print-directory $(CAP)/node_modules/.package-lock.json; \
	else echo "npm or $(CAP)/package-lock.json missing: CAP integration tests will be skipped"; fi

demo: venv
	$(PY) scripts/demo.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy txo_runtime tools/txo_tools
	$(VENV)/bin/lint-imports

docs: venv
	$(VENV)/bin/mkdocs build --strict --site-dir build/site

pytest: venv cap-deps
	$(PY) -m pytest -n 2 --dist loadfile

test: lint pytest

bench: venv cap-deps
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# sdist + wheel of each distribution, built with the venv's hatchling (no index needed).
dist: venv
	$(PY) -m build --no-isolation --outdir dist .
	$(PY) -m build --no-isolation --outdir dist tools

# Before tagging a release (docs/releasing.md): sdists + wheels, `twine check`, tag = version,
# the wheels in a fresh venv with the oldest supported pip, a generated project's tests.
release-check: venv
	$(PY) scripts/release_check.py

# Real `pip install` of each wheel into a fresh venv from the configured package index.
install-size: venv
	$(PY) scripts/measure_install.py --list

# Supported versions other than the main venv's, each in its own .venv-X.Y (on demand, not in
# CI: it multiplies the run time). Versions that are not installed are skipped.
OTHER_PYTHONS ?= 3.10 3.12 3.13
test-pythons: cap-deps
	@for v in $(OTHER_PYTHONS); do \
		py=$$(command -v python$$v) || { echo "== python$$v not found, skipped"; continue; }; \
		echo "== Python $$v"; \
		[ -x .venv-$$v/bin/python ] || $$py -m venv .venv-$$v || exit 1; \
		.venv-$$v/bin/python -m pip install --quiet -e ".[dev]" -e tools || exit 1; \
		.venv-$$v/bin/python -m pytest -n 2 --dist loadfile -q || exit 1; \
	done

clean:
	rm -rf build dist site .pytest_cache .mypy_cache .ruff_cache
