//! The build on two threads gives exactly the build on one: same data quality (counts,
//! rejected rows in the same order, warnings) and the same report, from CSV and from
//! structs, on generated data with bad rows of every kind.

#![cfg(feature = "parallel")]

use chrono::{DateTime, Utc};
use crm_metrics::sample::SampleOptions;
use crm_metrics::{Dataset, DatasetBuilder, ReportOptions};

fn as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-15T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// The report's JSON (data quality included) and the data quality's rejections.
fn outcome(dataset: &Dataset) -> (serde_json::Value, Vec<crm_metrics::Rejection>) {
    let report = crm_metrics::report(dataset, &ReportOptions::new(as_of())).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    (json, dataset.quality().rejections().to_vec())
}

#[test]
fn two_threads_build_what_one_thread_builds() {
    let options = SampleOptions::new(400)
        .seed(7)
        .as_of(as_of())
        .history_days(400)
        .bad_rate(0.05);
    let dir = std::env::temp_dir().join(format!("crm-parallel-build-{}", std::process::id()));
    options.write_csv(&dir).unwrap();
    let rows = options.rows();
    let from_csv = |threads: usize| {
        pool(threads).install(|| {
            let mut builder = DatasetBuilder::new();
            builder.read_csv_dir(&dir).unwrap();
            outcome(&builder.build().unwrap())
        })
    };
    let from_structs =
        |threads: usize| pool(threads).install(|| outcome(&rows.builder().build().unwrap()));
    let (csv_one, csv_two) = (from_csv(1), from_csv(2));
    let (structs_one, structs_two) = (from_structs(1), from_structs(2));
    std::fs::remove_dir_all(&dir).unwrap();

    for (one, two) in [(&csv_one, &csv_two), (&structs_one, &structs_two)] {
        assert!(
            one.1.len() > 20,
            "the sample has bad rows to reject ({} rejected)",
            one.1.len()
        );
        assert_eq!(one.1, two.1, "rejected rows, in order");
        assert_eq!(
            one.0["data_quality"], two.0["data_quality"],
            "data quality, warnings included"
        );
        assert_eq!(one.0, two.0, "the whole report");
    }
}
