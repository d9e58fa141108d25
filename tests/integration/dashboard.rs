//! The dashboard example's output, rendered by the example's own modules (compiled in
//! here with `#[path]`): text snapshots, the 100-column rule, HTML escaping and
//! self-containment, empty states, and a browser check of the HTML in headless
//! Chromium (skipped with a notice when Chromium is not installed, unless
//! `DASHBOARD_BROWSER_CHECK=require`).

// The example's modules; main.rs (argument parsing, loading, progress) is not included.
// Some helpers serve only main.rs.
#[allow(dead_code)]
#[path = "../../examples/dashboard/format.rs"]
mod format;
#[path = "../../examples/dashboard/html/mod.rs"]
mod html;
#[path = "../../examples/dashboard/text/mod.rs"]
mod text;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use crm_metrics::model::{
    Channel, Customer, Deal, Direction, Fanpage, Interaction, InteractionKind, Order, OrderLine,
    OrderStatus, Source, Staff,
};
use crm_metrics::{DatasetBuilder, Report, ReportOptions};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::fixtures::{case_tz, dataset_in, fixture_dir, options};

/// The arguments of a fixture case by name.
fn case_args(name: &str) -> Vec<String> {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_dir().join("cases.json")).expect("cases.json"),
    )
    .expect("cases.json is JSON");
    let case = cases
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no fixture case {name}"));
    case["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string arg").to_owned())
        .collect()
}

/// The report of a fixture case and the header facts the example would print, with a
/// fixed load time so that the output is the same on every run.
fn fixture_report(name: &str) -> (Report, format::Meta) {
    let args = case_args(name);
    let options = options(&args);
    let report = crm_metrics::report(dataset_in(case_tz(&args)), &options).expect("fixture report");
    let meta = format::Meta {
        source: "tests/fixtures/small/data".to_owned(),
        files: Some(".csv"),
        load_time: Some(Duration::from_millis(12)),
        filters: format::filters(&options),
    };
    (report, meta)
}

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/snapshots/{name}.txt"))
}

/// Compares `actual` with the committed snapshot; `UPDATE_SNAPSHOTS=1` rewrites it.
fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("snapshot dir")).expect("mkdir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let Ok(expected) = std::fs::read_to_string(&path) else {
        panic!(
            "no snapshot {}; create it with\n  UPDATE_SNAPSHOTS=1 cargo test --test integration dashboard::",
            path.display()
        );
    };
    if expected == actual {
        return;
    }
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let mut diff = String::new();
    for i in first.saturating_sub(3)..(first + 12).min(e.len().max(a.len())) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => diff.push_str(&format!("   {:>4} {x}\n", i + 1)),
            (x, y) => {
                if let Some(x) = x {
                    diff.push_str(&format!(" - {:>4} {x}\n", i + 1));
                }
                if let Some(y) = y {
                    diff.push_str(&format!(" + {:>4} {y}\n", i + 1));
                }
            }
        }
    }
    panic!(
        "the text report of `{name}` differs from {} ({} expected lines, {} actual) from \
         line {}:\n{diff}\nIf the change is intended, update the snapshot with\n  \
         UPDATE_SNAPSHOTS=1 cargo test --test integration dashboard::\nand review the \
         diff with `git diff tests/snapshots/`.",
        path.display(),
        e.len(),
        a.len(),
        first + 1
    );
}

#[test]
fn text_snapshot_default_this_month() {
    let (report, meta) = fixture_report("default_this_month");
    assert_snapshot("default_this_month", &text::render(&report, &meta));
}

#[test]
fn text_snapshot_customer_profile() {
    let (report, meta) = fixture_report("customer_profile");
    assert_snapshot("customer_profile", &text::render(&report, &meta));
}

/// Every line of every fixture case fits in 100 columns and has no trailing space.
#[test]
fn text_fits_in_100_columns() {
    for name in [
        "default_this_month",
        "last_30_days_sources",
        "custom_month_boundary",
        "berlin_dst_october",
        "customer_profile",
        "product_types_fanpages",
    ] {
        let (report, meta) = fixture_report(name);
        let out = text::render(&report, &meta);
        for (i, line) in out.lines().enumerate() {
            assert!(
                format::width(line) <= text::WIDTH,
                "{name} line {} is {} columns wide:\n{line}",
                i + 1,
                format::width(line)
            );
            assert_eq!(
                line,
                line.trim_end(),
                "{name} line {}: trailing space",
                i + 1
            );
        }
    }
}

