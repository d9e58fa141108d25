//! Every case of `tests/fixtures/small/cases.json` against its reference report, section
//! by section, with compare.py's rules (`compare.rs`). The report comes from the library
//! with the options the dashboard would build from the case's arguments, over the
//! fixture read in the case's time zone (the data has timestamps without an offset,
//! which are local times in that zone).
//! Each section's own test file compares that section; `every_section_of_every_case`
//! compares the whole report, every key.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use crm_metrics::calendar::{Compare, Period, Preset};
use crm_metrics::{Dataset, DatasetBuilder, ReportOptions};
use serde_json::Value;

use crate::compare::compare;

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small")
}

/// The fixture dataset read in the default time zone (+07:00), loaded once per test
/// binary.
pub fn dataset() -> &'static Dataset {
    dataset_in("+07:00")
}

/// The fixture dataset read in time zone `tz` (its timestamps without an offset are
/// local times there), loaded once per zone and test binary.
pub fn dataset_in(tz: &str) -> &'static Dataset {
    static DATASETS: OnceLock<Mutex<HashMap<String, &'static Dataset>>> = OnceLock::new();
    let mut loaded = DATASETS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    loaded.entry(tz.to_owned()).or_insert_with(|| {
        let mut builder = DatasetBuilder::new().time_zone(tz.parse().unwrap());
        builder
            .read_csv_dir(fixture_dir().join("data"))
            .expect("fixture loads");
        Box::leak(Box::new(builder.build().expect("fixture builds")))
    })
}

/// The `--tz` of a case's arguments (+07:00 when absent).
pub fn case_tz(args: &[String]) -> &str {
    args.iter()
        .position(|a| a == "--tz")
        .and_then(|i| args.get(i + 1))
        .map_or("+07:00", String::as_str)
}

/// Options from a case's command-line arguments (SPEC §8 flags).
pub fn options(args: &[String]) -> ReportOptions {
    let mut as_of: Option<DateTime<Utc>> = None;
    let (mut tz, mut period, mut from, mut to) = ("+07:00".to_owned(), None, None, None);
    let (mut sources, mut types, mut pages, mut customer) = (vec![], vec![], vec![], None);
    let (mut compare, mut compare_from, mut compare_to) = (Compare::default(), None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .expect("every flag of the cases takes a value")
            .clone();
        match flag.as_str() {
            "--as-of" => {
                as_of = Some(
                    DateTime::parse_from_rfc3339(&value)
                        .unwrap()
                        .with_timezone(&Utc),
                )
            }
            "--tz" => tz = value,
            "--period" => period = Some(value.parse::<Preset>().unwrap()),
            "--from" => from = Some(NaiveDate::parse_from_str(&value, "%Y-%m-%d").unwrap()),
            "--to" => to = Some(NaiveDate::parse_from_str(&value, "%Y-%m-%d").unwrap()),
            "--source" => sources.push(value),
            "--product-type" => types.push(value),
            "--fanpage" => pages.push(value),
            "--customer" => customer = Some(value),
            "--compare" => compare = value.parse().unwrap(),
            "--compare-from" => {
                compare_from = Some(NaiveDate::parse_from_str(&value, "%Y-%m-%d").unwrap())
            }
            "--compare-to" => {
                compare_to = Some(NaiveDate::parse_from_str(&value, "%Y-%m-%d").unwrap())
            }
            other => panic!("unknown flag {other}"),
        }
    }
    let mut options = ReportOptions::new(as_of.expect("cases give --as-of"))
        .time_zone(tz)
        .sources(sources)
        .product_types(types)
        .fanpages(pages);
    options = match (from, to) {
        (Some(f), Some(t)) => options.period(Period::new(f, t).unwrap()),
        _ => options.period(period.unwrap_or_default()),
    };
    if let Some(id) = customer {
        options = options.customer(id);
    }
    if let (Some(f), Some(t)) = (compare_from, compare_to) {
        compare = Compare::Custom(Period::new(f, t).unwrap());
    }
    options.compare(compare)
}

