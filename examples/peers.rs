//! The crate's side of the peer comparison in `bench/peers/` (run by `bench/peers/run.sh`).
//!
//! ```text
//! peers gen DIR CUSTOMERS    write a clean generated CSV folder (seed 1)
//! peers run DIR REPS         time each headline metric REPS times; print JSON
//! ```
//! The headline metrics are computed by the library's public per-metric functions, for
//! `as_of` 2026-11-15T03:00:00Z, `+07:00`, period `this_month`; each is timed alone
//! (a full pass of its own, as a service calling just that metric would run it), and
//! the JSON carries every value so that the script can check DuckDB and Polars agree.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use crm_metrics::calendar::Preset;
use crm_metrics::sample::SampleOptions;
use crm_metrics::{DatasetBuilder, ReportOptions, customer_picture, customers, marketing, social};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", dir, n] => generate(dir, n),
        ["run", dir, reps] => run(dir, reps),
        _ => Err("usage: peers gen DIR CUSTOMERS | peers run DIR REPS".to_owned()),
    };
    if let Err(message) = result {
        eprintln!("peers: {message}");
        std::process::exit(2);
    }
}

fn generate(dir: &str, customers: &str) -> Result<(), String> {
    let n: usize = customers
        .parse()
        .map_err(|_| format!("{customers:?} is not a number"))?;
    let summary = SampleOptions::new(n)
        .seed(1)
        .write_csv(dir)
        .map_err(|e| e.to_string())?;
    eprintln!(
        "wrote {} rows, {} bytes to {dir}",
        summary.total_rows(),
        summary.total_bytes()
    );
    Ok(())
}

/// Runs `f` `reps` times; the median duration and the last value.
fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(reps);
    let mut value = None;
    for _ in 0..reps.max(1) {
        let started = Instant::now();
        value = Some(std::hint::black_box(f()));
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    // OK because reps.max(1) >= 1 iterations ran.
    (median, value.expect("at least one run"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn run(dir: &str, reps: &str) -> Result<(), String> {
    let reps: usize = reps
        .parse()
        .map_err(|_| format!("{reps:?} is not a number"))?;
    let started = Instant::now();
    let mut builder = DatasetBuilder::new();
    builder.read_csv_dir(dir).map_err(|e| e.to_string())?;
    let dataset = builder.build().map_err(|e| e.to_string())?;
    let load = started.elapsed();
    let options = ReportOptions::new(Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap())
        .period(Preset::ThisMonth);
    let context = options.resolve().map_err(|e| e.to_string())?;
    let ctx = &context;
    let d = &dataset;
    let mut metrics = serde_json::Map::new();

    let (t, daily) = time(reps, || customers::new_customers_daily(d, ctx));
    let value: Vec<Value> = daily
        .iter()
        .flat_map(|day| {
            day.by_source
                .non_zero()
                .map(move |(s, n)| json!([day.date.to_string(), s.name(), n]))
        })
        .collect();
    metrics.insert(
        "new_customers_daily_by_source".into(),
        json!({"median_ms": ms(t), "value": value}),
    );

    let (t, dormant) = time(reps, || customers::dormant(d, ctx));
    metrics.insert(
        "dormant_1_3_6_12".into(),
        json!({"median_ms": ms(t), "value": {"1": dormant.months_1, "3": dormant.months_3, "6": dormant.months_6,
            "12": dormant.months_12, "never_ordered": dormant.never_ordered}}),
    );

    let (t, groups) = time(reps, || customer_picture::visit_groups(d, ctx));
    let groups = groups.map_err(|e| e.to_string())?;
    let value: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!([
                serde_json::to_value(g.visits).unwrap_or_default(),
                g.customers,
                g.revenue.to_string()
            ])
        })
        .collect();
    metrics.insert(
        "visit_groups".into(),
        json!({"median_ms": ms(t), "value": value}),
    );

    let (t, cycle) = time(reps, || customer_picture::return_cycle(d, ctx));
    let value: Vec<Value> = cycle
        .iter()
        .map(|r| json!([serde_json::to_value(r.bucket).unwrap_or_default(), r.gaps]))
        .collect();
    metrics.insert(
        "return_cycle".into(),
        json!({"median_ms": ms(t), "value": value}),
    );

    let (t, section) = time(reps, || marketing::section(d, ctx));
    let section = section.map_err(|e| e.to_string())?;
    metrics.insert(
        "marketing_by_source".into(),
        json!({"median_ms": ms(t), "value": serde_json::to_value(&section.by_source).map_err(|e| e.to_string())?}),
    );

    let (t, grid) = time(reps, || social::interactions_by_weekday_hour(d, ctx));
    metrics.insert(
        "social_weekday_hour".into(),
        json!({"median_ms": ms(t), "value": grid}),
    );

    let (t, _) = time(reps, || crm_metrics::report(d, &options));
    let out = json!({
        "customers": dataset.customer_count(),
        "orders": dataset.order_count(),
        "order_lines": dataset.order_line_count(),
        "interactions": dataset.interaction_count(),
        "deals": dataset.deal_count(),
        "load_ms": ms(load),
        "full_report_median_ms": ms(t),
        "metrics": metrics,
    });
    println!("{out}");
    Ok(())
}
