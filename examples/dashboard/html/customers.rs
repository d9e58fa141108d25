//! HTML of the `customers` section (docs/metrics.md#customers, S0 "Customer dashboard"): KPI cards, new
//! customers per day stacked by source (legend toggles a source), new customers by
//! source, and dormant customers.

use chrono::NaiveDate;
use crm_metrics::customers::CustomersSection;
use crm_metrics::model::Source;

use super::format::{Frame, average, count, source_label};
use super::svg::{self, BarRow, Series};
use super::{
    ACCENT, Cell, Chart, SOURCE_COLORS, TimeAxis, W6, W12, card, figure, kpi, kpi_count, kpis,
    section, swatch, table,
};

/// Renders the section.
pub fn render(frame: &Frame, s: &CustomersSection) -> String {
    let mut html = String::new();
    let contacts = &s.webpush_form_contacts;
    html.push_str(&kpis(&[
        kpi(
            "Total customers",
            &count(s.total_customers),
            "customers created up to the report instant",
            None,
            "all time",
        ),
        kpi(
            "Average spend per buying customer",
            &average(s.avg_spend_per_customer),
            &format!(
                "exact: {}",
                s.avg_spend_per_customer
                    .map_or("n/a".to_owned(), |a| a.normalize().to_string())
            ),
            None,
            "all purchases / customers with a purchase",
        ),
        kpi_count("New customers", &s.new_customers, true, ""),
        kpi_count(
            "Synced from order systems",
            &s.new_customers_by_group.synced,
            true,
            "Haravan, Shopee, Lazada, other",
        ),
        kpi_count(
            "Imported or added by hand",
            &s.new_customers_by_group.imported,
            true,
            "Excel import, manual",
        ),
        kpi_count(
            "Writing to the Zalo OA",
            &s.zalo_oa_customers,
            true,
            "customers with an inbound Zalo message",
        ),
        kpi_count(
            "From web push and forms",
            &s.webpush_form_customers,
            true,
            &format!(
                "{} with phone · {} with e-mail · {} both",
                count(contacts.with_phone),
                count(contacts.with_email),
                count(contacts.with_both)
            ),
        ),
    ]));
    html.push_str(&daily(frame, s));
    html.push_str(&by_source(s));
    html.push_str(&dormant(s));
    section(
        "customers",
        "Customers",
        "Who joined in the period, from which source, and who stopped buying.",
        &html,
    )
}

/// New customers per day, stacked by source: only sources with new customers in the
/// period get a series (and a legend entry), in the documented order and with their fixed colour.
fn daily(frame: &Frame, s: &CustomersSection) -> String {
    let days = &s.new_customers_daily;
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
    let axis = TimeAxis::of(frame, &dates);
    let series: Vec<Series> = Source::ALL
        .iter()
        .filter(|src| days.iter().any(|d| d.by_source.get(**src) > 0))
        .map(|src| {
            let daily: Vec<u64> = days.iter().map(|d| d.by_source.get(*src)).collect();
            Series::counts(
                source_label(*src),
                SOURCE_COLORS[src.index() % SOURCE_COLORS.len()],
                axis.sum(&daily),
            )
        })
        .collect();
    let total: u64 = days.iter().map(|d| d.total).sum();
    let chart = if total == 0 {
        Chart::Empty("No new customers in this period.".to_owned())
    } else {
        Chart::Svg(svg::columns(&svg::Columns {
            size: (W12, 260.0),
            categories: &axis.categories,
            ticks: &axis.ticks,
            series: &series,
            y_title: "new customers",
            integer: true,
            total: |v| format!("{} new", count(v as u64)),
            ahead_from: axis.ahead_from,
        }))
    };
    let past = frame.past_days(&dates);
    let subtitle = format!(
        "{} new customers in {} days so far; hover a {} for each source, click a source to hide it.",
        count(total),
        count(past as u64),
        axis.unit
    );
    card(
        12,
        &format!("New customers per {}, by source", axis.unit),
        &subtitle,
        &figure("chart-customers-daily", "stacked-columns", chart, &series),
    )
}

fn by_source(s: &CustomersSection) -> String {
    let rows: Vec<Vec<Cell>> = s
        .new_customers_by_source
        .iter()
        .map(|(src, c)| {
            vec![
                Cell::Html(swatch(
                    SOURCE_COLORS[src.index() % SOURCE_COLORS.len()],
                    source_label(src),
                )),
                Cell::Num(count(c.current)),
                Cell::Num(count(c.previous)),
                Cell::Delta(c.delta, true),
            ]
        })
        .collect();
    card(
        6,
        "New customers by source",
        "This period against the previous one.",
        &table(
            &["source", "new", "previous", "change"],
            &[false, true, true, true],
            &rows,
        ),
    )
}

fn dormant(s: &CustomersSection) -> String {
    let d = &s.dormant_customers;
    let rows = [
        ("no purchase for 1 month+", d.months_1),
        ("no purchase for 3 months+", d.months_3),
        ("no purchase for 6 months+", d.months_6),
        ("no purchase for 12 months+", d.months_12),
        ("never ordered", d.never_ordered),
    ];
    let labels: Vec<BarRow> = rows
        .iter()
        .map(|(label, _)| BarRow {
            label: (*label).to_owned(),
            note: String::new(),
        })
        .collect();
    let series = [Series::counts(
        "customers",
        ACCENT,
        rows.iter().map(|(_, n)| *n),
    )];
    let chart = if rows.iter().all(|(_, n)| *n == 0) {
        Chart::Empty("No customers yet.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W6,
            rows: &labels,
            series: &series,
            label_width: 190.0,
            max: None,
        }))
    };
    card(
        6,
        "Customers who stopped buying",
        "By time since their last purchase; each row includes the rows below it.",
        &format!(
            "{}<h3 class=\"second\">Growth against the previous period</h3>{}",
            figure("chart-customers-dormant", "hbars", chart, &[]),
            growth(s)
        ),
    )
}

/// New customers by kind of source, and Zalo OA writers: this period against the
/// previous one (S0's growth part).
fn growth(s: &CustomersSection) -> String {
    let rows = [
        (
            "synced from order systems",
            &s.new_customers_by_group.synced,
        ),
        (
            "imported or added by hand",
            &s.new_customers_by_group.imported,
        ),
        ("from web push and forms", &s.webpush_form_customers),
        ("writing to the Zalo OA", &s.zalo_oa_customers),
    ];
    let labels: Vec<BarRow> = rows
        .iter()
        .map(|(label, c)| BarRow {
            label: (*label).to_owned(),
            note: format!("change {}", super::format::delta(c.delta)),
        })
        .collect();
    let series = [
        Series::counts("this period", ACCENT, rows.iter().map(|(_, c)| c.current)),
        Series::counts(
            "previous period",
            "#a5b4fc",
            rows.iter().map(|(_, c)| c.previous),
        ),
    ];
    let chart = if rows.iter().all(|(_, c)| c.current == 0 && c.previous == 0) {
        Chart::Empty("No new customers in either period.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W6,
            rows: &labels,
            series: &series,
            label_width: 190.0,
            max: None,
        }))
    };
    figure("chart-customers-growth", "grouped-hbars", chart, &series)
}