/// The filters of a case are named in the header.
#[test]
fn text_header_names_the_filters() {
    let (report, meta) = fixture_report("last_30_days_sources");
    let out = text::render(&report, &meta);
    assert!(
        out.contains("filter    marketing sources: facebook_ads, zalo_ads"),
        "{}",
        &out[..out.len().min(600)]
    );
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("a valid instant")
}

const SCRIPT: &str = "<script>alert(1)</script>";
const PRODUCT: &str = "Tea & \"Coffee\" <b>";

/// A small dataset whose every text field tries to inject markup.
fn hostile_report() -> Report {
    let mut b = DatasetBuilder::new();
    b.push_customer(&Customer {
        id: "KH<1>".into(),
        created_at: at(2, 3),
        source: Source::SocialChat,
        name: Some(SCRIPT.into()),
        phone: Some("<i>0901</i>".into()),
        email: Some("a\"b@example.com".into()),
        gender: None,
        birth_date: None,
        zalo_id: Some("z'1".into()),
        facebook_id: None,
        notes: Some("</dl></div><script>alert(2)</script>".into()),
    });
    b.push_staff(&Staff {
        id: "NV\"1".into(),
        name: "<img src=x onerror=alert(3)>".into(),
    });
    b.push_fanpage(&Fanpage {
        id: "FP<1>".into(),
        name: "<page>".into(),
        channel: Some(Channel::Facebook),
        activated: true,
        linked_accounts: 1,
    });
    b.push_order(&Order {
        id: "DH&1".into(),
        customer_id: "KH<1>".into(),
        created_at: at(3, 3),
        status: OrderStatus::Completed,
        total: Decimal::new(1_250_000, 0),
        cost_of_goods: Some(Decimal::new(500_000, 0)),
        source: Some("<src>".into()),
        fanpage_id: Some("FP<1>".into()),
        staff_id: Some("NV\"1".into()),
        voucher_code: None,
    });
    b.push_order_line(&OrderLine {
        order_id: "DH&1".into(),
        product_id: PRODUCT.into(),
        product_name: Some(PRODUCT.into()),
        product_type: Some(PRODUCT.into()),
        quantity: 2,
        unit_price: Decimal::new(625_000, 0),
    });
    // A rejected row: its id and detail are data too.
    b.push_order(&Order {
        id: "<bad id>".into(),
        customer_id: "<no such customer>".into(),
        created_at: at(3, 4),
        status: OrderStatus::Completed,
        total: Decimal::new(1, 0),
        cost_of_goods: None,
        source: None,
        fanpage_id: None,
        staff_id: None,
        voucher_code: None,
    });
    b.push_deal(&Deal {
        id: "D<1>".into(),
        customer_id: Some("KH<1>".into()),
        created_at: at(4, 3),
        source: "ads<script>x</script>".into(),
        product_type: Some(PRODUCT.into()),
        handed_over_at: Some(at(5, 3)),
        opportunity_at: None,
        won_at: None,
        revenue: None,
    });
    for (i, (direction, hour)) in [(Direction::Inbound, 3), (Direction::Outbound, 4)]
        .into_iter()
        .enumerate()
    {
        b.push_interaction(&Interaction {
            id: format!("I<{i}>"),
            customer_id: "KH<1>".into(),
            at: at(3, hour),
            channel: Channel::Facebook,
            kind: InteractionKind::Message,
            direction,
            fanpage_id: Some("FP<1>".into()),
            staff_id: Some("NV\"1".into()),
            automated: false,
            campaign_id: None,
            ref_id: None,
        });
    }
    let dataset = b.build().expect("builds");
    let options = ReportOptions::new(at(15, 3))
        .sources(["ads<script>x</script>"])
        .customer("KH<1>");
    crm_metrics::report(&dataset, &options).expect("report")
}

/// Names, ids, sources, product ids and types, notes and rejection details from data
/// appear escaped, and the page holds no script but its own.
/// A rejected row is placed in its input's terms: a CSV record by file and line, a row
/// of a Parquet file (or of a batch or the sample) by table and row number.
#[test]
fn rejected_rows_are_placed_by_line_or_by_row() {
    let (mut report, mut meta) = fixture_report("default_this_month");
    let first = report.data_quality.rejected[0].clone();
    let at_line = format!("{}.csv line {}", first.table, first.line);
    assert!(text::render(&report, &meta).contains(&at_line));
    report.data_quality.rejected[0].origin = crm_metrics::Origin::PushedRow;
    meta.files = Some(".parquet");
    let at_row = format!("{}.parquet row {}", first.table, first.line);
    let text = text::render(&report, &meta);
    assert!(text.contains(&at_row), "{text}");
    assert!(text.contains(&format!("  {}.parquet ", first.table)));
    let page = html::render(&report, &meta);
    assert!(page.contains(&format!("row {}", first.line)));
    assert!(page.contains(&format!("{}.parquet", first.table)));
    // A snapshot or the sample names tables alone.
    meta.files = None;
    let text = text::render(&report, &meta);
    assert!(text.contains(&format!("{} row {}", first.table, first.line)));
}

