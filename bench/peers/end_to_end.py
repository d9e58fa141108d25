#!/usr/bin/env python3
"""End to end: from a CSV folder (or a snapshot) to numbers, crm-metrics against DuckDB.

    bench/peers/end_to_end.sh [--customers N] [--reps K]

The per-metric comparison (peers.py) leaves loading out; this one times everything a
service restart pays, on the same generated folder as peers.py:

* crm-metrics, CSV folder -> report: the release dashboard (feature `parallel`) reads the
  folder, builds the Dataset and prints the whole JSON report (every section), as a child
  process; on one core (RAYON_NUM_THREADS=1) and on every core;
* crm-metrics, snapshot -> report: the same, opening the snapshot the dashboard wrote
  with --save-snapshot;
* DuckDB: a fresh in-memory database loads the same CSV tables (peers.py's duck_load)
  and computes the six peer metrics (peers.py's queries), on every core and on one.

Runs alternate (one of each per round) and the medians of K rounds are printed, with each
crate run's peak resident memory (/usr/bin/time). The machine may be shared: compare the
columns of one run, not runs of different days.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import DUCK, ROOT, duck_load  # noqa: E402

AS_OF = "2026-11-15T03:00:00Z"


def crate_run(dashboard, data, threads):
    """Wall seconds and peak RSS (MB) of one dashboard run on `data`."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    t = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", dashboard, data, "--as-of", AS_OF, "--format", "json"],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"dashboard failed on {data}:\n{done.stderr}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return wall, int(peak.group(1)) / 1024 if peak else float("nan")


def duck_run(data, threads):
    """Wall seconds of a fresh DuckDB loading the folder and computing the six metrics."""
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    duck_load(con, data)
    for sql in DUCK.values():
        con.execute(sql).fetchall()
    con.close()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    data = os.path.join(ROOT, "target", "bench-data", f"peers-{a.customers}")
    for example in ("peers", "dashboard"):
        subprocess.run(["cargo", "build", "--quiet", "--release", "--features", "parallel", "--example", example],
                       cwd=ROOT, check=True)
    peers_bin = os.path.join(ROOT, "target", "release", "examples", "peers")
    dashboard = os.path.join(ROOT, "target", "release", "examples", "dashboard")
    if not os.path.exists(os.path.join(data, "interactions.csv")):
        subprocess.run([peers_bin, "gen", data, str(a.customers)], check=True)
    size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.endswith(".csv"))
    snap = data + ".snap"
    subprocess.run([dashboard, data, "--as-of", AS_OF, "--format", "json", "--save-snapshot", snap],
                   check=True, stdout=subprocess.DEVNULL)
    cores = os.cpu_count() or 1

    runs = {
        "crm-metrics, CSV folder -> report, 1 core": lambda: crate_run(dashboard, data, 1),
        f"crm-metrics, CSV folder -> report, {cores} cores": lambda: crate_run(dashboard, data, cores),
        "crm-metrics, snapshot -> report, 1 core": lambda: crate_run(dashboard, snap, 1),
        f"crm-metrics, snapshot -> report, {cores} cores": lambda: crate_run(dashboard, snap, cores),
        "DuckDB, load CSV + six metrics, 1 core": lambda: (duck_run(data, 1), float("nan")),
        f"DuckDB, load CSV + six metrics, {cores} cores": lambda: (duck_run(data, cores), float("nan")),
    }
    walls = {name: [] for name in runs}
    peaks = {name: [] for name in runs}
    for _ in range(a.reps):
        for name, run in runs.items():
            wall, peak = run()
            walls[name].append(wall)
            peaks[name].append(peak)

    print(f"\n{a.customers:,} customers; CSV folder {size / 1e6:,.1f} MB, snapshot "
          f"{os.path.getsize(snap) / 1e6:,.1f} MB; median of {a.reps} alternating rounds")
    print("| run | median wall | min | max | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in runs:
        w = walls[name]
        peak = max(peaks[name])
        shown = "" if peak != peak else f"{peak:,.0f} MB"
        print(f"| {name} | {statistics.median(w):.2f} s | {min(w):.2f} s | {max(w):.2f} s | {shown} |")


if __name__ == "__main__":
    main()
