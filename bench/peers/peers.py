#!/usr/bin/env python3
"""Side-by-side: crm-metrics against DuckDB and Polars on the same headline metrics.

    bench/peers/run.sh [--customers N] [--reps K]

run.sh makes a virtual environment with duckdb and polars and calls this script, which
1. generates a clean CSV folder with the crate's seeded generator (target/bench-data/peers-N),
2. times the crate on each metric (examples/peers.rs, built with the `parallel` feature:
   loads the folder, then times only the metric's computation, median of K runs), once on
   one core (RAYON_NUM_THREADS=1) and once on every core, and checks both give the same values,
3. loads the same tables into DuckDB and into Polars (in memory; load not timed), times
   the same metrics as queries (median of K runs; both may use every core),
4. checks that the three agree, value by value, and prints a table of medians and ratios.

Meaning, as the crate computes it (SPEC.md): as_of 2026-11-15T03:00:00Z, local dates in
+07:00, period this_month (2026-11-01..2026-11-30); purchases are completed orders with
created_at <= as_of of customers created by as_of; a clean dataset (no bad rows).
"""
import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal

import duckdb
import polars as pl

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UTC = dt.timezone.utc
AS_OF = int(dt.datetime(2026, 11, 15, 3, 0, tzinfo=UTC).timestamp())
OFF = 7 * 3600
TODAY = dt.date(2026, 11, 15)
P0 = int(dt.datetime(2026, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp())
P1 = int(dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp())
EPOCH = dt.date(1970, 1, 1)
DAY = 86400


def sub_months(d, n):
    """Calendar months back, clamped to the month's last day (SPEC §1)."""
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    m += 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(d.day, last))


CUTOFF = {n: (sub_months(TODAY, n) - EPOCH).days for n in (1, 3, 6, 12)}
COST_FROM, COST_TO = dt.date(2026, 11, 1), TODAY  # costs dated in the period and <= today
BUCKETS = ["same_day", "1_day", "2_days", "3_6_days", "1_week", "2_weeks", "1_month",
           "2_months", "3_months", "6_months", "1_year_plus"]
BUCKET_SQL = """CASE WHEN gap <= 0 THEN 'same_day' WHEN gap = 1 THEN '1_day' WHEN gap = 2 THEN '2_days'
  WHEN gap < 7 THEN '3_6_days' WHEN gap < 14 THEN '1_week' WHEN gap < 30 THEN '2_weeks'
  WHEN gap < 60 THEN '1_month' WHEN gap < 90 THEN '2_months' WHEN gap < 180 THEN '3_months'
  WHEN gap < 365 THEN '6_months' ELSE '1_year_plus' END"""


def timed(reps, f):
    times, value = [], None
    for _ in range(reps):
        t = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3, value


# ---------------------------------------------------------------------------- DuckDB

def duck_load(con, d):
    ts = lambda c: f'epoch(CAST("{c}" AS TIMESTAMPTZ))::BIGINT'
    csv = lambda t: f"read_csv('{d}/{t}.csv', header=true, all_varchar=true)"
    con.execute(f"CREATE TABLE customers AS SELECT id, {ts('created_at')} AS created, source FROM {csv('customers')}")
    con.execute(f"""CREATE TABLE orders AS SELECT id, customer_id, {ts('created_at')} AS created, status,
        CAST(total AS DECIMAL(38, 6)) AS total FROM {csv('orders')}""")
    con.execute(f"""CREATE TABLE deals AS SELECT id, source, {ts('created_at')} AS created,
        {ts('handed_over_at')} AS handed, {ts('opportunity_at')} AS opportunity, {ts('won_at')} AS won,
        CAST(revenue AS DECIMAL(38, 6)) AS revenue FROM {csv('deals')}""")
    con.execute(f"""CREATE TABLE costs AS SELECT CAST(date AS DATE) AS date, source,
        CAST(amount AS DECIMAL(38, 6)) AS amount FROM {csv('costs')}""")
    con.execute(f"""CREATE TABLE interactions AS SELECT customer_id, {ts('at')} AS t, direction, fanpage_id
        FROM {csv('interactions')}""")


