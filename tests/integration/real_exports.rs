//! A folder as a shop owner exports it from a spreadsheet (docs/input-format.md): a byte
//! order mark, CRLF line ends, headers spelled `Created At` / `customer-id` / `STATUS`,
//! enumerated values in capitals with blanks around them, and timestamps without an
//! offset (local times in `--tz`). The dashboard example reads it, says loudly that rows
//! were rejected, and refuses a `;`-separated file with exit status 2.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// A fresh folder under the system's temp dir holding `files`.
fn folder(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crm-real-exports-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, bytes) in files {
        std::fs::write(dir.join(file), bytes).unwrap();
    }
    dir
}

/// Runs the dashboard example on `dir`: (exit code, stdout, stderr).
fn dashboard(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let fixed = ["--as-of", "2026-11-15T10:00:00+07:00", "--tz", "+07:00"];
    crate::run_dashboard(
        [dir.as_os_str()]
            .into_iter()
            .chain(fixed.iter().chain(args).map(std::ffi::OsStr::new)),
    )
}

/// customers.csv: BOM, CRLF, header names in other spellings, capitals and blanks in
/// enumerations, timestamps with and without an offset, with and without seconds.
const CUSTOMERS: &[u8] = b"\xEF\xBB\xBFID,Created At,Source,Name,Gender\r\n\
KH1,2026-11-03 10:00,Shopee,Lan,Female\r\n\
KH2,2026-11-04T09:30:15,ZALO_OA,Minh, male \r\n\
KH3,2026-11-05T10:00:00+07:00, Pos ,An,\r\n\
KH4,2026-11-05 24:00,pos,Binh,\r\n";

/// orders.csv: `customer-id`, `STATUS`, a quoted total with thousands separators.
const ORDERS: &[u8] = b"id,customer-id,Created At,STATUS,Total\r\n\
DH1,KH1,2026-11-03 11:00,Completed,125000\r\n\
DH2,KH2,2026-11-04 10:00, Pending ,99.5\r\n\
DH3,KH3,2026-11-05 12:00,CANCELLED,10\r\n\
DH4,KH4,2026-11-05 10:00,completed,10\r\n\
DH5,KH1,2026-11-06 10:00,completed,\"1,250,000\"\r\n";

const BANNER: &str = "1 of 4 customers and 2 of 5 orders were rejected: see data quality";

