//! The HTML report: one self-contained page (inline CSS, inline SVG charts drawn here,
//! and a small inline script for legends). Nothing is loaded from the network, so the
//! file works offline and can be mailed or archived as it is.
//!
//! This module builds the page, its layout and its components (KPI cards, cards,
//! figures with legends, tables) and escapes text; [`svg`] draws the charts; one module
//! per report section fills its part of the page.
//!
//! **Escaping.** Every string that comes from data (names, ids, sources, product types,
//! details of rejected rows) is escaped with [`esc`] where it is written into markup.
//! The components take *text* parameters (escaped inside) and *markup* parameters
//! (named `html`, already built from escaped pieces). Series keys in `data-series` are
//! indices (`s0`, `s1`), never data text.

mod cohorts;
mod customer_picture;
mod customers;
mod lifecycle;
mod marketing;
mod profile;
mod rfm;
mod social;
pub mod svg;

use std::fmt::Write;
use std::ops::Range;

use chrono::{Datelike, NaiveDate};
use crm_metrics::Report;
use crm_metrics::money::Comparison;
use rust_decimal::Decimal;

use super::format::{self, Frame, Meta, Trend, count, money, percent, trend};
use svg::Series;

/// Escapes text for HTML content and attribute values (`&`, `<`, `>`, `"`, `'`).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders the whole report as one HTML page.
pub fn render(report: &Report, meta: &Meta) -> String {
    let frame = Frame::of(report);
    let mut sections: Vec<(&str, &str, String)> = vec![
        (
            "customers",
            "Customers",
            customers::render(&frame, &report.customers),
        ),
        (
            "customer-picture",
            "Customer picture",
            customer_picture::render(&frame, &report.customer_picture),
        ),
        (
            "marketing",
            "Marketing",
            marketing::render(&frame, &report.marketing),
        ),
        (
            "social",
            "Social chat",
            social::render(&frame, &report.social),
        ),
        (
            "lifecycle",
            "Lifecycle",
            lifecycle::render(&report.lifecycle),
        ),
        ("cohorts", "Cohorts", cohorts::render(&report.cohorts)),
        ("rfm", "RFM", rfm::render(&report.rfm)),
    ];
    if let Some(profile) = &report.profile {
        sections.push((
            "profile",
            "Customer profile",
            profile::render(&frame, profile),
        ));
    }
    sections.push(("data-quality", "Data quality", data_quality(report, meta)));

    let mut out = String::with_capacity(256 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>crm-metrics dashboard · {} .. {}</title>",
        report.period.start(),
        report.period.end()
    );
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");
    header(&mut out, report, meta, &sections);
    out.push_str("<main>\n");
    for (_, _, html) in &sections {
        out.push_str(html);
    }
    out.push_str("</main>\n");
    let _ = writeln!(
        out,
        "<footer>Made by the crm-metrics dashboard example. This file is self-contained: \
         it works offline and loads nothing from the network. Hover a number, a bar or a \
         cell for its exact value; click a legend entry to hide or show a series.</footer>"
    );
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

fn header(out: &mut String, report: &Report, meta: &Meta, sections: &[(&str, &str, String)]) {
    out.push_str("<header class=\"top\"><div class=\"wrap\">");
    let _ = write!(
        out,
        "<div class=\"brand\"><h1>Shop dashboard</h1><span class=\"source\" title=\"{}\">{}</span></div>",
        esc(&meta.source),
        esc(&format::truncate(&meta.source, 90))
    );
    out.push_str("<dl class=\"meta\">");
    let _ = write!(
        out,
        "<div><dt>Period</dt><dd>{}</dd></div><div><dt>Compared with</dt><dd>{}</dd></div><div><dt>As of</dt><dd>{}</dd></div>",
        esc(&format::period_so_far(
            &report.period,
            Frame::of(report).today
        )),
        esc(&match report.compare.name() {
            "previous_period" => format::period(&report.previous_period),
            mode => format!("{} ({mode})", format::period(&report.previous_period)),
        }),
        esc(&format::local_as_of(report)),
    );
    for (what, value) in &meta.filters {
        let _ = write!(
            out,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            esc(what),
            esc(value)
        );
    }
    if let Some(load) = meta.load_time {
        let _ = write!(
            out,
            "<div><dt>Data loaded in</dt><dd>{}</dd></div>",
            esc(&format::duration(load))
        );
    }
    out.push_str("</dl><nav>");
    for (id, title, _) in sections {
        let _ = write!(out, "<a href=\"#{id}\">{}</a>", esc(title));
    }
    out.push_str("</nav></div></header>\n");
    if let Some(summary) = report.data_quality.tables.rejection_summary() {
        let _ = writeln!(
            out,
            "<div class=\"banner\" role=\"alert\"><div class=\"wrap\"><strong>⚠ Rows were dropped:</strong> {}. <a href=\"#data-quality\">Data quality</a> lists each rejected row and why.</div></div>",
            esc(&summary.describe())
        );
    }
}

/// A report section: a heading, what it shows, and its cards.
pub fn section(id: &str, title: &str, about: &str, html: &str) -> String {
    format!(
        "<section id=\"{id}\" class=\"section\" data-section=\"{id}\">\n<div class=\"section-head\"><h2>{}</h2><p>{}</p></div>\n<div class=\"grid\">\n{html}</div>\n</section>\n",
        esc(title),
        esc(about)
    )
}

/// A card spanning `span` of the 12 grid columns, with a title, an optional subtitle
/// and its content (`html`).
pub fn card(span: u8, title: &str, subtitle: &str, html: &str) -> String {
    let sub = if subtitle.is_empty() {
        String::new()
    } else {
        format!("<p class=\"sub\">{}</p>", esc(subtitle))
    };
    format!(
        "<div class=\"card span-{span}\"><h3>{}</h3>{sub}{html}</div>\n",
        esc(title)
    )
}

/// A row of KPI cards (`html` = [`kpi`] items) across the page: up to 7 in one row,
/// more in two balanced rows.
pub fn kpis(items: &[String]) -> String {
    let rows = items.len().div_ceil(7).max(1);
    let columns = items.len().div_ceil(rows).max(1);
    kpi_grid(12, columns, items)
}

/// KPI cards in a grid of `columns` columns inside a block spanning `span` of the page's
/// 12 columns.
pub fn kpi_grid(span: u8, columns: usize, items: &[String]) -> String {
    format!(
        "<div class=\"kpis span-{span}\" style=\"--cols:{columns}\">{}</div>\n",
        items.concat()
    )
}

/// How a KPI compares with the previous period.
pub struct Compare {
    /// The previous value, formatted.
    pub previous: String,
    /// The delta (docs/metrics.md#conventions `cmp`).
    pub delta: Option<Decimal>,
    /// Whether a rise is good news (revenue) or bad news (cost, cancellations).
    pub good_when_up: bool,
}

/// One KPI card: a label, a big value, an optional comparison and note; `exact` is the
/// tooltip (the unrounded value).
pub fn kpi(label: &str, value: &str, exact: &str, compare: Option<Compare>, note: &str) -> String {
    let mut out = format!(
        "<div class=\"kpi\" title=\"{}\"><div class=\"label\">{}</div><div class=\"value{}\">{}</div>",
        esc(exact),
        esc(label),
        value_size(value),
        esc(value)
    );
    if let Some(c) = compare {
        let _ = write!(
            out,
            "<div class=\"cmp\">{} <span class=\"prev\">vs {}</span></div>",
            delta_chip(c.delta, c.good_when_up),
            esc(&c.previous)
        );
    }
    if !note.is_empty() {
        let _ = write!(out, "<div class=\"note\">{}</div>", esc(note));
    }
    out.push_str("</div>");
    out
}

/// A smaller font for long KPI values, so that `1,047,982,000.5` fits its card.
pub fn value_size(value: &str) -> &'static str {
    match value.chars().count() {
        0..=9 => "",
        10..=11 => " long",
        12..=13 => " xlong",
        _ => " xxlong",
    }
}

