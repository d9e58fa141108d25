//! `Dataset::apply`: building a base and applying a batch of changes gives the report of
//! the final data built at once, section by section; data quality accumulates; an empty
//! batch changes nothing.
//!
//! **Final data**, precisely: the base's rows in their order, each row whose id a valid
//! change row names replaced *in place* by that change row (the later row wins), then the
//! change rows with new ids (and every valid order line and cost of the changes) in the
//! changes' order. Invalid change rows are left out of it: a rejected replacement leaves
//! the base row as it was.

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_metrics::calendar::Preset;
use crm_metrics::model::{
    Customer, Deal, Interaction, InteractionKind, Order, OrderLine, OrderStatus,
};
use crm_metrics::rust_decimal::Decimal;
use crm_metrics::sample::{SampleOptions, SampleRows};
use crm_metrics::{Dataset, DatasetBuilder, Reason, ReportOptions, Table};
use proptest::prelude::*;
use serde_json::Value;

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap()
}

/// SplitMix64, for the split's choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A split of generated rows: the base, the changes (valid ones first, then the bad
/// rows), the final data, and how many bad rows of each reason the changes hold.
struct Split {
    base: SampleRows,
    changes: SampleRows,
    final_rows: SampleRows,
    bad: Vec<(Table, Reason)>,
    /// A customer the changes replace (for the profile section), if any.
    replaced_customer: Option<String>,
}

/// Replaces `old` by `new` in place in `rows` (by id), or appends `new`.
fn upsert<T: Clone>(rows: &mut Vec<T>, new: &T, id: impl Fn(&T) -> &str) {
    match rows.iter().position(|r| id(r) == id(new)) {
        Some(p) => rows[p] = new.clone(),
        None => rows.push(new.clone()),
    }
}

