//! Text screen of the `profile` section (SPEC §4).

use std::fmt::Write;

use crm_metrics::profile::{EngagementItem, ProfileSection};

use super::{TextTable, count, delta, money, percent, title};

/// History rows shown (the JSON report has them all).
const HISTORY_ROWS: usize = 15;

/// Renders the section.
pub fn render(out: &mut String, section: &ProfileSection) {
    let c = &section.customer;
    title(
        out,
        &format!(
            "CUSTOMER PROFILE — {} {}",
            c.id,
            c.name.as_deref().unwrap_or("(no name)")
        ),
    );
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    let _ = writeln!(
        out,
        "  created {}   source {}   gender {}   born {}",
        c.created_at.format("%Y-%m-%d %H:%M UTC"),
        c.source,
        c.gender.map_or("—".to_owned(), |g| g.to_string()),
        c.birth_date.map_or("—".to_owned(), |d| d.to_string()),
    );
    let _ = writeln!(
        out,
        "  phone {}   email {}   zalo {}   facebook {}",
        text(&c.phone),
        text(&c.email),
        text(&c.zalo_id),
        text(&c.facebook_id),
    );
    if let Some(notes) = &c.notes {
        let _ = writeln!(out, "  notes: {}", notes.replace('\n', " / "));
    }

    let at = |v: &Option<chrono::DateTime<chrono::Utc>>| {
        v.map_or("—".to_owned(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    let mut table = TextTable::new(&["", "value"]);
    let rows: [(&str, String); 14] = [
        ("total spend", money(&section.total_spend)),
        ("successful orders", count(section.successful_orders)),
        (
            "average per order",
            section
                .avg_spend_per_order
                .map_or("n/a".to_owned(), |a| money(&a.round_dp(0))),
        ),
        ("total orders", count(section.total_orders)),
        ("failed / cancelled orders", count(section.failed_orders)),
        ("items purchased", count(section.items_purchased)),
        ("first purchase", at(&section.first_purchase_at)),
        ("last purchase", at(&section.last_purchase_at)),
        (
            "days between purchases",
            section
                .avg_days_between_purchases
                .map_or("n/a".to_owned(), |d| d.round_dp(2).normalize().to_string()),
        ),
        (
            "most purchased product",
            text(&section.most_purchased_product),
        ),
        ("first product", text(&section.first_product)),
        ("last product", text(&section.last_product)),
        ("minigames joined", count(section.minigames.games)),
        ("minigame plays", count(section.minigames.plays)),
    ];
    for (label, value) in rows {
        table.row(vec![label.to_owned(), value]);
    }
    table.render(out);

    let _ = writeln!(
        out,
        "\n  engagement this month (vs last month, share of all customers)"
    );
    let mut engagement = TextTable::new(&["", "this month", "last month", "change", "share"]);
    let e = &section.engagement;
    let mut tile = |label: &str, item: &EngagementItem| {
        engagement.row(vec![
            label.to_owned(),
            count(item.current),
            count(item.previous),
            delta(item.delta),
            percent(item.share),
        ]);
    };
    tile("campaigns", &e.campaigns);
    tile("messages received", &e.messages);
    tile("URL clicks", &e.url_clicks);
    tile("survey responses", &e.surveys);
    engagement.render(out);

    let yoy = &section.year_over_year;
    let _ = writeln!(
        out,
        "\n  spending by month (year to date: {} in {} purchases; vs a year earlier {} / {})",
        money(&yoy.spend.current),
        count(yoy.orders.current),
        delta(yoy.spend.delta),
        delta(yoy.orders.delta),
    );
    let mut months = TextTable::new(&["month", "spend", "purchases"]);
    for m in &section.spending_by_month {
        months.row(vec![m.month.clone(), money(&m.spend), count(m.orders)]);
    }
    months.render(out);

    let _ = writeln!(
        out,
        "\n  purchase history ({} orders, newest first)",
        count(section.purchase_history.len() as u64)
    );
    let mut history = TextTable::new(&["order", "created", "status", "items", "total"]);
    for o in section.purchase_history.iter().take(HISTORY_ROWS) {
        history.row(vec![
            o.id.clone(),
            o.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            o.status.to_string(),
            count(o.items),
            money(&o.total),
        ]);
    }
    history.render(out);
    if section.purchase_history.len() > HISTORY_ROWS {
        let _ = writeln!(
            out,
            "  … {} more in the JSON report",
            section.purchase_history.len() - HISTORY_ROWS
        );
    }
}