/// A delta as a coloured chip: green for good news, red for bad, grey for none.
pub fn delta_chip(delta: Option<Decimal>, good_when_up: bool) -> String {
    let t = trend(delta);
    let class = match (t, good_when_up) {
        (Trend::Up, true) | (Trend::Down, false) => "good",
        (Trend::Up, false) | (Trend::Down, true) => "bad",
        _ => "flat",
    };
    let title = match t {
        Trend::Unknown => "no change can be computed: the previous value is zero or unknown",
        _ => "change against the previous period",
    };
    format!(
        "<span class=\"delta {class}\" title=\"{title}\">{}</span>",
        esc(&format::delta(delta))
    )
}

/// A KPI of a count compared with the previous period.
pub fn kpi_count(label: &str, c: &Comparison<u64>, good_when_up: bool, note: &str) -> String {
    kpi(
        label,
        &count(c.current),
        &format!(
            "{label}: {} (previous {})",
            count(c.current),
            count(c.previous)
        ),
        Some(Compare {
            previous: count(c.previous),
            delta: c.delta,
            good_when_up,
        }),
        note,
    )
}

/// A KPI of an amount compared with the previous period.
pub fn kpi_money(label: &str, c: &Comparison<Decimal>, good_when_up: bool, note: &str) -> String {
    kpi(
        label,
        &money(&c.current),
        &format!(
            "{label}: {} (previous {})",
            format::number(&c.current),
            format::number(&c.previous)
        ),
        Some(Compare {
            previous: money(&c.previous),
            delta: c.delta,
            good_when_up,
        }),
        note,
    )
}