fn split(all: &SampleRows, seed: u64, bad_rows: bool) -> Split {
    let mut rng = Rng(seed);
    let mut base = SampleRows::default();
    let mut changes = SampleRows::default();
    // Customers new in the changes take their orders, lines, deals and interactions
    // along; so do orders new in the changes their lines.
    let new_customer: Vec<bool> = all.customers.iter().map(|_| rng.chance(0.15)).collect();
    let is_new_customer = |id: &str| {
        all.customers
            .iter()
            .position(|c| c.id == id)
            .is_some_and(|p| new_customer[p])
    };
    for (c, &new) in all.customers.iter().zip(&new_customer) {
        if new { &mut changes } else { &mut base }
            .customers
            .push(c.clone());
    }
    let mut new_orders = std::collections::HashSet::new();
    for o in &all.orders {
        let new = is_new_customer(&o.customer_id) || rng.chance(0.1);
        if new {
            new_orders.insert(o.id.clone());
        }
        if new { &mut changes } else { &mut base }
            .orders
            .push(o.clone());
    }
    for l in &all.order_lines {
        let new = new_orders.contains(&l.order_id) || rng.chance(0.05);
        if new { &mut changes } else { &mut base }
            .order_lines
            .push(l.clone());
    }
    for d in &all.deals {
        let new = d.customer_id.as_deref().is_some_and(is_new_customer) || rng.chance(0.1);
        if new { &mut changes } else { &mut base }
            .deals
            .push(d.clone());
    }
    for c in &all.costs {
        if rng.chance(0.1) {
            &mut changes
        } else {
            &mut base
        }
        .costs
        .push(c.clone());
    }
    for i in &all.interactions {
        let new = is_new_customer(&i.customer_id) || rng.chance(0.1);
        if new { &mut changes } else { &mut base }
            .interactions
            .push(i.clone());
    }
    for c in &all.campaigns {
        if rng.chance(0.2) {
            &mut changes
        } else {
            &mut base
        }
        .campaigns
        .push(c.clone());
    }
    for s in &all.staff {
        if rng.chance(0.2) {
            &mut changes
        } else {
            &mut base
        }
        .staff
        .push(s.clone());
    }
    for f in &all.fanpages {
        if rng.chance(0.2) {
            &mut changes
        } else {
            &mut base
        }
        .fanpages
        .push(f.clone());
    }

    // Replacements of base rows (valid), appended to the changes in random places.
    let mut final_rows = base.clone();
    let customer_ids: Vec<String> = all.customers.iter().map(|c| c.id.clone()).collect();
    let mut replaced_customer = None;
    for c in base.customers.clone() {
        if !rng.chance(0.1) {
            continue;
        }
        let mut new = c.clone().phone(format!("09{}", rng.below(1_000_000)));
        if rng.chance(0.5) {
            // A new created_at moves the customer in (created_at, input order).
            let days = rng.below(400) as i64 - 200;
            new.created_at = c.created_at + Duration::days(days);
        }
        if rng.chance(0.3) {
            new.name = Some("Renamed".into());
        }
        replaced_customer.get_or_insert_with(|| c.id.clone());
        changes.customers.push(new.clone());
        upsert(&mut final_rows.customers, &new, |c: &Customer| &c.id);
    }
    for o in base.orders.clone() {
        if !rng.chance(0.08) {
            continue;
        }
        let mut new = o.clone();
        match rng.below(4) {
            0 => new.status = OrderStatus::Completed,
            1 => new.total = o.total + Decimal::from(1000),
            2 => new.customer_id = customer_ids[rng.below(customer_ids.len())].clone(),
            _ => new.created_at = o.created_at - Duration::hours(rng.below(2000) as i64),
        }
        changes.orders.push(new.clone());
        upsert(&mut final_rows.orders, &new, |o: &Order| &o.id);
    }
    for d in base.deals.clone() {
        if !rng.chance(0.1) {
            continue;
        }
        let mut new = d.clone();
        let hour = Duration::hours(1);
        if new.handed_over_at.is_none() {
            new.handed_over_at = Some(d.created_at + hour);
        } else if new.opportunity_at.is_none() {
            new.opportunity_at = new.handed_over_at.map(|t| t + hour);
        } else if new.won_at.is_none() {
            new.won_at = new.opportunity_at.map(|t| t + hour);
            new.revenue = Some(Decimal::from(5_000_000));
        } else {
            new.created_at = d.created_at - Duration::days(3);
        }
        changes.deals.push(new.clone());
        upsert(&mut final_rows.deals, &new, |d: &Deal| &d.id);
    }
    for i in base.interactions.clone() {
        if !rng.chance(0.05) {
            continue;
        }
        let mut new = i.clone();
        match rng.below(3) {
            0 => new.at = i.at + Duration::minutes(rng.below(5000) as i64),
            1 => new.kind = InteractionKind::Comment,
            _ => new.customer_id = customer_ids[rng.below(customer_ids.len())].clone(),
        }
        changes.interactions.push(new.clone());
        upsert(&mut final_rows.interactions, &new, |i: &Interaction| &i.id);
    }
    for mut s in base.staff.clone() {
        if rng.chance(0.2) {
            s.name = format!("{} (renamed)", s.name);
            changes.staff.push(s.clone());
            upsert(&mut final_rows.staff, &s, |s| &s.id);
        }
    }
    for mut f in base.fanpages.clone() {
        if rng.chance(0.3) {
            f.activated = !f.activated;
            f.linked_accounts += 1;
            changes.fanpages.push(f.clone());
            upsert(&mut final_rows.fanpages, &f, |f| &f.id);
        }
    }
    // The new rows of the changes, in the changes' order. The replacements were pushed
    // after them; the order of the two kinds within a table does not matter to the final
    // data (a replacement keeps the base row's place).
    for c in &changes.customers {
        if !base.customers.iter().any(|b| b.id == c.id) {
            final_rows.customers.push(c.clone());
        }
    }
    for o in &changes.orders {
        if !base.orders.iter().any(|b| b.id == o.id) {
            final_rows.orders.push(o.clone());
        }
    }
    final_rows
        .order_lines
        .extend(changes.order_lines.iter().cloned());
    for d in &changes.deals {
        if !base.deals.iter().any(|b| b.id == d.id) {
            final_rows.deals.push(d.clone());
        }
    }
    final_rows.costs.extend(changes.costs.iter().cloned());
    for i in &changes.interactions {
        if !base.interactions.iter().any(|b| b.id == i.id) {
            final_rows.interactions.push(i.clone());
        }
    }
    for (from, to) in [(&changes.campaigns, &mut final_rows.campaigns)] {
        for c in from {
            if !base.campaigns.iter().any(|b| b.id == c.id) {
                to.push(c.clone());
            }
        }
    }
    for s in &changes.staff {
        if !base.staff.iter().any(|b| b.id == s.id) {
            final_rows.staff.push(s.clone());
        }
    }
    for f in &changes.fanpages {
        if !base.fanpages.iter().any(|b| b.id == f.id) {
            final_rows.fanpages.push(f.clone());
        }
    }

    // Bad rows, left out of the final data.
    let mut bad = Vec::new();
    if bad_rows && !base.orders.is_empty() && !base.customers.is_empty() {
        let at = as_of() - Duration::days(3);
        let customer = base.customers[0].id.clone();
        let total = Decimal::from(100);
        changes.orders.push(Order::new(
            "BAD-O1",
            &customer,
            at,
            OrderStatus::Completed,
            -total,
        ));
        bad.push((Table::Orders, Reason::NegativeAmount));
        // A rejected replacement: the base order stays.
        let mut negative = base.orders[rng.below(base.orders.len())].clone();
        if !changes.orders.iter().any(|o| o.id == negative.id) {
            negative.total = -total;
            changes.orders.push(negative);
            bad.push((Table::Orders, Reason::NegativeAmount));
        }
        changes.orders.push(Order::new(
            "BAD-O2",
            "KH-NOPE",
            at,
            OrderStatus::Completed,
            total,
        ));
        bad.push((Table::Orders, Reason::UnknownCustomer));
        changes
            .order_lines
            .push(OrderLine::new("DH-NOPE", "SP1", 1, total));
        bad.push((Table::OrderLines, Reason::UnknownOrder));
        changes
            .order_lines
            .push(OrderLine::new("BAD-O1", "SP1", 1, total));
        bad.push((Table::OrderLines, Reason::UnknownOrder));
        if let Some(first_new) = changes.orders.iter().find(|o| new_orders.contains(&o.id)) {
            let mut duplicate = first_new.clone();
            duplicate.total = Decimal::from(123_456);
            changes.orders.push(duplicate);
            bad.push((Table::Orders, Reason::DuplicateId));
        }
        if let Some(d) = base.deals.iter().find(|d| d.won_at.is_none())
            && !changes.deals.iter().any(|c| c.id == d.id)
        {
            {
                let mut skipped = d.clone();
                skipped.handed_over_at = None;
                skipped.opportunity_at = None;
                skipped.won_at = Some(d.created_at + Duration::hours(5));
                skipped.revenue = Some(total);
                changes.deals.push(skipped);
                bad.push((Table::Deals, Reason::StageSkipped));
            }
        }
        let mut stray = all.interactions[0].clone();
        stray.id = "TT-BAD".into();
        stray.customer_id = "KH-NOPE".into();
        changes.interactions.push(stray);
        bad.push((Table::Interactions, Reason::UnknownCustomer));
        changes
            .customers
            .push(Customer::new("", at, base.customers[0].source));
        bad.push((Table::Customers, Reason::ParseError));
    }
    Split {
        base,
        changes,
        final_rows,
        bad,
        replaced_customer,
    }
}

