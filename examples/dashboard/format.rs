//! Number, date and label formatting shared by the text and the HTML report.
//!
//! Display rules: counts and money get thousands separators; money (amounts and derived
//! amounts such as averages) is rounded half away from zero to whole units, or to
//! `--money-decimals N` ([`set_money_decimals`]); ratios are percentages with one
//! decimal; deltas are signed percentages with an up/down marker, `n/a` when undefined.
//! Rounding happens here, for display only: the report (and its JSON) keeps full
//! precision.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_metrics::Report;
use crm_metrics::calendar::BusinessCalendar;
use crm_metrics::customer_picture::{AgeGroup, CycleBucket, SpendLevel};
use crm_metrics::model::Source;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimals shown for money (0: whole units, the default).
static MONEY_DECIMALS: AtomicU32 = AtomicU32::new(0);

/// Sets the decimals shown for money amounts (`--money-decimals`).
pub fn set_money_decimals(decimals: u32) {
    MONEY_DECIMALS.store(decimals.min(8), Ordering::Relaxed);
}

/// What the report does not say about itself: where the rows came from, how long
/// loading took, and which filters were applied.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    /// The data folder, or a description of the generated sample.
    pub source: String,
    /// The extension of the data files read (`.csv`, `.parquet`), which the data
    /// quality tables add to each table's name; none for a snapshot or the sample.
    pub files: Option<&'static str>,
    /// Reading and validating the data (shown in the header when known).
    pub load_time: Option<Duration>,
    /// Filters in effect, as `("marketing sources", "facebook_ads, zalo_ads")`.
    pub filters: Vec<(String, String)>,
}

/// A table as the data quality tables name it: its file (`orders.csv`) when the data
/// came from files, else its name.
pub fn table_label(table: crm_metrics::Table, meta: &Meta) -> String {
    format!("{table}{}", meta.files.unwrap_or(""))
}

/// Where a rejected row was, in its own terms: `orders.csv` and `line 7` for a CSV
/// record; `orders.parquet` (when the data came from Parquet files, else `orders`) and
/// `row 7` for a row of a Parquet file, an Arrow batch or a generated sample.
pub fn rejection_place(r: &crm_metrics::dataset::RejectedRow, meta: &Meta) -> (String, String) {
    match r.origin {
        crm_metrics::Origin::PushedRow => {
            let file = match meta.files {
                Some(".parquet") => table_label(r.table, meta),
                _ => r.table.to_string(),
            };
            (file, format!("row {}", count(r.line)))
        }
        _ => (
            format!("{}.csv", r.table),
            format!("line {}", count(r.line)),
        ),
    }
}

/// The filters of `options` that are in effect, for the report's header:
/// `("marketing sources", "facebook_ads, zalo_ads")`.
pub fn filters(options: &crm_metrics::ReportOptions) -> Vec<(String, String)> {
    let join = |set: &std::collections::BTreeSet<String>| {
        set.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut filters = Vec::new();
    if !options.sources.is_empty() {
        filters.push(("marketing sources".to_owned(), join(&options.sources)));
    }
    if !options.product_types.is_empty() {
        filters.push(("product types".to_owned(), join(&options.product_types)));
    }
    if !options.fanpages.is_empty() {
        filters.push(("fanpages".to_owned(), join(&options.fanpages)));
    }
    filters
}

/// Facts about the report's time frame that every screen needs.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The local date of `as_of` (None when the report's time zone does not parse,
    /// which cannot happen for a report the library made).
    pub today: Option<NaiveDate>,
    calendar: Option<BusinessCalendar>,
}

impl Frame {
    /// The frame of a report.
    pub fn of(report: &Report) -> Frame {
        let calendar = calendar(report);
        let today = calendar.as_ref().map(|c| c.local_date(report.as_of));
        Frame { today, calendar }
    }

