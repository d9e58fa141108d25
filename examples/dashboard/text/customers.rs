//! Text screen of the `customers` section (docs/metrics.md#customers, S0 "Customer dashboard").

use chrono::NaiveDate;
use crm_metrics::customers::CustomersSection;
use crm_metrics::model::Source;

use super::format::{Frame, average, count, source_label, width};
use super::{
    DayPlan, TextTable, WIDTH, bar, cmp_count, fit_list, heading, line, sparkline_block, title,
};

/// Renders the section.
pub fn render(out: &mut String, frame: &Frame, section: &CustomersSection) {
    title(out, "CUSTOMERS", "growth, sources and dormant customers");
    line(
        out,
        &format!(
            "{} customers in total · average spend per buying customer {}",
            count(section.total_customers),
            average(section.avg_spend_per_customer)
        ),
    );

    heading(out, "new customers in the period");
    let mut growth = TextTable::new(&["", "current", "previous", "change"]);
    let mut row = |label: &str, cells: [String; 3]| {
        let [c, p, d] = cells;
        growth.row(vec![label.to_owned(), c, p, d]);
    };
    row("new customers", cmp_count(&section.new_customers));
    row(
        "  synced from order systems (Haravan, Shopee, Lazada, other)",
        cmp_count(&section.new_customers_by_group.synced),
    );
    row(
        "  imported from Excel or added by hand",
        cmp_count(&section.new_customers_by_group.imported),
    );
    row(
        "  new from web push and forms",
        cmp_count(&section.webpush_form_customers),
    );
    row(
        "customers writing to the Zalo OA",
        cmp_count(&section.zalo_oa_customers),
    );
    growth.render(out);
    let contacts = &section.webpush_form_contacts;
    line(
        out,
        &format!(
            "web push and form contacts: {} with a phone, {} with an e-mail, {} with both",
            count(contacts.with_phone),
            count(contacts.with_email),
            count(contacts.with_both)
        ),
    );

    heading(out, "new customers by source");
    let mut sources = TextTable::new(&["source", "current", "previous", "change", ""]).left(4);
    let peak = section
        .new_customers_by_source
        .iter()
        .map(|(_, c)| c.current)
        .max()
        .unwrap_or(0);
    for (source, cmp) in section.new_customers_by_source.iter() {
        let [c, p, d] = cmp_count(cmp);
        sources.row(vec![
            source_label(source).to_owned(),
            c,
            p,
            d,
            bar(cmp.current as f64, peak as f64, 30),
        ]);
    }
    sources.render(out);

    let dormant = &section.dormant_customers;
    heading(
        out,
        "customers with no purchase since ... (each row includes the ones below it)",
    );
    let rows = [
        ("1 month", dormant.months_1),
        ("3 months", dormant.months_3),
        ("6 months", dormant.months_6),
        ("12 months", dormant.months_12),
        ("never ordered", dormant.never_ordered),
    ];
    let peak = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let mut table = TextTable::new(&["", "customers", ""]).left(2);
    for (label, n) in rows {
        table.row(vec![
            label.to_owned(),
            count(n),
            bar(n as f64, peak as f64, 40),
        ]);
    }
    table.render(out);

    daily(out, frame, section);
}

/// New customers per day: a sparkline and a table of active days, weeks or months.
fn daily(out: &mut String, frame: &Frame, section: &CustomersSection) {
    let days = &section.new_customers_daily;
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
    let totals: Vec<u64> = days.iter().map(|d| d.total).collect();
    let active: Vec<bool> = totals.iter().map(|&t| t > 0).collect();
    let plan = DayPlan::new(frame, &dates, &active);
    let past = plan.past;
    let total: u64 = totals[..past].iter().sum();
    let peak = totals[..past].iter().copied().max().unwrap_or(0);
    heading(
        out,
        &format!(
            "new customers per day: {} in {} days, at most {} in a day",
            count(total),
            count(past as u64),
            count(peak)
        ),
    );
    if total == 0 {
        line(out, "no new customers in the period so far");
        return;
    }
    sparkline_block(out, &dates[..past], &totals[..past]);
    heading(
        out,
        &format!("new customers by {}{}", plan.unit, plan.note()),
    );
    let label_width = plan.rows.iter().map(|(l, _)| width(l)).max().unwrap_or(0);
    // What is left of the line for the list of sources: indent, label, "new", gaps.
    let room = WIDTH
        .saturating_sub(2 + label_width.max(5) + 2 + 5 + 2)
        .max(20);
    let mut table = TextTable::new(&[plan.unit, "new", "by source (most first)"]).left(2);
    for (label, range) in &plan.rows {
        let mut by_source = [0u64; Source::ALL.len()];
        for day in &days[range.clone()] {
            for (source, n) in day.by_source.non_zero() {
                by_source[source.index()] += n;
            }
        }
        let mut order: Vec<Source> = Source::ALL
            .iter()
            .copied()
            .filter(|s| by_source[s.index()] > 0)
            .collect();
        order.sort_by_key(|s| std::cmp::Reverse(by_source[s.index()]));
        let parts: Vec<String> = order
            .iter()
            .map(|s| format!("{} {}", source_label(*s), count(by_source[s.index()])))
            .collect();
        let new: u64 = totals[range.clone()].iter().sum();
        table.row(vec![label.clone(), count(new), fit_list(&parts, room)]);
    }
    table.render(out);
}
