"""Checks `rfm::summary` (the dashboard's --rfm-out) against the `lifetimes` library's
`summary_data_from_transaction_data(..., freq="D")`, row for row: frequency, recency and
T exactly, monetary_value to 1e-9 relative.

  check.py DATA_DIR RFM_CSV [--as-of 2026-11-15T03:00:00+00:00] [--offset-hours 7]

The purchase log is read straight from DATA_DIR's CSV files (a clean generated folder):
completed orders up to as_of of customers created up to as_of, dated by their local date
at the fixed offset. Exit 0 when every row matches."""
import argparse
import csv
import datetime as dt
import json
import os
import sys

import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("rfm_csv")
    ap.add_argument("--as-of", default="2026-11-15T03:00:00+00:00")
    ap.add_argument("--offset-hours", type=int, default=7)
    a = ap.parse_args()
    as_of = dt.datetime.fromisoformat(a.as_of)
    zone = dt.timezone(dt.timedelta(hours=a.offset_hours))
    today = as_of.astimezone(zone).date()

    def instant(text):
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    with open(os.path.join(a.data_dir, "customers.csv"), newline="", encoding="utf-8") as f:
        existing = {r["id"] for r in csv.DictReader(f) if instant(r["created_at"]) <= as_of}
    log = []
    with open(os.path.join(a.data_dir, "orders.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            at = instant(r["created_at"])
            if r["status"] == "completed" and at <= as_of and r["customer_id"] in existing:
                log.append((r["customer_id"], at.astimezone(zone).date().isoformat(), float(r["total"])))
    df = pd.DataFrame(log, columns=["customer_id", "date", "total"])
    theirs = summary_data_from_transaction_data(
        df, "customer_id", "date", monetary_value_col="total",
        observation_period_end=today.isoformat(), freq="D")

    ours = {}
    with open(a.rfm_csv, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            ours[r["customer_id"]] = r
    mismatches = []
    if set(ours) != set(theirs.index):
        mismatches.append(f"customers differ: {len(set(ours) ^ set(theirs.index))} in one list only")
    for cid, row in theirs.iterrows():
        o = ours.get(cid)
        if o is None:
            continue
        for ours_key, their_key in [("frequency", "frequency"), ("recency", "recency"), ("t", "T")]:
            if int(o[ours_key]) != row[their_key]:
                mismatches.append(f"{cid} {ours_key}: ours {o[ours_key]} lifetimes {row[their_key]}")
        mv, theirs_mv = float(o["monetary_value"]), float(row["monetary_value"])
        if abs(mv - theirs_mv) > 1e-9 * max(abs(mv), abs(theirs_mv)):
            mismatches.append(f"{cid} monetary_value: ours {o['monetary_value']} lifetimes {theirs_mv!r}")
    result = {"purchases": len(log), "rows_compared": int(len(theirs)), "mismatches": len(mismatches)}
    print(json.dumps(result))
    for m in mismatches[:20]:
        print("  " + m)
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