fn build(rows: &SampleRows) -> Dataset {
    rows.builder().build().unwrap()
}

/// The report's sections but data quality, as JSON.
fn sections(dataset: &Dataset, options: &ReportOptions) -> Vec<(String, Value)> {
    let report = match crm_metrics::report(dataset, options) {
        Ok(report) => report,
        // e.g. a profile of a customer created after as_of: the error is compared
        Err(error) => return vec![("error".into(), Value::String(error.to_string()))],
    };
    let Value::Object(map) = serde_json::to_value(&report).unwrap() else {
        panic!("a report is an object");
    };
    map.into_iter()
        .filter(|(key, _)| key != "data_quality")
        .collect()
}

fn options(split: &Split) -> Vec<ReportOptions> {
    let mut all = vec![
        ReportOptions::new(as_of()),
        ReportOptions::new(as_of()).period(Preset::ThisYear),
    ];
    if let Some(id) = &split.replaced_customer {
        all.push(
            ReportOptions::new(as_of())
                .period(Preset::Last90Days)
                .customer(id.clone()),
        );
    }
    all
}

fn check_split(customers: usize, seed: u64, bad_rows: bool) {
    let all = SampleOptions::new(customers)
        .seed(seed)
        .as_of(as_of())
        .rows();
    let split = split(&all, seed ^ 0xa991, bad_rows);
    let mut applied = build(&split.base);
    let base_quality = applied.quality().clone();
    let summary = applied.apply(split.changes.builder()).unwrap();
    let fresh = build(&split.final_rows);
    assert_eq!(applied.customer_count(), fresh.customer_count());
    assert_eq!(applied.order_count(), fresh.order_count());
    assert_eq!(applied.order_line_count(), fresh.order_line_count());
    assert_eq!(applied.deal_count(), fresh.deal_count());
    assert_eq!(applied.cost_count(), fresh.cost_count());
    assert_eq!(applied.interaction_count(), fresh.interaction_count());
    for options in options(&split) {
        let (got, want) = (sections(&applied, &options), sections(&fresh, &options));
        assert_eq!(got.len(), want.len());
        for ((name, got), (_, want)) in got.iter().zip(&want) {
            assert!(
                got == want,
                "section {name} differs (seed {seed}, {customers} customers)"
            );
        }
    }
    // Data quality adds up: the base's, then the batch's.
    let quality = applied.quality();
    for table in Table::ALL {
        let (total, before, batch) = (
            quality.table(table),
            base_quality.table(table),
            summary.quality().table(table),
        );
        assert_eq!(total.read, before.read + batch.read, "{table}");
        assert_eq!(total.accepted, before.accepted + batch.accepted, "{table}");
        assert_eq!(total.rejected, before.rejected + batch.rejected, "{table}");
        assert_eq!(total.read, total.accepted + total.rejected, "{table}");
        let changes = summary.table(table);
        assert_eq!(
            changes.read,
            changes.inserted + changes.replaced + changes.rejected
        );
        assert_eq!(changes.read, batch.read);
    }
    let mut rejected: Vec<(Table, Reason)> = summary
        .quality()
        .rejections()
        .iter()
        .map(|r| (r.table, r.reason))
        .collect();
    let mut expected = split.bad.clone();
    rejected.sort_by_key(|&(t, r)| (t.name(), r.name()));
    expected.sort_by_key(|&(t, r)| (t.name(), r.name()));
    assert_eq!(rejected, expected);
    assert_eq!(
        quality.rejections().len(),
        base_quality.rejections().len() + split.bad.len()
    );
}

