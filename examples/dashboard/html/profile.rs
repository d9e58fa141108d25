//! HTML of the `profile` section (docs/metrics.md#profile, S1 "Customer Profile 360"): basic info,
//! purchase portrait, the four engagement tiles, spending by month (bars) with orders
//! (line), and the purchase history.

use std::fmt::Write;

use crm_metrics::profile::{EngagementItem, ProfileSection};

use super::format::{Frame, average, count, money, month_name, percent, source_label, to_f64};
use super::svg::{self, Series};
use super::{
    ACCENT, Cell, Chart, SECOND, W7, card, delta_chip, esc, figure, kpi, kpi_grid, kpis, note,
    section, table,
};

/// History rows shown (the JSON report has them all).
const HISTORY_ROWS: usize = 50;

/// Renders the section.
pub fn render(frame: &Frame, p: &ProfileSection) -> String {
    let mut html = String::new();
    html.push_str(&info(frame, p));
    html.push_str(&portrait(frame, p));
    html.push_str(&engagement(p));
    html.push_str(&spending(p));
    html.push_str(&history(frame, p));
    let c = &p.customer;
    section(
        "profile",
        "Customer profile",
        &format!(
            "{} · {}: everything about one customer.",
            c.name.as_deref().unwrap_or("(no name)"),
            c.id
        ),
        &html,
    )
}

fn info(frame: &Frame, p: &ProfileSection) -> String {
    let c = &p.customer;
    let name = c.name.clone().unwrap_or_else(|| "(no name)".to_owned());
    let initial: String = name
        .chars()
        .find(|ch| ch.is_alphanumeric())
        .map_or("?".to_owned(), |ch| ch.to_uppercase().collect());
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    let facts: [(&str, String); 9] = [
        ("Customer id", c.id.clone()),
        ("Phone", dash(&c.phone)),
        ("E-mail", dash(&c.email)),
        (
            "Birthday",
            c.birth_date.map_or("—".to_owned(), |d| d.to_string()),
        ),
        ("Gender", c.gender.map_or("—".to_owned(), |g| g.to_string())),
        ("Source", source_label(c.source).to_owned()),
        ("Customer since", frame.local_time(&c.created_at)),
        ("Zalo", dash(&c.zalo_id)),
        ("Facebook", dash(&c.facebook_id)),
    ];
    let mut html = format!(
        "<div class=\"profile-head\"><div class=\"avatar\" aria-hidden=\"true\">{}</div><div><div class=\"name\">{}</div><div class=\"sub\">{}</div></div></div><dl class=\"facts\">",
        esc(&initial),
        esc(&name),
        esc(&c.id)
    );
    for (label, value) in facts {
        let _ = write!(html, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(&value));
    }
    if let Some(notes) = &c.notes {
        let _ = write!(html, "<dt>Notes</dt><dd>{}</dd>", esc(notes));
    }
    html.push_str("</dl>");
    card(4, "Basic information", "", &html)
}

fn portrait(frame: &Frame, p: &ProfileSection) -> String {
    let at = |v: &Option<chrono::DateTime<chrono::Utc>>| {
        v.as_ref().map_or("—".to_owned(), |t| frame.local_time(t))
    };
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    let items = [
        kpi(
            "Total spend",
            &money(&p.total_spend),
            "sum of purchases",
            None,
            "",
        ),
        kpi(
            "Average per order",
            &average(p.avg_spend_per_order),
            &format!(
                "exact: {}",
                p.avg_spend_per_order
                    .map_or("n/a".to_owned(), |a| a.normalize().to_string())
            ),
            None,
            "",
        ),
        kpi(
            "Successful orders",
            &count(p.successful_orders),
            "completed orders",
            None,
            &format!("of {} orders", count(p.total_orders)),
        ),
        kpi(
            "Failed or cancelled",
            &count(p.failed_orders),
            "orders failed or cancelled",
            None,
            "",
        ),
        kpi(
            "Items bought",
            &count(p.items_purchased),
            "sum of quantities of purchases",
            None,
            "",
        ),
        kpi(
            "Days between purchases",
            &p.avg_days_between_purchases
                .map_or("n/a".to_owned(), |d| d.round_dp(1).normalize().to_string()),
            &format!(
                "exact: {}",
                p.avg_days_between_purchases
                    .map_or("n/a".to_owned(), |a| a.normalize().to_string())
            ),
            None,
            "on average",
        ),
        kpi(
            "First purchase",
            &at(&p.first_purchase_at),
            "local time",
            None,
            "",
        ),
        kpi(
            "Last purchase",
            &at(&p.last_purchase_at),
            "local time",
            None,
            "",
        ),
        kpi(
            "Most bought product",
            &dash(&p.most_purchased_product),
            "largest total quantity",
            None,
            "",
        ),
        kpi("First product", &dash(&p.first_product), "", None, ""),
        kpi("Latest product", &dash(&p.last_product), "", None, ""),
        kpi(
            "Minigames",
            &count(p.minigames.games),
            "distinct games played",
            None,
            &format!("{} plays", count(p.minigames.plays)),
        ),
    ];
    kpi_grid(8, 4, &items)
}