#[test]
fn a_spreadsheet_export_is_read_and_its_rejections_are_announced() {
    let dir = folder(
        "messy",
        &[("customers.csv", CUSTOMERS), ("orders.csv", ORDERS)],
    );

    // JSON: what was accepted, and the values as stored.
    let (code, stdout, stderr) = dashboard(&dir, &["--format", "json", "--customer", "KH1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let tables = &report["data_quality"]["tables"];
    assert_eq!(
        tables["customers"],
        json!({"read": 4, "accepted": 3, "rejected": 1})
    );
    assert_eq!(
        tables["orders"],
        json!({"read": 5, "accepted": 3, "rejected": 2})
    );
    let rejected: Vec<(String, u64, String)> = report["data_quality"]["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["line"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            ("KH4".to_owned(), 5, "parse_error".to_owned()), // 24:00 is not a time
            ("DH4".to_owned(), 5, "unknown_customer".to_owned()), // KH4 was rejected
            ("DH5".to_owned(), 6, "parse_error".to_owned()), // 1,250,000
        ]
    );
    let detail = report["data_quality"]["rejected"][2]["detail"]
        .as_str()
        .unwrap();
    assert!(
        detail.starts_with("column total: not a plain number"),
        "{detail}"
    );
    assert!(detail.contains("no thousands separators"), "{detail}");
    // KH1: `2026-11-03 10:00` at +07:00 is 03:00 UTC; `Shopee` and `Female` lower-cased.
    let customer = &report["profile"]["customer"];
    assert_eq!(customer["created_at"], "2026-11-03T03:00:00Z");
    assert_eq!(customer["source"], "shopee");
    assert_eq!(customer["gender"], "female");
    // Its one purchase: DH1, `Completed`, 11:00 local = 04:00 UTC.
    let history = &report["profile"]["purchase_history"];
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["status"], "completed");
    assert_eq!(history[0]["created_at"], "2026-11-03T04:00:00Z");
    assert_eq!(report["customers"]["total_customers"], 3);
    assert_eq!(report["customer_picture"]["invoices"], 1);
    // The banner line on stderr, once.
    assert_eq!(
        stderr.lines().filter(|l| l.contains(BANNER)).count(),
        1,
        "{stderr}"
    );

    // Text: the banner is among the first lines, and on stderr.
    let (code, stdout, stderr) = dashboard(&dir, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let head: Vec<&str> = stdout.lines().take(3).collect();
    assert!(
        head.iter().any(|l| l.contains(BANNER)),
        "no banner in the first lines:\n{}",
        head.join("\n")
    );
    assert!(stderr.contains(BANNER), "{stderr}");
    // The data-quality section gives each rejected row's whole detail.
    assert!(stdout.contains("orders.csv line 6, id DH5: column total: not a plain number"));
    assert!(stdout.contains("1250000₫): \"1,250,000\""), "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Money is rounded for display only; a filter value that matches nothing warns with the
/// values that exist; a mistyped flag keeps clap's whole message and exit status 2.
#[test]
fn display_options_filter_warnings_and_argument_errors() {
    let dir = folder(
        "options",
        &[("customers.csv", CUSTOMERS), ("orders.csv", ORDERS)],
    );
    let deals = b"id,created_at,source,product_type\nD1,2026-11-03 10:00,facebook_ads,course\n";
    std::fs::write(dir.join("deals.csv"), deals).unwrap();
    // DH2's 99.5 is a pending order; KH1's purchase 125000 shows with 2 decimals.
    let (code, stdout, _) = dashboard(&dir, &["--money-decimals", "2"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("average spend per buying customer 125,000.00"),
        "{stdout}"
    );
    let (code, stdout, _) = dashboard(&dir, &[]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("average spend per buying customer 125,000\n"));

    let (code, _, stderr) = dashboard(&dir, &["--source", "GoogleAds", "--product-type", "course"]);
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains(
            "dashboard: warning: --source \"GoogleAds\" matches nothing in the data (values are \
             matched exactly); the data has: \"facebook_ads\""
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("--product-type"), "{stderr}");

    let (code, stdout, stderr) = dashboard(&dir, &["--sorce", "x"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(stderr.contains("unexpected argument '--sorce'"), "{stderr}");
    assert!(
        stderr.contains("a similar argument exists: '--source'"),
        "{stderr}"
    );
    let (code, _, stderr) = dashboard(&dir, &["--format", "xml"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("[possible values: text, json, html]"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_semicolon_separated_file_is_refused_with_exit_2() {
    let dir = folder(
        "semicolon",
        &[
            (
                "customers.csv",
                b"id;created_at;source\r\nKH1;2026-11-03 10:00;pos\r\n",
            ),
            ("orders.csv", b"id,customer_id,created_at,status,total\n"),
        ],
    );
    let (code, stdout, stderr) = dashboard(&dir, &[]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert_eq!(
        stderr.trim_end(),
        "dashboard: customers.csv looks ;-separated (its header has none of the required \
         columns): the separator must be a comma; save the file as comma-separated CSV"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_clean_folder_has_no_banner() {
    let dir = folder(
        "clean",
        &[
            (
                "customers.csv",
                b"id,created_at,source\nKH1,2026-11-03 10:00,pos\n",
            ),
            ("orders.csv", b"id,customer_id,created_at,status,total\n"),
        ],
    );
    let (code, stdout, stderr) = dashboard(&dir, &[]);
    assert_eq!(code, Some(0));
    assert!(!stdout.contains("rejected: see data quality"));
    assert!(stderr.is_empty(), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