/// A KPI of a ratio compared with the previous period.
pub fn kpi_ratio(label: &str, c: &Comparison<Option<Decimal>>, note: &str) -> String {
    let exact = |r: &Option<Decimal>| r.map_or("n/a".to_owned(), |r| r.normalize().to_string());
    kpi(
        label,
        &percent(c.current),
        &format!(
            "{label}: {} (previous {})",
            exact(&c.current),
            exact(&c.previous)
        ),
        Some(Compare {
            previous: percent(c.previous),
            delta: c.delta,
            good_when_up: true,
        }),
        note,
    )
}

/// Daily lists longer than this are charted by week.
const MAX_DAILY_COLUMNS: usize = 92;

/// The x axis of a chart over a daily list: one column per day, or per week when the
/// period is long (a year of days makes columns too thin to read).
pub struct TimeAxis {
    /// One tooltip label per column.
    pub categories: Vec<String>,
    /// Labels under the axis.
    pub ticks: Vec<(usize, String)>,
    /// The days (indices into the daily list) of each column.
    pub groups: Vec<Range<usize>>,
    /// The first column that lies wholly after today.
    pub ahead_from: Option<usize>,
    /// `day` or `week`.
    pub unit: &'static str,
}

impl TimeAxis {
    /// The axis of a daily list with these dates.
    pub fn of(frame: &Frame, dates: &[NaiveDate]) -> TimeAxis {
        let past = frame.past_days(dates);
        if dates.len() <= MAX_DAILY_COLUMNS {
            return TimeAxis {
                categories: dates
                    .iter()
                    .map(|d| format!("{} ({})", format::short_date(*d), d.format("%a")))
                    .collect(),
                ticks: svg::date_ticks(dates),
                groups: (0..dates.len()).map(|i| i..i + 1).collect(),
                ahead_from: Some(past),
                unit: "day",
            };
        }
        let groups: Vec<Range<usize>> = format::group_days(dates, format::Grouping::Week)
            .into_iter()
            .map(|(_, range)| range)
            .collect();
        let mut categories = Vec::with_capacity(groups.len());
        let mut ticks: Vec<(usize, String)> = Vec::new();
        let mut ahead_from = None;
        for (i, range) in groups.iter().enumerate() {
            let (Some(first), Some(last)) = (dates.get(range.start), dates.get(range.end - 1))
            else {
                continue;
            };
            categories.push(format!(
                "week {} - {}",
                format::short_date(*first),
                format::short_date(*last)
            ));
            if let Some(day) = dates[range.clone()].iter().find(|d| d.day() == 1) {
                ticks.push((i, format::month_name(day.month()).to_owned()));
            }
            if ahead_from.is_none() && range.start >= past {
                ahead_from = Some(i);
            }
        }
        TimeAxis {
            categories,
            ticks,
            groups,
            ahead_from,
            unit: "week",
        }
    }