    /// An instant as local date and time to the minute, `2026-08-02 11:46` (the zone is
    /// in the report's header); UTC with a `UTC` suffix when the zone is unknown.
    pub fn local_time(&self, at: &DateTime<Utc>) -> String {
        match &self.calendar {
            Some(c) => at
                .with_timezone(&c.offset_at(*at))
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            None => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    /// How many of `dates` (ascending) are on or before today: the days that have
    /// happened. All of them when today is unknown.
    pub fn past_days(&self, dates: &[NaiveDate]) -> usize {
        match self.today {
            Some(today) => dates.partition_point(|d| *d <= today),
            None => dates.len(),
        }
    }
}

fn calendar(report: &Report) -> Option<BusinessCalendar> {
    report.time_zone.parse().ok()
}

/// `as_of` in the business time zone, e.g. `2026-11-15 10:00 (+07:00)`; UTC when the
/// zone is unknown.
pub fn local_as_of(report: &Report) -> String {
    match calendar(report) {
        Some(c) => {
            let local = report.as_of.with_timezone(&c.offset_at(report.as_of));
            format!("{} ({})", local.format("%Y-%m-%d %H:%M"), report.time_zone)
        }
        None => report.as_of.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A period that contains `today` before its last day: `2026-11-01 .. 2026-11-30
/// (30 days; so far Nov 1–15, 15 of 30 days)`; otherwise as [`period`].
pub fn period_so_far(p: &crm_metrics::calendar::Period, today: Option<NaiveDate>) -> String {
    match today {
        Some(today) if p.start() <= today && today < p.end() => {
            let total = p.days();
            let done = (today - p.start()).num_days() + 1;
            let span = if today == p.start() {
                short_date(today)
            } else if today.month() == p.start().month() {
                format!("{}–{}", short_date(p.start()), today.day())
            } else {
                format!("{} – {}", short_date(p.start()), short_date(today))
            };
            format!(
                "{} .. {} ({} day{}; so far {span}, {done} of {total} days)",
                p.start(),
                p.end(),
                count(u64::from(total)),
                if total == 1 { "" } else { "s" }
            )
        }
        _ => period(p),
    }
}

/// `2026-11-01 .. 2026-11-30 (30 days)`.
pub fn period(p: &crm_metrics::calendar::Period) -> String {
    let days = p.days();
    format!(
        "{} .. {} ({} day{})",
        p.start(),
        p.end(),
        count(u64::from(days)),
        if days == 1 { "" } else { "s" }
    )
}

/// A load time: `18 ms` under a second, `1.5 s` above.
pub fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 1_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{ms} ms")
    }
}

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// A count with its noun in the right number: `1 order`, `3 orders`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// A `usize` count (lengths of lists).
pub fn count_usize(n: usize) -> String {
    group(&n.to_string())
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    let len = digits.chars().count();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Money with thousands separators, rounded half away from zero to the money decimals
/// (whole units by default: `1250000` → `1,250,000`, `121284000.5` → `121,284,001`; with
/// 2 decimals `121,284,000.50`).
pub fn money(amount: &Decimal) -> String {
    let decimals = MONEY_DECIMALS.load(Ordering::Relaxed);
    let mut rounded =
        amount.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    if rounded.is_zero() {
        rounded = Decimal::ZERO; // no "-0"
    }
    rounded.rescale(decimals);
    grouped(&rounded.to_string())
}

/// A decimal with thousands separators, every digit kept (`121284000.5` →
/// `121,284,000.5`).
pub fn number(value: &Decimal) -> String {
    grouped(&value.normalize().to_string())
}

fn grouped(text: &str) -> String {
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    match text.split_once('.') {
        Some((int, frac)) => format!("{sign}{}.{frac}", group(int)),
        None => format!("{sign}{}", group(text)),
    }
}

/// A derived amount (an average, a cost per deal) rounded like money, `n/a` when
/// undefined.
pub fn average(amount: Option<Decimal>) -> String {
    match amount {
        Some(a) => money(&a),
        None => "n/a".to_owned(),
    }
}

/// A fraction as a percentage with one decimal (`0.1234` → `12.3%`), `n/a` when undefined.
pub fn percent(ratio: Option<Decimal>) -> String {
    match ratio {
        Some(r) => format!("{}%", number(&pct(r))),
        None => "n/a".to_owned(),
    }
}

/// `r * 100` rounded to one decimal, without trailing zeros.
fn pct(r: Decimal) -> Decimal {
    r.checked_mul(Decimal::ONE_HUNDRED)
        .unwrap_or(if r.is_sign_negative() {
            Decimal::MIN
        } else {
            Decimal::MAX
        })
        .round_dp(1)
        .normalize()
}

/// Which way a delta points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trend {
    /// Above the previous value.
    Up,
    /// Below it.
    Down,
    /// Equal.
    Flat,
    /// Undefined (previous value zero or unknown).
    Unknown,
}

/// The direction of a delta.
pub fn trend(delta: Option<Decimal>) -> Trend {
    match delta {
        None => Trend::Unknown,
        Some(d) if d > Decimal::ZERO => Trend::Up,
        Some(d) if d < Decimal::ZERO => Trend::Down,
        Some(_) => Trend::Flat,
    }
}

/// A delta as a signed percentage with an up/down marker (`▲ +55%`, `▼ -13.1%`,
/// `= 0%`), `n/a` when undefined.
pub fn delta(delta: Option<Decimal>) -> String {
    match delta {
        None => "n/a".to_owned(),
        Some(d) => match trend(Some(d)) {
            Trend::Up => format!("▲ +{}%", number(&pct(d))),
            Trend::Down => format!("▼ {}%", number(&pct(d))),
            _ => "= 0%".to_owned(),
        },
    }
}

/// A decimal as a float, for drawing only (bar lengths, axis positions); 0 when it does
/// not fit.
pub fn to_f64(d: &Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A short axis label: `950`, `1.2K`, `35M`, `1.5B`.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    let text = if scaled.fract().abs() < 1e-9 {
        format!("{scaled:.0}")
    } else if scaled.abs() < 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.0}")
    };
    let text = text.strip_suffix(".0").map_or(text.clone(), str::to_owned);
    format!("{text}{suffix}")
}

