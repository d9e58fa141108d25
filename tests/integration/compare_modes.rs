//! Comparison modes: the report's `previous_period` and every comparison of the
//! customers, marketing and social sections follow the chosen range; lifecycle does not.

use chrono::NaiveDate;
use crm_metrics::calendar::{Compare, Period, Preset};
use crm_metrics::{ReportOptions, report};

use crate::social::{sample, sample_as_of};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn every_mode_resolves_and_names_itself_in_the_json() {
    let (_, dataset) = sample(300, 3);
    // as_of 2026-11-15 10:00 +07:00: this_month is Nov 1-30 under way.
    let base = ReportOptions::new(sample_as_of()).period(Preset::ThisMonth);
    let custom = Period::new(d(2025, 10, 1), d(2025, 10, 31)).unwrap();
    let cases = [
        (
            Compare::PreviousPeriod,
            "previous_period",
            (d(2026, 10, 1), d(2026, 10, 31)),
        ),
        (
            Compare::ToDate,
            "to_date",
            (d(2026, 10, 1), d(2026, 10, 15)),
        ),
        (
            Compare::YearAgo,
            "year_ago",
            (d(2025, 11, 2), d(2025, 12, 1)),
        ),
        (
            Compare::Custom(custom),
            "custom",
            (d(2025, 10, 1), d(2025, 10, 31)),
        ),
    ];
    let plain = report(&dataset, &base).unwrap();
    for (mode, name, (start, end)) in cases {
        let r = report(&dataset, &base.clone().compare(mode)).unwrap();
        assert_eq!(
            (r.previous_period.start(), r.previous_period.end()),
            (start, end)
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["compare"], name);
        // Key order as written (serde_json's Value sorts keys, so look at the text).
        let text = serde_json::to_string(&r).unwrap();
        let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap();
        assert!(at("previous_period") < at("compare") && at("compare") < at("customers"));
        assert!(at("social") < at("lifecycle") && at("lifecycle") < at("cohorts"));
        assert!(at("cohorts") < at("rfm") && at("rfm") < at("data_quality"));
        // Current values never change with the mode; lifecycle and the customer picture
        // keep their own comparisons.
        assert_eq!(
            r.customers.new_customers.current,
            plain.customers.new_customers.current
        );
        assert_eq!(r.marketing.revenue.current, plain.marketing.revenue.current);
        assert_eq!(r.social.orders.current, plain.social.orders.current);
        assert_eq!(r.lifecycle, plain.lifecycle);
        assert_eq!(
            serde_json::to_value(&r.customer_picture).unwrap(),
            serde_json::to_value(&plain.customer_picture).unwrap()
        );
    }
}

#[test]
fn a_mode_equals_the_custom_range_it_resolves_to() {
    // to_date is exactly a custom comparison range of Oct 1-15: every cmp follows it.
    let (_, dataset) = sample(400, 11);
    let base = ReportOptions::new(sample_as_of()).period(Preset::ThisMonth);
    let to_date = report(&dataset, &base.clone().compare(Compare::ToDate)).unwrap();
    let range = Period::new(d(2026, 10, 1), d(2026, 10, 15)).unwrap();
    let custom = report(&dataset, &base.clone().compare(Compare::Custom(range))).unwrap();
    let strip = |r: &crm_metrics::Report| {
        let mut v = serde_json::to_value(r).unwrap();
        v.as_object_mut().unwrap().remove("compare");
        v
    };
    assert_eq!(strip(&to_date), strip(&custom));
    // And the previous values did move (the sample has purchases in late October).
    let plain = report(&dataset, &base).unwrap();
    assert_ne!(
        serde_json::to_value(&plain.customers).unwrap(),
        serde_json::to_value(&to_date.customers).unwrap()
    );
}

/// Runs the dashboard example on the fixture data; (exit code, stdout, stderr).
fn dashboard(args: &[&str]) -> (Option<i32>, String, String) {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small/data");
    let fixed = ["--as-of", "2026-11-15T03:00:00Z", "--format", "json"];
    crate::run_dashboard(
        [data.as_os_str()]
            .into_iter()
            .chain(fixed.iter().chain(args).map(std::ffi::OsStr::new)),
    )
}

#[test]
fn dashboard_rejects_bad_comparison_arguments_with_one_line() {
    let cases: [(&[&str], &str); 9] = [
        (
            &["--compare-from", "2025-10-01"],
            "--compare-from needs --compare-to",
        ),
        (
            &["--compare-to", "2025-10-01"],
            "--compare-to needs --compare-from",
        ),
        (
            &[
                "--compare",
                "to_date",
                "--compare-from",
                "2025-10-01",
                "--compare-to",
                "2025-10-31",
            ],
            "--compare cannot be used with --compare-from/--compare-to (a custom range)",
        ),
        (
            &["--compare-from", "2025-10-31", "--compare-to", "2025-10-01"],
            "--compare-to 2025-10-01 is before --compare-from 2025-10-31",
        ),
        (
            &["--compare", "weekly"],
            "--compare \"weekly\" is not one of previous_period, to_date, year_ago",
        ),
        (
            &["--compare-from", "2025-10-01", "--compare-to", "2025/10/31"],
            "--compare-to \"2025/10/31\" is not a date YYYY-MM-DD: expected four digits, \
             two and two, joined by '-'",
        ),
        // Exactly YYYY-MM-DD, as in the data: chrono's own parser takes these two.
        (
            &["--compare-from", "2025-10-1", "--compare-to", "2025-10-31"],
            "--compare-from \"2025-10-1\" is not a date YYYY-MM-DD: expected four digits, \
             two and two, joined by '-'",
        ),
        (
            &["--from", "+2026-11-01", "--to", "2026-11-30"],
            "--from \"+2026-11-01\" is not a date YYYY-MM-DD: expected four digits, two \
             and two, joined by '-'",
        ),
        (
            &["--compare-from", "2025-02-29", "--compare-to", "2025-10-31"],
            "--compare-from \"2025-02-29\" is not a date YYYY-MM-DD: not a real calendar date",
        ),
    ];
    for (args, message) in cases {
        let (code, stdout, stderr) = dashboard(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.trim_end().ends_with(message),
            "{stderr:?} vs {message:?}"
        );
    }
}

#[test]
fn dashboard_writes_the_rfm_csv_only_when_the_report_succeeds() {
    let dir = std::env::temp_dir().join(format!("crm-metrics-rfm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("rfm.csv");
    let path = csv.to_str().unwrap();
    let (code, stdout, _) = dashboard(&["--compare", "year_ago", "--rfm-out", path]);
    assert_eq!(code, Some(0));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["compare"], "year_ago");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("customer_id,frequency,recency,t,monetary_value,r,f,m,segment\n"));
    assert_eq!(
        text.lines().count() as u64 - 1,
        report["rfm"]["customers"].as_u64().unwrap()
    );
    // A failing report (unknown --customer) writes nothing.
    let failed = dir.join("failed.csv");
    let (code, _, _) = dashboard(&[
        "--customer",
        "NOBODY",
        "--rfm-out",
        failed.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(!failed.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