    /// Sums daily values into the axis' columns.
    pub fn sum(&self, values: &[u64]) -> Vec<u64> {
        self.groups
            .iter()
            .map(|r| values.get(r.clone()).map_or(0, |v| v.iter().sum()))
            .collect()
    }
}

/// What a figure shows: a chart, or a sentence when there is nothing to draw.
pub enum Chart {
    /// An `<svg>` element.
    Svg(String),
    /// The empty-state sentence.
    Empty(String),
}

/// A chart in a `<figure class="chart">` with a stable `id`, and a legend whose entries
/// toggle the series (`legend` empty: no legend).
pub fn figure(id: &str, kind: &str, chart: Chart, legend: &[Series]) -> String {
    let mut out = format!("<figure class=\"chart\" id=\"{id}\" data-chart=\"{kind}\"");
    match chart {
        Chart::Svg(svg) => {
            out.push('>');
            if !legend.is_empty() {
                out.push_str("<div class=\"legend\">");
                for (i, s) in legend.iter().enumerate() {
                    let _ = write!(
                        out,
                        "<button type=\"button\" data-series=\"{}\" aria-pressed=\"true\" title=\"show or hide {}\"><i style=\"background:{}\"></i>{}</button>",
                        svg::key(i),
                        esc(&s.name),
                        esc(&s.color),
                        esc(&s.name)
                    );
                }
                out.push_str("</div>");
            }
            out.push_str(&svg);
        }
        Chart::Empty(message) => {
            let _ = write!(
                out,
                " data-empty=\"true\"><div class=\"empty\">{}</div>",
                esc(&message)
            );
        }
    }
    out.push_str("</figure>");
    out
}

/// A table cell.
pub enum Cell {
    /// Text, left-aligned.
    Text(String),
    /// Text kept on one line (a date and time).
    NoWrap(String),
    /// A number, right-aligned.
    Num(String),
    /// A number with a tooltip (the exact value).
    NumTitle(String, String),
    /// Markup (already escaped), left-aligned.
    Html(String),
    /// A delta chip.
    Delta(Option<Decimal>, bool),
}