/// (name, our report as JSON, the reference) for every case.
pub fn cases() -> Vec<(String, Value, Value)> {
    let dir = fixture_dir();
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    cases
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let name = case["name"].as_str().unwrap().to_owned();
            let args: Vec<String> = case["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            let report = crm_metrics::report(dataset_in(case_tz(&args)), &options(&args)).unwrap();
            let actual = serde_json::to_value(&report).unwrap();
            let expected_text =
                std::fs::read_to_string(dir.join("expected").join(format!("{name}.json"))).unwrap();
            (name, actual, serde_json::from_str(&expected_text).unwrap())
        })
        .collect()
}

/// Asserts that `sections` equal the reference in every case, listing the first
/// mismatches of each failing case.
pub fn assert_sections(sections: &[&str]) {
    let mut failures = Vec::new();
    for (name, actual, expected) in cases() {
        // No section named: every top-level key of either report.
        let every: std::collections::BTreeSet<&str> = [&expected, &actual]
            .iter()
            .filter_map(|v| v.as_object())
            .flat_map(|o| o.keys().map(String::as_str))
            .collect();
        let every: Vec<&str> = every.into_iter().collect();
        let keys = if sections.is_empty() {
            &every[..]
        } else {
            sections
        };
        let mismatches = compare(
            &expected,
            &actual,
            keys,
            &["data_quality.rejected[*].detail"],
        );
        if !mismatches.is_empty() {
            let first: Vec<String> = mismatches
                .iter()
                .take(8)
                .map(|m| format!("    {}: expected {} got {}", m.path, m.expected, m.actual))
                .collect();
            failures.push(format!(
                "{name}: {} mismatch(es)\n{}",
                mismatches.len(),
                first.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_section_of_every_case() {
    // An empty list compares every key of the report, in the case's reference and ours.
    assert_sections(&[]);
    assert_eq!(cases().len(), 9, "every case of cases.json runs");
}

#[test]
fn data_quality_and_periods_match_every_case() {
    assert_sections(&[
        "as_of",
        "time_zone",
        "period",
        "previous_period",
        "data_quality",
    ]);
}

#[test]
fn comparison_lifecycle_cohorts_rfm_match_every_case() {
    assert_sections(&["previous_period", "compare", "lifecycle", "cohorts", "rfm"]);
}

#[test]
fn manifest_counts_match() {
    // The fixture's manifest lists what its planted bad rows must give.
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_dir().join("data/manifest.json")).unwrap(),
    )
    .unwrap();
    let quality = dataset().quality();
    for table in crm_metrics::Table::ALL {
        let expected = &manifest["tables"][table.name()]["expected"];
        let counts = quality.table(table);
        assert_eq!(counts.read, expected["read"].as_u64().unwrap(), "{table}");
        assert_eq!(
            counts.accepted,
            expected["accepted"].as_u64().unwrap(),
            "{table}"
        );
        assert_eq!(
            counts.rejected,
            expected["rejected"].as_u64().unwrap(),
            "{table}"
        );
        assert_eq!(counts.read, counts.accepted + counts.rejected);
    }
    for warning in crm_metrics::Warning::ALL {
        let expected = manifest["expected_warnings_by_reason"][warning.name()]
            .as_u64()
            .unwrap_or(0);
        assert_eq!(quality.warnings(warning), expected, "{warning}");
    }
}

#[test]
fn every_report_round_trips_through_json() {
    // The report deserializes from its own JSON into an equal report, in every case
    // (profile present or absent, every comparison mode including a custom range).
    let dir = fixture_dir();
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    for case in cases.as_array().unwrap() {
        let args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let report = crm_metrics::report(dataset_in(case_tz(&args)), &options(&args)).unwrap();
        let text = serde_json::to_string(&report).unwrap();
        let back: crm_metrics::Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report, "{}", case["name"]);
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }
}
