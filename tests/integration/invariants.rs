//! Invariants across the whole report (issue #9), for every section under several periods,
//! time zones, filters and customer profiles:
//! * events after `as_of` change no metric; `data_quality` still counts them (SPEC §9.6);
//! * on data without duplicate ids, the order of rows changes no metric;
//! * a row that fails to parse changes nothing but `data_quality`;
//! * every accepted purchase of a customer existing at `as_of` is counted exactly once in
//!   `customer_picture.total_spend` (and `invoices`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm_metrics::calendar::{Period, Preset};
use crm_metrics::model::{
    Channel, Cost, Customer, Deal, Direction, Interaction, InteractionKind, Order, OrderLine,
    OrderStatus, Source,
};
use crm_metrics::sample::{SampleOptions, SampleRows};
use crm_metrics::{Dataset, DatasetBuilder, ReportOptions, Table};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::mutations::split_records;
use crate::properties::RowsExt;

fn as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-15T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Option sets covering every preset kind, five zones, every filter and a custom period.
fn option_sets(d: &Dataset) -> Vec<ReportOptions> {
    let mut sources: Vec<&str> = d.marketing_sources();
    sources.sort();
    let mut types: Vec<&str> = d.product_types();
    types.sort();
    let mut pages: Vec<String> = d.fanpages().map(|f| f.id).collect();
    pages.sort();
    let tz = |s: &str| {
        s.parse::<crm_metrics::calendar::BusinessCalendar>()
            .unwrap()
    };
    let custom = Period::new(
        NaiveDate::from_ymd_opt(2026, 9, 10).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    )
    .unwrap();
    vec![
        ReportOptions::new(as_of()),
        ReportOptions::new(as_of())
            .time_zone(tz("Europe/Berlin"))
            .period(Preset::Last90Days)
            .sources(sources.iter().take(2).copied())
            .product_types(types.iter().take(1).copied()),
        ReportOptions::new(as_of())
            .time_zone(tz("-03:00"))
            .period(Preset::ThisYear)
            .fanpages(pages.iter().take(2).cloned()),
        ReportOptions::new(as_of())
            .time_zone(tz("America/New_York"))
            .period(Preset::LastWeek),
        ReportOptions::new(as_of())
            .time_zone(tz("+14:00"))
            .period(Preset::Today),
        ReportOptions::new(as_of()).period(custom),
    ]
}

/// Customers to profile: the three smallest ids of customers existing at `as_of`.
fn profile_ids(d: &Dataset) -> Vec<String> {
    let mut ids: Vec<String> = d
        .customer_indices()
        .filter_map(|i| d.customer(i))
        .filter(|c| c.created_at <= as_of())
        .map(|c| c.id)
        .collect();
    ids.sort();
    ids.truncate(3);
    ids
}

/// Every section of every option set (and of each profile under the first and second
/// set), without `data_quality`.
fn metrics(d: &Dataset, profiles: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for (k, options) in option_sets(d).into_iter().enumerate() {
        let ids: Vec<Option<&String>> = if k < 2 {
            std::iter::once(None)
                .chain(profiles.iter().map(Some))
                .collect()
        } else {
            vec![None]
        };
        for id in ids {
            let options = match id {
                Some(id) => options.clone().customer(id.clone()),
                None => options.clone(),
            };
            let report = crm_metrics::report(d, &options).unwrap();
            let mut json = serde_json::to_value(&report).unwrap();
            json.as_object_mut().unwrap().remove("data_quality");
            out.push(json);
        }
    }
    out
}

/// `data_quality` without line numbers (reordering and inserting rows renumber them).
fn quality_without_lines(d: &Dataset) -> Value {
    let mut json = serde_json::to_value(d.quality().section(usize::MAX)).unwrap();
    let mut rejected: Vec<String> = d
        .quality()
        .rejections()
        .iter()
        .map(|r| {
            format!(
                "{}|{:?}|{}|{:?}|{}",
                r.table, r.id, r.reason, r.column, r.detail
            )
        })
        .collect();
    rejected.sort();
    json["rejected"] = serde_json::json!(rejected);
    json
}