/// How many terminal columns a string takes: combining marks take none, East Asian
/// wide characters two, everything else one. (Vietnamese text is mostly precomposed,
/// but a decomposed `ế` must not push a column out of line.)
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let u = c as u32;
    match u {
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F => {
            0
        }
        0x200B..=0x200F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// `s` cut to at most `max` columns, ending in `…` when something was cut. Control
/// characters (a newline in a note, an ESC sequence) and bidirectional overrides are
/// escaped (`\n`, `\u{1b}`, `\u{202e}`: [`crm_metrics::error::escape`]) so that one
/// value stays on one line and cannot restyle or reorder the report.
pub fn truncate(s: &str, max: usize) -> String {
    let clean = crm_metrics::error::escape(s).into_owned();
    if width(&clean) <= max {
        return clean;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in clean.chars() {
        let w = char_width(c);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// A customer source as people say it.
pub fn source_label(source: Source) -> &'static str {
    match source {
        Source::Haravan => "Haravan",
        Source::Shopee => "Shopee",
        Source::Lazada => "Lazada",
        Source::OtherOms => "Other OMS",
        Source::ExcelImport => "Excel import",
        Source::Manual => "Manual",
        Source::ZaloOa => "Zalo OA",
        Source::Webpush => "Web push",
        Source::Form => "Form",
        Source::SocialChat => "Social chat",
        Source::Pos => "POS",
    }
}

/// A return-cycle bucket with its range of days.
pub fn cycle_label(bucket: CycleBucket) -> &'static str {
    match bucket.label() {
        "same_day" => "same day",
        "1_day" => "1 day",
        "2_days" => "2 days",
        "3_6_days" => "3-6 days",
        "1_week" => "1 week (7-13 d)",
        "2_weeks" => "2 weeks (14-29 d)",
        "1_month" => "1 month (30-59 d)",
        "2_months" => "2 months (60-89 d)",
        "3_months" => "3 months (90-179 d)",
        "6_months" => "6 months (180-364 d)",
        "1_year_plus" => "1 year or more",
        other => other,
    }
}

/// An age group as people say it.
pub fn age_label(group: AgeGroup) -> &'static str {
    match group {
        AgeGroup::Under18 => "under 18",
        AgeGroup::From18To24 => "18-24",
        AgeGroup::From25To34 => "25-34",
        AgeGroup::From35To44 => "35-44",
        AgeGroup::From45To54 => "45-54",
        AgeGroup::From55 => "55+",
        AgeGroup::Unknown => "unknown",
    }
}

/// A spend level from its edges: `no purchase`, `0 - 500,000`, `10,000,000 +`.
pub fn spend_level_label(level: &SpendLevel) -> String {
    match (level.min, level.max) {
        (None, _) => "no purchase".to_owned(),
        (Some(min), Some(max)) => format!("{} - {}", money(&min), money(&max)),
        (Some(min), None) => format!("{} +", money(&min)),
    }
}

/// A product type as shown; the empty type (deals without one) is `(none)`.
pub fn product_type_label(product_type: &str) -> &str {
    if product_type.is_empty() {
        "(none)"
    } else {
        product_type
    }
}

/// Short month name, `Jan`.
pub fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    NAMES
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("")
}

