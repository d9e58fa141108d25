//! The text report (README.md, the default format): one screen per section, aligned
//! columns, nothing wider than [`WIDTH`] columns.
//!
//! Long daily lists are shown as a sparkline (one character per day) plus a table of
//! the days with activity, or of weeks or months when there are too many such days;
//! every row is in the JSON report.

mod cohorts;
mod customer_picture;
mod customers;
mod lifecycle;
mod marketing;
mod profile;
mod rfm;
mod social;

use std::fmt::Write;
use std::ops::Range;

use chrono::NaiveDate;
use crm_metrics::Report;
use crm_metrics::money::Comparison;
use rust_decimal::Decimal;

use super::format::{
    self, Frame, Grouping, Meta, count, delta, group_days, money, percent, truncate, width,
};

/// The widest line the report prints.
pub const WIDTH: usize = 100;

/// Daily tables list single days up to this many days with activity (half a month of
/// busy days); beyond that they list weeks or months.
const MAX_DAY_ROWS: usize = 16;

/// Periods up to this many days are grouped by week, longer ones by month.
const MAX_WEEK_GROUPED_DAYS: usize = 98;

/// Renders the whole report.
pub fn render(report: &Report, meta: &Meta) -> String {
    let frame = Frame::of(report);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        truncate(&format!("crm-metrics dashboard · {}", meta.source), WIDTH)
    );
    if let Some(summary) = report.data_quality.tables.rejection_summary() {
        wrap_words(&mut out, "", &format!("⚠ {summary} (at the end)"));
    }
    let mut line = format!("as of {}", format::local_as_of(report));
    if let Some(load) = meta.load_time {
        let _ = write!(line, " · data loaded in {}", format::duration(load));
    }
    let _ = writeln!(out, "{line}");
    let _ = writeln!(
        out,
        "period    {}",
        format::period_so_far(&report.period, frame.today)
    );
    let _ = writeln!(
        out,
        "previous  {}   (changes ▲ ▼ compare with this{})",
        format::period(&report.previous_period),
        match report.compare.name() {
            "previous_period" => String::new(),
            name => format!("; mode {name}"),
        }
    );
    for (what, value) in &meta.filters {
        let _ = writeln!(
            out,
            "{}",
            truncate(&format!("filter    {what}: {value}"), WIDTH)
        );
    }
    customers::render(&mut out, &frame, &report.customers);
    customer_picture::render(&mut out, &frame, &report.customer_picture);
    marketing::render(&mut out, &frame, &report.marketing);
    social::render(&mut out, &frame, &report.social);
    lifecycle::render(&mut out, &report.lifecycle);
    cohorts::render(&mut out, &report.cohorts);
    rfm::render(&mut out, &report.rfm);
    if let Some(profile) = &report.profile {
        profile::render(&mut out, &frame, profile);
    }
    data_quality(&mut out, report, meta);
    let _ = writeln!(
        out,
        "\ncharts: --format html --out report.html · every number: --format json · options: --help"
    );
    out
}

/// A section title with what it shows, and a rule under it.
pub fn title(out: &mut String, title: &str, about: &str) {
    let head = truncate(&format!("{title} · {about}"), WIDTH);
    let _ = writeln!(out, "\n\n{head}\n{}", "═".repeat(width(&head)));
}

/// A subheading inside a section.
pub fn heading(out: &mut String, text: &str) {
    let _ = writeln!(out, "\n  {}", truncate(text, WIDTH - 2));
}

/// An indented line of text, cut at the report width.
pub fn line(out: &mut String, text: &str) {
    let _ = writeln!(
        out,
        "{}",
        format!("  {}", truncate(text, WIDTH - 2)).trim_end()
    );
}