DUCK = {
    "new_customers_daily_by_source": f"""
        SELECT (created + {OFF}) // {DAY} AS day, source, count(*) FROM customers
        WHERE created >= {P0} AND created < {P1} AND created <= {AS_OF} GROUP BY 1, 2""",
    "dormant_1_3_6_12": f"""
        WITH last AS (SELECT customer_id, max(created) AS last FROM orders
                      WHERE status = 'completed' AND created <= {AS_OF} GROUP BY 1)
        SELECT """ + ", ".join(
        f"count(*) FILTER (WHERE (last + {OFF}) // {DAY} < {CUTOFF[n]})" for n in (1, 3, 6, 12)) + f""",
          count(*) FILTER (WHERE last IS NULL)
        FROM customers c LEFT JOIN last ON last.customer_id = c.id WHERE c.created <= {AS_OF}""",
    "visit_groups": f"""
        WITH p AS (SELECT o.customer_id, count(*) AS n, sum(o.total) AS spend FROM orders o
                   JOIN customers c ON c.id = o.customer_id
                   WHERE c.created <= {AS_OF} AND o.status = 'completed' AND o.created <= {AS_OF} GROUP BY 1)
        SELECT CASE WHEN n = 1 THEN '1' WHEN n = 2 THEN '2' ELSE '3+' END, count(*), sum(spend)
        FROM p GROUP BY 1""",
    "return_cycle": f"""
        WITH p AS (SELECT o.customer_id, o.created, o.id, (o.created + {OFF}) // {DAY} AS day FROM orders o
                   JOIN customers c ON c.id = o.customer_id
                   WHERE c.created <= {AS_OF} AND o.status = 'completed' AND o.created <= {AS_OF}),
             g AS (SELECT day - lag(day) OVER (PARTITION BY customer_id ORDER BY created, id) AS gap FROM p)
        SELECT {BUCKET_SQL}, count(*) FROM g WHERE gap IS NOT NULL GROUP BY 1""",
    "marketing_by_source": f"""
        WITH inp AS (SELECT * FROM deals),
        cohort AS (SELECT source,
            count(*) FILTER (WHERE created >= {P0} AND created < {P1} AND created <= {AS_OF}) AS created,
            count(*) FILTER (WHERE created >= {P0} AND created < {P1} AND created <= {AS_OF}
                             AND handed >= {P0} AND handed < {P1} AND handed <= {AS_OF}) AS handed_over,
            count(*) FILTER (WHERE created >= {P0} AND created < {P1} AND created <= {AS_OF}
                             AND handed >= {P0} AND handed < {P1} AND handed <= {AS_OF}
                             AND opportunity >= {P0} AND opportunity < {P1} AND opportunity <= {AS_OF}) AS opportunity,
            count(*) FILTER (WHERE created >= {P0} AND created < {P1} AND created <= {AS_OF}
                             AND handed >= {P0} AND handed < {P1} AND handed <= {AS_OF}
                             AND opportunity >= {P0} AND opportunity < {P1} AND opportunity <= {AS_OF}
                             AND won >= {P0} AND won < {P1} AND won <= {AS_OF}) AS won,
            count(*) FILTER (WHERE won >= {P0} AND won < {P1} AND won <= {AS_OF}) AS won_deals,
            coalesce(sum(revenue) FILTER (WHERE won >= {P0} AND won < {P1} AND won <= {AS_OF}), 0) AS revenue
            FROM inp GROUP BY source),
        cost AS (SELECT source, sum(amount) AS cost FROM costs
                 WHERE date >= DATE '{COST_FROM}' AND date <= DATE '{COST_TO}' GROUP BY source)
        SELECT coalesce(d.source, c.source) AS source, coalesce(created, 0), coalesce(handed_over, 0),
               coalesce(opportunity, 0), coalesce(won, 0), coalesce(won_deals, 0), coalesce(revenue, 0),
               coalesce(cost, 0)
        FROM cohort d FULL JOIN cost c ON c.source = d.source
        WHERE coalesce(created, 0) > 0 OR coalesce(won_deals, 0) > 0 OR c.source IS NOT NULL
        ORDER BY 1""",
    "social_weekday_hour": f"""
        SELECT ((i.t + {OFF}) // {DAY} + 3) % 7 AS weekday, ((i.t + {OFF}) % {DAY}) // 3600 AS hour, count(*)
        FROM interactions i JOIN customers c ON c.id = i.customer_id
        WHERE c.created <= {AS_OF} AND i.direction = 'inbound' AND i.fanpage_id IS NOT NULL
          AND i.t >= {P0} AND i.t < {P1} AND i.t <= {AS_OF}
        GROUP BY 1, 2""",
}