/// Rows dated after `as_of` (and a customer created after it, with an order before it):
/// `n` of each kind, referring to accepted customers, fanpages and staff of `base`.
fn future_rows(base: &Dataset, rows: &SampleRows, n: usize) -> SampleRows {
    let later = |k: usize| as_of() + Duration::seconds(1 + 3_600 * k as i64);
    let customers: Vec<&Customer> = rows
        .customers
        .iter()
        .filter(|c| base.customer_idx(&c.id).is_some() && c.created_at <= as_of())
        .collect();
    let page = rows.fanpages.first().map(|f| f.id.clone());
    let staff = rows.staff.first().map(|s| s.id.clone());
    let mut future = SampleRows::default();
    for k in 0..n {
        let new_id = format!("KHF{k}");
        future.customers.push(Customer {
            id: new_id.clone(),
            created_at: later(k),
            source: Source::ALL[k % Source::ALL.len()],
            name: None,
            phone: Some("0900".into()),
            email: None,
            gender: None,
            birth_date: None,
            zalo_id: Some("z".into()),
            facebook_id: None,
            notes: None,
        });
        let owner = customers
            .get(k % customers.len().max(1))
            .map_or(new_id.clone(), |c| c.id.clone());
        for (j, (customer, at)) in [
            (owner.clone(), later(k)),
            // the new customer's purchase before as_of: it does not exist yet (SPEC §9.20)
            (new_id.clone(), as_of() - Duration::days(3)),
        ]
        .into_iter()
        .enumerate()
        {
            let id = format!("DHF{k}_{j}");
            future.orders.push(Order {
                id: id.clone(),
                customer_id: customer,
                created_at: at,
                status: OrderStatus::Completed,
                total: Decimal::new(12_345, 1),
                cost_of_goods: Some(Decimal::ONE),
                source: None,
                fanpage_id: page.clone(),
                staff_id: staff.clone(),
                voucher_code: Some("V".into()),
            });
            future.order_lines.push(OrderLine {
                order_id: id,
                product_id: "SPF".into(),
                product_name: None,
                product_type: None,
                quantity: 1_000,
                unit_price: Decimal::ONE,
            });
        }
        for (j, kind, direction) in [
            (0, InteractionKind::Message, Direction::Inbound),
            (1, InteractionKind::Message, Direction::Outbound),
            (2, InteractionKind::MinigamePlay, Direction::Inbound),
        ] {
            future.interactions.push(Interaction {
                id: format!("TTF{k}_{j}"),
                customer_id: owner.clone(),
                at: later(k),
                channel: Channel::Facebook,
                kind,
                direction,
                fanpage_id: page.clone(),
                staff_id: staff.clone(),
                automated: false,
                campaign_id: None,
                ref_id: Some("GF".into()),
            });
        }
        let source = rows
            .deals
            .first()
            .map_or("ads".to_owned(), |d| d.source.clone());
        future.deals.push(Deal {
            id: format!("DF{k}"),
            customer_id: Some(owner.clone()),
            created_at: later(k),
            source: source.clone(),
            product_type: None,
            handed_over_at: Some(later(k + 1)),
            opportunity_at: Some(later(k + 2)),
            won_at: Some(later(k + 3)),
            revenue: Some(Decimal::from(77)),
        });
        // Two days after as_of's date is after "today" in every zone.
        future.costs.push(Cost {
            date: as_of().date_naive() + Duration::days(2 + k as i64),
            source,
            product_type: None,
            amount: Decimal::from(500),
        });
    }
    future
}