fn data_quality(out: &mut String, report: &Report, meta: &Meta) {
    let q = &report.data_quality;
    title(out, "DATA QUALITY", "what was read, accepted and rejected");
    let mut table = TextTable::new(&["table", "read", "accepted", "rejected"]);
    for table_name in crm_metrics::Table::ALL {
        let c = q.tables.0[table_name as usize];
        table.row(vec![
            super::format::table_label(table_name, meta),
            count(c.read),
            count(c.accepted),
            count(c.rejected),
        ]);
    }
    table.render(out);
    let accepted = q.tables.0[crm_metrics::Table::Customers as usize].accepted;
    let later = accepted.saturating_sub(report.customers.total_customers);
    if later > 0 {
        line(out, "");
        wrap_words(
            out,
            "  ",
            &format!(
                "{} of the {} accepted customers {} created after as_of: the reports count \
                 the {} that exist at as_of (\"{} customers in total\").",
                count(later),
                count(accepted),
                if later == 1 { "is" } else { "are" },
                count(report.customers.total_customers),
                count(report.customers.total_customers),
            ),
        );
    }
    let reasons: Vec<String> = crm_metrics::Reason::ALL
        .iter()
        .filter_map(|r| {
            let n = q.rejected_by_reason.get(r.name());
            (n > 0).then(|| format!("{} {}", r.name(), count(n)))
        })
        .collect();
    if !reasons.is_empty() {
        line(out, "");
        wrapped(out, "rejected by reason: ", &reasons);
    }
    let warnings: Vec<String> = crm_metrics::Warning::ALL
        .iter()
        .filter_map(|w| {
            let n = q.warnings_by_reason.get(w.name());
            (n > 0).then(|| format!("{} {}", w.name(), count(n)))
        })
        .collect();
    if !warnings.is_empty() {
        wrapped(out, "kept with a warning: ", &warnings);
    }
    if !q.rejected.is_empty() {
        // Grouped by reason, the first rows of each with their whole detail.
        const SHOWN: usize = 5;
        for reason in crm_metrics::Reason::ALL {
            let rows: Vec<_> = q.rejected.iter().filter(|r| r.reason == reason).collect();
            let total = q.rejected_by_reason.get(reason.name());
            if rows.is_empty() {
                continue;
            }
            let shown = rows.len().min(SHOWN);
            let note = if total as usize > shown {
                format!(" (the first {shown})")
            } else {
                String::new()
            };
            heading(
                out,
                &format!(
                    "{} · {} row{} rejected{note}",
                    reason.name(),
                    count(total),
                    plural(total as usize)
                ),
            );
            for r in rows.iter().take(SHOWN) {
                let id =
                    r.id.as_ref()
                        .map_or(String::new(), |id| format!(", id {id}"));
                let (file, place) = super::format::rejection_place(r, meta);
                let head = format!("{file} {place}{id}: ");
                wrap_words(out, "    ", &format!("{head}{}", r.detail));
            }
        }
        let total: u64 = crm_metrics::Reason::ALL
            .iter()
            .map(|r| q.rejected_by_reason.get(r.name()))
            .sum();
        if total > q.rejected.len() as u64 {
            line(out, "");
            line(
                out,
                &format!(
                    "{} rows were rejected in all; the JSON report (--format json) lists the first {}",
                    count(total),
                    count(q.rejected.len() as u64)
                ),
            );
        }
    }
}

