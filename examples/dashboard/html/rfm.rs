//! HTML of the `rfm` section: summary KPIs, the segment table and the R × F grid as a
//! heatmap.

use crm_metrics::rfm::{RfmSection, Segment};

use super::cohorts::{GridCell, grid};
use super::format::{average, count, money, percent};
use super::{Cell, Chart, card, figure, kpi, kpis, section, table};

/// Colour of the grid.
const COLOR: &str = "#0d9488";

fn label(segment: Segment) -> &'static str {
    match segment {
        Segment::Champions => "Champions",
        Segment::Loyal => "Loyal",
        Segment::New => "New",
        Segment::Promising => "Promising",
        Segment::AtRisk => "At risk",
        Segment::Hibernating => "Hibernating",
        Segment::NeedsAttention => "Needs attention",
    }
}

/// Renders the section.
pub fn render(s: &RfmSection) -> String {
    let m = &s.summary;
    let exact = |v: Option<rust_decimal::Decimal>| v.map_or("n/a".to_owned(), |v| v.to_string());
    let mut html = kpis(&[
        kpi(
            "Buyers",
            &count(s.customers),
            "customers with a purchase",
            None,
            "with a purchase",
        ),
        kpi(
            "Repeat days",
            &average(m.mean_frequency),
            &exact(m.mean_frequency),
            None,
            "mean purchase days - 1",
        ),
        kpi(
            "Recency",
            &average(m.mean_recency),
            &exact(m.mean_recency),
            None,
            "mean days first to last",
        ),
        kpi(
            "Age",
            &average(m.mean_t),
            &exact(m.mean_t),
            None,
            "mean days since the first",
        ),
        kpi(
            "Repeat spend",
            &average(m.mean_monetary_value),
            &exact(m.mean_monetary_value),
            None,
            "mean per repeat purchase day",
        ),
    ]);
    let rows: Vec<Vec<Cell>> = s
        .segments
        .iter()
        .map(|r| {
            vec![
                Cell::Text(label(r.segment).to_owned()),
                Cell::Num(count(r.customers)),
                Cell::Num(percent(r.customer_share)),
                Cell::Num(money(&r.revenue)),
                Cell::Num(percent(r.revenue_share)),
            ]
        })
        .collect();
    html.push_str(&card(
        5,
        "Segments",
        "the first that fits: champions r≥4 f≥4, loyal f≥4, new r≥4 one day, promising r≥4, at risk r≤2 f≥3, hibernating r≤2",
        &table(
            &["segment", "customers", "share", "revenue", "share"],
            &[false, true, true, true, true],
            &rows,
        ),
    ));
    let max = s.grid.iter().flatten().copied().max().unwrap_or(0);
    let cells: Vec<Vec<Option<GridCell>>> = s
        .grid
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(j, &n)| {
                    Some(GridCell {
                        text: count(n),
                        shade: if max == 0 { 0.0 } else { n as f64 / max as f64 },
                        title: format!("r {} × f {}: {} customers", 5 - i, j + 1, count(n)),
                    })
                })
                .collect()
        })
        .collect();
    let chart = if s.customers == 0 {
        Chart::Empty("No customer has bought yet.".to_owned())
    } else {
        let columns: Vec<String> = (1..=5).map(|f| format!("f {f}")).collect();
        let labels: Vec<String> = (1..=5).rev().map(|r| format!("r {r}")).collect();
        Chart::Svg(grid(
            "customers by recency and frequency score",
            &columns,
            &labels,
            &cells,
            COLOR,
            40.0,
        ))
    };
    html.push_str(&card(
        7,
        "Recency × frequency",
        "customers by score: r 5 bought most recently, f 5 on the most days",
        &figure("chart-rfm-grid", "heatmap", chart, &[]),
    ));
    section(
        "rfm",
        "RFM",
        "Recency, frequency and monetary value of every buyer, scored 1-5 among all buyers, and the segments they fall in.",
        &html,
    )
}
