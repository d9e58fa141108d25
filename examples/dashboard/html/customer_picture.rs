//! HTML of the `customer_picture` section (docs/metrics.md#customer_picture, S3 "Customer picture"): KPI cards,
//! visit groups (share of customers against share of revenue), gender and age, spend
//! levels, reachability, return cycle and purchases in the period.

use crm_metrics::customer_picture::{AgeGroup, CustomerPictureSection};
use crm_metrics::money::count_ratio;

use super::format::{
    Frame, age_label, average, count, cycle_label, money, percent, spend_level_label, to_f64,
};
use super::svg::{self, BarRow, Part, Series};
use super::{ACCENT, Chart, SECOND, W6, card, figure, kpi, kpi_count, kpis, section};

/// Renders the section.
pub fn render(_frame: &Frame, s: &CustomerPictureSection) -> String {
    let mut html = String::new();
    html.push_str(&kpis(&[
        kpi(
            "Total customers",
            &count(s.total_customers),
            "customers created up to the report instant",
            None,
            "all time",
        ),
        kpi_count("New today", &s.new_today, true, "vs yesterday"),
        kpi_count("New this week", &s.new_this_week, true, "vs last week"),
        kpi_count("New this month", &s.new_this_month, true, "vs last month"),
        kpi(
            "Total spend",
            &money(&s.total_spend),
            "sum of all purchases (completed orders)",
            None,
            "all time",
        ),
        kpi(
            "Invoices",
            &count(s.invoices),
            "completed orders",
            None,
            &format!("{} per invoice", average(s.avg_invoice)),
        ),
        kpi(
            "Voucher customers",
            &count(s.voucher_customers),
            "customers with 3 or more purchases carrying a voucher",
            None,
            "3+ purchases with a voucher",
        ),
    ]));
    html.push_str(&visits(s));
    html.push_str(&connections(s));
    html.push_str(&people(s));
    html.push_str(&spend_levels(s));
    html.push_str(&return_cycle(s));
    html.push_str(&frequency(s));
    section(
        "customer-picture",
        "Customer picture",
        "Who the customers are, how much and how often they buy, and how to reach them.",
        &html,
    )
}

fn share_series(
    name: &str,
    color: &str,
    shares: &[Option<rust_decimal::Decimal>],
    texts: Vec<String>,
) -> Series {
    Series {
        name: name.to_owned(),
        color: color.to_owned(),
        values: shares
            .iter()
            .map(|r| r.as_ref().map_or(0.0, to_f64))
            .collect(),
        texts,
    }
}

fn visits(s: &CustomerPictureSection) -> String {
    let rows: Vec<BarRow> = s
        .visit_groups
        .iter()
        .map(|g| BarRow {
            label: match g.visits.label() {
                "1" => "1 visit".to_owned(),
                "3+" => "3 or more visits".to_owned(),
                other => format!("{other} visits"),
            },
            note: format!(
                "{} customers, revenue {}",
                count(g.customers),
                money(&g.revenue)
            ),
        })
        .collect();
    let customer_shares: Vec<_> = s.visit_groups.iter().map(|g| g.customer_share).collect();
    let revenue_shares: Vec<_> = s.visit_groups.iter().map(|g| g.revenue_share).collect();
    let series = [
        share_series(
            "share of customers",
            ACCENT,
            &customer_shares,
            s.visit_groups
                .iter()
                .map(|g| format!("{} ({})", percent(g.customer_share), count(g.customers)))
                .collect(),
        ),
        share_series(
            "share of revenue",
            SECOND,
            &revenue_shares,
            s.visit_groups
                .iter()
                .map(|g| percent(g.revenue_share))
                .collect(),
        ),
    ];
    let buyers: u64 = s.visit_groups.iter().map(|g| g.customers).sum();
    let chart = if buyers == 0 {
        Chart::Empty("No customer has made a purchase yet.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W6,
            rows: &rows,
            series: &series,
            label_width: 130.0,
            max: Some(1.0),
        }))
    };
    card(
        6,
        "Buying customers by number of visits",
        "Frequent customers are usually a minority that brings most of the revenue.",
        &figure("chart-picture-visits", "grouped-hbars", chart, &series),
    )
}

fn people(s: &CustomerPictureSection) -> String {
    let g = &s.gender;
    let total = s.total_customers;
    let part = |label: &str, n: u64, color: &str| Part {
        label: label.to_owned(),
        value: n as f64,
        text: format!("{} ({})", count(n), percent(count_ratio(n, total))),
        color: color.to_owned(),
    };
    let parts = [
        part("female", g.female, "#db2777"),
        part("male", g.male, "#2563eb"),
        part("other", g.other, "#8b5cf6"),
        part("unknown", g.unknown, "#cbd5e1"),
    ];
    let gender = if total == 0 {
        Chart::Empty("No customers yet.".to_owned())
    } else {
        Chart::Svg(svg::share_bar(W6, &parts))
    };
    let rows: Vec<BarRow> = AgeGroup::ALL
        .iter()
        .map(|a| BarRow {
            label: age_label(*a).to_owned(),
            note: String::new(),
        })
        .collect();
    let ages: Vec<u64> = AgeGroup::ALL.iter().map(|a| s.age_groups.get(*a)).collect();
    let mut series = Series::counts("customers", ACCENT, ages.iter().copied());
    series.texts = ages
        .iter()
        .map(|&n| format!("{} ({})", count(n), percent(count_ratio(n, total))))
        .collect();
    let age = if total == 0 {
        Chart::Empty("No customers yet.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W6,
            rows: &rows,
            series: &[series],
            label_width: 90.0,
            max: None,
        }))
    };
    card(
        6,
        "Gender and age",
        "All customers; age in whole years today.",
        &format!(
            "{}{}",
            figure("chart-picture-gender", "share-bar", gender, &[]),
            figure("chart-picture-age", "hbars", age, &[])
        ),
    )
}