/// `text` after `indent`, wrapped at spaces to the report width (continuation lines
/// indented two more columns); a word wider than the line is cut into pieces, so
/// nothing is lost. Control characters become spaces.
pub fn wrap_words(out: &mut String, indent: &str, text: &str) {
    // Control characters and bidi overrides from the data are escaped, never printed.
    let clean = crm_metrics::error::escape(text);
    let first_room = WIDTH.saturating_sub(width(indent)).max(20);
    let room = first_room.saturating_sub(2).max(18);
    let mut current = String::new();
    let mut lines: Vec<String> = Vec::new();
    let limit = |lines: &Vec<String>| if lines.is_empty() { first_room } else { room };
    for word in clean.split(' ') {
        let mut word = word.to_owned();
        loop {
            let sep = usize::from(!current.is_empty());
            if width(&current) + sep + width(&word) <= limit(&lines) {
                if sep == 1 {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            // A word wider than a whole line: cut it.
            let mut head = String::new();
            let mut rest = word.chars();
            for c in rest.by_ref() {
                if width(&head) + format::width(&c.to_string()) > limit(&lines) {
                    break;
                }
                head.push(c);
            }
            let cut = head.chars().count();
            let tail: String = word.chars().skip(cut.max(1)).collect();
            if cut == 0 {
                head = word.chars().take(1).collect();
            }
            lines.push(head);
            word = tail;
            if word.is_empty() {
                break;
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    for (i, l) in lines.iter().enumerate() {
        let pad = if i == 0 { "" } else { "  " };
        let _ = writeln!(out, "{}", format!("{indent}{pad}{l}").trim_end());
    }
}

/// `prefix` then the items separated by commas, wrapped at the report width.
pub fn wrapped(out: &mut String, prefix: &str, items: &[String]) {
    let indent = 2 + width(prefix);
    let mut current = format!("  {prefix}");
    for (i, item) in items.iter().enumerate() {
        let item = crm_metrics::error::escape(item);
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.into_owned()
        };
        let sep = if i == 0 { "" } else { " " };
        if i > 0 && width(&current) + 1 + width(&piece) > WIDTH {
            let _ = writeln!(out, "{current}");
            current = " ".repeat(indent);
            current.push_str(&truncate(&piece, WIDTH - indent));
        } else {
            current.push_str(sep);
            current.push_str(&piece);
        }
    }
    let _ = writeln!(out, "{current}");
}

/// The items joined by `, ` in at most `room` columns; the ones that do not fit are
/// counted at the end (`Shopee 8, Haravan 2, +3 more`).
pub fn fit_list(items: &[String], room: usize) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let item = &*crm_metrics::error::escape(item);
        let sep = if i == 0 { "" } else { ", " };
        let rest = items.len() - i - 1;
        let tail = if rest > 0 {
            width(&format!(", +{rest} more"))
        } else {
            0
        };
        if width(&out) + width(sep) + width(item) + tail > room {
            let _ = write!(out, "{sep}+{} more", items.len() - i);
            return out;
        }
        out.push_str(sep);
        out.push_str(item);
    }
    out
}

/// A count compared with the previous period: `[current, previous, delta]`.
pub fn cmp_count(c: &Comparison<u64>) -> [String; 3] {
    [count(c.current), count(c.previous), delta(c.delta)]
}

/// An amount compared with the previous period.
pub fn cmp_money(c: &Comparison<Decimal>) -> [String; 3] {
    [money(&c.current), money(&c.previous), delta(c.delta)]
}

/// A ratio compared with the previous period.
pub fn cmp_ratio(c: &Comparison<Option<Decimal>>) -> [String; 3] {
    [percent(c.current), percent(c.previous), delta(c.delta)]
}

/// A horizontal bar of `value / max` of `cells` columns, in eighths of a column.
pub fn bar(value: f64, max: f64, cells: usize) -> String {
    const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    if !(value > 0.0 && max > 0.0) {
        return String::new();
    }
    let eighths = ((value / max).min(1.0) * (cells * 8) as f64).round() as usize;
    let eighths = eighths.max(1); // a non-zero value always shows
    let mut out = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        out.push(EIGHTHS[eighths % 8 - 1]);
    }
    out
}

/// One block character per value, scaled to `peak` (`·` for zero).
pub fn sparkline(values: &[u64], peak: u64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    values
        .iter()
        .map(|&v| {
            if v == 0 || peak == 0 {
                '·'
            } else {
                // 1..=peak onto the 8 levels: the peak is a full block.
                let level = ((v as u128 * 8).div_ceil(peak as u128)).clamp(1, 8) as usize - 1;
                BARS[level]
            }
        })
        .collect()
}

/// How a daily list is shown: the days that have happened, a sparkline of them, and the
/// rows of a table (single active days, weeks or months).
pub struct DayPlan {
    /// The rows: a label and the indices of their days.
    pub rows: Vec<(String, Range<usize>)>,
    /// The first column's header (`date`, `week`, `month`).
    pub unit: &'static str,
    /// Days of the list on or before today.
    pub past: usize,
    notes: Vec<String>,
}

impl DayPlan {
    /// Plans the table of a daily list; `active[i]` tells whether day `i` had activity.
    pub fn new(frame: &Frame, dates: &[NaiveDate], active: &[bool]) -> DayPlan {
        let past = frame.past_days(dates);
        let active_days: Vec<usize> = (0..past).filter(|&i| active[i]).collect();
        let mut notes = Vec::new();
        let (rows, unit) = if active_days.len() <= MAX_DAY_ROWS {
            let quiet = past - active_days.len();
            if quiet > 0 {
                notes.push(format!("{} quiet day{} left out", quiet, plural(quiet)));
            }
            let rows = active_days
                .iter()
                .map(|&i| (dates[i].to_string(), i..i + 1))
                .collect();
            (rows, "date")
        } else if past <= MAX_WEEK_GROUPED_DAYS {
            notes.push(format!("{} active days, by week", active_days.len()));
            (group_days(&dates[..past], Grouping::Week), "week")
        } else {
            notes.push(format!("{} active days, by month", active_days.len()));
            (group_days(&dates[..past], Grouping::Month), "month")
        };
        if past < dates.len() {
            let ahead = dates.len() - past;
            notes.push(format!("{} day{} still ahead", ahead, plural(ahead)));
        }
        DayPlan {
            rows,
            unit,
            past,
            notes,
        }
    }

    /// What the table leaves out, for its heading: `(12 quiet days left out; 15 days
    /// still ahead)`.
    pub fn note(&self) -> String {
        if self.notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.notes.join("; "))
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Prints a sparkline of daily values, one line per run of days, each line starting
/// with its first date.
pub fn sparkline_block(out: &mut String, dates: &[NaiveDate], values: &[u64]) {
    const PER_LINE: usize = 84;
    let n = dates.len().min(values.len());
    if n == 0 {
        return;
    }
    let peak = values[..n].iter().copied().max().unwrap_or(0);
    let lines = n.div_ceil(PER_LINE);
    let per_line = n.div_ceil(lines);
    for start in (0..n).step_by(per_line) {
        let end = (start + per_line).min(n);
        let _ = writeln!(
            out,
            "  {} {}",
            dates[start].format("%m-%d"),
            sparkline(&values[start..end], peak)
        );
    }
}

/// How a column is aligned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// Columns aligned on their widths: the first left-aligned, the others right-aligned
/// unless told otherwise. Cells too wide for the report width are cut with `…`.
pub struct TextTable {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with these column headers.
    pub fn new(header: &[&str]) -> TextTable {
        TextTable {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            align: (0..header.len())
                .map(|i| if i == 0 { Align::Left } else { Align::Right })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Left-aligns column `column` (text such as a name or a detail).
    pub fn left(mut self, column: usize) -> TextTable {
        if let Some(a) = self.align.get_mut(column) {
            *a = Align::Left;
        }
        self
    }

    /// Adds a row (as many cells as headers; missing cells are blank).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Writes the table, indented by two spaces, at most [`WIDTH`] columns wide: when
    /// too wide, the widest left-aligned column is cut.
    pub fn render(&self, out: &mut String) {
        let columns = self.header.len();
        let cell = |row: &Vec<String>, i: usize| row.get(i).cloned().unwrap_or_default();
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, w) in widths.iter_mut().enumerate() {
                *w = (*w).max(width(&cell(row, i)));
            }
        }
        // 2 columns of indent, then 2 between columns.
        let total =
            |widths: &[usize]| 2 + widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
        while total(&widths) > WIDTH {
            let widest = (0..columns)
                .filter(|&i| self.align[i] == Align::Left)
                .max_by_key(|&i| widths[i]);
            match widest {
                Some(i) if widths[i] > 8 => {
                    widths[i] -= (total(&widths) - WIDTH).min(widths[i] - 8);
                }
                _ => break,
            }
        }
        let write_line = |out: &mut String, cells: &[String]| {
            let mut text = String::from(" ");
            for (i, w) in widths.iter().enumerate() {
                let value = truncate(cells.get(i).map_or("", String::as_str), *w);
                let pad = w.saturating_sub(width(&value));
                text.push(' ');
                if i > 0 {
                    text.push(' ');
                }
                match self.align[i] {
                    Align::Left => {
                        text.push_str(&value);
                        text.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        text.push_str(&" ".repeat(pad));
                        text.push_str(&value);
                    }
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        };
        write_line(out, &self.header);
        for row in &self.rows {
            write_line(out, row);
        }
    }
}
