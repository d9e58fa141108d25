//! Chart primitives as inline SVG: vertical (stacked) columns, lines, horizontal bars,
//! a 100 % share bar, a funnel, a heatmap and a bar + line combination.
//!
//! Every chart is drawn at a fixed `viewBox` and scales to its card's width. Every mark
//! carries a `<title>` (a tooltip that works without script) with the exact value as
//! text; geometry uses `f64`, for drawing only. Marks of a toggleable series carry
//! `data-series="sN"` (an index, never data text), which the page's legend script uses.
//! All text that comes from data goes through [`esc`].

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use super::esc;
use super::format::{compact, month_name, truncate};

/// Text colour of axis labels.
const MUTED: &str = "#6b7280";
/// Grid lines.
const GRID: &str = "#e5e7eb";

/// One series of a chart: a name for the legend, a colour, a value per category and
/// the exact text of each value for tooltips.
#[derive(Clone, Debug)]
pub struct Series {
    /// Shown in the legend and tooltips.
    pub name: String,
    /// A CSS colour.
    pub color: String,
    /// Values for drawing.
    pub values: Vec<f64>,
    /// The exact value of each point as text (tooltips).
    pub texts: Vec<String>,
}

impl Series {
    /// A series of counts.
    pub fn counts(name: &str, color: &str, values: impl IntoIterator<Item = u64>) -> Series {
        let values: Vec<u64> = values.into_iter().collect();
        Series {
            name: name.to_owned(),
            color: color.to_owned(),
            texts: values.iter().map(|&v| super::format::count(v)).collect(),
            values: values.iter().map(|&v| v as f64).collect(),
        }
    }

    fn text(&self, i: usize) -> &str {
        self.texts.get(i).map_or("", String::as_str)
    }

    fn value(&self, i: usize) -> f64 {
        self.values
            .get(i)
            .copied()
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
    }
}

/// The `data-series` key of series `i`.
pub fn key(i: usize) -> String {
    format!("s{i}")
}

/// A number for an SVG attribute.
fn n(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let text = format!("{v:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// A rounded axis: the top value and the step between grid lines, about `lines` lines.
/// Integer data gets integer steps.
fn nice_axis(max: f64, lines: usize, integer: bool) -> (f64, f64) {
    if max.is_nan() || max <= 0.0 {
        return (
            if integer { 4.0 } else { 1.0 },
            if integer { 1.0 } else { 0.25 },
        );
    }
    let raw = max / lines.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let mut step = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    } * magnitude;
    if integer {
        step = step.ceil().max(1.0);
    }
    let top = (max / step).ceil() * step;
    (top, step)
}

/// The `<svg>` element of a chart.
fn open(out: &mut String, width: f64, height: f64, label: &str, extra: &str) {
    let _ = write!(
        out,
        r##"<svg viewBox="0 0 {} {}" role="img" aria-label="{}"{extra}>"##,
        n(width),
        n(height),
        esc(label)
    );
}

/// Horizontal grid lines and y-axis labels for `[0, top]` in plot box
/// `(x0, y0 top, x1, y1 bottom)`; `right` puts the labels on the right side.
fn y_axis(out: &mut String, plot: Plot, top: f64, step: f64, right: bool, fmt: fn(f64) -> String) {
    let mut v = 0.0;
    let mut guard = 0;
    while v <= top + step / 2.0 && guard < 50 {
        let y = plot.y(v, top);
        if !right {
            let _ = write!(
                out,
                r##"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{GRID}"/>"##,
                n(plot.x0),
                n(plot.x1),
                n(y),
                n(y)
            );
        }
        let (x, anchor) = if right {
            (plot.x1 + 6.0, "start")
        } else {
            (plot.x0 - 6.0, "end")
        };
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="{anchor}" dominant-baseline="middle" fill="{MUTED}">{}</text>"##,
            n(x),
            n(y),
            esc(&fmt(v))
        );
        v += step;
        guard += 1;
    }
}

