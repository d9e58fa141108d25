//! Text screen of the `customers` section (SPEC §3).

use std::fmt::Write;

use crm_metrics::customers::CustomersSection;
use rust_decimal::Decimal;

use super::{TextTable, cmp_count, count, money, title};

/// Daily rows shown one by one up to this many days; longer periods list only the days
/// with new customers.
const ALL_DAYS_UP_TO: usize = 31;

/// Renders the section.
pub fn render(out: &mut String, section: &CustomersSection) {
    title(out, "CUSTOMERS");
    let average = section
        .avg_spend_per_customer
        .map_or_else(|| "n/a".to_owned(), |a| money(&a.round_dp(2)));
    let _ = writeln!(
        out,
        "  total customers {}   average spend per buying customer {}",
        count(section.total_customers),
        average
    );

    let _ = writeln!(out, "\n  growth in the period");
    let mut growth = TextTable::new(&["", "current", "previous", "change"]);
    let mut row = |label: &str, cells: [String; 3]| {
        let [c, p, d] = cells;
        growth.row(vec![label.to_owned(), c, p, d]);
    };
    row("new customers", cmp_count(&section.new_customers));
    row(
        "  synced (haravan, shopee, lazada, other OMS)",
        cmp_count(&section.new_customers_by_group.synced),
    );
    row(
        "  imported (excel, manual)",
        cmp_count(&section.new_customers_by_group.imported),
    );
    row(
        "customers writing to the Zalo OA",
        cmp_count(&section.zalo_oa_customers),
    );
    row(
        "new from web push and forms",
        cmp_count(&section.webpush_form_customers),
    );
    growth.render(out);
    let contacts = &section.webpush_form_contacts;
    let _ = writeln!(
        out,
        "  web push / form contacts: {} with phone, {} with e-mail, {} with both",
        count(contacts.with_phone),
        count(contacts.with_email),
        count(contacts.with_both)
    );

    let _ = writeln!(out, "\n  new customers by source");
    let mut sources = TextTable::new(&["source", "current", "previous", "change"]);
    for (source, cmp) in section.new_customers_by_source.iter() {
        let [c, p, d] = cmp_count(cmp);
        sources.row(vec![source.name().to_owned(), c, p, d]);
    }
    sources.render(out);

    let dormant = &section.dormant_customers;
    let _ = writeln!(out, "\n  customers without a purchase (cumulative)");
    let mut table = TextTable::new(&["last purchase", "customers"]);
    for (label, n) in [
        ("over 1 month ago", dormant.months_1),
        ("over 3 months ago", dormant.months_3),
        ("over 6 months ago", dormant.months_6),
        ("over 12 months ago", dormant.months_12),
        ("never ordered", dormant.never_ordered),
    ] {
        table.row(vec![label.to_owned(), count(n)]);
    }
    table.render(out);

    let days = &section.new_customers_daily;
    let all = days.len() <= ALL_DAYS_UP_TO;
    let _ = writeln!(
        out,
        "\n  new customers per day{}",
        if all {
            ""
        } else {
            " (days with new customers)"
        }
    );
    let mut table = TextTable::new(&["date", "new", "by source"]);
    for day in days.iter().filter(|day| all || day.total > 0) {
        let by_source: Vec<String> = day
            .by_source
            .non_zero()
            .map(|(source, n)| format!("{source} {n}"))
            .collect();
        table.row(vec![
            day.date.to_string(),
            count(day.total),
            by_source.join(", "),
        ]);
    }
    table.render(out);
    let peak = days.iter().map(|day| day.total).max().unwrap_or(0);
    let total: u64 = days.iter().map(|day| day.total).sum();
    let per_day = Decimal::from(total)
        .checked_div(Decimal::from(days.len().max(1) as u64))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} new in {} days, {} per day on average, at most {} in a day",
        count(total),
        days.len(),
        per_day.round_dp(1).normalize(),
        count(peak)
    );
}
