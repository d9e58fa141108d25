#!/usr/bin/env bash
# Compares the crate's RFM summary (dashboard --rfm-out) with the `lifetimes` library's
# summary_data_from_transaction_data(..., freq="D") on a generated sample, row for row.
# Makes its own virtual environment with lifetimes from PyPI on first use (needs the
# network once; not run by CI).
#   bench/lifetimes/run.sh [CUSTOMERS]     (default 10000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
customers="${1:-10000}"
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
    # lifetimes 0.11.3 (2020) predates pandas 2.2 and numpy 2: pin the last that work.
    "$here/.venv/bin/pip" install --quiet "lifetimes==0.11.3" "pandas==2.1.4" "numpy==1.26.4"
fi
cd "$root"
cargo build --quiet --release --example peers --example dashboard
data="$here/data/$customers"
if [ ! -f "$data/orders.csv" ]; then
    mkdir -p "$data"
    target/release/examples/peers gen "$data" "$customers"
fi
as_of="2026-11-15T03:00:00+00:00"
target/release/examples/dashboard "$data" --as-of "$as_of" --format json \
    --rfm-out "$here/data/rfm-$customers.csv" > /dev/null
exec "$here/.venv/bin/python" "$here/check.py" "$data" "$here/data/rfm-$customers.csv" --as-of "$as_of"
