//! Report benches: each section, and the full report, on generated datasets of 10k and
//! 100k customers (and 1M with `CRM_BENCH_1M=1`; `CRM_BENCH_SIZES=1000000` for 1M
//! alone), built once outside the timed loop.
//!
//! Names follow `report/<section>/<customers>`. Run one with
//! `cargo bench --bench report -- report/customers`. `CRM_BENCH_AB=<rounds>` times the
//! full report with and without lifecycle, cohorts and RFM alternately instead.

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use crm_metrics::calendar::Preset;
use crm_metrics::fold::Fold;
use crm_metrics::sample::SampleOptions;
use crm_metrics::{Dataset, ReportOptions};

/// Customer counts to measure: 10k and 100k, plus 1M when `CRM_BENCH_1M` is set;
/// `CRM_BENCH_SIZES=<n>,<n>...` names them instead (e.g. `1000000` alone).
fn sizes() -> Vec<usize> {
    if let Ok(list) = std::env::var("CRM_BENCH_SIZES") {
        return list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
    }
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("CRM_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

/// The generated dataset of `customers` customers (seed 1), built once per size.
fn dataset(customers: usize) -> &'static Dataset {
    static CACHE: OnceLock<std::sync::Mutex<Vec<(usize, &'static Dataset)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    if let Some((_, d)) = cache.iter().find(|(n, _)| *n == customers) {
        return d;
    }
    let d: &'static Dataset = Box::leak(Box::new(
        SampleOptions::new(customers).seed(1).dataset().unwrap(),
    ));
    cache.push((customers, d));
    d
}

/// The options every bench uses: as_of 2026-11-15T03:00Z, +07:00, this_month.
fn options() -> ReportOptions {
    ReportOptions::new(Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap())
        .period(Preset::ThisMonth)
}

