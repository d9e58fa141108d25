//! The dashboard's `--export-parquet` round trip (feature `parquet`): for every fixture
//! case, the fixture's CSV folder is reported with `--export-parquet DIR`, then `DIR` is
//! reported as the data folder. The two JSON reports are equal but for data quality,
//! which on the Parquet folder counts only the exported rows: every table reads its
//! accepted rows back, all accepted, none rejected, with the same warnings.
//!
//! Run with `cargo test -p crm-metrics-dashboard --features parquet` (CI does). The
//! dashboard is built here with the features of this test, so the library it links is
//! the one already compiled for the test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_dir() -> PathBuf {
    root().join("tests/fixtures/small")
}

/// The dashboard's executable with the `parquet` feature, built once (dev profile,
/// the features this test was built with).
fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let mut features = vec!["parquet"];
        if cfg!(feature = "parallel") {
            features.push("parallel");
        }
        let output = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--package",
                "crm-metrics-dashboard",
                "--example",
                "dashboard",
                "--message-format=json",
                "--features",
            ])
            .arg(features.join(","))
            .arg("--manifest-path")
            .arg(root().join("Cargo.toml"))
            .output()
            .expect("cargo build runs");
        assert!(
            output.status.success(),
            "building the dashboard failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let built = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "dashboard")
            .and_then(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("the dashboard's executable");
        // A copy of our own: another build of the example (without the feature) may
        // replace the file cargo links to. It lives in the target dir's scratch folder
        // (cleaned with the target dir, one file per feature set, replaced by rename so
        // that a concurrent run never sees half a file), not in the system's temp dir,
        // where every run would leave a 100+ MB executable behind.
        let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let name = format!(
            "dashboard-{}{}",
            features.join("-"),
            std::env::consts::EXE_SUFFIX
        );
        let partial = scratch.join(format!("{name}.{}", std::process::id()));
        std::fs::copy(&built, &partial).expect("copy the dashboard");
        let copy = scratch.join(name);
        std::fs::rename(&partial, &copy).expect("move the dashboard's copy in place");
        copy
    })
}

/// Runs the dashboard; its JSON report (asserting exit status 0).
fn report(args: &[&std::ffi::OsStr]) -> Value {
    let output = Command::new(binary())
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("the dashboard runs");
    assert!(
        output.status.success(),
        "dashboard {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON report")
}

/// The fixture cases: (name, arguments).
fn cases() -> Vec<(String, Vec<String>)> {
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir().join("cases.json")).unwrap())
            .unwrap();
    cases
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let args = case["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            (case["name"].as_str().unwrap().to_owned(), args)
        })
        .collect()
}

#[test]
fn export_parquet_reads_back_to_the_csv_report() {
    let data = fixture_dir().join("data");
    let cases = cases();
    assert_eq!(cases.len(), 9);
    for (name, args) in cases {
        let out = std::env::temp_dir().join(format!(
            "crm-dashboard-export-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&out);
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();

        let mut first: Vec<&std::ffi::OsStr> = vec![data.as_os_str()];
        first.extend(&args);
        first.extend([std::ffi::OsStr::new("--export-parquet"), out.as_os_str()]);
        let mut from_csv = report(&first);
        for table in [
            "customers",
            "orders",
            "order_lines",
            "deals",
            "interactions",
        ] {
            assert!(
                out.join(format!("{table}.parquet")).is_file(),
                "{name}: {table}.parquet not written"
            );
        }
        assert!(!out.join("customers.csv").exists());

        let mut second: Vec<&std::ffi::OsStr> = vec![out.as_os_str()];
        second.extend(&args);
        let mut from_parquet = report(&second);

        // Data quality: the exported rows are the accepted ones, read back whole.
        let csv_quality = from_csv
            .as_object_mut()
            .unwrap()
            .remove("data_quality")
            .expect("data_quality");
        let parquet_quality = from_parquet
            .as_object_mut()
            .unwrap()
            .remove("data_quality")
            .expect("data_quality");
        let tables = csv_quality["tables"].as_object().unwrap();
        assert_eq!(tables.len(), 9, "{name}");
        let mut rejected = 0;
        for (table, counts) in tables {
            let accepted = &counts["accepted"];
            rejected += counts["rejected"].as_u64().unwrap();
            let back = &parquet_quality["tables"][table];
            assert_eq!(back["read"], *accepted, "{name}: {table} read");
            assert_eq!(back["accepted"], *accepted, "{name}: {table} accepted");
            assert_eq!(back["rejected"], 0, "{name}: {table} rejected");
        }
        // The fixture has rejections: the comparison above is not trivial.
        assert!(rejected > 0, "{name}");
        assert_eq!(
            parquet_quality["rejected"].as_array().map(Vec::len),
            Some(0),
            "{name}"
        );
        assert_eq!(
            parquet_quality["warnings_by_reason"], csv_quality["warnings_by_reason"],
            "{name}: warnings"
        );
        // Everything else is equal.
        assert_eq!(from_parquet, from_csv, "{name}: report");
        let _ = std::fs::remove_dir_all(&out);
    }
}
