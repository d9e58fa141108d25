//! Text screen of the `customer_picture` section (SPEC §6).

use std::fmt::Write;

use crm_metrics::customer_picture::CustomerPictureSection;

use super::{TextTable, cmp_count, count, money, percent, title};

/// Renders the section.
pub fn render(out: &mut String, section: &CustomerPictureSection) {
    title(out, "CUSTOMER PICTURE");
    let mut new = TextTable::new(&["customers", "current", "previous", "change"]);
    new.row(vec![
        "total".to_owned(),
        count(section.total_customers),
        String::new(),
        String::new(),
    ]);
    for (label, cmp) in [
        ("new today", &section.new_today),
        ("new this week", &section.new_this_week),
        ("new this month", &section.new_this_month),
    ] {
        let [c, p, d] = cmp_count(cmp);
        new.row(vec![label.to_owned(), c, p, d]);
    }
    new.render(out);
    let average = section
        .avg_invoice
        .map_or_else(|| "n/a".to_owned(), |a| money(&a.round_dp(2)));
    let _ = writeln!(
        out,
        "\n  spend {} in {} invoices, {} per invoice; {} customers used a voucher 3+ times",
        money(&section.total_spend),
        count(section.invoices),
        average,
        count(section.voucher_customers)
    );

    let _ = writeln!(out, "\n  buying customers by visits");
    let mut visits = TextTable::new(&["visits", "customers", "share", "revenue", "share"]);
    for row in &section.visit_groups {
        visits.row(vec![
            row.visits.to_string(),
            count(row.customers),
            percent(row.customer_share),
            money(&row.revenue),
            percent(row.revenue_share),
        ]);
    }
    visits.render(out);

    let g = &section.gender;
    let _ = writeln!(
        out,
        "\n  gender: male {}, female {}, other {}, unknown {}",
        count(g.male),
        count(g.female),
        count(g.other),
        count(g.unknown)
    );
    let ages: Vec<String> = crm_metrics::customer_picture::AgeGroup::ALL
        .iter()
        .map(|group| {
            format!(
                "{} {}",
                group.label(),
                count(section.age_groups.get(*group))
            )
        })
        .collect();
    let _ = writeln!(out, "  age: {}", ages.join(", "));

    let _ = writeln!(out, "\n  customers by total spend");
    let mut levels = TextTable::new(&["spend", "customers", "share"]);
    for row in &section.spend_levels {
        let share = crm_metrics::money::count_ratio(row.customers, section.total_customers);
        levels.row(vec![
            row.label.clone(),
            count(row.customers),
            percent(share),
        ]);
    }
    levels.render(out);

    let c = &section.connections;
    let _ = writeln!(out, "\n  reachable customers");
    let mut reach = TextTable::new(&["channel", "customers", "rate"]);
    for (label, connection) in [
        ("SMS (phone)", &c.sms),
        ("Zalo", &c.zalo),
        ("Facebook", &c.facebook),
    ] {
        reach.row(vec![
            label.to_owned(),
            count(connection.customers),
            percent(connection.rate),
        ]);
    }
    reach.render(out);

    let _ = writeln!(out, "\n  return cycle: days between purchases");
    let mut cycle = TextTable::new(&["gap", "gaps", "customers (median gap)"]);
    for (gaps, customers) in section.return_cycle.iter().zip(&section.customer_cycle) {
        cycle.row(vec![
            gaps.bucket.to_string(),
            count(gaps.gaps),
            count(customers.customers),
        ]);
    }
    cycle.render(out);

    let _ = writeln!(out, "\n  buying customers of the period by purchases in it");
    let mut frequency = TextTable::new(&["purchases", "customers"]);
    for row in &section.spend_frequency {
        frequency.row(vec![row.purchases.to_string(), count(row.customers)]);
    }
    frequency.render(out);
}