/// The `n`-th data record of `file` (after the header) with one value made unparsable,
/// or one field dropped: (its bytes, ending in `\n`).
fn unparsable_copy(table: Table, file: &[u8], n: usize, shape: bool) -> Option<Vec<u8>> {
    let records: Vec<_> = split_records(file)
        .into_iter()
        .filter(|r| !r.is_blank())
        .collect();
    let header = records.first()?;
    let data = records.get(1..).filter(|d| !d.is_empty())?;
    let mut fields = data[n % data.len()].fields.clone();
    let (column, bad): (&str, &[u8]) = match table {
        Table::Customers => ("created_at", b"yesterday"),
        Table::Orders => ("total", b"1e5"),
        Table::OrderLines => ("quantity", b"1.5"),
        Table::Deals => ("created_at", b"2026-02-30T00:00:00Z"),
        Table::Costs => ("amount", b"NaN"),
        Table::Interactions => ("direction", b"sideways"),
        Table::Campaigns => ("channel", b"myspace"),
        Table::Staff => ("name", b""),
        Table::Fanpages => ("activated", b"yes"),
    };
    if shape {
        fields.pop();
    } else {
        let at = header.fields.iter().position(|f| f == column.as_bytes())?;
        *fields.get_mut(at)? = bad.to_vec();
    }
    let mut out = Vec::new();
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.push(b'"');
        for &b in f {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    }
    out.push(b'\n');
    Some(out)
}

fn load_files(files: &[Option<Vec<u8>>]) -> Dataset {
    let mut builder = DatasetBuilder::new();
    for (table, file) in Table::ALL.iter().zip(files) {
        if let Some(file) = file {
            builder
                .read_csv(*table, file.as_slice(), format!("{table}.csv"))
                .unwrap();
        }
    }
    builder.build().unwrap()
}

