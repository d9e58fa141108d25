//! Text screen of the `profile` section (docs/metrics.md#profile, S1 "Customer Profile 360").

use crm_metrics::profile::{EngagementItem, ProfileSection};

use super::format::{Frame, average, count, delta, money, percent, to_f64};
use super::{TextTable, bar, heading, line, title};

/// History rows shown (the JSON report has them all).
const HISTORY_ROWS: usize = 15;

/// Renders the section.
pub fn render(out: &mut String, frame: &Frame, section: &ProfileSection) {
    let c = &section.customer;
    title(
        out,
        "CUSTOMER PROFILE",
        &format!("{} · {}", c.id, c.name.as_deref().unwrap_or("(no name)")),
    );
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    line(
        out,
        &format!(
            "customer since {} · source {} · gender {} · born {}",
            frame.local_time(&c.created_at),
            super::format::source_label(c.source),
            c.gender.map_or("—".to_owned(), |g| g.to_string()),
            c.birth_date.map_or("—".to_owned(), |d| d.to_string()),
        ),
    );
    line(
        out,
        &format!(
            "phone {} · e-mail {} · Zalo {} · Facebook {}",
            text(&c.phone),
            text(&c.email),
            text(&c.zalo_id),
            text(&c.facebook_id),
        ),
    );
    if let Some(notes) = &c.notes {
        line(out, &format!("notes: {notes}"));
    }

    let at = |v: &Option<chrono::DateTime<chrono::Utc>>| {
        v.as_ref().map_or("—".to_owned(), |t| frame.local_time(t))
    };
    heading(out, "purchases (all time)");
    let mut table = TextTable::new(&["", "", "", ""]).left(1).left(2).left(3);
    let rows: [(&str, String, &str, String); 7] = [
        (
            "total spend",
            money(&section.total_spend),
            "first purchase",
            at(&section.first_purchase_at),
        ),
        (
            "successful orders",
            count(section.successful_orders),
            "last purchase",
            at(&section.last_purchase_at),
        ),
        (
            "average per order",
            average(section.avg_spend_per_order),
            "days between purchases",
            section
                .avg_days_between_purchases
                .map_or("n/a".to_owned(), |d| d.round_dp(1).normalize().to_string()),
        ),
        (
            "all orders",
            count(section.total_orders),
            "most bought product",
            text(&section.most_purchased_product),
        ),
        (
            "failed or cancelled",
            count(section.failed_orders),
            "first product",
            text(&section.first_product),
        ),
        (
            "items bought",
            count(section.items_purchased),
            "latest product",
            text(&section.last_product),
        ),
        (
            "minigames joined",
            count(section.minigames.games),
            "minigame plays",
            count(section.minigames.plays),
        ),
    ];
    for (a, b, c, d) in rows {
        table.row(vec![a.to_owned(), b, c.to_owned(), d]);
    }
    // The header row of this two-pair table is empty: print the rows only.
    let mut rendered = String::new();
    table.render(&mut rendered);
    for l in rendered.lines().skip(1) {
        out.push_str(l);
        out.push('\n');
    }

    heading(
        out,
        "engagement this month (vs last month; share = this customer's part of all customers')",
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
    tile("campaigns taken part in", &e.campaigns);
    tile("messages received", &e.messages);
    tile("links clicked", &e.url_clicks);
    tile("survey responses", &e.surveys);
    engagement.render(out);

    let yoy = &section.year_over_year;
    heading(
        out,
        &format!(
            "spending by month: {} in {} purchases this year (vs the same span a year earlier: {}, {})",
            money(&yoy.spend.current),
            count(yoy.orders.current),
            delta(yoy.spend.delta),
            delta(yoy.orders.delta),
        ),
    );
    let peak = section
        .spending_by_month
        .iter()
        .map(|m| to_f64(&m.spend))
        .fold(0.0, f64::max);
    let mut months = TextTable::new(&["month", "spend", "purchases", ""]).left(3);
    for m in &section.spending_by_month {
        months.row(vec![
            m.month.clone(),
            money(&m.spend),
            count(m.orders),
            bar(to_f64(&m.spend), peak, 40),
        ]);
    }
    months.render(out);

    heading(
        out,
        &format!(
            "order history ({} orders, newest first)",
            count(section.purchase_history.len() as u64)
        ),
    );
    let mut history = TextTable::new(&["order", "date", "status", "items", "total"]).left(2);
    for o in section.purchase_history.iter().take(HISTORY_ROWS) {
        history.row(vec![
            o.id.clone(),
            frame.local_time(&o.created_at),
            o.status.to_string(),
            count(o.items),
            money(&o.total),
        ]);
    }
    history.render(out);
    if section.purchase_history.len() > HISTORY_ROWS {
        line(
            out,
            &format!(
                "… {} older orders in the JSON report",
                count((section.purchase_history.len() - HISTORY_ROWS) as u64)
            ),
        );
    }
}