fn engagement(p: &ProfileSection) -> String {
    let e = &p.engagement;
    let tile = |label: &str, item: &EngagementItem, what: &str| {
        let mut html = format!(
            "<div class=\"kpi\" title=\"{}\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"cmp\">{} <span class=\"prev\">vs {} last month</span></div>",
            esc(&format!(
                "{label}: {} this month, {} last month; share of all customers' {what}: {}",
                count(item.current),
                count(item.previous),
                item.share
                    .map_or("n/a".to_owned(), |s| s.normalize().to_string())
            )),
            esc(label),
            esc(&count(item.current)),
            delta_chip(item.delta, true),
            esc(&count(item.previous))
        );
        let _ = write!(
            html,
            "<div class=\"note\">{} of all customers' {}</div></div>",
            esc(&percent(item.share)),
            esc(what)
        );
        html
    };
    kpis(&[
        tile("Campaigns taken part in", &e.campaigns, "campaigns"),
        tile("Messages received", &e.messages, "messages"),
        tile("Links clicked", &e.url_clicks, "clicks"),
        tile("Survey responses", &e.surveys, "responses"),
    ])
}

fn spending(p: &ProfileSection) -> String {
    let categories: Vec<String> = p
        .spending_by_month
        .iter()
        .map(|m| {
            let month: u32 = m.month.get(5..7).and_then(|t| t.parse().ok()).unwrap_or(0);
            let name = month_name(month);
            if name.is_empty() {
                m.month.clone()
            } else {
                name.to_owned()
            }
        })
        .collect();
    let bars = Series {
        name: "spend".to_owned(),
        color: ACCENT.to_owned(),
        values: p
            .spending_by_month
            .iter()
            .map(|m| to_f64(&m.spend))
            .collect(),
        texts: p
            .spending_by_month
            .iter()
            .map(|m| money(&m.spend))
            .collect(),
    };
    let line = Series::counts(
        "orders",
        SECOND,
        p.spending_by_month.iter().map(|m| m.orders),
    );
    let any = p
        .spending_by_month
        .iter()
        .any(|m| m.orders > 0 || !m.spend.is_zero());
    let chart = if any {
        Chart::Svg(svg::combo(&svg::Combo {
            size: (W7, 280.0),
            categories: &categories,
            bars: &bars,
            line: &line,
            titles: ("spend", "orders"),
        }))
    } else {
        Chart::Empty("No purchase this year.".to_owned())
    };
    let yoy = &p.year_over_year;
    let year = p
        .spending_by_month
        .first()
        .and_then(|m| m.month.get(0..4))
        .unwrap_or("this year")
        .to_owned();
    let html = format!(
        "<p class=\"sub\">{} · spend {} {} · purchases {} {} <span class=\"prev\">vs the same span a year earlier</span></p>{}",
        esc(&year),
        esc(&money(&yoy.spend.current)),
        delta_chip(yoy.spend.delta, true),
        esc(&count(yoy.orders.current)),
        delta_chip(yoy.orders.delta, true),
        figure(
            "chart-profile-spending",
            "combo",
            chart,
            &[bars.clone(), line.clone()]
        )
    );
    card(7, "Spending by month", "", &html)
}

fn history(frame: &Frame, p: &ProfileSection) -> String {
    let rows: Vec<Vec<Cell>> = p
        .purchase_history
        .iter()
        .take(HISTORY_ROWS)
        .map(|o| {
            vec![
                Cell::Text(o.id.clone()),
                Cell::NoWrap(frame.local_time(&o.created_at)),
                Cell::Text(o.status.to_string()),
                Cell::Num(count(o.items)),
                Cell::Num(money(&o.total)),
            ]
        })
        .collect();
    let mut body = if rows.is_empty() {
        "<div class=\"empty\">No orders yet.</div>".to_owned()
    } else {
        table(
            &["order", "date", "status", "items", "total"],
            &[false, false, false, true, true],
            &rows,
        )
    };
    if p.purchase_history.len() > HISTORY_ROWS {
        body.push_str(&note(&format!(
            "The newest {HISTORY_ROWS} of {} orders; the JSON report has them all.",
            count(p.purchase_history.len() as u64)
        )));
    }
    card(
        5,
        "Purchase history",
        &format!(
            "{} orders, newest first.",
            count(p.purchase_history.len() as u64)
        ),
        &format!("<div class=\"scroll\">{body}</div>"),
    )
}