#[test]
fn apply_equals_a_build_of_the_final_data() {
    check_split(120, 3, false);
    check_split(150, 11, true);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// For random splits of generated data into a base and changes (new rows of every
    /// table; replaced customers, orders, deals, interactions, staff and fanpages), with
    /// or without bad rows in the changes, build(base) then apply(changes) reports as
    /// the final data built at once.
    #[test]
    fn apply_equals_build_on_random_splits(
        customers in 40usize..160,
        seed in 0u64..10_000,
        bad_rows in any::<bool>(),
    ) {
        check_split(customers, seed, bad_rows);
    }
}

#[test]
fn an_empty_batch_changes_nothing() {
    let mut dataset = SampleOptions::new(150)
        .seed(5)
        .as_of(as_of())
        .dataset()
        .unwrap();
    let options = ReportOptions::new(as_of()).period(Preset::ThisYear);
    let before = serde_json::to_value(crm_metrics::report(&dataset, &options).unwrap()).unwrap();
    let quality = dataset.quality().clone();
    let summary = dataset.apply(DatasetBuilder::new()).unwrap();
    assert!(summary.is_unchanged());
    assert_eq!(dataset.quality(), &quality);
    let after = serde_json::to_value(crm_metrics::report(&dataset, &options).unwrap()).unwrap();
    assert_eq!(before, after);
}

#[test]
fn batches_accumulate_and_a_strict_batch_with_a_bad_row_changes_nothing() {
    let all = SampleOptions::new(100).seed(9).as_of(as_of()).rows();
    let split = split(&all, 77, true);
    let mut dataset = build(&split.base);
    let before = dataset.quality().clone();
    let error = dataset
        .apply(split.changes.builder().strict(true))
        .unwrap_err();
    assert!(matches!(error, crm_metrics::Error::Rejected(_)), "{error}");
    assert_eq!(dataset.quality(), &before);
    // The same batch twice: the second time every valid row with an id replaces itself.
    dataset.apply(split.changes.builder()).unwrap();
    let once = dataset.quality().clone();
    let second = dataset.apply(split.changes.builder()).unwrap();
    let orders = second.table(Table::Orders);
    assert_eq!(orders.inserted, 0);
    assert!(orders.replaced > 0);
    let total = dataset.quality().table(Table::Orders);
    assert_eq!(
        total.read,
        once.table(Table::Orders).read + split.changes.orders.len() as u64
    );
}

/// A dataset reopened from a snapshot keeps what `apply` needs (the row ids and their
/// owners): the same batch applied to the original and to the reopened copy gives the
/// same report and data quality, and a snapshot taken after the batch reopens to it.
#[test]
fn apply_after_reopening_a_snapshot_equals_apply_on_the_original() {
    for (seed, bad_rows) in [(21, false), (22, true)] {
        let all = SampleOptions::new(120).seed(seed).as_of(as_of()).rows();
        let split = split(&all, seed ^ 0x5eed, bad_rows);
        let mut original = build(&split.base);
        let mut bytes = Vec::new();
        original.write_snapshot(&mut bytes).unwrap();
        let mut reopened = Dataset::read_snapshot(&bytes[..]).unwrap();
        original.apply(split.changes.builder()).unwrap();
        reopened.apply(split.changes.builder()).unwrap();
        assert_eq!(original.quality(), reopened.quality());
        let mut after = Vec::new();
        reopened.write_snapshot(&mut after).unwrap();
        let again = Dataset::read_snapshot(&after[..]).unwrap();
        for options in options(&split) {
            let want = sections(&original, &options);
            assert_eq!(sections(&reopened, &options), want, "seed {seed}");
            assert_eq!(sections(&again, &options), want, "seed {seed}");
        }
    }
}
