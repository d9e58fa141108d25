//! The dashboard's live-data arguments, end to end through the example binary:
//! `--save-snapshot FILE`, a snapshot file given where a data folder goes, and
//! `--apply DIR` (a folder of changes applied after the build, also after opening a
//! snapshot). The library's own behaviour is tested in `apply.rs` and `snapshot.rs`;
//! this file checks that the dashboard wires them together.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

const AS_OF: &str = "2026-11-15T03:00:00Z";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small/data")
}

/// A fresh, empty scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crm-metrics-live-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the dashboard example on `data` with `args`, JSON output; (exit code, stdout,
/// stderr).
fn dashboard(data: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let fixed = ["--as-of", AS_OF, "--format", "json"];
    crate::run_dashboard(
        [data.as_os_str()]
            .into_iter()
            .chain(fixed.iter().chain(args).map(std::ffi::OsStr::new)),
    )
}

/// The JSON report of a run that must succeed.
fn report(data: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = dashboard(data, args);
    assert_eq!(code, Some(0), "{data:?} {args:?}: {stderr}");
    stdout
}

/// The pending October order that the change folder completes, and the new order it adds.
const PENDING: &str = "DH000808,KH00014,2026-10-20T15:02:47+07:00,pending,800000,513000,haravan,,,";
const COMPLETED: &str =
    "DH000808,KH00014,2026-10-20T15:02:47+07:00,completed,800000,513000,haravan,,,";
const NEW_ORDER: &str =
    "DH900001,KH00014,2026-11-02T09:30:00+07:00,completed,1250000,700000,zalo,,,";

/// Writes the change folder (an `orders.csv` with one replaced and one new order, and a
/// header-only `customers.csv`) and
/// the folder of the same data after the change (the fixture with both edits made in
/// place); returns both.
fn change_folders(dir: &Path) -> (PathBuf, PathBuf) {
    let orders = fs::read_to_string(fixture_dir().join("orders.csv")).unwrap();
    let header = orders.lines().next().unwrap();
    assert!(
        orders.lines().any(|line| line == PENDING),
        "fixture changed"
    );

    let changes = dir.join("changes");
    fs::create_dir_all(&changes).unwrap();
    // customers.csv is required in every folder, a change folder too: header only here.
    let customers = fs::read_to_string(fixture_dir().join("customers.csv")).unwrap();
    let customers_header = customers.lines().next().unwrap();
    fs::write(
        changes.join("customers.csv"),
        format!("{customers_header}\n"),
    )
    .unwrap();
    fs::write(
        changes.join("orders.csv"),
        format!("{header}\n{COMPLETED}\n{NEW_ORDER}\n"),
    )
    .unwrap();

    let after = dir.join("after");
    fs::create_dir_all(&after).unwrap();
    for entry in fs::read_dir(fixture_dir()).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, after.join(path.file_name().unwrap())).unwrap();
    }
    let mut edited = orders.replace(PENDING, COMPLETED);
    if !edited.ends_with('\n') {
        edited.push('\n');
    }
    edited.push_str(NEW_ORDER);
    edited.push('\n');
    fs::write(after.join("orders.csv"), edited).unwrap();
    (changes, after)
}

fn sections(json: &str) -> serde_json::Map<String, Value> {
    match serde_json::from_str::<Value>(json).unwrap() {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn a_saved_snapshot_reopens_to_the_same_report() {
    let dir = scratch("snapshot");
    let snap = dir.join("shop.snap");
    let from_folder = report(&fixture_dir(), &["--save-snapshot", snap.to_str().unwrap()]);
    assert!(fs::metadata(&snap).unwrap().len() > 0);
    let from_snapshot = report(&snap, &[]);
    assert_eq!(from_folder, from_snapshot);
    // Another period and comparison mode from the same snapshot, against the folder.
    let args = ["--period", "last_month", "--compare", "year_ago"];
    assert_eq!(report(&fixture_dir(), &args), report(&snap, &args));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn applied_changes_equal_a_build_of_the_changed_data() {
    let dir = scratch("apply");
    let (changes, after) = change_folders(&dir);
    let changes_arg = changes.to_str().unwrap();

    let before = sections(&report(&fixture_dir(), &[]));
    let applied_json = report(&fixture_dir(), &["--apply", changes_arg]);
    let applied = sections(&applied_json);
    let rebuilt = sections(&report(&after, &[]));

    // Every section but data quality equals the build of the changed folder ...
    for (name, value) in &rebuilt {
        if name != "data_quality" {
            assert_eq!(Some(value), applied.get(name), "section {name}");
        }
    }
    // ... and the change is visible (the October order now counts as a purchase).
    assert_ne!(before["customers"], applied["customers"]);
    // Data quality accumulates over the build and the batch: two more order rows read
    // and accepted than the folder alone (the changed folder has one more row).
    let orders = |map: &serde_json::Map<String, Value>, key: &str| {
        map["data_quality"]["tables"]["orders"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("data_quality.tables.orders.{key}: {}", map["data_quality"]))
    };
    for key in ["read", "accepted"] {
        assert_eq!(orders(&applied, key), orders(&before, key) + 2, "{key}");
        assert_eq!(orders(&rebuilt, key), orders(&before, key) + 1, "{key}");
    }

    // The same batch applied after opening a snapshot gives the same bytes.
    let snap = dir.join("shop.snap");
    report(&fixture_dir(), &["--save-snapshot", snap.to_str().unwrap()]);
    assert_eq!(applied_json, report(&snap, &["--apply", changes_arg]));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_file_that_is_neither_a_folder_nor_a_snapshot_is_named() {
    let dir = scratch("neither");
    let file = dir.join("picture.png");
    fs::write(&file, b"\x89PNG\r\n\x1a\n not a snapshot").unwrap();
    let (code, stdout, stderr) = dashboard(&file, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr
            .trim_end()
            .ends_with("picture.png: neither a folder of data files nor a crm-metrics snapshot"),
        "{stderr}"
    );
    // A batch of changes is a folder, whatever the file is (a snapshot too).
    let snap = dir.join("shop.snap");
    let (code, _, stderr) = dashboard(&fixture_dir(), &["--save-snapshot", snap.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    for file in [&file, &snap] {
        let (code, stdout, stderr) =
            dashboard(&fixture_dir(), &["--apply", file.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.trim_end().ends_with(
                ": not a folder (a batch of changes is a folder of CSV or Parquet files, as \
                 DATA_DIR is)"
            ),
            "{stderr}"
        );
    }
    let _ = fs::remove_dir_all(&dir);
}
