#!/usr/bin/env bash
# Side-by-side timing of crm-metrics, DuckDB and Polars on the same data (see peers.py).
# Makes its own virtual environment with duckdb and polars from PyPI on first use.
#   bench/peers/run.sh [--customers N] [--reps K] [--json FILE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install --quiet duckdb polars
fi
exec "$here/.venv/bin/python" "$here/peers.py" "$@"