fn spend_levels(s: &CustomerPictureSection) -> String {
    let rows: Vec<BarRow> = s
        .spend_levels
        .iter()
        .map(|l| BarRow {
            label: spend_level_label(l),
            note: format!("level {}", l.label),
        })
        .collect();
    let mut series = Series::counts(
        "customers",
        "#0ea5e9",
        s.spend_levels.iter().map(|l| l.customers),
    );
    series.texts = s
        .spend_levels
        .iter()
        .map(|l| {
            format!(
                "{} ({})",
                count(l.customers),
                percent(count_ratio(l.customers, s.total_customers))
            )
        })
        .collect();
    let chart = if s.total_customers == 0 {
        Chart::Empty("No customers yet.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W6,
            rows: &rows,
            series: &[series],
            label_width: 170.0,
            max: None,
        }))
    };
    card(
        6,
        "Customers by total spend",
        "All-time spend of each customer on purchases.",
        &figure("chart-picture-spend-levels", "hbars", chart, &[]),
    )
}

fn connections(s: &CustomerPictureSection) -> String {
    let c = &s.connections;
    let items = [
        ("SMS (has a phone)", &c.sms),
        ("Zalo", &c.zalo),
        ("Facebook", &c.facebook),
    ];
    let rows: Vec<BarRow> = items
        .iter()
        .map(|(label, _)| BarRow {
            label: (*label).to_owned(),
            note: String::new(),
        })
        .collect();
    let series = [Series {
        name: "reachable".to_owned(),
        color: "#10b981".to_owned(),
        values: items
            .iter()
            .map(|(_, c)| c.rate.as_ref().map_or(0.0, to_f64))
            .collect(),
        texts: items
            .iter()
            .map(|(_, c)| format!("{} ({})", percent(c.rate), count(c.customers)))
            .collect(),
    }];
    let chart = if s.total_customers == 0 {
        Chart::Empty("No customers yet.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W6,
            rows: &rows,
            series: &series,
            label_width: 150.0,
            max: Some(1.0),
        }))
    };
    card(
        6,
        "Customers you can reach",
        "Share of all customers with a phone, a Zalo id or a Facebook id.",
        &figure("chart-picture-connections", "hbars", chart, &[]),
    )
}

fn return_cycle(s: &CustomerPictureSection) -> String {
    let rows: Vec<BarRow> = s
        .return_cycle
        .iter()
        .map(|r| BarRow {
            label: cycle_label(r.bucket).to_owned(),
            note: String::new(),
        })
        .collect();
    let series = [
        Series::counts(
            "gaps between purchases",
            ACCENT,
            s.return_cycle.iter().map(|r| r.gaps),
        ),
        Series::counts(
            "customers by their median gap",
            SECOND,
            s.customer_cycle.iter().map(|r| r.customers),
        ),
    ];
    let gaps: u64 = s.return_cycle.iter().map(|r| r.gaps).sum();
    let chart = if gaps == 0 {
        Chart::Empty("No customer has bought twice yet.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W6,
            rows: &rows,
            series: &series,
            label_width: 150.0,
            max: None,
        }))
    };
    card(
        6,
        "Return cycle",
        "Days from one purchase to the next: when to send a reminder or a voucher.",
        &figure(
            "chart-picture-return-cycle",
            "grouped-hbars",
            chart,
            &series,
        ),
    )
}

fn frequency(s: &CustomerPictureSection) -> String {
    let categories: Vec<String> = s
        .spend_frequency
        .iter()
        .map(|r| {
            format!(
                "{} purchase{}",
                r.purchases,
                if r.purchases.label() == "1" { "" } else { "s" }
            )
        })
        .collect();
    let ticks: Vec<(usize, String)> = s
        .spend_frequency
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.purchases.to_string()))
        .collect();
    let series = [Series::counts(
        "customers",
        "#8b5cf6",
        s.spend_frequency.iter().map(|r| r.customers),
    )];
    let buyers: u64 = s.spend_frequency.iter().map(|r| r.customers).sum();
    let chart = if buyers == 0 {
        Chart::Empty("No purchase in this period.".to_owned())
    } else {
        Chart::Svg(svg::columns(&svg::Columns {
            size: (W6, 330.0),
            categories: &categories,
            ticks: &ticks,
            series: &series,
            y_title: "customers",
            integer: true,
            total: |v| format!("{} customers", count(v as u64)),
            ahead_from: None,
        }))
    };
    card(
        6,
        "How often customers bought in the period",
        "Customers with a purchase in the period, by their number of purchases in it.",
        &figure("chart-picture-frequency", "columns", chart, &[]),
    )
}
