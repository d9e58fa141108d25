//! `Dataset::apply` benches: 1,000 mixed changes (100 new customers with 200 orders, 100
//! order lines and 300 interactions; 100 replaced customers, 100 replaced orders, 100 replaced
//! deals) applied to a generated dataset of 10k and 100k customers, and 1M with
//! `CRM_BENCH_1M=1` (run it under `flock /tmp/bench.lock`). In the same group, for
//! comparison: building the base from structs (`apply/build/<n>`), applying
//! (`apply/changes/<n>`), and the full report after applying (`apply/report_applied/<n>`)
//! next to the report on the same final data freshly built (`apply/report_fresh/<n>`).
//! Data is generated once with a fixed seed, outside the timed loop; each apply runs
//! on a clone of the base made outside the timing.

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use crm_metrics::model::OrderStatus;
use crm_metrics::rust_decimal::Decimal;
use crm_metrics::sample::{SampleOptions, SampleRows};
use crm_metrics::{DatasetBuilder, ReportOptions, Table};

fn sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("CRM_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

/// The base rows (the first `customers` generated customers and everything of theirs)
/// and a batch of 1,000 changes, both as rows.
fn split(customers: usize) -> (SampleRows, SampleRows) {
    let extra = 100;
    let all = SampleOptions::new(customers + extra).seed(1).rows();
    let new_ids: std::collections::HashSet<&str> = all.customers[customers..]
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let mut base = all.clone();
    base.customers.truncate(customers);
    base.orders
        .retain(|o| !new_ids.contains(o.customer_id.as_str()));
    let base_orders: std::collections::HashSet<&str> =
        base.orders.iter().map(|o| o.id.as_str()).collect();
    base.order_lines
        .retain(|l| base_orders.contains(l.order_id.as_str()));
    base.interactions
        .retain(|i| !new_ids.contains(i.customer_id.as_str()));
    base.deals.retain(|d| {
        d.customer_id
            .as_deref()
            .is_none_or(|c| !new_ids.contains(c))
    });

    let mut changes = SampleRows {
        customers: all.customers[customers..].to_vec(),
        ..SampleRows::default()
    };
    let new_orders: Vec<_> = all
        .orders
        .iter()
        .filter(|o| new_ids.contains(o.customer_id.as_str()))
        .take(200)
        .cloned()
        .collect();
    let new_order_ids: std::collections::HashSet<&str> =
        new_orders.iter().map(|o| o.id.as_str()).collect();
    changes.order_lines = all
        .order_lines
        .iter()
        .filter(|l| new_order_ids.contains(l.order_id.as_str()))
        .take(100)
        .cloned()
        .collect();
    changes.interactions = all
        .interactions
        .iter()
        .filter(|i| new_ids.contains(i.customer_id.as_str()))
        .take(300)
        .cloned()
        .collect();
    changes.orders = new_orders;
    // Replacements spread over the whole dataset.
    let step = |n: usize| (n / 100).max(1);
    for c in base
        .customers
        .iter()
        .step_by(step(base.customers.len()))
        .take(100)
    {
        changes.customers.push(c.clone().phone("0909000000"));
    }
    for o in base
        .orders
        .iter()
        .step_by(step(base.orders.len()))
        .take(100)
    {
        let mut o = o.clone();
        o.status = OrderStatus::Completed;
        o.total += Decimal::ONE;
        changes.orders.push(o);
    }
    for d in base.deals.iter().step_by(step(base.deals.len())).take(100) {
        let mut d = d.clone();
        let hour = Duration::hours(1);
        if d.handed_over_at.is_none() {
            d.handed_over_at = Some(d.created_at + hour);
        } else if d.opportunity_at.is_none() {
            d.opportunity_at = d.handed_over_at.map(|t| t + hour);
        } else if d.won_at.is_none() {
            d.won_at = d.opportunity_at.map(|t| t + hour);
            d.revenue = Some(Decimal::from(1_000_000));
        } else {
            d.revenue = d.revenue.map(|r| r + Decimal::ONE);
        }
        changes.deals.push(d);
    }
    (base, changes)
}

fn apply(c: &mut Criterion) {
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let options = ReportOptions::new(as_of);
    let mut group = c.benchmark_group("apply");
    group.sample_size(10);
    for customers in sizes() {
        let (base_rows, changes) = split(customers);
        let base = base_rows.builder().build().unwrap();
        // Assert the answer before timing it: 1,000 rows, none rejected.
        let rows = changes.len();
        assert!((950..=1000).contains(&rows), "{rows} changes");
        let mut applied = base.clone();
        let summary = applied.apply(changes.builder()).unwrap();
        assert_eq!(summary.quality().rejections().len(), 0);
        assert_eq!(summary.table(Table::Customers).replaced, 100);
        // The same final data built at once.
        let mut fresh_builder = DatasetBuilder::new();
        final_rows(&base_rows, &changes).push_into(&mut fresh_builder);
        let fresh = fresh_builder.build().unwrap();
        assert_eq!(fresh.order_count(), applied.order_count());

        group.bench_with_input(
            BenchmarkId::new("build", customers),
            &base_rows,
            |b, rows| b.iter(|| rows.builder().build().unwrap()),
        );
        // The first batch after a build (or a clone) also grows every vector once,
        // paying for fresh memory; a dataset that took a batch before has headroom.
        group.bench_with_input(
            BenchmarkId::new("first_changes", customers),
            &changes,
            |b, changes| {
                b.iter_batched(
                    || (base.clone(), changes.builder()),
                    |(mut dataset, batch)| {
                        dataset.apply(batch).unwrap();
                        dataset
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        let mut warm = base.clone();
        warm.apply(warm_up(&base_rows)).unwrap();
        group.bench_with_input(
            BenchmarkId::new("changes", customers),
            &changes,
            |b, changes| {
                b.iter_batched(
                    || {
                        let mut dataset = base.clone();
                        dataset.apply(warm_up(&base_rows)).unwrap();
                        (dataset, changes.builder())
                    },
                    |(mut dataset, batch)| {
                        dataset.apply(batch).unwrap();
                        dataset
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_function(BenchmarkId::new("report_applied", customers), |b| {
            b.iter(|| crm_metrics::report(&applied, &options).unwrap())
        });
        group.bench_function(BenchmarkId::new("report_fresh", customers), |b| {
            b.iter(|| crm_metrics::report(&fresh, &options).unwrap())
        });
    }
    group.finish();
}

/// A small batch (one interaction, one order line, one deal and one cost) that makes
/// the dataset a dataset that has taken a batch before.
fn warm_up(base: &SampleRows) -> DatasetBuilder {
    let mut batch = DatasetBuilder::new();
    let mut interaction = base.interactions[0].clone();
    interaction.id = "WARM-UP".into();
    batch.push_interaction(&interaction);
    batch.push_order_line(&base.order_lines[0]);
    let mut deal = base.deals[0].clone();
    deal.id = "WARM-UP".into();
    batch.push_deal(&deal);
    batch.push_cost(&base.costs[0]);
    batch
}

/// The final data: the base with replacements in place, then the new rows.
fn final_rows(base: &SampleRows, changes: &SampleRows) -> SampleRows {
    let mut out = base.clone();
    fn upsert<T: Clone>(rows: &mut Vec<T>, new: &[T], id: impl Fn(&T) -> &str) {
        let mut at: std::collections::HashMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(p, r)| (id(r).to_owned(), p))
            .collect();
        for n in new {
            match at.get(id(n)) {
                Some(&p) => rows[p] = n.clone(),
                None => {
                    at.insert(id(n).to_owned(), rows.len());
                    rows.push(n.clone());
                }
            }
        }
    }
    upsert(&mut out.customers, &changes.customers, |c| &c.id);
    upsert(&mut out.orders, &changes.orders, |o| &o.id);
    upsert(&mut out.deals, &changes.deals, |d| &d.id);
    upsert(&mut out.interactions, &changes.interactions, |i| &i.id);
    out.order_lines.extend(changes.order_lines.iter().cloned());
    out
}

criterion_group!(benches, apply);
criterion_main!(benches);
