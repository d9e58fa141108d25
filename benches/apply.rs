//! `Dataset::apply` benches: 1,000 mixed changes (100 new customers with 200 orders, 100
//! order lines and 300 interactions; 100 replaced customers, 100 replaced orders, 100
//! replaced deals, spread over the whole dataset) applied to a generated dataset of 10k
//! and 100k customers, and 1M with `CRM_BENCH_1M=1` (run it under
//! `flock /tmp/bench.lock`). In the same group, for comparison: building the base
//! (`apply/build/<n>`: from structs, pushing the rows then building, at 10k and 100k;
//! `apply/build_staged/<n>`: from the rows already pushed into a builder, at every size),
//! applying (`apply/changes/<n>`, staging the batch's rows included), compacting the
//! dead rows that batch leaves (`apply/compact/<n>`), and the full report
//! after applying (`apply/report_applied/<n>`) next to the report on the same final data
//! freshly built (`apply/report_fresh/<n>`).
//!
//! The data is generated with a fixed seed outside the timed loops, streamed into the
//! base builder and the batch (the rows of the whole dataset are never held at once, so
//! that 1M stays under 4 GiB: the base's builder, one clone of it and the dataset built
//! from it at the peak); the final data for the fresh report is generated again and
//! built after the apply benches, and both reports are timed after both datasets exist.
//! Each apply runs on a clone of the base made outside the timing.

use std::collections::HashSet;

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use crm_metrics::model::{
    Campaign, Cost, Customer, Deal, Fanpage, Interaction, Order, OrderLine, OrderStatus, Staff,
};
use crm_metrics::rust_decimal::Decimal;
use crm_metrics::sample::{SampleOptions, SampleRows, SampleSink};
use crm_metrics::{DatasetBuilder, ReportOptions, Table};

