//! The DataFusion report equals the in-process report, section by section.

use std::path::{Path, PathBuf};

use crm_metrics::calendar::{Compare, Preset};
use crm_metrics::chrono::{DateTime, TimeZone, Utc};
use crm_metrics::sample::{SampleOptions, SampleRows};
use crm_metrics::{DatasetBuilder, ReportOptions};
use crm_metrics_datafusion::udaf::{Params, States};
use crm_metrics_datafusion::{accepted_rows, register_parquet_dir, report, write_parquet_dir};
use datafusion::arrow::array::{AsArray, Int64Array};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};
use datafusion::logical_expr::ident;
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;

/// A fresh scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("crm-df-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/small/data")
}

fn fixture_as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-15T10:00:00+07:00")
        .unwrap()
        .with_timezone(&Utc)
}

async fn context(dir: &Path, partitions: usize) -> SessionContext {
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    register_parquet_dir(&ctx, dir).await.unwrap();
    ctx
}

fn option_cases(as_of: DateTime<Utc>) -> Vec<ReportOptions> {
    vec![
        ReportOptions::new(as_of),
        ReportOptions::new(as_of)
            .period(Preset::Last30Days)
            .compare(Compare::YearAgo),
        ReportOptions::new(as_of)
            .time_zone("Asia/Ho_Chi_Minh")
            .period(Preset::ThisYear)
            .fanpages(["FP1", "FP3"])
            .sources(["facebook_ads"]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixture_as_parquet_equals_in_process_report_with_1_2_and_8_partitions() {
    let zone = ReportOptions::new(fixture_as_of()).calendar;
    let (rows, dataset) = accepted_rows(&fixture(), &zone).unwrap();
    assert!(rows.customers.len() > 250 && rows.orders.len() > 700);
    let scratch = Scratch::new("fixture");
    write_parquet_dir(&rows, &scratch.0).unwrap();
    for options in option_cases(fixture_as_of()) {
        let expected = crm_metrics::report(&dataset, &options).unwrap();
        for partitions in [1, 2, 8] {
            let ctx = context(&scratch.0, partitions).await;
            let sections = report(&ctx, &options).await.unwrap();
            assert_eq!(
                sections.differences(&expected),
                Vec::<&str>::new(),
                "{partitions} partitions, {options:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_split_across_partitions_is_an_error_not_a_wrong_number() {
    // Orders of a customer that is not in the table: the partition's build rejects them.
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let mut rows = SampleOptions::new(30).seed(3).as_of(as_of).rows();
    rows.customers.remove(0);
    let scratch = Scratch::new("split");
    write_parquet_dir(&rows, &scratch.0).unwrap();
    let ctx = context(&scratch.0, 2).await;
    let error = report(&ctx, &ReportOptions::new(as_of)).await.unwrap_err();
    assert!(error.to_string().contains("rejected"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_udfs_give_the_report_calendar_local_date_and_hour() {
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let rows = SampleOptions::new(40).seed(5).as_of(as_of).rows();
    let scratch = Scratch::new("udf");
    write_parquet_dir(&rows, &scratch.0).unwrap();
    let ctx = context(&scratch.0, 2).await;
    let options = ReportOptions::new(as_of).time_zone("Europe/Berlin");
    crm_metrics_datafusion::register_calendar_udfs(&ctx, &options).unwrap();
    use crm_metrics_datafusion::udf::{CalendarUdf, Part};
    let date = CalendarUdf::new(Part::Date, "Europe/Berlin").unwrap().udf();
    let hour = CalendarUdf::new(Part::Hour, "Europe/Berlin").unwrap().udf();
    let batches = ctx
        .table("orders")
        .await
        .unwrap()
        .select(vec![
            ident("id"),
            date.call(vec![ident("created_at")]),
            hour.call(vec![ident("created_at")]),
        ])
        .unwrap()
        .sort(vec![ident("id").sort(true, false)])
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut expected: Vec<_> = rows
        .orders
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                options.calendar.local_date(o.created_at),
                i64::from(options.calendar.local_hour(o.created_at)),
            )
        })
        .collect();
    expected.sort();
    let mut got = Vec::new();
    for b in &batches {
        let ids = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let ids = ids.as_string::<i32>();
        let dates = b.column(1).as_primitive::<Date32Type>();
        let hours: &Int64Array = b.column(2).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            got.push((
                ids.value(i).to_owned(),
                Date32Type::to_naive_date_opt(dates.value(i)).unwrap(),
                hours.value(i),
            ));
        }
    }
    assert_eq!(got, expected);
}

/// Splits `rows` into `shards` by a seeded random assignment of customers (each with all
/// its orders, lines, interactions and deals); deals without a customer and costs go to
/// random shards too.
fn split(rows: &SampleRows, shards: usize, seed: u64) -> Vec<SampleRows> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % shards as u64) as usize
    };
    let mut out = vec![SampleRows::default(); shards];
    let mut of = std::collections::HashMap::new();
    for c in &rows.customers {
        let s = next();
        of.insert(c.id.clone(), s);
        out[s].customers.push(c.clone());
    }
    let mut order_shard = std::collections::HashMap::new();
    for o in &rows.orders {
        let s = of[&o.customer_id];
        order_shard.insert(o.id.clone(), s);
        out[s].orders.push(o.clone());
    }
    for l in &rows.order_lines {
        out[order_shard[&l.order_id]].order_lines.push(l.clone());
    }
    for i in &rows.interactions {
        out[of[&i.customer_id]].interactions.push(i.clone());
    }
    for d in &rows.deals {
        let s = d.customer_id.as_ref().map_or_else(&mut next, |c| of[c]);
        out[s].deals.push(d.clone());
    }
    for c in &rows.costs {
        out[next()].costs.push(c.clone());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Random partitionings of generated data, folded and merged through the serialized
    /// states (as the aggregate does), give the in-process report.
    #[test]
    fn random_partitionings_give_the_same_report(
        seed in 0u64..1000,
        shards in 1usize..9,
        split_seed in any::<u64>(),
        preset in prop::sample::select(vec![Preset::ThisMonth, Preset::Last7Days, Preset::ThisYear, Preset::LastMonth]),
    ) {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
        let rows = SampleOptions::new(120).seed(seed).as_of(as_of).rows();
        let options = ReportOptions::new(as_of).period(preset);
        let mut builder = DatasetBuilder::new();
        rows.push_into(&mut builder);
        let dataset = builder.build().unwrap();
        let expected = crm_metrics::report(&dataset, &options).unwrap();
        let params = Params {
            options: options.clone(),
            campaigns: rows.campaigns.clone(),
            staff: rows.staff.clone(),
            fanpages: rows.fanpages.clone(),
        };
        let mut merged: Option<States> = None;
        for shard in split(&rows, shards, split_seed) {
            let state = States::fold(&params, &shard).unwrap();
            let back = States::from_bytes(&state.to_bytes().unwrap()).unwrap();
            match &mut merged {
                None => merged = Some(back),
                Some(m) => m.merge(back).unwrap(),
            }
        }
        let values = merged.unwrap().finish().unwrap();
        prop_assert_eq!(&values.customers, &expected.customers);
        prop_assert_eq!(&values.marketing, &expected.marketing);
        prop_assert_eq!(&values.customer_picture, &expected.customer_picture);
        prop_assert_eq!(&values.social, &expected.social);
        prop_assert_eq!(&values.lifecycle, &expected.lifecycle);
        prop_assert_eq!(&values.cohorts, &expected.cohorts);
        prop_assert_eq!(&values.rfm, &expected.rfm);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_data_any_partition_count_gives_the_same_report() {
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    for (seed, partitions) in [(11u64, 3usize), (12, 5), (13, 7)] {
        let rows = SampleOptions::new(150).seed(seed).as_of(as_of).rows();
        let scratch = Scratch::new(&format!("gen{seed}"));
        write_parquet_dir(&rows, &scratch.0).unwrap();
        let mut builder = DatasetBuilder::new();
        rows.push_into(&mut builder);
        let dataset = builder.build().unwrap();
        let options = ReportOptions::new(as_of).period(Preset::Last28Days);
        let expected = crm_metrics::report(&dataset, &options).unwrap();
        let ctx = context(&scratch.0, partitions).await;
        let sections = report(&ctx, &options).await.unwrap();
        assert_eq!(
            sections.differences(&expected),
            Vec::<&str>::new(),
            "seed {seed}"
        );
    }
}