/// The plot area inside a chart.
#[derive(Clone, Copy, Debug)]
struct Plot {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Plot {
    fn y(&self, v: f64, top: f64) -> f64 {
        if top <= 0.0 {
            return self.y1;
        }
        self.y1 - (v / top).clamp(0.0, 1.0) * (self.y1 - self.y0)
    }
}

/// Ends a plot of `count` columns: the baseline, the x labels at `ticks`, `</svg>`.
fn close_plot(out: &mut String, plot: Plot, count: usize, ticks: &[(usize, String)]) {
    let _ = write!(
        out,
        r##"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{MUTED}"/>"##,
        n(plot.x0),
        n(plot.x1),
        n(plot.y1),
        n(plot.y1)
    );
    x_labels(out, plot, count, ticks);
    out.push_str("</svg>");
}

/// Labels under the x axis at the given category indices.
fn x_labels(out: &mut String, plot: Plot, count: usize, ticks: &[(usize, String)]) {
    let slot = (plot.x1 - plot.x0) / count.max(1) as f64;
    for (i, label) in ticks {
        let x = plot.x0 + slot * (*i as f64 + 0.5);
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="{MUTED}">{}</text>"##,
            n(x),
            n(plot.y1 + 16.0),
            esc(label)
        );
    }
}

/// An axis title, rotated on the left (`left = true`) or the right.
fn axis_title(out: &mut String, plot: Plot, title: &str, left: bool) {
    if title.is_empty() {
        return;
    }
    let mid = (plot.y0 + plot.y1) / 2.0;
    let (x, angle) = if left {
        (12.0, -90)
    } else {
        (plot.x1 + 46.0, 90)
    };
    let _ = write!(
        out,
        r##"<text x="{x}" y="{}" transform="rotate({angle} {x} {})" text-anchor="middle" fill="{MUTED}" class="axis-title">{}</text>"##,
        n(mid),
        n(mid),
        esc(title)
    );
}

/// Tick labels for a daily axis: every day up to two weeks, Mondays up to about three
/// months, the first of each month beyond.
pub fn date_ticks(dates: &[NaiveDate]) -> Vec<(usize, String)> {
    let n = dates.len();
    let ticks: Vec<(usize, String)> = dates
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            if n <= 14 {
                Some((i, format!("{} {}", month_name(d.month()), d.day())))
            } else if n <= 100 {
                (d.weekday() == chrono::Weekday::Mon || i == 0)
                    .then(|| (i, format!("{} {}", month_name(d.month()), d.day())))
            } else {
                (d.day() == 1).then(|| (i, month_name(d.month()).to_owned()))
            }
        })
        .collect();
    // Drop a tick that would crowd the one before it (the first day and a Monday
    // right after it).
    let min_gap = (n / 20).max(3);
    let mut kept: Vec<(usize, String)> = Vec::with_capacity(ticks.len());
    for (i, label) in ticks {
        match kept.last() {
            Some((last, _)) if n > 14 && i - last < min_gap => {
                // Keep the later, regular tick (a Monday, a first of month).
                kept.pop();
                kept.push((i, label));
            }
            _ => kept.push((i, label)),
        }
    }
    kept
}

/// Shades the columns from `from` to the end of the plot: days still ahead.
fn future_band(out: &mut String, plot: Plot, count: usize, from: Option<usize>) {
    let Some(from) = from.filter(|f| *f < count) else {
        return;
    };
    let slot = (plot.x1 - plot.x0) / count.max(1) as f64;
    let x = plot.x0 + slot * from as f64;
    let _ = write!(
        out,
        r##"<g class="ahead"><title>days still ahead</title><rect x="{}" y="{}" width="{}" height="{}" fill="#f8fafc"/><text x="{}" y="{}" text-anchor="middle" fill="#9ca3af">still ahead</text></g>"##,
        n(x),
        n(plot.y0),
        n(plot.x1 - x),
        n(plot.y1 - plot.y0),
        n((x + plot.x1) / 2.0),
        n(plot.y0 + 14.0)
    );
}

/// Vertical columns, stacked when there are several series. Each column is a group with
/// a tooltip listing its total and every series; the page script restacks a column
/// when a legend hides a series (`data-y0`, `data-k` give the baseline and the scale).
pub struct Columns<'a> {
    /// `viewBox` width and height.
    pub size: (f64, f64),
    /// One label per column, for tooltips.
    pub categories: &'a [String],
    /// Labels under the axis: (column, text).
    pub ticks: &'a [(usize, String)],
    /// The series, bottom first.
    pub series: &'a [Series],
    /// Title of the y axis.
    pub y_title: &'a str,
    /// Whether values are counts (integer grid steps).
    pub integer: bool,
    /// Formats the total of a column for its tooltip.
    pub total: fn(f64) -> String,
    /// Columns from this index on are days still ahead (shaded).
    pub ahead_from: Option<usize>,
}

