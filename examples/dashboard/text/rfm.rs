//! Text screen of the `rfm` section: summary, segments and the R × F grid.

use crm_metrics::rfm::{RfmSection, Segment};

use super::format::{average, count, money, percent};
use super::{TextTable, heading, line, title};

/// A segment's name for people.
pub fn segment_label(segment: Segment) -> &'static str {
    match segment {
        Segment::Champions => "champions",
        Segment::Loyal => "loyal",
        Segment::New => "new",
        Segment::Promising => "promising",
        Segment::AtRisk => "at risk",
        Segment::Hibernating => "hibernating",
        Segment::NeedsAttention => "needs attention",
    }
}

/// Renders the section.
pub fn render(out: &mut String, section: &RfmSection) {
    title(
        out,
        "RFM",
        "recency, frequency and monetary value of every buyer",
    );
    let s = &section.summary;
    line(
        out,
        &format!(
            "{} buyers · mean repeat purchase days {} · mean days from first to last purchase {}",
            count(section.customers),
            average(s.mean_frequency),
            average(s.mean_recency)
        ),
    );
    line(
        out,
        &format!(
            "mean days since the first purchase {} · mean spend per repeat purchase day {}",
            average(s.mean_t),
            average(s.mean_monetary_value)
        ),
    );
    heading(out, "segments");
    let mut table = TextTable::new(&["segment", "customers", "share", "revenue", "share"]);
    for row in &section.segments {
        table.row(vec![
            segment_label(row.segment).to_owned(),
            count(row.customers),
            percent(row.customer_share),
            money(&row.revenue),
            percent(row.revenue_share),
        ]);
    }
    table.render(out);
    heading(
        out,
        "customers by recency score (rows) and frequency score (columns)",
    );
    let mut grid = TextTable::new(&["", "f 1", "f 2", "f 3", "f 4", "f 5"]);
    for (i, row) in section.grid.iter().enumerate() {
        let mut cells = vec![format!("r {}", 5 - i)];
        cells.extend(row.iter().map(|&n| count(n)));
        grid.row(cells);
    }
    grid.render(out);
    line(
        out,
        "r 5 bought most recently, f 5 on the most days · every buyer: --rfm-out FILE.csv",
    );
}