/// `2026-11-03` as `Nov 3`.
pub fn short_date(date: NaiveDate) -> String {
    format!("{} {}", month_name(date.month()), date.day())
}

/// The days of the week, Monday first (docs/metrics.md#the-json-report row order).
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// How the days of a long daily list are grouped for a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    /// One row per week (Monday to Sunday, cut at the period's ends).
    Week,
    /// One row per calendar month.
    Month,
}

/// Groups the first `days` dates of a daily list into rows of `grouping`: each row is a
/// label and a range of indices into `dates`.
pub fn group_days(
    dates: &[NaiveDate],
    grouping: Grouping,
) -> Vec<(String, std::ops::Range<usize>)> {
    let mut rows: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    let key = |d: NaiveDate| -> (i32, u32) {
        match grouping {
            Grouping::Week => {
                let w = d.iso_week();
                (w.year(), w.week())
            }
            Grouping::Month => (d.year(), d.month()),
        }
    };
    let mut start = 0;
    for i in 1..=dates.len() {
        let boundary = i == dates.len() || key(dates[i]) != key(dates[start]);
        if boundary {
            let first = dates[start];
            let last = dates[i - 1];
            let label = match grouping {
                Grouping::Week if first == last => first.to_string(),
                Grouping::Week => format!("{first} - {}", last.format("%m-%d")),
                Grouping::Month => first.format("%Y-%m").to_string(),
            };
            rows.push((label, start..i));
            start = i;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(money(&Decimal::new(1_212_840_005, 1)), "121,284,001"); // half up
        assert_eq!(money(&Decimal::new(1_212_840_004, 1)), "121,284,000");
        assert_eq!(money(&Decimal::new(-4, 1)), "0");
        assert_eq!(number(&Decimal::new(1_212_840_005, 1)), "121,284,000.5");
        assert_eq!(money(&Decimal::new(-4_200_000, 0)), "-4,200,000");
        assert_eq!(percent(Some(Decimal::new(1234, 4))), "12.3%");
        assert_eq!(delta(Some(Decimal::new(-131, 3))), "▼ -13.1%");
        assert_eq!(delta(Some(Decimal::new(55, 2))), "▲ +55%");
        assert_eq!(delta(None), "n/a");
        assert_eq!(percent(Some(Decimal::new(32_699, 3))), "3,269.9%");
        assert_eq!(compact(1_260_000.0), "1.3M");
        assert_eq!(compact(35_000_000.0), "35M");
        assert_eq!(truncate("Nguyễn Văn An", 8), "Nguyễn…");
        assert_eq!(truncate("a\nb", 8), "a\\nb");
        assert_eq!(truncate("a\u{202e}b", 20), "a\\u{202e}b");
    }
}