/// Draws [`Columns`].
pub fn columns(c: &Columns<'_>) -> String {
    let (width, height) = c.size;
    let count = c.categories.len();
    let plot = Plot {
        x0: 56.0,
        x1: width - 12.0,
        y0: 12.0,
        y1: height - 26.0,
    };
    let totals: Vec<f64> = (0..count)
        .map(|i| c.series.iter().map(|s| s.value(i)).sum())
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    let (top, step) = nice_axis(max, 4, c.integer);
    let k = (plot.y1 - plot.y0) / top;
    let mut out = String::new();
    open(
        &mut out,
        width,
        height,
        c.y_title,
        &format!(r##" data-y0="{}" data-k="{}""##, n(plot.y1), k),
    );
    future_band(&mut out, plot, count, c.ahead_from);
    y_axis(&mut out, plot, top, step, false, compact);
    axis_title(&mut out, plot, c.y_title, true);
    let slot = (plot.x1 - plot.x0) / count.max(1) as f64;
    let gap = if slot > 6.0 { slot * 0.18 } else { 0.0 };
    let bar = (slot - gap).max(0.5);
    for (i, category) in c.categories.iter().enumerate() {
        let x = plot.x0 + slot * i as f64 + gap / 2.0;
        let mut tip = format!("{category}: {}", (c.total)(totals[i]));
        if c.series.len() > 1 {
            for s in c.series.iter().filter(|s| s.value(i) > 0.0) {
                let _ = write!(tip, "\n{}: {}", s.name, s.text(i));
            }
        }
        let _ = write!(
            out,
            r##"<g class="col"><title>{}</title><rect class="hit" x="{}" y="{}" width="{}" height="{}" fill="transparent"/>"##,
            esc(&tip),
            n(plot.x0 + slot * i as f64),
            n(plot.y0),
            n(slot),
            n(plot.y1 - plot.y0)
        );
        let mut y = plot.y1;
        for (si, s) in c.series.iter().enumerate() {
            let v = s.value(i);
            if v <= 0.0 {
                continue;
            }
            let h = v * k;
            y -= h;
            let _ = write!(
                out,
                r##"<rect class="seg" data-series="{}" data-v="{}" x="{}" y="{}" width="{}" height="{}" fill="{}"/>"##,
                key(si),
                v,
                n(x),
                n(y),
                n(bar),
                n(h),
                esc(&s.color)
            );
        }
        out.push_str("</g>");
    }
    close_plot(&mut out, plot, count, c.ticks);
    out
}

/// Lines, one per series, over categories; hovering a category shows every series'
/// value there.
pub struct Lines<'a> {
    /// `viewBox` width and height.
    pub size: (f64, f64),
    /// One label per point, for tooltips.
    pub categories: &'a [String],
    /// Labels under the axis.
    pub ticks: &'a [(usize, String)],
    /// The series.
    pub series: &'a [Series],
    /// Title of the y axis.
    pub y_title: &'a str,
    /// Whether values are counts.
    pub integer: bool,
    /// Points from this index on are days still ahead (shaded, not drawn).
    pub ahead_from: Option<usize>,
}