fn sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("CRM_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

/// Splits the generated rows of `customers + 100` customers, as they stream, into the
/// base (the first `customers` customers and everything of theirs, pushed into `base`)
/// and a batch of about 1,000 changes (`changes`). With `fresh`, it instead pushes the
/// final data into `base`: the base rows with the replacements in their place, then the
/// batch's new rows at the end of each table (what building the final data at once
/// reads).
struct Splitter {
    base: DatasetBuilder,
    /// The base rows themselves, when asked for (to time a build from structs).
    rows: Option<SampleRows>,
    fresh: bool,
    customers: usize,
    seen_customers: usize,
    seen_orders: usize,
    seen_deals: usize,
    new_ids: HashSet<String>,
    new_order_ids: HashSet<String>,
    /// Where the lines of the current order go: 0 base, 1 the batch, 2 nowhere.
    line_target: u8,
    /// The batch's new rows and its replacements, by table.
    inserted: SampleRows,
    replaced: SampleRows,
    /// The first base row of each table (for the warm-up batch).
    first: SampleRows,
}

impl Splitter {
    fn new(customers: usize, fresh: bool, keep_rows: bool) -> Splitter {
        Splitter {
            base: DatasetBuilder::new(),
            rows: keep_rows.then(SampleRows::default),
            fresh,
            customers,
            seen_customers: 0,
            seen_orders: 0,
            seen_deals: 0,
            new_ids: HashSet::new(),
            new_order_ids: HashSet::new(),
            line_target: 0,
            inserted: SampleRows::default(),
            replaced: SampleRows::default(),
            first: SampleRows::default(),
        }
    }

    /// Whether the `i`-th base row of a table of about `len` rows is replaced: 100 of
    /// them, spread over the table.
    fn picked(i: usize, len: usize, taken: usize) -> bool {
        taken < 100 && i.is_multiple_of((len / 100).max(1))
    }

    /// The batch: new rows first, then replacements (as one batch of changes).
    fn changes(&self) -> SampleRows {
        let mut c = self.inserted.clone();
        c.customers.extend(self.replaced.customers.iter().cloned());
        c.orders.extend(self.replaced.orders.iter().cloned());
        c.deals.extend(self.replaced.deals.iter().cloned());
        c
    }

    /// In `fresh` mode, after generation: the new rows at the end of each table.
    fn finish(mut self) -> DatasetBuilder {
        if self.fresh {
            let inserted = std::mem::take(&mut self.inserted);
            inserted.push_into(&mut self.base);
        }
        self.base
    }
}

impl SampleSink for Splitter {
    fn customer(&mut self, row: &Customer) {
        let i = self.seen_customers;
        self.seen_customers += 1;
        if i >= self.customers {
            self.new_ids.insert(row.id.clone());
            self.inserted.customers.push(row.clone());
            return;
        }
        if Splitter::picked(i, self.customers, self.replaced.customers.len()) {
            let replacement = row.clone().phone("0909000000");
            self.replaced.customers.push(replacement.clone());
            if self.fresh {
                self.base.push_customer(&replacement);
                return;
            }
        }
        self.base.push_customer(row);
        if self.first.customers.is_empty() {
            self.first.customers.push(row.clone());
        }
        if let Some(rows) = &mut self.rows {
            rows.customers.push(row.clone());
        }
    }
    fn order(&mut self, row: &Order) {
        if self.new_ids.contains(&row.customer_id) {
            if self.inserted.orders.len() < 200 {
                self.new_order_ids.insert(row.id.clone());
                self.inserted.orders.push(row.clone());
                self.line_target = 1;
            } else {
                self.line_target = 2;
            }
            return;
        }
        self.line_target = 0;
        let i = self.seen_orders;
        self.seen_orders += 1;
        // About 2.9 orders per generated customer: a step that reaches 100 before the end.
        let estimate = self.customers * 25 / 10;
        if Splitter::picked(i, estimate, self.replaced.orders.len()) {
            let mut o = row.clone();
            o.status = OrderStatus::Completed;
            o.total += Decimal::ONE;
            self.replaced.orders.push(o.clone());
            if self.fresh {
                self.base.push_order(&o);
                return;
            }
        }
        self.base.push_order(row);
        if self.first.orders.is_empty() {
            self.first.orders.push(row.clone());
        }
        if let Some(rows) = &mut self.rows {
            rows.orders.push(row.clone());
        }
    }
    fn order_line(&mut self, row: &OrderLine) {
        match self.line_target {
            0 => {
                self.base.push_order_line(row);
                if self.first.order_lines.is_empty() {
                    self.first.order_lines.push(row.clone());
                }
                if let Some(rows) = &mut self.rows {
                    rows.order_lines.push(row.clone());
                }
            }
            1 if self.inserted.order_lines.len() < 100
                && self.new_order_ids.contains(&row.order_id) =>
            {
                self.inserted.order_lines.push(row.clone())
            }
            _ => {}
        }
    }
    fn deal(&mut self, row: &Deal) {
        if row
            .customer_id
            .as_deref()
            .is_some_and(|c| self.new_ids.contains(c))
        {
            return;
        }
        let i = self.seen_deals;
        self.seen_deals += 1;
        // About one deal per two generated customers: a step that reaches 100 before the end.
        if Splitter::picked(i, self.customers * 4 / 10, self.replaced.deals.len()) {
            let mut d = row.clone();
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
            self.replaced.deals.push(d.clone());
            if self.fresh {
                self.base.push_deal(&d);
                return;
            }
        }
        self.base.push_deal(row);
        if self.first.deals.is_empty() {
            self.first.deals.push(row.clone());
        }
        if let Some(rows) = &mut self.rows {
            rows.deals.push(row.clone());
        }
    }
    fn cost(&mut self, row: &Cost) {
        self.base.push_cost(row);
        if self.first.costs.is_empty() {
            self.first.costs.push(row.clone());
        }
        if let Some(rows) = &mut self.rows {
            rows.costs.push(row.clone());
        }
    }
    fn interaction(&mut self, row: &Interaction) {
        if self.new_ids.contains(&row.customer_id) {
            if self.inserted.interactions.len() < 300 {
                self.inserted.interactions.push(row.clone());
            }
            return;
        }
        self.base.push_interaction(row);
        if self.first.interactions.is_empty() {
            self.first.interactions.push(row.clone());
        }
        if let Some(rows) = &mut self.rows {
            rows.interactions.push(row.clone());
        }
    }
    fn campaign(&mut self, row: &Campaign) {
        self.base.push_campaign(row);
        if let Some(rows) = &mut self.rows {
            rows.campaigns.push(row.clone());
        }
    }
    fn staff(&mut self, row: &Staff) {
        self.base.push_staff(row);
        if let Some(rows) = &mut self.rows {
            rows.staff.push(row.clone());
        }
    }
    fn fanpage(&mut self, row: &Fanpage) {
        self.base.push_fanpage(row);
        if let Some(rows) = &mut self.rows {
            rows.fanpages.push(row.clone());
        }
    }
}

fn apply(c: &mut Criterion) {
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let options = ReportOptions::new(as_of);
    let mut group = c.benchmark_group("apply");
    group.sample_size(10);
    for customers in sizes() {
        let sample = SampleOptions::new(customers + 100).seed(1);
        let mut split = Splitter::new(customers, false, customers <= 100_000);
        sample.generate(&mut split);
        let changes = split.changes();
        let warm = warm_up(&split.first);
        let rows = split.rows.take();
        let staged = split.finish();
        // Assert the answer before timing it: 1,000 rows, none rejected.
        let count = changes.len();
        assert!((950..=1000).contains(&count), "{count} changes");

        if let Some(rows) = &rows {
            group.bench_with_input(BenchmarkId::new("build", customers), rows, |b, rows| {
                b.iter(|| rows.builder().build().unwrap())
            });
        }
        drop(rows);
        group.bench_with_input(
            BenchmarkId::new("build_staged", customers),
            &staged,
            |b, staged| {
                b.iter_batched(
                    || staged.clone(),
                    |builder| builder.build().unwrap(),
                    BatchSize::LargeInput,
                )
            },
        );
        let mut base = staged.build().unwrap();
        // The first batch after a build (or a clone) also grows every vector once,
        // paying for fresh memory; a dataset that took a batch before has headroom.
        group.bench_with_input(
            BenchmarkId::new("first_changes", customers),
            &changes,
            |b, changes| {
                b.iter_batched(
                    || base.clone(),
                    |mut dataset| {
                        dataset.apply(changes.builder()).unwrap();
                        dataset
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("changes", customers),
            &changes,
            |b, changes| {
                b.iter_batched(
                    || {
                        let mut dataset = base.clone();
                        dataset.apply(warm.clone()).unwrap();
                        dataset
                    },
                    |mut dataset| {
                        dataset.apply(changes.builder()).unwrap();
                        dataset
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        // Compacting what that batch leaves: the old runs of the customers whose orders
        // or interactions it rebuilt are dead rows spread over the tables, so nearly
        // every live run moves down once (what `apply` pays about once in a thousand
        // such batches, when a table's dead rows pass an eighth of its live ones).
        group.bench_with_input(
            BenchmarkId::new("compact", customers),
            &changes,
            |b, changes| {
                b.iter_batched(
                    || {
                        let mut dataset = base.clone();
                        dataset.apply(changes.builder()).unwrap();
                        dataset
                    },
                    |mut dataset| {
                        dataset.compact();
                        dataset
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        let summary = base.apply(changes.builder()).unwrap();
        assert_eq!(summary.quality().rejections().len(), 0);
        assert_eq!(summary.table(Table::Customers).replaced, 100);
        assert_eq!(summary.table(Table::Orders).replaced, 100);
        assert_eq!(summary.table(Table::Deals).replaced, 100);
        let applied = base;
        // The same final data, built at once (before timing either report, so that both
        // run in the same state of the process).
        let mut final_split = Splitter::new(customers, true, false);
        sample.generate(&mut final_split);
        let fresh = final_split.finish().build().unwrap();
        assert_eq!(fresh.order_count(), applied.order_count());
        // Alike but for data quality (which counts the replaced rows twice: read in the
        // build and again in the batch).
        let report_applied = crm_metrics::report(&applied, &options).unwrap();
        let mut report_fresh = crm_metrics::report(&fresh, &options).unwrap();
        report_fresh.data_quality = report_applied.data_quality.clone();
        assert_eq!(
            report_fresh, report_applied,
            "the applied and the fresh dataset report alike"
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

/// A small batch (a new customer with an order, an interaction, an order line, a deal
/// and a cost) that makes the dataset a dataset that has taken a batch before: every
/// vector a batch rewrites has grown once (with headroom).
fn warm_up(first: &SampleRows) -> DatasetBuilder {
    let mut batch = DatasetBuilder::new();
    let mut customer = first.customers[0].clone();
    customer.id = "WARM-UP".into();
    batch.push_customer(&customer);
    let mut order = first.orders[0].clone();
    order.id = "WARM-UP".into();
    order.customer_id = "WARM-UP".into();
    batch.push_order(&order);
    let mut interaction = first.interactions[0].clone();
    interaction.id = "WARM-UP".into();
    batch.push_interaction(&interaction);
    batch.push_order_line(&first.order_lines[0]);
    let mut deal = first.deals[0].clone();
    deal.id = "WARM-UP".into();
    batch.push_deal(&deal);
    batch.push_cost(&first.costs[0]);
    batch
}

criterion_group!(benches, apply);
criterion_main!(benches);
