//! HTML of the `social` section (docs/metrics.md#social, S4 "Chat OmniAI overview"): KPI cards, the
//! reach → care → order → delivery funnel, reach per day and per hour, the weekday ×
//! hour heatmap, and the top staff table.

use chrono::NaiveDate;
use crm_metrics::social::SocialSection;

use super::format::{self, Frame, WEEKDAYS, count, money, percent};
use super::svg::{self, Series};
use super::{
    Cell, Chart, TimeAxis, W5, W7, card, figure, funnel_card, kpi, kpi_count, kpi_money, kpis,
    note, section, table,
};

/// Staff rows shown (the JSON report has them all).
const STAFF_ROWS: usize = 25;

/// The colour of reach charts.
const REACH: &str = "#0ea5e9";

/// Renders the section.
pub fn render(frame: &Frame, s: &SocialSection) -> String {
    let mut html = String::new();
    let missing = if s.orders_missing_cost > 0 {
        format!(
            "leaves out {} without cost",
            format::counted(s.orders_missing_cost, "order", "orders")
        )
    } else {
        "placed orders with a cost of goods".to_owned()
    };
    html.push_str(&kpis(&[
        kpi_count(
            "Messages and comments",
            &s.reached,
            true,
            "received from customers",
        ),
        kpi_count("Customers who wrote", &s.reached_customers, true, ""),
        kpi_count(
            "Customers answered",
            &s.cared,
            true,
            "by staff or automation",
        ),
        kpi_count("First-time writers", &s.new_customers, true, ""),
        kpi_count("Orders placed", &s.orders, true, "not cancelled"),
        kpi_count("Orders cancelled", &s.cancelled_orders, false, ""),
        kpi_money("Revenue", &s.revenue, true, "placed social orders"),
        kpi_money("Gross profit", &s.gross_profit, true, &missing),
        kpi(
            "Fanpages",
            &count(s.activated_pages),
            "activated fanpages",
            None,
            &format!("activated · {} linked accounts", count(s.linked_accounts)),
        ),
    ]));
    html.push_str(&funnel(s));
    html.push_str(&reach_daily(frame, s));
    html.push_str(&reach_by_hour(s));
    html.push_str(&heatmap(s));
    html.push_str(&staff(s));
    section(
        "social",
        "Social chat",
        "Messages on the fanpages, how staff answered, and the orders that followed.",
        &html,
    )
}

fn funnel(s: &SocialSection) -> String {
    let f = &s.funnel;
    funnel_card(
        "chart-social-funnel",
        "From message to delivery",
        "Customers who wrote in the period, and how far they got.",
        [
            ("wrote to a page", f.reached),
            ("got an answer", f.cared),
            ("placed an order", f.ordered),
            ("order delivered", f.delivered),
        ],
        "No customer wrote to a fanpage in this period.",
    )
}

fn reach_daily(frame: &Frame, s: &SocialSection) -> String {
    let dates: Vec<NaiveDate> = s.reach_daily.iter().map(|d| d.date).collect();
    let axis = TimeAxis::of(frame, &dates);
    let daily: Vec<u64> = s.reach_daily.iter().map(|d| d.count).collect();
    let series = [Series::counts(
        "messages and comments",
        REACH,
        axis.sum(&daily),
    )];
    let total: u64 = daily.iter().sum();
    let chart = if total == 0 {
        Chart::Empty("No message or comment in this period.".to_owned())
    } else {
        Chart::Svg(svg::columns(&svg::Columns {
            size: (W7, 260.0),
            categories: &axis.categories,
            ticks: &axis.ticks,
            series: &series,
            y_title: "messages",
            integer: true,
            total: |v| format!("{} messages and comments", count(v as u64)),
            ahead_from: axis.ahead_from,
        }))
    };
    card(
        7,
        &format!("Customer reach per {}", axis.unit),
        &format!(
            "{} messages and comments in {} days so far.",
            count(total),
            count(frame.past_days(&dates) as u64)
        ),
        &figure("chart-social-reach-daily", "columns", chart, &[]),
    )
}