/// Draws [`Lines`].
pub fn lines(c: &Lines<'_>) -> String {
    let (width, height) = c.size;
    let count = c.categories.len();
    let plot = Plot {
        x0: 56.0,
        x1: width - 12.0,
        y0: 12.0,
        y1: height - 26.0,
    };
    let max = c
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (top, step) = nice_axis(max, 4, c.integer);
    let mut out = String::new();
    open(&mut out, width, height, c.y_title, "");
    future_band(&mut out, plot, count, c.ahead_from);
    y_axis(&mut out, plot, top, step, false, compact);
    axis_title(&mut out, plot, c.y_title, true);
    let slot = (plot.x1 - plot.x0) / count.max(1) as f64;
    let x = |i: usize| plot.x0 + slot * (i as f64 + 0.5);
    let drawn = c.ahead_from.unwrap_or(count).min(count);
    for (i, category) in c.categories.iter().enumerate() {
        let mut tip = category.clone();
        for s in c.series {
            let _ = write!(tip, "\n{}: {}", s.name, s.text(i));
        }
        let _ = write!(
            out,
            r##"<rect class="hit" x="{}" y="{}" width="{}" height="{}" fill="transparent"><title>{}</title></rect>"##,
            n(plot.x0 + slot * i as f64),
            n(plot.y0),
            n(slot),
            n(plot.y1 - plot.y0),
            esc(&tip)
        );
    }
    for (si, s) in c.series.iter().enumerate() {
        let mut d = String::new();
        for i in 0..drawn {
            let _ = write!(
                d,
                "{}{},{}",
                if i == 0 { "M" } else { " L" },
                n(x(i)),
                n(plot.y(s.value(i), top))
            );
        }
        let _ = write!(
            out,
            r##"<g data-series="{}"><path d="{d}" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round" pointer-events="none"/>"##,
            key(si),
            esc(&s.color)
        );
        if drawn <= 62 {
            for i in 0..drawn {
                let _ = write!(
                    out,
                    r##"<circle cx="{}" cy="{}" r="2.5" fill="{}"><title>{}: {} {}</title></circle>"##,
                    n(x(i)),
                    n(plot.y(s.value(i), top)),
                    esc(&s.color),
                    esc(c.categories.get(i).map_or("", String::as_str)),
                    esc(s.text(i)),
                    esc(&s.name)
                );
            }
        }
        out.push_str("</g>");
    }
    close_plot(&mut out, plot, count, c.ticks);
    out
}

/// A row of horizontal bars: a label and one bar per series.
#[derive(Clone, Debug)]
pub struct BarRow {
    /// The row's label (data text is fine: it is escaped).
    pub label: String,
    /// Extra tooltip text for the row (added after each bar's value).
    pub note: String,
}

/// Horizontal bars: rows of labels, each with one bar per series (grouped), the value
/// written after each bar.
pub struct HBars<'a> {
    /// `viewBox` width.
    pub width: f64,
    /// The rows, top first.
    pub rows: &'a [BarRow],
    /// The series; `values[i]` belongs to row `i`.
    pub series: &'a [Series],
    /// Width of the label column.
    pub label_width: f64,
    /// Scale bars to this maximum instead of the largest value (e.g. 1 for shares).
    pub max: Option<f64>,
}

