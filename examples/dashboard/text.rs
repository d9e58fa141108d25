//! The text report: aligned tables for people.

use std::fmt::Write;
use std::time::Duration;

use crm_metrics::{Report, Table};

/// Renders the report as text.
pub fn render(report: &Report, source: &str, load_time: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "crm-metrics dashboard — {source}");
    let _ = writeln!(
        out,
        "as of {} ({}), period {} .. {}, previous {} .. {}, loaded in {:.0} ms",
        report.as_of.format("%Y-%m-%d %H:%M UTC"),
        report.time_zone,
        report.period.start(),
        report.period.end(),
        report.previous_period.start(),
        report.previous_period.end(),
        load_time.as_secs_f64() * 1000.0,
    );
    out.push('\n');
    data_quality(&mut out, report);
    out
}

fn data_quality(out: &mut String, report: &Report) {
    let q = &report.data_quality;
    let _ = writeln!(out, "DATA QUALITY");
    let _ = writeln!(
        out,
        "  {:<14} {:>12} {:>12} {:>12}",
        "table", "read", "accepted", "rejected"
    );
    for table in Table::ALL {
        let c = q.tables.0[table as usize];
        let _ = writeln!(
            out,
            "  {:<14} {:>12} {:>12} {:>12}",
            table.name(),
            thousands(c.read),
            thousands(c.accepted),
            thousands(c.rejected)
        );
    }
    let rejected: u64 = q.tables.0.iter().map(|c| c.rejected).sum();
    if rejected > 0 {
        let _ = writeln!(out, "\n  first rejected rows:");
        for r in q.rejected.iter().take(10) {
            let _ = writeln!(
                out,
                "  {}.csv line {:<6} {:<18} {}",
                r.table.name(),
                r.line,
                r.reason.name(),
                r.detail
            );
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