/// Runs `f` on every size under `report/<name>/<customers>`.
fn bench_section<T>(c: &mut Criterion, name: &str, f: impl Fn(&Dataset, &ReportOptions) -> T) {
    let mut group = c.benchmark_group(format!("report/{name}"));
    group.sample_size(20);
    for customers in sizes() {
        let data = dataset(customers);
        let opts = options();
        group.throughput(Throughput::Elements(customers as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(customers),
            &customers,
            |b, _| b.iter(|| f(data, &opts)),
        );
    }
    group.finish();
}

fn full_report(c: &mut Criterion) {
    bench_section(c, "full", |d, o| crm_metrics::report(d, o).unwrap());
}

/// `report/full_with_without/{with,without}/<customers>`: the full report with the
/// lifecycle, cohorts and RFM sections and without them (`report::without_beyond`),
/// side by side in one group, each size measured with then without. The purchase-day
/// facts of the zone are computed before timing (as by any earlier report in the zone).
fn full_with_without(c: &mut Criterion) {
    let mut group = c.benchmark_group("report/full_with_without");
    group.sample_size(10);
    for customers in sizes() {
        let data = dataset(customers);
        let opts = options();
        let full = crm_metrics::report(data, &opts).unwrap();
        let five = crm_metrics::report::without_beyond(data, &opts).unwrap();
        assert_eq!(
            (&full.customers, &full.social),
            (&five.customers, &five.social)
        );
        group.throughput(Throughput::Elements(customers as u64));
        group.bench_with_input(BenchmarkId::new("with", customers), &customers, |b, _| {
            b.iter(|| crm_metrics::report(data, &opts).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("without", customers),
            &customers,
            |b, _| b.iter(|| crm_metrics::report::without_beyond(data, &opts).unwrap()),
        );
    }
    group.finish();
}

fn customers(c: &mut Criterion) {
    // Assert the answer before timing it.
    let data = dataset(10_000);
    let context = options().resolve().unwrap();
    let section = crm_metrics::customers::section(data, &context).unwrap();
    assert_eq!(
        section.total_customers,
        data.customers_at(context.as_of).len() as u64
    );
    bench_section(c, "customers", |d, o| {
        let context = o.resolve().unwrap();
        crm_metrics::customers::section(d, &context).unwrap()
    });
}

fn customer_picture(c: &mut Criterion) {
    let data = dataset(10_000);
    let context = options().resolve().unwrap();
    let section = crm_metrics::customer_picture::section(data, &context).unwrap();
    let levels: u64 = section.spend_levels.iter().map(|row| row.customers).sum();
    assert_eq!(levels, section.total_customers);
    bench_section(c, "customer_picture", |d, o| {
        let context = o.resolve().unwrap();
        crm_metrics::customer_picture::section(d, &context).unwrap()
    });
}

fn marketing(c: &mut Criterion) {
    use crm_metrics::marketing;
    // Check the answer before timing it: the indexed section equals folding every deal
    // and cost into one partial state (the naive scan).
    for customers in sizes() {
        let data = dataset(customers);
        let context = options().resolve().unwrap();
        let scope = marketing::Scope::new(data, &context);
        let section = scope.section().unwrap();
        let mut scan = marketing::Partial::with_context(&context);
        scan.add_deals(data, 0..data.deal_count());
        scan.add_costs(data, 0..data.cost_count());
        assert_eq!(scan.finish().unwrap(), section);
        assert!(section.funnel.created > 0 && section.won_deals > 0);
    }
    bench_section(c, "marketing", |d, o| {
        marketing::section(d, &o.resolve().unwrap()).unwrap()
    });
    // The same answer by scanning every deal and cost: what the indexes save.
    bench_section(c, "marketing_scan", |d, o| {
        let context = o.resolve().unwrap();
        let mut scan = marketing::Partial::with_context(&context);
        scan.add_deals(d, 0..d.deal_count());
        scan.add_costs(d, 0..d.cost_count());
        scan.finish().unwrap()
    });
}

/// `report/social/<customers>`: the social section (SPEC §7), context resolved outside
/// the timed loop. The answer is checked once per size before timing.
fn social(c: &mut Criterion) {
    let context = options().resolve().unwrap();
    for customers in sizes() {
        let s = crm_metrics::social::section(dataset(customers), &context).unwrap();
        let daily: u64 = s.reach_daily.iter().map(|d| d.count).sum();
        assert_eq!(daily, s.reached.current);
        assert!(s.funnel.reached >= s.funnel.cared && s.funnel.cared >= s.funnel.ordered);
        assert!(s.reached.current > 0 && !s.top_staff.is_empty());
    }
    bench_section(c, "social", |d, _| {
        crm_metrics::social::section(d, &context).unwrap()
    });
}

/// `report/profile/<customers>`: one profile look-up (SPEC §4) by id, of a customer in
/// the middle of the existing ones. Its cost should not grow with the dataset: it reads
/// that customer's runs and binary-searches the engagement index.
fn profile(c: &mut Criterion) {
    let context = options().resolve().unwrap();
    let mut group = c.benchmark_group("report/profile");
    for customers in sizes() {
        let data = dataset(customers);
        let existing = data.customers_at(context.as_of).len();
        let idx = data.customer_indices().nth(existing / 2).unwrap();
        let id = data.customer(idx).unwrap().id;
        let p = crm_metrics::profile::section(data, &context, &id).unwrap();
        assert_eq!(p.customer.id, id);
        assert_eq!(p.purchase_history.len() as u64, p.total_orders);
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(
            BenchmarkId::from_parameter(customers),
            &customers,
            |b, _| b.iter(|| crm_metrics::profile::section(data, &context, &id).unwrap()),
        );
    }
    group.finish();
}

/// `report/{lifecycle,cohorts,rfm}/<customers>`: each new section alone (a pass of its
/// own), `report/lifecycle_cohorts_rfm/<customers>`: the three in the report's shared
/// pass, and `report/rfm_summary/<customers>`: the scored per-purchaser rows.
/// The report computes them in its customers pass: `report/full_with_without` compares.
fn beyond(c: &mut Criterion) {
    use crm_metrics::{cohorts, lifecycle, rfm};
    let data = dataset(10_000);
    let o = options();
    let (l, co, r) = crm_metrics::report::lifecycle_cohorts_rfm(data, &o).unwrap();
    assert_eq!(l, lifecycle::section(data, &o).unwrap());
    assert_eq!(co, cohorts::section(data, &o).unwrap());
    assert_eq!(r, rfm::section(data, &o).unwrap());
    assert!(r.customers > 0 && l.active > 0);
    bench_section(c, "lifecycle", |d, o| lifecycle::section(d, o).unwrap());
    bench_section(c, "cohorts", |d, o| cohorts::section(d, o).unwrap());
    bench_section(c, "rfm", |d, o| rfm::section(d, o).unwrap());
    bench_section(c, "lifecycle_cohorts_rfm", |d, o| {
        crm_metrics::report::lifecycle_cohorts_rfm(d, o).unwrap()
    });
    bench_section(c, "rfm_summary", |d, o| rfm::summary(d, o).unwrap());
}

/// The time this thread has run on a CPU, in ns (Linux: `/proc/thread-self/schedstat`),
/// `None` elsewhere.
fn on_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// `CRM_BENCH_AB=<rounds>`: instead of criterion, the full report with and without the
/// lifecycle, cohorts and RFM sections timed alternately in one process (the order
/// flips every round), for each size of [`sizes`], printing the medians and their
/// ratio, of the wall time and (on Linux) of the time on a CPU. On a shared machine,
/// load that comes and goes then hits both alike, which a criterion group (all samples
/// of one, then all of the other) cannot promise; the time on a CPU leaves out the
/// time the thread waited for one.
fn alternating(rounds: usize) {
    use std::time::Instant;
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for customers in sizes() {
        let data = dataset(customers);
        let opts = options();
        // Warm up both (and the zone's purchase-day facts).
        crm_metrics::report(data, &opts).unwrap();
        crm_metrics::report::without_beyond(data, &opts).unwrap();
        // [wall, on CPU] of with, of without, and their ratios.
        let mut times: [[Vec<f64>; 2]; 3] = Default::default();
        for round in 0..rounds {
            let time = |full: bool| {
                let (start, cpu) = (Instant::now(), on_cpu_ns());
                if full {
                    std::hint::black_box(crm_metrics::report(data, &opts).unwrap());
                } else {
                    std::hint::black_box(crm_metrics::report::without_beyond(data, &opts).unwrap());
                }
                let wall = start.elapsed().as_secs_f64() * 1e3;
                let cpu = match (cpu, on_cpu_ns()) {
                    (Some(a), Some(b)) => (b - a) as f64 / 1e6,
                    _ => wall,
                };
                [wall, cpu]
            };
            let (a, b) = if round % 2 == 0 {
                let a = time(true);
                (a, time(false))
            } else {
                let b = time(false);
                (time(true), b)
            };
            for k in 0..2 {
                times[0][k].push(a[k]);
                times[1][k].push(b[k]);
                times[2][k].push(a[k] / b[k]);
            }
        }
        for (k, what) in ["wall", "on CPU"].iter().enumerate() {
            let (w, wo) = (median(&mut times[0][k]), median(&mut times[1][k]));
            println!(
                "alternating {customers} ({what}): with {w:.2} ms, without {wo:.2} ms \
                 (medians of {rounds}), ratio of medians {:.3}, median ratio {:.3}",
                w / wo,
                median(&mut times[2][k])
            );
        }
    }
}

criterion_group!(
    benches,
    full_report,
    full_with_without,
    beyond,
    customers,
    customer_picture,
    marketing,
    social,
    profile
);
/// `CRM_BENCH_PROFILE=with|without` (with `CRM_BENCH_AB=<rounds>`): only that variant,
/// `rounds` times, for a profiler to sample one side at a time.
fn profile_one(rounds: usize, with: bool) {
    for customers in sizes() {
        let data = dataset(customers);
        let opts = options();
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            if with {
                std::hint::black_box(crm_metrics::report(data, &opts).unwrap());
            } else {
                std::hint::black_box(crm_metrics::report::without_beyond(data, &opts).unwrap());
            }
        }
        let each = start.elapsed().as_secs_f64() * 1e3 / rounds as f64;
        println!("profile {customers} (with: {with}): {each:.2} ms per report (mean of {rounds})");
    }
}

fn main() {
    if let (Some(rounds), Ok(which)) = (
        std::env::var("CRM_BENCH_AB")
            .ok()
            .and_then(|r| r.parse().ok()),
        std::env::var("CRM_BENCH_PROFILE"),
    ) {
        profile_one(rounds, which == "with");
        return;
    }
    if let Some(rounds) = std::env::var("CRM_BENCH_AB")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        alternating(rounds);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
