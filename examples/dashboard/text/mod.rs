//! The text report: one screen per section, aligned columns, readable at 100 columns.

mod customer_picture;
mod customers;
mod marketing;
mod profile;
mod social;

use std::fmt::Write;
use std::time::Duration;

use crm_metrics::Report;
use crm_metrics::money::Cmp;
use rust_decimal::Decimal;

/// Renders the whole report.
pub fn render(report: &Report, source: &str, load_time: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "crm-metrics dashboard — {source}");
    let _ = writeln!(
        out,
        "as of {} ({})   period {} .. {}   previous {} .. {}   loaded in {:.0} ms",
        report.as_of.format("%Y-%m-%d %H:%M UTC"),
        report.time_zone,
        report.period.start(),
        report.period.end(),
        report.previous_period.start(),
        report.previous_period.end(),
        load_time.as_secs_f64() * 1000.0,
    );
    customers::render(&mut out, &report.customers);
    customer_picture::render(&mut out, &report.customer_picture);
    marketing::render(&mut out, &report.marketing);
    social::render(&mut out, &report.social);
    if let Some(profile) = &report.profile {
        profile::render(&mut out, profile);
    }
    data_quality(&mut out, report);
    out
}

/// A section title with a rule under it.
pub fn title(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}\n{}", "─".repeat(title.chars().count()));
}

fn data_quality(out: &mut String, report: &Report) {
    let q = &report.data_quality;
    title(out, "DATA QUALITY");
    let mut table = TextTable::new(&["table", "read", "accepted", "rejected"]);
    for table_name in crm_metrics::Table::ALL {
        let c = q.tables.0[table_name as usize];
        table.row(vec![
            table_name.name().to_owned(),
            count(c.read),
            count(c.accepted),
            count(c.rejected),
        ]);
    }
    table.render(out);
    if !q.rejected.is_empty() {
        let _ = writeln!(out, "\nfirst rejected rows:");
        for r in q.rejected.iter().take(10) {
            let detail: String = r.detail.chars().take(60).collect();
            let _ = writeln!(
                out,
                "  {}.csv line {:<7} {:<18} {}",
                r.table.name(),
                r.line,
                r.reason.name(),
                detail
            );
        }
        if q.rejected.len() > 10 {
            let _ = writeln!(out, "  … ({} listed in the JSON report)", q.rejected.len());
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Money with thousands separators; decimals only when the amount has them
/// (`1250000` → `1,250,000`, `121284000.5` → `121,284,000.5`).
pub fn money(amount: &Decimal) -> String {
    let text = amount.normalize().to_string();
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    match text.split_once('.') {
        Some((int, frac)) => format!("{sign}{}.{frac}", group(int)),
        None => format!("{sign}{}", group(text)),
    }
}

/// A fraction as a percentage with one decimal, `n/a` when undefined.
pub fn percent(ratio: Option<Decimal>) -> String {
    match ratio {
        Some(r) => format!("{}%", (r * Decimal::ONE_HUNDRED).round_dp(1).normalize()),
        None => "n/a".to_owned(),
    }
}

/// A delta as a signed percentage with an up/down marker, `n/a` when undefined.
pub fn delta(delta: Option<Decimal>) -> String {
    match delta {
        None => "n/a".to_owned(),
        Some(d) => {
            let pct = (d * Decimal::ONE_HUNDRED).round_dp(1).normalize();
            if d > Decimal::ZERO {
                format!("▲ +{pct}%")
            } else if d < Decimal::ZERO {
                format!("▼ {pct}%")
            } else {
                "= 0%".to_owned()
            }
        }
    }
}

/// A count compared with the previous period: `[current, previous, delta]`.
pub fn cmp_count(c: &Cmp<u64>) -> [String; 3] {
    [count(c.current), count(c.previous), delta(c.delta)]
}

/// An amount compared with the previous period.
pub fn cmp_money(c: &Cmp<Decimal>) -> [String; 3] {
    [money(&c.current), money(&c.previous), delta(c.delta)]
}

/// A ratio compared with the previous period.
pub fn cmp_ratio(c: &Cmp<Option<Decimal>>) -> [String; 3] {
    [percent(c.current), percent(c.previous), delta(c.delta)]
}

/// Columns aligned on their widths: the first left-aligned, the others right-aligned.
pub struct TextTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with these column headers.
    pub fn new(header: &[&str]) -> TextTable {
        TextTable {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as headers).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Writes the table, indented by two spaces.
    pub fn render(&self, out: &mut String) {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |out: &mut String, cells: &[String]| {
            out.push(' ');
            for (i, cell) in cells.iter().enumerate().take(columns) {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.push(' ');
                if i == 0 {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(pad));
                } else {
                    out.push_str(&" ".repeat(pad + 1));
                    out.push_str(cell);
                }
            }
            out.push('\n');
        };
        line(out, &self.header);
        for row in &self.rows {
            line(out, row);
        }
    }
}