fn sample_files(seed: u64, customers: usize, bad: f64) -> Vec<Option<Vec<u8>>> {
    let dir = std::env::temp_dir().join(format!(
        "crm-invariants-{}-{seed}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    SampleOptions::new(customers)
        .seed(seed)
        .as_of(as_of())
        .history_days(400)
        .bad_rate(bad)
        .write_csv(&dir)
        .unwrap();
    let files = Table::ALL
        .iter()
        .map(|t| std::fs::read(dir.join(format!("{t}.csv"))).ok())
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// SPEC §1, §9.6: events after `as_of` change no metric; data_quality counts them.
    #[test]
    fn events_after_as_of_change_no_metric(seed in any::<u64>(), bad in prop_oneof![Just(0.0), 0.0f64..0.2], n in 1usize..6) {
        let rows = SampleOptions::new(50).seed(seed).as_of(as_of()).history_days(400).bad_rate(bad).rows();
        let base = rows.build();
        let future = future_rows(&base, &rows, n);
        let mut all = rows.clone();
        all.customers.extend(future.customers.iter().cloned());
        all.orders.extend(future.orders.iter().cloned());
        all.order_lines.extend(future.order_lines.iter().cloned());
        all.interactions.extend(future.interactions.iter().cloned());
        all.deals.extend(future.deals.iter().cloned());
        all.costs.extend(future.costs.iter().cloned());
        let with_future = all.build();
        let profiles = profile_ids(&base);
        prop_assert_eq!(metrics(&base, &profiles), metrics(&with_future, &profiles));
        // Validation ignores as_of: every added row is read and accepted.
        let added = [
            future.customers.len(), future.orders.len(), future.order_lines.len(),
            future.deals.len(), future.costs.len(), future.interactions.len(), 0, 0, 0,
        ];
        for (table, added) in Table::ALL.into_iter().zip(added) {
            let (b, w) = (base.quality().table(table), with_future.quality().table(table));
            prop_assert_eq!(w.read, b.read + added as u64, "{}", table);
            prop_assert_eq!(w.accepted, b.accepted + added as u64, "{}", table);
            prop_assert_eq!(w.rejected, b.rejected, "{}", table);
        }
    }

    /// On data without duplicate ids, the order of rows (each order's lines kept in their
    /// relative order) changes no metric of any section, and data_quality only in lines.
    #[test]
    fn reordering_rows_changes_no_metric(seed in any::<u64>(), shuffle in any::<u64>(), bad in prop_oneof![Just(0.0), 0.0f64..0.2]) {
        let mut rows = SampleOptions::new(50).seed(seed).as_of(as_of()).history_days(400).bad_rate(bad).rows();
        rows.dedupe();
        let original = rows.build();
        rows.shuffle(shuffle);
        let shuffled = rows.build();
        let profiles = profile_ids(&original);
        prop_assert_eq!(profile_ids(&shuffled), profiles.clone());
        prop_assert_eq!(metrics(&original, &profiles), metrics(&shuffled, &profiles));
        prop_assert_eq!(quality_without_lines(&original), quality_without_lines(&shuffled));
    }

    /// A row that fails to parse (a bad value, or a field missing), inserted anywhere in
    /// any file, changes nothing but data_quality: one more read and rejected row there.
    #[test]
    fn an_unparsable_row_changes_only_data_quality(
        seed in any::<u64>(),
        table in 0usize..9,
        row in any::<usize>(),
        at in any::<usize>(),
        shape in any::<bool>(),
    ) {
        let files = sample_files(seed, 30, 0.05);
        let table_kind = Table::ALL[table];
        let Some(file) = files[table].clone() else { return Ok(()) };
        let Some(bad_row) = unparsable_copy(table_kind, &file, row, shape) else { return Ok(()) };
        // Insert at a record boundary after the header.
        let records = split_records(&file);
        let boundaries: Vec<usize> = records.iter().skip(1).map(|r| r.start).chain([file.len()]).collect();
        let position = boundaries[at % boundaries.len()];
        let mut mutated = file.clone();
        if position == file.len() && !file.ends_with(b"\n") {
            mutated.push(b'\n');
        }
        let position = position.min(mutated.len());
        mutated.splice(position..position, bad_row);
        let mut changed = files.clone();
        changed[table] = Some(mutated);
        let (before, after) = (load_files(&files), load_files(&changed));
        let profiles = profile_ids(&before);
        prop_assert_eq!(metrics(&before, &profiles), metrics(&after, &profiles));
        for t in Table::ALL {
            let (b, a) = (before.quality().table(t), after.quality().table(t));
            let extra = u64::from(t == table_kind);
            prop_assert_eq!((a.read, a.accepted, a.rejected), (b.read + extra, b.accepted, b.rejected + extra), "{}", t);
        }
        prop_assert_eq!(
            after.quality().rejected_by_reason(crm_metrics::Reason::ParseError),
            before.quality().rejected_by_reason(crm_metrics::Reason::ParseError) + 1
        );
        let warnings = |d: &Dataset| crm_metrics::Warning::ALL.map(|w| d.quality().warnings(w));
        prop_assert_eq!(warnings(&before), warnings(&after));
    }

    /// Every accepted completed order with `created_at <= as_of` whose customer exists at
    /// `as_of` is counted exactly once in customer_picture's total_spend and invoices, in
    /// every zone and period (customer_picture totals have no period filter, SPEC §6).
    #[test]
    fn every_purchase_is_counted_once_in_total_spend(seed in any::<u64>(), bad in 0.0f64..0.3) {
        let rows = SampleOptions::new(60).seed(seed).as_of(as_of()).history_days(400).bad_rate(bad).rows();
        let d = rows.build();
        // Accepted rows, found from the rejections' positions (struct rows are numbered 1..).
        let rejected = |table: Table| -> std::collections::HashSet<u64> {
            d.quality().rejections().iter().filter(|r| r.table == table).map(|r| r.line).collect()
        };
        let (bad_customers, bad_orders) = (rejected(Table::Customers), rejected(Table::Orders));
        let existing: std::collections::HashSet<&str> = rows
            .customers
            .iter()
            .enumerate()
            .filter(|(i, c)| !bad_customers.contains(&(*i as u64 + 1)) && c.created_at <= as_of())
            .map(|(_, c)| c.id.as_str())
            .collect();
        let purchases: Vec<&Order> = rows
            .orders
            .iter()
            .enumerate()
            .filter(|(i, o)| {
                !bad_orders.contains(&(*i as u64 + 1))
                    && o.status == OrderStatus::Completed
                    && o.created_at <= as_of()
                    && existing.contains(o.customer_id.as_str())
            })
            .map(|(_, o)| o)
            .collect();
        let expected = purchases.iter().try_fold(Decimal::ZERO, |s, o| s.checked_add(o.total)).unwrap();
        for options in option_sets(&d) {
            let report = crm_metrics::report(&d, &options).unwrap();
            prop_assert_eq!(report.customer_picture.total_spend, expected);
            prop_assert_eq!(report.customer_picture.invoices, purchases.len() as u64);
        }
    }
}