/// A table; `numeric[i]` right-aligns column `i`'s header.
pub fn table(head: &[&str], numeric: &[bool], rows: &[Vec<Cell>]) -> String {
    let mut out = String::from("<div class=\"table-wrap\"><table><thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let class = if numeric.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(out, "<th{class}>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            match cell {
                Cell::Text(t) => {
                    let _ = write!(out, "<td>{}</td>", esc(t));
                }
                Cell::NoWrap(t) => {
                    let _ = write!(out, "<td class=\"nowrap\">{}</td>", esc(t));
                }
                Cell::Num(t) => {
                    let _ = write!(out, "<td class=\"num\">{}</td>", esc(t));
                }
                Cell::NumTitle(t, title) => {
                    let _ = write!(
                        out,
                        "<td class=\"num\" title=\"{}\">{}</td>",
                        esc(title),
                        esc(t)
                    );
                }
                Cell::Html(h) => {
                    let _ = write!(out, "<td>{h}</td>");
                }
                Cell::Delta(d, good) => {
                    let _ = write!(out, "<td class=\"num\">{}</td>", delta_chip(*d, *good));
                }
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// A colour swatch followed by a label (text).
pub fn swatch(color: &str, label: &str) -> String {
    format!(
        "<span class=\"sw\"><i style=\"background:{}\"></i>{}</span>",
        esc(color),
        esc(label)
    )
}

/// A small paragraph of explanatory text.
pub fn note(text: &str) -> String {
    format!("<p class=\"note\">{}</p>", esc(text))
}

/// Colours of the eleven customer sources (docs/input-format.md order), used wherever a source is.
pub const SOURCE_COLORS: [&str; 11] = [
    "#2563eb", "#f97316", "#7c3aed", "#64748b", "#16a34a", "#84cc16", "#0ea5e9", "#db2777",
    "#e11d48", "#14b8a6", "#ca8a04",
];

/// Colours of the four stages of a funnel (created/reached … won/delivered).
pub const STAGE_COLORS: [&str; 4] = ["#6366f1", "#0ea5e9", "#f59e0b", "#10b981"];

/// A card with a four-stage funnel (`stages` as label and count, widest first), or
/// `empty` when the first stage is 0. `id` names the figure (`chart-…`).
pub fn funnel_card(
    id: &str,
    title: &str,
    subtitle: &str,
    stages: [(&str, u64); 4],
    empty: &str,
) -> String {
    let chart = if stages[0].1 == 0 {
        Chart::Empty(empty.to_owned())
    } else {
        let stages: Vec<svg::Stage> = stages
            .iter()
            .zip(STAGE_COLORS)
            .map(|(&(label, value), color)| svg::Stage {
                label: label.to_owned(),
                value,
                color: color.to_owned(),
            })
            .collect();
        Chart::Svg(svg::funnel(W5, &stages))
    };
    card(5, title, subtitle, &figure(id, "funnel", chart, &[]))
}

/// A categorical palette for free-text categories (marketing sources, product types):
/// the `i`-th category of a sorted list gets `PALETTE[i % len]`.
pub const PALETTE: [&str; 10] = [
    "#2563eb", "#f97316", "#10b981", "#e11d48", "#8b5cf6", "#0891b2", "#ca8a04", "#db2777",
    "#65a30d", "#64748b",
];

/// `viewBox` widths of charts in cards of each span, about their size on a 1,320 px
/// wide page, so that chart text is drawn at its nominal size there.
pub const W12: f64 = 1230.0;
/// See [`W12`].
pub const W7: f64 = 700.0;
/// See [`W12`].
pub const W6: f64 = 600.0;
/// See [`W12`].
pub const W5: f64 = 490.0;

/// The main accent colour.
pub const ACCENT: &str = "#4f46e5";
/// A second colour for two-series charts.
pub const SECOND: &str = "#f59e0b";

fn data_quality(report: &Report, meta: &Meta) -> String {
    let q = &report.data_quality;
    let mut cards = String::new();
    let rows: Vec<svg::BarRow> = crm_metrics::Table::ALL
        .iter()
        .map(|t| svg::BarRow {
            label: super::format::table_label(*t, meta),
            note: String::new(),
        })
        .collect();
    let counts: Vec<_> = crm_metrics::Table::ALL
        .iter()
        .map(|t| q.tables.0[*t as usize])
        .collect();
    let series = [
        Series::counts("accepted", "#10b981", counts.iter().map(|c| c.accepted)),
        Series::counts("rejected", "#ef4444", counts.iter().map(|c| c.rejected)),
    ];
    let read: u64 = counts.iter().map(|c| c.read).sum();
    let chart = if read == 0 {
        Chart::Empty("No rows were read.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W6,
            rows: &rows,
            series: &series,
            label_width: 130.0,
            max: None,
        }))
    };
    cards.push_str(&card(
        6,
        "Rows read, accepted and rejected",
        "Every row is either accepted or rejected with a reason; nothing is lost silently.",
        &figure("chart-data-quality-tables", "hbars", chart, &series),
    ));
    let mut reasons: Vec<Vec<Cell>> = crm_metrics::Reason::ALL
        .iter()
        .filter_map(|r| {
            let n = q.rejected_by_reason.get(r.name());
            (n > 0).then(|| {
                vec![
                    Cell::Text(r.name().to_owned()),
                    Cell::Text("rejected".to_owned()),
                    Cell::Num(count(n)),
                ]
            })
        })
        .collect();
    reasons.extend(crm_metrics::Warning::ALL.iter().filter_map(|w| {
        let n = q.warnings_by_reason.get(w.name());
        (n > 0).then(|| {
            vec![
                Cell::Text(w.name().to_owned()),
                Cell::Text("kept, with a warning".to_owned()),
                Cell::Num(count(n)),
            ]
        })
    }));
    let body = if reasons.is_empty() {
        "<div class=\"empty\">Every row was accepted.</div>".to_owned()
    } else {
        table(&["reason", "row", "rows"], &[false, false, true], &reasons)
    };
    cards.push_str(&card(6, "Problems by reason", "", &body));
    let accepted = q.tables.0[crm_metrics::Table::Customers as usize].accepted;
    let later = accepted.saturating_sub(report.customers.total_customers);
    if later > 0 {
        cards.push_str(&card(
            12,
            "Customers dated after as_of",
            "",
            &note(&format!(
                "{} of the {} accepted customers {} created after as_of: the reports count the {} that exist at as_of.",
                count(later),
                count(accepted),
                if later == 1 { "is" } else { "are" },
                count(report.customers.total_customers),
            )),
        ));
    }
    if !q.rejected.is_empty() {
        // Grouped by reason, the first rows of each with their whole detail.
        const SHOWN: usize = 5;
        for reason in crm_metrics::Reason::ALL {
            let listed: Vec<_> = q.rejected.iter().filter(|r| r.reason == reason).collect();
            if listed.is_empty() {
                continue;
            }
            let total = q.rejected_by_reason.get(reason.name());
            let rows: Vec<Vec<Cell>> = listed
                .iter()
                .take(SHOWN)
                .map(|r| {
                    let (file, place) = super::format::rejection_place(r, meta);
                    vec![
                        Cell::Text(file),
                        Cell::Text(place),
                        Cell::Text(r.id.clone().unwrap_or_default()),
                        Cell::Text(r.detail.clone()),
                    ]
                })
                .collect();
            let mut body = table(
                &["file or table", "line or row", "id", "detail"],
                &[false, false, false, false],
                &rows,
            );
            if total > rows.len() as u64 {
                body.push_str(&note(&format!(
                    "The first {} of {} rows; the JSON report (--format json) lists the first 100 rejected rows of all reasons.",
                    rows.len(),
                    count(total)
                )));
            }
            let title = format!(
                "Rejected: {} · {} row{}",
                reason.name(),
                count(total),
                if total == 1 { "" } else { "s" }
            );
            cards.push_str(&card(12, &title, "", &body));
        }
    }
    section(
        "data-quality",
        "Data quality",
        "What was read from the files, and what was rejected and why.",
        &cards,
    )
}

/// The page's style sheet.
const CSS: &str = r##"
:root{--bg:#f4f5f9;--card:#fff;--ink:#111827;--ink2:#374151;--muted:#6b7280;--line:#e5e7eb;--good:#047857;--good-bg:#d1fae5;--bad:#b91c1c;--bad-bg:#fee2e2;--flat-bg:#f3f4f6;--accent:#4f46e5}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Liberation Sans",Arial,sans-serif;-webkit-font-smoothing:antialiased}
.wrap,main{max-width:1400px;margin:0 auto;padding:0 28px}
.banner{background:#fef3c7;color:#78350f;border-bottom:1px solid #f59e0b;padding:10px 0;font-size:15px}.banner a{color:#78350f;font-weight:600}
header.top{background:#111827;color:#f9fafb;padding:20px 0 0;position:sticky;top:0;z-index:5;box-shadow:0 2px 6px rgba(0,0,0,.15)}
.brand{display:flex;align-items:baseline;gap:14px;flex-wrap:wrap}
.brand h1{font-size:20px;margin:0;font-weight:650;letter-spacing:.2px}
.brand .source{color:#9ca3af;font-size:13px}
dl.meta{display:flex;flex-wrap:wrap;gap:6px 28px;margin:10px 0 12px}
dl.meta div{display:flex;gap:6px;align-items:baseline}
dl.meta dt{color:#9ca3af;font-size:12px;text-transform:uppercase;letter-spacing:.4px}
dl.meta dd{margin:0;font-weight:550}
nav{display:flex;gap:2px;overflow-x:auto}
nav a{color:#d1d5db;text-decoration:none;padding:8px 12px;border-bottom:2px solid transparent;font-size:13px;white-space:nowrap}
nav a:hover{color:#fff;border-bottom-color:#818cf8}
main{padding-top:8px;padding-bottom:24px}
section.section{padding-top:24px;scroll-margin-top:130px}
.section-head{display:flex;align-items:baseline;gap:14px;margin:0 0 12px;flex-wrap:wrap}
.section-head h2{font-size:19px;margin:0}
.section-head p{margin:0;color:var(--muted)}
.grid{display:grid;grid-template-columns:repeat(12,minmax(0,1fr));gap:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 18px;box-shadow:0 1px 2px rgba(16,24,40,.04);min-width:0}
.card h3{margin:0 0 2px;font-size:14px;font-weight:650;color:var(--ink)}
.card p.sub{margin:0 0 10px;color:var(--muted);font-size:12.5px}
.card h3.second{margin:18px 0 8px}
.span-3{grid-column:span 3}.span-4{grid-column:span 4}.span-5{grid-column:span 5}.span-6{grid-column:span 6}.span-7{grid-column:span 7}.span-8{grid-column:span 8}.span-12{grid-column:span 12}
.kpis{display:grid;grid-template-columns:repeat(var(--cols,4),minmax(0,1fr));gap:12px;align-content:start}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:12px 14px;box-shadow:0 1px 2px rgba(16,24,40,.04);min-width:0}
.kpi .label{color:var(--muted);font-size:12.5px;line-height:1.3;min-height:2.6em}
.kpi .value{font-size:24px;font-weight:680;margin:2px 0 4px;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;line-height:1.25}
.kpi .value.long{font-size:19px;padding-top:3px}
.kpi .value.xlong{font-size:16px;padding-top:5px}
.kpi .value.xxlong{font-size:14px;padding-top:7px}
.kpi .cmp{font-size:12.5px;color:var(--muted);overflow-wrap:anywhere}
.kpi .note{font-size:12px;color:var(--muted);margin-top:2px}
.delta{display:inline-block;padding:1px 7px;border-radius:999px;font-size:12px;font-weight:600;font-variant-numeric:tabular-nums;background:var(--flat-bg);color:var(--muted);white-space:nowrap}
.delta.good{background:var(--good-bg);color:var(--good)}
.delta.bad{background:var(--bad-bg);color:var(--bad)}
figure.chart{margin:0}
figure.chart svg{width:100%;height:auto;display:block;overflow:visible}
figure.chart svg text{font-size:11px;font-family:inherit}
figure.chart svg .axis-title{font-size:11px}
figure.chart svg .funnel-value{font-size:14px;font-weight:650;fill:#fff}
figure.chart svg .funnel-value.outside{fill:#374151}
figure.chart svg .funnel-label{font-size:12px}
figure.chart svg g.col:hover rect.seg,figure.chart svg g:hover>rect{filter:brightness(1.08)}
figure.chart svg rect.hit:hover{fill:rgba(79,70,229,.06)}
.legend{display:flex;flex-wrap:wrap;gap:4px 6px;margin:0 0 8px}
.legend button{font:inherit;font-size:12px;display:inline-flex;align-items:center;gap:6px;border:1px solid var(--line);background:#fff;border-radius:999px;padding:2px 10px 2px 8px;cursor:pointer;color:var(--ink2)}
.legend button:hover{border-color:#c7d2fe}
.legend button[aria-pressed="false"]{opacity:.45;text-decoration:line-through}
.legend i,.sw i{display:inline-block;width:10px;height:10px;border-radius:3px}
.sw{display:inline-flex;align-items:center;gap:6px}
.off{display:none}
.empty{color:var(--muted);text-align:center;padding:36px 12px;border:1px dashed #d1d5db;border-radius:10px;background:#fafafa}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:13px}
th{color:var(--muted);font-weight:600;font-size:12px;text-align:left;border-bottom:1px solid var(--line);padding:6px 8px;white-space:nowrap}
td{padding:6px 8px;border-bottom:1px solid #f0f1f4;vertical-align:top}
tbody tr:hover td{background:#f9fafb}
th.num,td.num{text-align:right;white-space:nowrap}
td.nowrap{white-space:nowrap}
p.note{color:var(--muted);font-size:12.5px;margin:8px 0 0}
.scroll{max-height:430px;overflow-y:auto}
.prev{color:var(--muted)}
.profile-head{display:flex;gap:16px;align-items:center}
.avatar{width:56px;height:56px;border-radius:50%;background:#e0e7ff;color:#3730a3;display:flex;align-items:center;justify-content:center;font-size:22px;font-weight:700;flex:none}
.profile-head .name{font-size:18px;font-weight:650}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:4px 14px;margin:12px 0 0;font-size:13px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
footer{max-width:1400px;margin:0 auto;padding:8px 28px 32px;color:var(--muted);font-size:12px}
@media (max-width:1100px){.span-3,.span-4,.span-5{grid-column:span 6}.span-6,.span-7,.span-8{grid-column:span 12}.kpis{grid-template-columns:repeat(4,minmax(0,1fr))}}
@media (max-width:700px){.span-3,.span-4,.span-5,.span-6{grid-column:span 12}.kpis{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media print{header.top{position:static;background:none;color:#000;box-shadow:none}nav,.legend{display:none}body{background:#fff}.card,.kpi{break-inside:avoid;box-shadow:none}}
"##;

/// The page's script: legend toggles (and restacking of stacked columns), an error
/// flag on `<html>` (`data-js="ok"` or `"error"`), and a self-test that clicks every
/// legend entry when the page is opened with `#selftest` (used by the browser check).
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var root = document.documentElement;
  var errors = [];
  function flag() {
    root.setAttribute("data-js", errors.length ? "error" : "ok");
    if (errors.length) root.setAttribute("data-js-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (e) { errors.push(String(e.message)); flag(); });
  function restack(figure) {
    figure.querySelectorAll("svg[data-y0]").forEach(function (svg) {
      var y0 = parseFloat(svg.getAttribute("data-y0")), k = parseFloat(svg.getAttribute("data-k"));
      svg.querySelectorAll("g.col").forEach(function (col) {
        var y = y0;
        col.querySelectorAll("rect.seg").forEach(function (r) {
          if (r.classList.contains("off")) return;
          var h = parseFloat(r.getAttribute("data-v")) * k;
          y -= h;
          r.setAttribute("y", y.toFixed(2));
          r.setAttribute("height", h.toFixed(2));
        });
      });
    });
  }
  function toggle(button) {
    var figure = button.closest("figure");
    var key = button.getAttribute("data-series");
    var hide = button.getAttribute("aria-pressed") !== "false";
    button.setAttribute("aria-pressed", hide ? "false" : "true");
    figure.querySelectorAll("svg [data-series='" + key + "']").forEach(function (el) {
      el.classList.toggle("off", hide);
    });
    restack(figure);
  }
  var buttons = document.querySelectorAll("figure .legend button");
  buttons.forEach(function (b) { b.addEventListener("click", function () { toggle(b); }); });
  function selftest() {
    var checked = 0;
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i], figure = b.closest("figure"), key = b.getAttribute("data-series");
      var marks = figure.querySelectorAll("svg [data-series='" + key + "']");
      b.click();
      for (var j = 0; j < marks.length; j++) {
        if (getComputedStyle(marks[j]).display !== "none") return "fail: " + figure.id + " " + key + " still shown";
      }
      var svg = figure.querySelector("svg[data-y0]");
      if (svg) {
        var y0 = parseFloat(svg.getAttribute("data-y0"));
        var cols = svg.querySelectorAll("g.col");
        for (var c = 0; c < cols.length; c++) {
          var y = y0, segs = cols[c].querySelectorAll("rect.seg:not(.off)");
          for (var s = 0; s < segs.length; s++) {
            var bottom = parseFloat(segs[s].getAttribute("y")) + parseFloat(segs[s].getAttribute("height"));
            if (Math.abs(bottom - y) > 0.05) return "fail: " + figure.id + " not restacked";
            y = parseFloat(segs[s].getAttribute("y"));
          }
        }
      }
      b.click();
      for (var m = 0; m < marks.length; m++) {
        if (getComputedStyle(marks[m]).display === "none") return "fail: " + figure.id + " " + key + " not shown again";
      }
      checked++;
    }
    return "ok: " + checked + " legend entries";
  }
  if (location.hash === "#selftest") {
    var result;
    try { result = selftest(); } catch (e) { result = "fail: " + e; }
    root.setAttribute("data-selftest", result);
  }
  flag();
})();
"##;

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>alert(1)</script> & \"x\" 'y'"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;"
        );
    }
}