/// Draws [`HBars`].
pub fn hbars(c: &HBars<'_>) -> String {
    let per_bar = if c.series.len() > 1 { 14.0 } else { 20.0 };
    let row_height = per_bar * c.series.len() as f64 + 10.0;
    let height = row_height * c.rows.len() as f64 + 8.0;
    let x0 = c.label_width;
    let x1 = c.width - 90.0;
    let max = c.max.unwrap_or_else(|| {
        c.series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    });
    let mut out = String::new();
    open(&mut out, c.width, height, "bars", "");
    let max_label = ((c.label_width - 10.0) / 6.6).max(4.0) as usize;
    for (r, row) in c.rows.iter().enumerate() {
        let top = 4.0 + row_height * r as f64;
        let shown = truncate(&row.label, max_label);
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" fill="#374151">{}<title>{}</title></text>"##,
            n(x0 - 8.0),
            n(top + (row_height - 10.0) / 2.0 + 1.0),
            esc(&shown),
            esc(&row.label)
        );
        for (si, s) in c.series.iter().enumerate() {
            let v = s.value(r);
            let w = if max > 0.0 {
                (v / max).clamp(0.0, 1.0) * (x1 - x0)
            } else {
                0.0
            };
            let y = top + per_bar * si as f64;
            let mut tip = format!("{}: {}", row.label, s.text(r));
            if c.series.len() > 1 {
                let _ = write!(tip, " {}", s.name);
            }
            if !row.note.is_empty() {
                let _ = write!(tip, "\n{}", row.note);
            }
            let _ = write!(
                out,
                r##"<g data-series="{}"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="#f3f4f6" rx="3"/><rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="3"/><text x="{}" y="{}" dominant-baseline="middle" fill="#374151">{}</text></g>"##,
                key(si),
                esc(&tip),
                n(x0),
                n(y),
                n(x1 - x0),
                n(per_bar - 3.0),
                n(x0),
                n(y),
                n(w.max(if v > 0.0 { 2.0 } else { 0.0 })),
                n(per_bar - 3.0),
                esc(&s.color),
                n(x1 + 8.0),
                n(y + (per_bar - 3.0) / 2.0 + 1.0),
                esc(s.text(r))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One part of a [`share_bar`].
pub struct Part {
    /// The part's name.
    pub label: String,
    /// Its value.
    pub value: f64,
    /// Its exact value and share as text.
    pub text: String,
    /// A CSS colour.
    pub color: String,
}

/// One horizontal bar split into parts by share, with the parts' labels under it.
pub fn share_bar(width: f64, parts: &[Part]) -> String {
    let total: f64 = parts.iter().map(|p| p.value.max(0.0)).sum();
    let height = 62.0;
    let mut out = String::new();
    open(&mut out, width, height, "shares", "");
    let mut x = 0.0;
    for p in parts {
        let w = if total > 0.0 {
            p.value.max(0.0) / total * width
        } else {
            0.0
        };
        if w > 0.0 {
            let _ = write!(
                out,
                r##"<rect x="{}" y="4" width="{}" height="22" fill="{}"><title>{}: {}</title></rect>"##,
                n(x),
                n(w),
                esc(&p.color),
                esc(&p.label),
                esc(&p.text)
            );
        }
        x += w;
    }
    let slot = width / parts.len().max(1) as f64;
    for (i, p) in parts.iter().enumerate() {
        let lx = slot * i as f64;
        let _ = write!(
            out,
            r##"<g><title>{}: {}</title><rect x="{}" y="38" width="10" height="10" rx="2" fill="{}"/><text x="{}" y="47" fill="#374151">{} <tspan fill="{MUTED}">{}</tspan></text></g>"##,
            esc(&p.label),
            esc(&p.text),
            n(lx),
            esc(&p.color),
            n(lx + 14.0),
            esc(&p.label),
            esc(&p.text)
        );
    }
    out.push_str("</svg>");
    out
}

/// One stage of a [`funnel`].
pub struct Stage {
    /// The stage's name.
    pub label: String,
    /// Its count.
    pub value: u64,
    /// A CSS colour.
    pub color: String,
}

/// A funnel: one centred bar per stage, as wide as its share of the first stage, with
/// the share of the first stage and the step from the stage before.
pub fn funnel(width: f64, stages: &[Stage]) -> String {
    let row = 58.0;
    let height = row * stages.len() as f64 + 6.0;
    let first = stages.first().map_or(0, |s| s.value);
    let label_w = 130.0;
    let x0 = label_w;
    let x1 = width - 110.0;
    let mid = (x0 + x1) / 2.0;
    let mut out = String::new();
    open(&mut out, width, height, "funnel", "");
    let mut previous: Option<u64> = None;
    for (i, s) in stages.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let share = if first > 0 {
            s.value as f64 / first as f64
        } else {
            0.0
        };
        let w = ((x1 - x0) * share).max(if s.value > 0 { 3.0 } else { 0.0 });
        let of_first = percent_text(s.value, first);
        let step = previous.map(|p| percent_text(s.value, p));
        let mut tip = format!(
            "{}: {} ({} of {})",
            s.label,
            super::format::count(s.value),
            of_first,
            stages.first().map_or("", |f| f.label.as_str())
        );
        if let Some(step) = &step {
            let _ = write!(tip, "; {step} of the stage before");
        }
        // The count sits inside its bar when the bar is wide enough, else beside it.
        let value_class = if w >= 44.0 {
            "funnel-value"
        } else {
            "funnel-value outside"
        };
        let _ = write!(
            out,
            r##"<g><title>{}</title><text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" fill="#374151" class="funnel-label">{}</text><rect x="{}" y="{}" width="{}" height="40" rx="5" fill="#f3f4f6"/><rect x="{}" y="{}" width="{}" height="40" rx="5" fill="{}"/><text x="{}" y="{}" text-anchor="middle" dominant-baseline="middle" class="{value_class}">{}</text><text x="{}" y="{}" dominant-baseline="middle" fill="{MUTED}">{}</text></g>"##,
            esc(&tip),
            n(x0 - 10.0),
            n(y + 20.0),
            esc(&s.label),
            n(x0),
            n(y),
            n(x1 - x0),
            n(mid - w / 2.0),
            n(y),
            n(w),
            esc(&s.color),
            if w >= 44.0 {
                n(mid)
            } else {
                n(mid + w / 2.0 + 14.0)
            },
            n(y + 21.0),
            esc(&super::format::count(s.value)),
            n(x1 + 10.0),
            n(y + 20.0),
            esc(&match &step {
                Some(step) => format!("{of_first} · step {step}"),
                None => of_first.clone(),
            })
        );
        previous = Some(s.value);
    }
    out.push_str("</svg>");
    out
}

fn percent_text(part: u64, whole: u64) -> String {
    super::format::percent(crm_metrics::money::count_ratio(part, whole))
}

/// A heatmap of counts: rows × columns of cells shaded by value, each with a tooltip.
pub struct Heatmap<'a> {
    /// `viewBox` width.
    pub width: f64,
    /// Row labels (weekdays).
    pub rows: &'a [&'a str],
    /// Column labels (hours), shown every third column.
    pub columns: &'a [String],
    /// `values[row][column]`.
    pub values: &'a [Vec<u64>],
    /// The base colour (cells are this colour at a varying opacity).
    pub color: &'a str,
    /// What a count counts, for tooltips (`interactions`).
    pub unit: &'a str,
}

