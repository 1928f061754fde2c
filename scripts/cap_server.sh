#!/usr/bin/env bash
# Start the SAP CAP integration service (tests/integration/cap) in the foreground.
#   scripts/cap_server.sh [PORT]     (default 4004; Ctrl-C stops it)
# Service root: http://127.0.0.1:PORT/odata/v4/customers/  (Customers: 2,500 rows, page limit 100)
# Needs Node 18+ and the dependencies: (cd tests/integration/cap && npm ci --no-audit --no-fund)
set -euo pipefail
cap_dir="$(cd "$(dirname "$0")/../tests/integration/cap" && pwd)"
if [ ! -x "$cap_dir/node_modules/.bin/cds-serve" ]; then
  echo "CAP dependencies missing: run (cd tests/integration/cap && npm ci --no-audit --no-fund)" >&2
  exit 1
fi
cd "$cap_dir"
exec node_modules/.bin/cds-serve --in-memory --port "${1:-4004}"
