//! Text screen of the `customer_picture` section (docs/metrics.md#customer_picture, S3 "Customer picture").

use crm_metrics::customer_picture::{AgeGroup, CustomerPictureSection};
use crm_metrics::money::count_ratio;

use super::format::{
    Frame, age_label, average, count, cycle_label, money, percent, spend_level_label, to_f64,
};
use super::{TextTable, bar, cmp_count, heading, line, title};

/// Renders the section.
pub fn render(out: &mut String, _frame: &Frame, section: &CustomerPictureSection) {
    title(
        out,
        "CUSTOMER PICTURE",
        "who the customers are and how often they buy",
    );
    let mut new = TextTable::new(&["new customers", "current", "previous", "change"]);
    for (label, cmp) in [
        ("today (vs yesterday)", &section.new_today),
        ("this week (vs last week)", &section.new_this_week),
        ("this month (vs last month)", &section.new_this_month),
    ] {
        let [c, p, d] = cmp_count(cmp);
        new.row(vec![label.to_owned(), c, p, d]);
    }
    new.render(out);
    line(out, "");
    line(
        out,
        &format!(
            "{} customers · all-time spend {} in {} invoices, {} per invoice",
            count(section.total_customers),
            money(&section.total_spend),
            count(section.invoices),
            average(section.avg_invoice),
        ),
    );
    line(
        out,
        &format!(
            "{} customers used a voucher on 3 or more purchases",
            count(section.voucher_customers)
        ),
    );

    heading(out, "buying customers by number of visits (all time)");
    let mut visits = TextTable::new(&[
        "visits",
        "customers",
        "share",
        "revenue",
        "share of revenue",
        "",
    ])
    .left(5);
    for row in &section.visit_groups {
        let share = row.revenue_share.as_ref().map_or(0.0, to_f64);
        visits.row(vec![
            row.visits.to_string(),
            count(row.customers),
            percent(row.customer_share),
            money(&row.revenue),
            percent(row.revenue_share),
            bar(share, 1.0, 20),
        ]);
    }
    visits.render(out);

    let g = &section.gender;
    let total = section.total_customers;
    heading(out, "gender and age (all customers)");
    let ages: Vec<(&str, u64)> = AgeGroup::ALL
        .iter()
        .map(|group| (age_label(*group), section.age_groups.get(*group)))
        .collect();
    let genders = [
        ("male", g.male),
        ("female", g.female),
        ("other", g.other),
        ("unknown", g.unknown),
    ];
    let peak = ages
        .iter()
        .chain(genders.iter())
        .map(|r| r.1)
        .max()
        .unwrap_or(0);
    let mut table = TextTable::new(&[
        "gender",
        "customers",
        "share",
        "",
        "age",
        "customers",
        "share",
        "",
    ])
    .left(3)
    .left(4)
    .left(7);
    for i in 0..ages.len().max(genders.len()) {
        let mut cells = vec![String::new(); 8];
        if let Some((label, n)) = genders.get(i) {
            cells[0] = (*label).to_owned();
            cells[1] = count(*n);
            cells[2] = percent(count_ratio(*n, total));
            cells[3] = bar(*n as f64, peak as f64, 12);
        }
        if let Some((label, n)) = ages.get(i) {
            cells[4] = (*label).to_owned();
            cells[5] = count(*n);
            cells[6] = percent(count_ratio(*n, total));
            cells[7] = bar(*n as f64, peak as f64, 12);
        }
        table.row(cells);
    }
    table.render(out);

    heading(out, "customers by total spend");
    let peak = section
        .spend_levels
        .iter()
        .map(|r| r.customers)
        .max()
        .unwrap_or(0);
    let mut levels = TextTable::new(&["spend", "customers", "share", ""]).left(3);
    for row in &section.spend_levels {
        levels.row(vec![
            spend_level_label(row),
            count(row.customers),
            percent(count_ratio(row.customers, total)),
            bar(row.customers as f64, peak as f64, 30),
        ]);
    }
    levels.render(out);

    let c = &section.connections;
    heading(out, "customers you can reach");
    let mut reach = TextTable::new(&["channel", "customers", "rate", ""]).left(3);
    for (label, connection) in [
        ("SMS (has a phone)", &c.sms),
        ("Zalo", &c.zalo),
        ("Facebook", &c.facebook),
    ] {
        reach.row(vec![
            label.to_owned(),
            count(connection.customers),
            percent(connection.rate),
            bar(connection.rate.as_ref().map_or(0.0, to_f64), 1.0, 30),
        ]);
    }
    reach.render(out);

    heading(
        out,
        "return cycle: gaps between one purchase and the next, and customers by their median gap",
    );
    let peak = section
        .return_cycle
        .iter()
        .map(|r| r.gaps)
        .max()
        .unwrap_or(0);
    let mut cycle = TextTable::new(&["gap", "customers", "gaps", ""]).left(3);
    for (gaps, customers) in section.return_cycle.iter().zip(&section.customer_cycle) {
        cycle.row(vec![
            cycle_label(gaps.bucket).to_owned(),
            count(customers.customers),
            count(gaps.gaps),
            bar(gaps.gaps as f64, peak as f64, 30),
        ]);
    }
    cycle.render(out);

    heading(
        out,
        "customers who bought in the period, by purchases in the period",
    );
    let peak = section
        .spend_frequency
        .iter()
        .map(|r| r.customers)
        .max()
        .unwrap_or(0);
    let mut frequency = TextTable::new(&["purchases", "customers", ""]).left(2);
    for row in &section.spend_frequency {
        frequency.row(vec![
            row.purchases.to_string(),
            count(row.customers),
            bar(row.customers as f64, peak as f64, 30),
        ]);
    }
    frequency.render(out);
}
