//! HTML of the `cohorts` section: the retention triangle as a heatmap, with the counts
//! and revenue on hover.

use std::fmt::Write;

use crm_metrics::cohorts::CohortRow;
use rust_decimal::Decimal;

use super::format::{count, money, percent, to_f64};
use super::{Chart, card, esc, figure, section};

/// Colour of retention cells (opacity follows the share).
const COLOR: &str = "#7c3aed";

/// One cell of a [`grid`]: its text, its shade (0..=1) and its tooltip. `None`: no cell.
pub struct GridCell {
    /// Shown in the cell.
    pub text: String,
    /// How dark, 0 to 1.
    pub shade: f64,
    /// The tooltip (`<title>`).
    pub title: String,
}

/// A labelled grid of cells as SVG: `rows[r]` cells under `columns` headers.
pub fn grid(
    label: &str,
    columns: &[String],
    row_labels: &[String],
    rows: &[Vec<Option<GridCell>>],
    color: &str,
    label_width: f64,
) -> String {
    let cell_w = 58.0;
    let cell_h = 26.0;
    let (x0, y0) = (label_width, 22.0);
    let width = x0 + cell_w * columns.len().max(1) as f64 + 8.0;
    let height = y0 + cell_h * rows.len() as f64 + 6.0;
    let mut out = format!(
        r##"<svg viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="{}">"##,
        esc(label)
    );
    for (c, column) in columns.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="14" text-anchor="middle" fill="#6b7280">{}</text>"##,
            x0 + cell_w * (c as f64 + 0.5),
            esc(column)
        );
    }
    for (r, (row, row_label)) in rows.iter().zip(row_labels).enumerate() {
        let y = y0 + cell_h * r as f64;
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" dominant-baseline="middle" fill="#6b7280">{}</text>"##,
            x0 - 6.0,
            y + cell_h / 2.0,
            esc(row_label)
        );
        for (c, cell) in row.iter().enumerate() {
            let Some(cell) = cell else { continue };
            let x = x0 + cell_w * c as f64;
            let (fill, opacity) = if cell.shade > 0.0 {
                (color, 0.12 + 0.88 * cell.shade.clamp(0.0, 1.0))
            } else {
                ("#f3f4f6", 1.0)
            };
            let ink = if cell.shade > 0.0 && opacity > 0.6 {
                "#ffffff"
            } else {
                "#111827"
            };
            let _ = write!(
                out,
                r##"<g class="cell"><title>{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2" fill="{}" fill-opacity="{opacity:.2}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" dominant-baseline="middle" fill="{ink}">{}</text></g>"##,
                esc(&cell.title),
                x + 1.0,
                y + 1.0,
                cell_w - 2.0,
                cell_h - 2.0,
                esc(fill),
                x + cell_w / 2.0,
                y + cell_h / 2.0,
                esc(&cell.text)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Renders the section.
pub fn render(rows: &[CohortRow]) -> String {
    let months = rows.iter().map(|r| r.retained.len()).max().unwrap_or(0);
    let mut columns = vec!["customers".to_owned()];
    columns.extend((0..months).map(|k| format!("+{k}")));
    let labels: Vec<String> = rows.iter().map(|r| r.month.clone()).collect();
    let max = rows.iter().map(|r| r.customers).max().unwrap_or(0);
    let cells: Vec<Vec<Option<GridCell>>> = rows
        .iter()
        .map(|row| {
            let mut cells = vec![Some(GridCell {
                text: count(row.customers),
                shade: if max == 0 {
                    0.0
                } else {
                    row.customers as f64 / max as f64 * 0.5
                },
                title: format!("{}: {} new customers", row.month, count(row.customers)),
            })];
            for (k, retained) in row.retained.iter().enumerate() {
                let retention = row.retention.get(k).copied().flatten();
                let revenue = row.revenue.get(k).copied().unwrap_or(Decimal::ZERO);
                cells.push(Some(GridCell {
                    text: retention.map_or("·".to_owned(), |r| {
                        format!("{}%", (r * Decimal::ONE_HUNDRED).round())
                    }),
                    shade: retention.map_or(0.0, |r| to_f64(&r)),
                    title: format!(
                        "{} cohort, +{k} month(s): {} of {} customers bought ({}), revenue {}",
                        row.month,
                        count(*retained),
                        count(row.customers),
                        percent(retention),
                        money(&revenue)
                    ),
                }));
            }
            cells
        })
        .collect();
    let chart = if max == 0 {
        Chart::Empty("No first purchase in the last 12 months.".to_owned())
    } else {
        Chart::Svg(grid(
            "retention by month of first purchase",
            &columns,
            &labels,
            &cells,
            COLOR,
            64.0,
        ))
    };
    let html = card(
        12,
        "Retention by month of first purchase",
        "share of each month's new customers who bought again k months later; hover a cell for counts and revenue",
        &figure("chart-cohorts-retention", "heatmap", chart, &[]),
    );
    section(
        "cohorts",
        "Cohorts",
        "Customers grouped by the month of their first purchase, and how they keep buying.",
        &html,
    )
}