#[test]
fn html_escapes_every_data_string() {
    let report = hostile_report();
    assert!(report.profile.is_some());
    let meta = format::Meta {
        source: "<folder>".into(),
        files: Some(".csv"),
        load_time: None,
        filters: vec![("marketing sources".into(), "ads<script>x</script>".into())],
    };
    let page = html::render(&report, &meta);
    assert!(!page.contains(SCRIPT), "a raw <script> from data");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(
        page.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(!page.contains("alert(2)</script>"));
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;img src=x onerror=alert(3)&gt;"));
    assert!(!page.contains(PRODUCT), "product text unescaped");
    assert!(page.contains("Tea &amp; &quot;Coffee&quot; &lt;b&gt;"));
    assert!(page.contains("KH&lt;1&gt;"));
    assert!(page.contains("DH&amp;1"));
    assert!(page.contains("NV&quot;1"));
    assert!(page.contains("z&#39;1"));
    assert!(!page.contains("<folder>") && page.contains("&lt;folder&gt;"));
    assert!(page.contains("&lt;bad id&gt;"), "rejected row id");
    assert!(!page.contains("<no such customer>"), "rejected row detail");
    // The text report prints the same strings as they are (a terminal runs no markup).
    let text = text::render(&report, &meta);
    assert!(text.contains(SCRIPT));
}

fn sections_of(page: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<section id=\"") {
        let after = &rest[start + 13..];
        let id_end = after.find('"').expect("id ends");
        let end = after.find("</section>").expect("section ends");
        out.push((&after[..id_end], &after[..end]));
        rest = &after[end..];
    }
    out
}

/// The fixture page: every report section has at least one chart with an SVG, charts
/// have stable ids, and nothing refers to the network.
#[test]
fn html_has_a_chart_per_section_and_needs_no_network() {
    let (report, meta) = fixture_report("customer_profile");
    let page = html::render(&report, &meta);
    let sections = sections_of(&page);
    let ids: Vec<&str> = sections.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        [
            "customers",
            "customer-picture",
            "marketing",
            "social",
            "lifecycle",
            "cohorts",
            "rfm",
            "profile",
            "data-quality"
        ]
    );
    for (id, body) in &sections {
        let charts = body.matches("<figure class=\"chart\"").count();
        assert!(charts >= 1, "section {id} has no chart");
        assert!(body.contains("<svg"), "section {id} draws nothing");
    }
    for id in [
        "chart-customers-daily",
        "chart-customers-dormant",
        "chart-picture-visits",
        "chart-picture-age",
        "chart-picture-spend-levels",
        "chart-picture-return-cycle",
        "chart-marketing-funnel",
        "chart-marketing-activity",
        "chart-marketing-product-types",
        "chart-social-funnel",
        "chart-social-reach-daily",
        "chart-social-reach-hourly",
        "chart-social-heatmap",
        "chart-profile-spending",
        "chart-lifecycle-monthly",
        "chart-cohorts-retention",
        "chart-rfm-grid",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "no chart {id}");
    }
    for network in [
        "http://", "https://", "src=", "<link", "@import", "url(", "//cdn",
    ] {
        assert!(!page.contains(network), "the page refers to {network:?}");
    }
    assert!(page.len() < 1_000_000, "page of {} bytes", page.len());
}

/// A shop with one customer and nothing else: every chart says so instead of drawing,
/// and neither renderer panics.
fn empty_report() -> Report {
    let mut b = DatasetBuilder::new();
    b.push_customer(&Customer {
        id: "KH1".into(),
        created_at: at(2, 3),
        source: Source::Manual,
        name: None,
        phone: None,
        email: None,
        gender: None,
        birth_date: None,
        zalo_id: None,
        facebook_id: None,
        notes: None,
    });
    let dataset = b.build().expect("builds");
    let options = ReportOptions::new(at(15, 3)).customer("KH1");
    crm_metrics::report(&dataset, &options).expect("report")
}

#[test]
fn empty_data_shows_empty_states() {
    let report = empty_report();
    let page = html::render(&report, &format::Meta::default());
    for message in [
        "No deal was created in this period.",
        "No message or comment in this period.",
        "No purchase this year.",
        "No customer has bought twice yet.",
    ] {
        assert!(page.contains(message), "no empty state {message:?}");
    }
    assert!(page.contains("data-empty=\"true\""));
    let text = text::render(&report, &format::Meta::default());
    assert!(text.contains("no deal activity in the period so far"));
}

