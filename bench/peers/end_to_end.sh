#!/usr/bin/env bash
# End-to-end timing (CSV folder or snapshot -> report) of crm-metrics against DuckDB
# loading the same CSV and computing the six peer metrics (see end_to_end.py).
# Makes its own virtual environment with duckdb and polars from PyPI on first use.
#   bench/peers/end_to_end.sh [--customers N] [--reps K]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install --quiet duckdb polars
fi
exec "$here/.venv/bin/python" "$here/end_to_end.py" "$@"