/// Draws [`Heatmap`].
pub fn heatmap(c: &Heatmap<'_>) -> String {
    let x0 = 40.0;
    let cols = c.columns.len().max(1);
    let cell_w = (c.width - x0 - 8.0) / cols as f64;
    let cell_h = 26.0;
    let y0 = 6.0;
    let height = y0 + cell_h * c.rows.len() as f64 + 46.0;
    let max = c.values.iter().flatten().copied().max().unwrap_or(0);
    let mut out = String::new();
    open(&mut out, c.width, height, "heatmap", "");
    for (r, label) in c.rows.iter().enumerate() {
        let y = y0 + cell_h * r as f64;
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" fill="{MUTED}">{}</text>"##,
            n(x0 - 6.0),
            n(y + cell_h / 2.0),
            esc(label)
        );
        for (col, column) in c.columns.iter().enumerate() {
            let v = c
                .values
                .get(r)
                .and_then(|row| row.get(col))
                .copied()
                .unwrap_or(0);
            let opacity = if max == 0 || v == 0 {
                0.0
            } else {
                0.12 + 0.88 * v as f64 / max as f64
            };
            let x = x0 + cell_w * col as f64;
            let fill = if v == 0 { "#f3f4f6" } else { c.color };
            let _ = write!(
                out,
                r##"<rect class="cell" x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}" fill-opacity="{}"><title>{} {}: {} {}</title></rect>"##,
                n(x + 1.0),
                n(y + 1.0),
                n(cell_w - 2.0),
                n(cell_h - 2.0),
                esc(fill),
                if v == 0 {
                    "1".to_owned()
                } else {
                    format!("{opacity:.2}")
                },
                esc(label),
                esc(column),
                super::format::count(v),
                esc(c.unit)
            );
        }
    }
    let base = y0 + cell_h * c.rows.len() as f64;
    for (col, column) in c.columns.iter().enumerate() {
        if col % 3 == 0 {
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" text-anchor="middle" fill="{MUTED}">{}</text>"##,
                n(x0 + cell_w * (col as f64 + 0.5)),
                n(base + 14.0),
                esc(column)
            );
        }
    }
    // Scale: five swatches from the lightest to the darkest shade.
    let sx = c.width - 8.0 - 5.0 * 22.0 - 90.0;
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" text-anchor="end" fill="{MUTED}">fewer</text>"##,
        n(sx - 6.0),
        n(base + 38.0)
    );
    for i in 0..5 {
        let _ = write!(
            out,
            r##"<rect x="{}" y="{}" width="20" height="12" rx="2" fill="{}" fill-opacity="{:.2}"/>"##,
            n(sx + 22.0 * i as f64),
            n(base + 28.0),
            esc(c.color),
            0.12 + 0.22 * i as f64
        );
    }
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" fill="{MUTED}">more (max {})</text>"##,
        n(sx + 5.0 * 22.0 + 4.0),
        n(base + 38.0),
        super::format::count(max)
    );
    out.push_str("</svg>");
    out
}