# ---------------------------------------------------------------------------- Polars

def pl_load(d):
    def ts(c):
        return pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%S%z", time_zone="UTC").dt.epoch("s")
    read = lambda t: pl.read_csv(f"{d}/{t}.csv", infer_schema=False)
    dec = pl.Decimal(38, 6)
    return {
        "customers": read("customers").select("id", ts("created_at").alias("created"), "source"),
        "orders": read("orders").select("id", "customer_id", ts("created_at").alias("created"), "status",
                                        pl.col("total").cast(dec)),
        "deals": read("deals").select("id", "source", ts("created_at").alias("created"),
                                      ts("handed_over_at").alias("handed"), ts("opportunity_at").alias("opportunity"),
                                      ts("won_at").alias("won"), pl.col("revenue").cast(dec)),
        "costs": read("costs").select(pl.col("date").str.to_date(), "source", pl.col("amount").cast(dec)),
        "interactions": read("interactions").select("customer_id", ts("at").alias("at"), "direction", "fanpage_id"),
    }


def in_period(c):
    return (pl.col(c) >= P0) & (pl.col(c) < P1) & (pl.col(c) <= AS_OF)


def pl_queries(t):
    customers, orders = t["customers"].lazy(), t["orders"].lazy()
    existing = customers.filter(pl.col("created") <= AS_OF).select(pl.col("id").alias("customer_id"))
    purchases = orders.filter((pl.col("status") == "completed") & (pl.col("created") <= AS_OF)).join(
        existing, on="customer_id")
    day = lambda c: (pl.col(c) + OFF) // DAY

    def daily():
        return customers.filter(in_period("created")).group_by(day("created").alias("day"), "source").len().collect()

    def dormant():
        last = purchases.group_by("customer_id").agg(pl.col("created").max().alias("last"))
        joined = existing.join(last, on="customer_id", how="left").with_columns(day("last").alias("d"))
        return joined.select(
            *[(pl.col("d") < CUTOFF[n]).sum().alias(str(n)) for n in (1, 3, 6, 12)],
            pl.col("last").is_null().sum().alias("never_ordered")).collect()

    def visits():
        p = purchases.group_by("customer_id").agg(pl.len().alias("n"), pl.col("total").sum().alias("spend"))
        g = pl.when(pl.col("n") == 1).then(pl.lit("1")).when(pl.col("n") == 2).then(pl.lit("2")).otherwise(pl.lit("3+"))
        return p.group_by(g.alias("g")).agg(pl.len(), pl.col("spend").sum()).collect()

    def cycle():
        g = (purchases.sort("customer_id", "created", "id")
             .with_columns((day("created") - day("created").shift(1).over("customer_id")).alias("gap"))
             .filter(pl.col("gap").is_not_null()))
        gap = pl.col("gap")
        bucket = (pl.when(gap <= 0).then(pl.lit("same_day")).when(gap == 1).then(pl.lit("1_day"))
                  .when(gap == 2).then(pl.lit("2_days")).when(gap < 7).then(pl.lit("3_6_days"))
                  .when(gap < 14).then(pl.lit("1_week")).when(gap < 30).then(pl.lit("2_weeks"))
                  .when(gap < 60).then(pl.lit("1_month")).when(gap < 90).then(pl.lit("2_months"))
                  .when(gap < 180).then(pl.lit("3_months")).when(gap < 365).then(pl.lit("6_months"))
                  .otherwise(pl.lit("1_year_plus")))
        return g.group_by(bucket.alias("bucket")).len().collect()

    def marketing():
        d = t["deals"].lazy()
        c1 = in_period("created")
        c2 = c1 & in_period("handed")
        c3 = c2 & in_period("opportunity")
        c4 = c3 & in_period("won")
        cohort = d.group_by("source").agg(
            c1.sum().alias("created"), c2.fill_null(False).sum().alias("handed_over"),
            c3.fill_null(False).sum().alias("opportunity"), c4.fill_null(False).sum().alias("won"),
            in_period("won").fill_null(False).sum().alias("won_deals"),
            pl.col("revenue").filter(in_period("won").fill_null(False)).sum().alias("revenue"))
        cost = (t["costs"].lazy().filter((pl.col("date") >= COST_FROM) & (pl.col("date") <= COST_TO))
                .group_by("source").agg(pl.col("amount").sum().alias("cost"), pl.lit(True).alias("has_cost")))
        j = cohort.join(cost, on="source", how="full", coalesce=True).fill_null(0)
        return (j.filter((pl.col("created") > 0) | (pl.col("won_deals") > 0) | (pl.col("has_cost") == True))  # noqa: E712
                .sort("source").collect())

    def social():
        i = t["interactions"].lazy().join(existing, on="customer_id")
        local = pl.col("at") + OFF
        return (i.filter((pl.col("direction") == "inbound") & pl.col("fanpage_id").is_not_null() & in_period("at"))
                .group_by(((local // DAY + 3) % 7).alias("weekday"), ((local % DAY) // 3600).alias("hour"))
                .len().collect())

    return {"new_customers_daily_by_source": daily, "dormant_1_3_6_12": dormant, "visit_groups": visits,
            "return_cycle": cycle, "marketing_by_source": marketing, "social_weekday_hour": social}


# ---------------------------------------------------------------------------- Agreement

def day_str(d):
    return str(EPOCH + dt.timedelta(days=int(d)))


def normalize(metric, rows, source):
    """Each peer's rows in the crate's value shape."""
    if metric == "new_customers_daily_by_source":
        return sorted([day_str(r[0]), r[1], int(r[2])] for r in rows)
    if metric == "dormant_1_3_6_12":
        r = rows[0]
        return {"1": int(r[0]), "3": int(r[1]), "6": int(r[2]), "12": int(r[3]), "never_ordered": int(r[4])}
    if metric == "visit_groups":
        return sorted([g, int(n), Decimal(str(s))] for g, n, s in rows)
    if metric == "return_cycle":
        counts = {b: int(n) for b, n in rows}
        return [[b, counts.get(b, 0)] for b in BUCKETS]
    if metric == "marketing_by_source":
        return [[s, int(c), int(h), int(o), int(w), int(wd), Decimal(str(rev)), Decimal(str(cost))]
                for s, c, h, o, w, wd, rev, cost, *_ in rows]
    if metric == "social_weekday_hour":
        grid = [[0] * 24 for _ in range(7)]
        for wd, hr, n in rows:
            grid[int(wd)][int(hr)] = int(n)
        return grid
    raise ValueError(metric)


def crate_value(metric, value):
    if metric == "new_customers_daily_by_source":
        return sorted(value)
    if metric == "visit_groups":
        return sorted([g, n, Decimal(s)] for g, n, s in value)
    if metric == "marketing_by_source":
        return [[r["source"], r["created"], r["handed_over"], r["opportunity"], r["won"], r["won_deals"],
                 Decimal(r["revenue"]), Decimal(r["cost"])] for r in value]
    return value


def check_marketing_ratios(crate_rows):
    """The crate's ratios against the definitions, recomputed here from its own counts."""
    for r in crate_rows:
        cost, revenue = Decimal(r["cost"]), Decimal(r["revenue"])
        expect = {
            "roi": (revenue - cost) / cost if cost else None,
            "opportunity_rate": Decimal(r["opportunity"]) / r["created"] if r["created"] else None,
            "order_rate": Decimal(r["won"]) / r["created"] if r["created"] else None,
            "cost_per_deal": cost / r["created"] if r["created"] else None,
            "cost_per_won": cost / r["won_deals"] if r["won_deals"] else None,
        }
        for k, v in expect.items():
            got = r[k]
            if (v is None) != (got is None) or (v is not None and abs(Decimal(got) - v) > Decimal("1e-20") * max(1, abs(v))):
                raise AssertionError(f"marketing {r['source']}.{k}: crate {got}, expected {v}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()
    data = os.path.join(ROOT, "target", "bench-data", f"peers-{a.customers}")
    subprocess.run(["cargo", "build", "--quiet", "--release", "--features", "parallel", "--example", "peers"],
                   cwd=ROOT, check=True)
    peers_bin = os.path.join(ROOT, "target", "release", "examples", "peers")
    if not os.path.exists(os.path.join(data, "interactions.csv")):
        subprocess.run([peers_bin, "gen", data, str(a.customers)], check=True)
    size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.endswith(".csv"))

    # The crate twice: on one core (RAYON_NUM_THREADS=1 keeps every fold sequential) and
    # with the `parallel` feature on every core, as DuckDB and Polars run.
    def crate_run(threads):
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        return json.loads(subprocess.run([peers_bin, "run", data, str(a.reps)], check=True, env=env,
                                         capture_output=True, text=True).stdout)
    cores = os.cpu_count() or 1
    crate = crate_run(1)
    crate_all = crate_run(cores)
    for metric, ours in crate["metrics"].items():
        if crate_all["metrics"][metric]["value"] != ours["value"]:
            sys.exit(f"{metric}: crm-metrics on {cores} cores differs from one core")
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count()}")
    t = time.perf_counter()
    duck_load(con, data)
    duck_load_s = time.perf_counter() - t
    t = time.perf_counter()
    frames = pl_load(data)
    pl_load_s = time.perf_counter() - t
    polars = pl_queries(frames)

    results = []
    for metric, sql in DUCK.items():
        ours = crate["metrics"][metric]
        d_ms, d_rows = timed(a.reps, lambda: con.execute(sql).fetchall())
        p_ms, p_df = timed(a.reps, polars[metric])
        want = crate_value(metric, ours["value"])
        got_d = normalize(metric, d_rows, "duckdb")
        got_p = normalize(metric, p_df.rows(), "polars")
        for name, got in (("duckdb", got_d), ("polars", got_p)):
            if got != want:
                sys.exit(f"{metric}: {name} disagrees with crm-metrics\n  crate: {str(want)[:400]}\n  {name}: {str(got)[:400]}")
        if metric == "marketing_by_source":
            check_marketing_ratios(ours["value"])
        results.append((metric, ours["median_ms"], crate_all["metrics"][metric]["median_ms"], d_ms, p_ms))

    print(f"\n{crate['customers']:,} customers, {crate['orders']:,} orders, {crate['order_lines']:,} order lines, "
          f"{crate['interactions']:,} interactions, {crate['deals']:,} deals; CSV {size / 1e6:,.0f} MB; "
          f"median of {a.reps} runs; all three agree on every value.")
    print(f"load (not timed below): crm-metrics {crate['load_ms'] / 1e3:.1f} s on one core, "
          f"{crate_all['load_ms'] / 1e3:.1f} s on {cores}; DuckDB {duck_load_s:.1f} s, Polars {pl_load_s:.1f} s; "
          f"crm-metrics full report (all sections) {crate['full_report_median_ms']:.1f} ms on one core, "
          f"{crate_all['full_report_median_ms']:.1f} ms on {cores}\n")
    print(f"| metric | crm-metrics, 1 core | crm-metrics, {cores} cores | DuckDB | Polars "
          f"| DuckDB / crm ({cores} cores; 1) | Polars / crm ({cores} cores; 1) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for metric, c1, c, d, p in results:
        print(f"| {metric} | {c1:.2f} ms | {c:.2f} ms | {d:.1f} ms | {p:.1f} ms "
              f"| {d / c:.0f}x ({d / c1:.0f}x) | {p / c:.0f}x ({p / c1:.0f}x) |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"crate": crate, "crate_all_cores": crate_all, "results": results, "csv_bytes": size}, f, indent=1)


if __name__ == "__main__":
    main()
