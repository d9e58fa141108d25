//! Text screen of the `lifecycle` section: who is new, returning, coming back or gone.

use crm_metrics::lifecycle::LifecycleSection;

use super::format::{count, percent};
use super::{TextTable, line, title};

/// Renders the section.
pub fn render(out: &mut String, section: &LifecycleSection) {
    title(
        out,
        "LIFECYCLE",
        "buyers of the period against the previous period",
    );
    let mut table = TextTable::new(&["", "customers"]);
    for (label, n) in [
        ("active (bought in the period)", section.active),
        ("  new (first purchase in the period)", section.new),
        (
            "  returning (also bought in the previous period)",
            section.returning,
        ),
        ("  resurrecting (back after a break)", section.resurrecting),
        (
            "dormant (bought in the previous period only)",
            section.dormant,
        ),
    ] {
        table.row(vec![label.to_owned(), count(n)]);
    }
    table.render(out);
    line(
        out,
        &format!(
            "returning rate (returning + resurrecting of active): {}",
            percent(section.returning_rate)
        ),
    );
    super::heading(out, "month by month (each against the month before)");
    let mut months = TextTable::new(&[
        "month",
        "active",
        "new",
        "returning",
        "resurrecting",
        "dormant",
    ]);
    for m in &section.monthly {
        months.row(vec![
            m.month.clone(),
            count(m.active),
            count(m.new),
            count(m.returning),
            count(m.resurrecting),
            count(m.dormant),
        ]);
    }
    months.render(out);
}
