//! Text screen of the `cohorts` section: the retention triangle.

use crm_metrics::cohorts::CohortRow;
use rust_decimal::Decimal;

use super::format::{count, money};
use super::{TextTable, line, title};

/// Renders the section.
pub fn render(out: &mut String, rows: &[CohortRow]) {
    title(
        out,
        "COHORTS",
        "customers by month of first purchase, % buying again k months later",
    );
    let months = rows.iter().map(|r| r.retained.len()).max().unwrap_or(0);
    let mut header = vec!["first bought".to_owned(), "customers".to_owned()];
    header.extend((0..months).map(|k| format!("+{k}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = TextTable::new(&header);
    for row in rows {
        let mut cells = vec![row.month.clone(), count(row.customers)];
        cells.extend(row.retention.iter().map(|r| match r {
            Some(r) => whole_percent(*r),
            None => "·".to_owned(),
        }));
        table.row(cells);
    }
    table.render(out);
    let revenue: Vec<Decimal> = rows
        .iter()
        .filter_map(|r| r.revenue.first().copied())
        .collect();
    let first_month: Decimal = revenue.iter().sum();
    line(
        out,
        &format!(
            "+0 = the month of the first purchase · first-month revenue of the 12 cohorts: {}",
            money(&first_month)
        ),
    );
}

/// A fraction as a whole percentage (`0.333` → `33%`), short enough for a grid.
fn whole_percent(r: Decimal) -> String {
    let p = (r * Decimal::ONE_HUNDRED).round();
    format!("{p}%")
}
