//! HTML of the `lifecycle` section: KPI cards and the 12 months as diverging stacked
//! columns (new, returning and resurrecting customers above the axis, dormant below).

use std::fmt::Write;

use crm_metrics::lifecycle::LifecycleSection;

use super::format::{count, percent};
use super::svg::Series;
use super::{Chart, card, esc, figure, kpi, kpis, section};

/// Colours: new, returning, resurrecting (above), dormant (below).
const COLORS: [&str; 4] = ["#16a34a", "#2563eb", "#f59e0b", "#9ca3af"];

/// Renders the section.
pub fn render(s: &LifecycleSection) -> String {
    let mut html = kpis(&[
        kpi(
            "Active",
            &count(s.active),
            "bought in the period",
            None,
            "bought in the period",
        ),
        kpi(
            "New",
            &count(s.new),
            "first purchase in the period",
            None,
            "first purchase",
        ),
        kpi(
            "Returning",
            &count(s.returning),
            "also bought in the previous period",
            None,
            "also before",
        ),
        kpi(
            "Resurrecting",
            &count(s.resurrecting),
            "back after a break",
            None,
            "back after a break",
        ),
        kpi(
            "Dormant",
            &count(s.dormant),
            "bought in the previous period only",
            None,
            "gone quiet",
        ),
        kpi(
            "Returning rate",
            &percent(s.returning_rate),
            &s.returning_rate.map_or("n/a".to_owned(), |r| r.to_string()),
            None,
            "(returning + resurrecting) / active",
        ),
    ]);
    let series = [
        Series::counts("new", COLORS[0], s.monthly.iter().map(|m| m.new)),
        Series::counts(
            "returning",
            COLORS[1],
            s.monthly.iter().map(|m| m.returning),
        ),
        Series::counts(
            "resurrecting",
            COLORS[2],
            s.monthly.iter().map(|m| m.resurrecting),
        ),
        Series::counts("dormant", COLORS[3], s.monthly.iter().map(|m| m.dormant)),
    ];
    let any = s.monthly.iter().any(|m| m.active + m.dormant > 0);
    let chart = if any {
        let months: Vec<String> = s.monthly.iter().map(|m| m.month.clone()).collect();
        Chart::Svg(diverging(&months, &series))
    } else {
        Chart::Empty("No purchase in the last 12 months.".to_owned())
    };
    html.push_str(&card(
        12,
        "Month by month",
        "each month's buyers against the month before: growth above the line, customers who stopped below",
        &figure("chart-lifecycle-monthly", "diverging", chart, &series),
    ));
    section(
        "lifecycle",
        "Lifecycle",
        "Who bought in the period: new, returning or back after a break; and who stopped.",
        &html,
    )
}

/// Diverging stacked columns: every series but the last stacked up from the axis, the
/// last drawn down from it. Each segment has a `<title>` with its exact count.
fn diverging(months: &[String], series: &[Series]) -> String {
    let (width, height) = (960.0, 300.0);
    let (x0, x1, top, bottom) = (48.0, width - 12.0, 12.0, height - 28.0);
    let count = months.len().max(1);
    let up = |i: usize| -> f64 {
        series[..series.len() - 1]
            .iter()
            .map(|s| s.values.get(i).copied().unwrap_or(0.0))
            .sum()
    };
    let down = |i: usize| {
        series
            .last()
            .and_then(|s| s.values.get(i).copied())
            .unwrap_or(0.0)
    };
    let max_up = (0..count).map(up).fold(1.0, f64::max);
    let max_down = (0..count).map(down).fold(0.0, f64::max);
    // One scale for both sides; the axis sits where the two extents meet.
    let k = (bottom - top) / (max_up + max_down);
    let axis = top + max_up * k;
    let slot = (x1 - x0) / count as f64;
    let bar = slot * 0.7;
    let mut out = format!(
        r##"<svg viewBox="0 0 {width} {height}" role="img" aria-label="customers per month by lifecycle state">"##
    );
    for (v, label) in [(max_up, max_up), (-max_down, max_down)] {
        if label > 0.0 {
            let y = axis - v * k;
            let _ = write!(
                out,
                r##"<line x1="{x0}" x2="{x1}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e7eb"/><text x="{:.1}" y="{y:.1}" text-anchor="end" dominant-baseline="middle" fill="#6b7280">{}</text>"##,
                x0 - 6.0,
                label
            );
        }
    }
    for (i, month) in months.iter().enumerate() {
        let x = x0 + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = axis;
        for (si, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let h = v * k;
            let ry = if si + 1 == series.len() {
                axis
            } else {
                y -= h;
                y
            };
            let _ = write!(
                out,
                r##"<rect class="seg" data-series="s{si}" x="{x:.1}" y="{ry:.1}" width="{bar:.1}" height="{h:.1}" fill="{}"><title>{} {}: {}</title></rect>"##,
                esc(&s.color),
                esc(month),
                esc(&s.name),
                esc(s.texts.get(i).map_or("", String::as_str))
            );
        }
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#6b7280">{}</text>"##,
            x + bar / 2.0,
            height - 8.0,
            esc(month)
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{x0}" x2="{x1}" y1="{axis:.1}" y2="{axis:.1}" stroke="#6b7280"/></svg>"##
    );
    out
}