fn reach_by_hour(s: &SocialSection) -> String {
    let categories: Vec<String> = (0..24).map(|h| format!("{h:02}:00-{h:02}:59")).collect();
    let ticks: Vec<(usize, String)> = (0..24)
        .filter(|h| h % 3 == 0)
        .map(|h| (h, format!("{h:02}h")))
        .collect();
    let series = [Series::counts(
        "messages and comments",
        "#6366f1",
        s.reach_by_hour.iter().copied(),
    )];
    let chart = if s.reach_by_hour.iter().all(|&n| n == 0) {
        Chart::Empty("No message or comment in this period.".to_owned())
    } else {
        Chart::Svg(svg::columns(&svg::Columns {
            size: (W5, 260.0),
            categories: &categories,
            ticks: &ticks,
            series: &series,
            y_title: "messages",
            integer: true,
            total: |v| format!("{} messages and comments", count(v as u64)),
            ahead_from: None,
        }))
    };
    card(
        5,
        "Customer reach by hour of day",
        "Local time, whole period: when to have staff on chat.",
        &figure("chart-social-reach-hourly", "columns", chart, &[]),
    )
}

fn heatmap(s: &SocialSection) -> String {
    let columns: Vec<String> = (0..24).map(|h| format!("{h:02}h")).collect();
    let values: Vec<Vec<u64>> = s
        .interactions_by_weekday_hour
        .iter()
        .map(|row| row.to_vec())
        .collect();
    let chart = if values.iter().flatten().all(|&n| n == 0) {
        Chart::Empty("No inbound interaction in this period.".to_owned())
    } else {
        Chart::Svg(svg::heatmap(&svg::Heatmap {
            width: W7,
            rows: &WEEKDAYS,
            columns: &columns,
            values: &values,
            color: "#4f46e5",
            unit: "inbound interactions",
        }))
    };
    card(
        7,
        "Page interactions by weekday and hour",
        "All inbound social interactions in the period: pick hours for care and ads.",
        &figure("chart-social-heatmap", "heatmap", chart, &[]),
    )
}

fn staff(s: &SocialSection) -> String {
    let rows: Vec<Vec<Cell>> = s
        .top_staff
        .iter()
        .take(STAFF_ROWS)
        .enumerate()
        .map(|(i, r)| {
            vec![
                Cell::Num(count(i as u64 + 1)),
                Cell::Text(
                    r.name
                        .clone()
                        .unwrap_or_else(|| "(unknown staff id)".to_owned()),
                ),
                Cell::Text(r.staff_id.clone()),
                Cell::Num(count(r.customers_cared)),
                Cell::Num(money(&r.revenue)),
                Cell::Num(count(r.ordered_customers)),
                Cell::NumTitle(
                    percent(r.conversion_rate),
                    r.conversion_rate.map_or(
                        "undefined: this person answered no customer".to_owned(),
                        |c| c.normalize().to_string(),
                    ),
                ),
            ]
        })
        .collect();
    let body = if rows.is_empty() {
        "<div class=\"empty\">No staff answered a message or took a social order in this period.</div>"
            .to_owned()
    } else {
        let mut body = table(
            &[
                "#",
                "name",
                "staff id",
                "customers cared",
                "revenue",
                "ordered customers",
                "conversion",
            ],
            &[true, false, false, true, true, true, true],
            &rows,
        );
        if s.top_staff.len() > STAFF_ROWS {
            body.push_str(&note(&format!(
                "The first {STAFF_ROWS} of {}; the JSON report has them all.",
                count(s.top_staff.len() as u64)
            )));
        }
        body.push_str(&note(
            "Conversion = ordered customers / customers cared; it can pass 100% when a \
             person takes orders from customers someone else answered.",
        ));
        body
    };
    card(
        12,
        "Top staff",
        "By revenue of placed social orders.",
        &body,
    )
}