/// Columns (left axis) with a line over them (right axis), e.g. spend and orders per
/// month.
pub struct Combo<'a> {
    /// `viewBox` width and height.
    pub size: (f64, f64),
    /// One label per column, also shown under the axis.
    pub categories: &'a [String],
    /// The columns (index 0 in the legend).
    pub bars: &'a Series,
    /// The line (index 1 in the legend).
    pub line: &'a Series,
    /// Axis titles, left and right.
    pub titles: (&'a str, &'a str),
}

/// Draws [`Combo`].
pub fn combo(c: &Combo<'_>) -> String {
    let (width, height) = c.size;
    let count = c.categories.len();
    let plot = Plot {
        x0: 56.0,
        x1: width - 56.0,
        y0: 12.0,
        y1: height - 26.0,
    };
    let bar_max = c.bars.values.iter().copied().fold(0.0, f64::max);
    let line_max = c.line.values.iter().copied().fold(0.0, f64::max);
    let (top, step) = nice_axis(bar_max, 4, false);
    let mut out = String::new();
    open(&mut out, width, height, c.titles.0, "");
    y_axis(&mut out, plot, top, step, false, compact);
    // The right axis (counts) gets as many whole steps as the left one, so that the
    // grid lines serve both.
    let lines = (top / step).round().max(1.0);
    let lstep = (line_max / lines).ceil().max(1.0);
    let ltop = lstep * lines;
    y_axis(&mut out, plot, ltop, lstep, true, |v| format!("{v:.0}"));
    axis_title(&mut out, plot, c.titles.0, true);
    axis_title(&mut out, plot, c.titles.1, false);
    let slot = (plot.x1 - plot.x0) / count.max(1) as f64;
    let bar = slot * 0.6;
    let mut d = String::new();
    for i in 0..count {
        let category = c.categories.get(i).map_or("", String::as_str);
        let x = plot.x0 + slot * i as f64;
        let v = c.bars.value(i);
        let y = plot.y(v, top);
        let _ = write!(
            out,
            r##"<g data-series="s0"><title>{}: {} {}; {} {}</title><rect class="hit" x="{}" y="{}" width="{}" height="{}" fill="transparent"/><rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}"/></g>"##,
            esc(category),
            esc(&c.bars.name),
            esc(c.bars.text(i)),
            esc(&c.line.name),
            esc(c.line.text(i)),
            n(x),
            n(plot.y0),
            n(slot),
            n(plot.y1 - plot.y0),
            n(x + (slot - bar) / 2.0),
            n(y),
            n(bar),
            n(plot.y1 - y),
            esc(&c.bars.color)
        );
        let _ = write!(
            d,
            "{}{},{}",
            if i == 0 { "M" } else { " L" },
            n(x + slot / 2.0),
            n(plot.y(c.line.value(i), ltop))
        );
    }
    let _ = write!(
        out,
        r##"<g data-series="s1"><path d="{d}" fill="none" stroke="{}" stroke-width="2.5" pointer-events="none"/>"##,
        esc(&c.line.color)
    );
    for i in 0..count {
        let _ = write!(
            out,
            r##"<circle cx="{}" cy="{}" r="3.5" fill="#fff" stroke="{}" stroke-width="2"><title>{}: {} {}</title></circle>"##,
            n(plot.x0 + slot * (i as f64 + 0.5)),
            n(plot.y(c.line.value(i), ltop)),
            esc(&c.line.color),
            esc(c.categories.get(i).map_or("", String::as_str)),
            esc(c.line.text(i)),
            esc(&c.line.name)
        );
    }
    out.push_str("</g>");
    let ticks: Vec<(usize, String)> = c.categories.iter().cloned().enumerate().collect();
    close_plot(&mut out, plot, count, &ticks);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round() {
        assert_eq!(nice_axis(7.0, 4, true), (8.0, 2.0));
        assert_eq!(nice_axis(3.0, 4, true), (3.0, 1.0));
        assert_eq!(nice_axis(0.0, 4, true), (4.0, 1.0));
        assert_eq!(
            nice_axis(13_210_000.0, 4, false),
            (15_000_000.0, 5_000_000.0)
        );
    }
}