// ---------------------------------------------------------------------------------------
// Browser check

/// `/usr/bin/chromium`, or `chromium` on PATH.
fn chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    })
}

/// What headless Chromium made of a page: the serialized DOM and its log.
struct Loaded {
    dom: String,
    log: String,
}

/// Opens `url` in a fresh headless Chromium and returns the DOM after scripts ran.
fn load_in_chromium(browser: &Path, dir: &Path, url: &str) -> Loaded {
    std::fs::create_dir_all(dir).expect("temp dir");
    let profile = dir.join("profile");
    let dom_path = dir.join("dom.html");
    let log_path = dir.join("chromium.log");
    let dom_file = std::fs::File::create(&dom_path).expect("dom file");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::from(dom_file))
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let dom = std::fs::read_to_string(&dom_path).unwrap_or_default();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(
        status.success() && !dom.is_empty(),
        "chromium failed ({status}) on {url}:\n{}",
        log.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    Loaded { dom, log }
}

/// Console messages (any level: the page logs nothing when all is well) and uncaught
/// exceptions in Chromium's log.
fn console_messages(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

/// The `data-…` attribute of the `<html>` element in a serialized DOM.
fn html_attribute<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let start = dom.find("<html")?;
    let tag = &dom[start..start + dom[start..].find('>')?];
    let key = format!("{name}=\"");
    let from = tag.find(&key)? + key.len();
    let len = tag[from..].find('"')?;
    Some(&tag[from..from + len])
}

#[test]
fn html_loads_in_headless_chromium() {
    let Some(browser) = chromium() else {
        let required = std::env::var("DASHBOARD_BROWSER_CHECK").is_ok_and(|v| v == "require");
        assert!(
            !required,
            "chromium not found, and DASHBOARD_BROWSER_CHECK=require"
        );
        eprintln!("chromium not found: browser check skipped");
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "crm-metrics-dashboard-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");

    // The fixture report with a profile: all eight sections.
    let (report, meta) = fixture_report("customer_profile");
    let page = dir.join("report.html");
    std::fs::write(&page, html::render(&report, &meta)).expect("write page");
    let url = format!("file://{}#selftest", page.display());
    let loaded = load_in_chromium(&browser, &dir.join("fixture"), &url);
    let console = console_messages(&loaded.log);
    assert!(
        console.is_empty(),
        "console output:\n{}",
        console.join("\n")
    );
    assert_eq!(
        html_attribute(&loaded.dom, "data-js"),
        Some("ok"),
        "the page's script did not finish cleanly: {:?}",
        html_attribute(&loaded.dom, "data-js-errors")
    );
    let selftest = html_attribute(&loaded.dom, "data-selftest").unwrap_or("missing");
    assert!(
        selftest.starts_with("ok: ") && !selftest.starts_with("ok: 0 "),
        "legend self-test: {selftest}"
    );
    let sections = sections_of(&loaded.dom);
    assert_eq!(sections.len(), 9, "sections in the rendered DOM");
    for id in [
        "chart-lifecycle-monthly",
        "chart-cohorts-retention",
        "chart-rfm-grid",
    ] {
        let start = loaded.dom.find(&format!("id=\"{id}\"")).expect(id);
        let figure = &loaded.dom[start..];
        let figure = &figure[..figure.find("</figure>").expect("figure ends")];
        assert!(
            figure.contains("<svg") && figure.contains("<title>"),
            "chart {id} has no marks with tooltips in the rendered DOM"
        );
    }
    for (id, body) in &sections {
        assert!(
            body.contains("class=\"chart\"") && body.contains("<svg"),
            "section {id} has no rendered chart"
        );
    }
    eprintln!(
        "browser check: {selftest}, {} sections with charts",
        sections.len()
    );

    // A shop with nothing in it: empty states, still no error.
    let page = dir.join("empty.html");
    std::fs::write(
        &page,
        html::render(&empty_report(), &format::Meta::default()),
    )
    .expect("write page");
    let url = format!("file://{}#selftest", page.display());
    let loaded = load_in_chromium(&browser, &dir.join("empty"), &url);
    let console = console_messages(&loaded.log);
    assert!(
        console.is_empty(),
        "console output:\n{}",
        console.join("\n")
    );
    assert_eq!(html_attribute(&loaded.dom, "data-js"), Some("ok"));
    let _ = std::fs::remove_dir_all(&dir);
}
