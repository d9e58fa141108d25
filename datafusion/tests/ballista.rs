//! The report on a Ballista cluster (feature `ballista`): a scheduler and two executors
//! on loopback in this process, the fixture as Parquet, section by section equal to the
//! in-process report. Bounded in time; the cluster is shut down and its scratch folder
//! removed at the end.

#![cfg(feature = "ballista")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use crm_metrics::ReportOptions;
use crm_metrics::calendar::{Compare, Preset};
use crm_metrics::chrono::{DateTime, Utc};
use crm_metrics_datafusion::ballista::{StandaloneCluster, UdfWire};
use crm_metrics_datafusion::udaf::{Params, ReportUdaf, Stage};
use crm_metrics_datafusion::udf::BucketUdf;
use crm_metrics_datafusion::{accepted_rows, register_parquet_dir, report, write_parquet_dir};
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

/// A fresh scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("crm-ballista-{}-{name}", std::process::id()));
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

fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() { files_under(&path) } else { 1 }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fixture_on_a_ballista_cluster_of_two_executors_equals_the_in_process_report() {
    tokio::time::timeout(Duration::from_secs(600), async {
        let zone = ReportOptions::new(fixture_as_of()).calendar;
        let (rows, dataset) = accepted_rows(&fixture(), &zone).unwrap();
        let scratch = Scratch::new("fixture");
        let data = scratch.0.join("data");
        write_parquet_dir(&rows, &data).unwrap();
        let cluster = StandaloneCluster::start(2, 2, 4, &scratch.0).await.unwrap();
        assert_eq!(cluster.executors().len(), 2);
        let ctx = cluster.context().await.unwrap();
        register_parquet_dir(&ctx, &data).await.unwrap();
        let cases = [
            ReportOptions::new(fixture_as_of()),
            ReportOptions::new(fixture_as_of())
                .time_zone("Asia/Ho_Chi_Minh")
                .period(Preset::ThisYear)
                .compare(Compare::YearAgo)
                .fanpages(["FP1", "FP3"])
                .sources(["facebook_ads"]),
        ];
        for options in cases {
            let expected = crm_metrics::report(&dataset, &options).unwrap();
            let sections = report(&ctx, &options).await.unwrap();
            assert_eq!(
                sections.differences(&expected),
                Vec::<&str>::new(),
                "{options:?}"
            );
        }
        // The stages ran on the executors: their shuffle files are in the cluster's
        // scratch folder.
        let work = cluster.work_dir().to_owned();
        assert!(files_under(&work) > 0, "no shuffle file under {work:?}");
        cluster.shutdown();
        assert!(!work.exists());
    })
    .await
    .expect("the Ballista test took more than 10 minutes");
}

#[test]
fn the_codec_carries_every_parameter_of_the_udfs() {
    let options = ReportOptions::new(fixture_as_of())
        .time_zone("Europe/Berlin")
        .period(Preset::Last30Days)
        .compare(Compare::YearAgo)
        .sources(["zalo"]);
    let params = Params {
        options,
        campaigns: Vec::new(),
        staff: Vec::new(),
        fanpages: Vec::new(),
    };
    for stage in [Stage::Fold, Stage::Merge] {
        let udaf = AggregateUDF::new_from_impl(ReportUdaf::new(stage, params.clone()).unwrap());
        let wire = UdfWire::of_udaf(&udaf).unwrap().unwrap();
        let bytes = wire.to_bytes().unwrap();
        let back = UdfWire::from_bytes(udaf.name(), &bytes).unwrap().unwrap();
        let rebuilt = back.into_udaf().unwrap();
        assert_eq!(rebuilt.as_ref(), &udaf);
    }
    let bucket = ScalarUDF::new_from_impl(BucketUdf::new(7));
    let wire = UdfWire::of_udf(&bucket).unwrap();
    assert_eq!(wire, UdfWire::Bucket { buckets: 7 });
    let rebuilt = UdfWire::from_bytes("crm_bucket", &wire.to_bytes().unwrap())
        .unwrap()
        .unwrap()
        .into_udf()
        .unwrap();
    assert_eq!(rebuilt.as_ref(), &bucket);
    // Bytes of another build are an error, not another function.
    assert!(UdfWire::from_bytes("crm_fold", b"{\"udf\":\"fold\"}").is_err());
    assert!(UdfWire::from_bytes("sum", b"").unwrap().is_none());
}
