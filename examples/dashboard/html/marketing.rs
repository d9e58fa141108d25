//! HTML of the `marketing` section (docs/metrics.md#marketing, S2 "Overview dashboard"): revenue, cost and
//! ROI cards, the deal funnel, daily deal activity, revenue by product type, and the
//! by-source and by-product-type tables with ROI.

use chrono::NaiveDate;
use crm_metrics::marketing::{ActivityDay, MarketingSection};

use super::format::{Frame, average, count, money, percent, product_type_label, to_f64};
use super::svg::{self, BarRow, Series};
use super::{
    Cell, Chart, PALETTE, STAGE_COLORS, TimeAxis, W5, W7, card, figure, funnel_card, kpi,
    kpi_money, kpi_ratio, kpis, note, section, swatch, table,
};

/// Renders the section.
pub fn render(frame: &Frame, s: &MarketingSection) -> String {
    let mut html = String::new();
    html.push_str(&kpis(&[
        kpi_money("Revenue", &s.revenue, true, "deals won in the period"),
        kpi_money("Marketing cost", &s.cost, false, "spend in the period"),
        kpi_ratio("ROI", &s.roi, "(revenue - cost) / cost"),
        kpi(
            "Deals won",
            &count(s.won_deals),
            "deals with won_at in the period",
            None,
            &format!("average deal {}", average(s.aov)),
        ),
        kpi(
            "Opportunity rate",
            &percent(s.opportunity_rate),
            &format!(
                "exact: {}",
                s.opportunity_rate
                    .map_or("n/a".to_owned(), |r| r.normalize().to_string())
            ),
            None,
            "opportunities / deals created",
        ),
        kpi(
            "Order rate",
            &percent(s.order_rate),
            &format!(
                "exact: {}",
                s.order_rate
                    .map_or("n/a".to_owned(), |r| r.normalize().to_string())
            ),
            None,
            "won / deals created",
        ),
    ]));
    html.push_str(&funnel(s));
    html.push_str(&activity(frame, s));
    html.push_str(&revenue_by_type(s));
    html.push_str(&by_product_type(s));
    html.push_str(&by_source(s));
    section(
        "marketing",
        "Marketing",
        "Which marketing sources and products pay off.",
        &html,
    )
}

fn funnel(s: &MarketingSection) -> String {
    let f = &s.funnel;
    funnel_card(
        "chart-marketing-funnel",
        "Deal funnel",
        "Deals created in the period, and how far they got within it.",
        [
            ("created", f.created),
            ("handed to sales", f.handed_over),
            ("opportunity", f.opportunity),
            ("won", f.won),
        ],
        "No deal was created in this period.",
    )
}

fn activity(frame: &Frame, s: &MarketingSection) -> String {
    let days = &s.activity_daily;
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
    let axis = TimeAxis::of(frame, &dates);
    let stage = |f: fn(&ActivityDay) -> u64| -> Vec<u64> {
        axis.sum(&days.iter().map(f).collect::<Vec<u64>>())
    };
    let series = [
        Series::counts("created", STAGE_COLORS[0], stage(|d| d.created)),
        Series::counts("handed over", STAGE_COLORS[1], stage(|d| d.handed_over)),
        Series::counts("opportunity", STAGE_COLORS[2], stage(|d| d.opportunity)),
        Series::counts("won", STAGE_COLORS[3], stage(|d| d.won)),
    ];
    let moves: u64 = days
        .iter()
        .map(|d| d.created + d.handed_over + d.opportunity + d.won)
        .sum();
    let chart = if moves == 0 {
        Chart::Empty("No deal activity in this period.".to_owned())
    } else if axis.unit == "week" {
        // Weeks: one line per stage shows the trend.
        Chart::Svg(svg::lines(&svg::Lines {
            size: (W7, 280.0),
            categories: &axis.categories,
            ticks: &axis.ticks,
            series: &series,
            y_title: "deals",
            integer: true,
            ahead_from: axis.ahead_from,
        }))
    } else {
        Chart::Svg(svg::columns(&svg::Columns {
            size: (W7, 280.0),
            categories: &axis.categories,
            ticks: &axis.ticks,
            series: &series,
            y_title: "deals",
            integer: true,
            total: |v| format!("{} stage moves", count(v as u64)),
            ahead_from: axis.ahead_from,
        }))
    };
    card(
        7,
        &format!("Deal activity per {}", axis.unit),
        &format!(
            "Deals reaching each stage {} each {} ({} days so far).",
            if axis.unit == "day" { "on" } else { "in" },
            axis.unit,
            count(frame.past_days(&dates) as u64)
        ),
        &figure("chart-marketing-activity", "activity", chart, &series),
    )
}

fn revenue_by_type(s: &MarketingSection) -> String {
    let rows: Vec<BarRow> = s
        .revenue_by_product_type
        .iter()
        .map(|r| BarRow {
            label: product_type_label(&r.product_type).to_owned(),
            note: format!("{} won deals", count(r.won_deals)),
        })
        .collect();
    let series = [Series {
        name: "revenue".to_owned(),
        color: STAGE_COLORS[3].to_owned(),
        values: s
            .revenue_by_product_type
            .iter()
            .map(|r| to_f64(&r.revenue))
            .collect(),
        texts: s
            .revenue_by_product_type
            .iter()
            .map(|r| money(&r.revenue))
            .collect(),
    }];
    let chart = if rows.is_empty() {
        Chart::Empty("No deal was won in this period.".to_owned())
    } else {
        Chart::Svg(svg::hbars(&svg::HBars {
            width: W5,
            rows: &rows,
            series: &series,
            label_width: 150.0,
            max: None,
        }))
    };
    card(
        5,
        "Revenue by product type",
        "Deals won in the period.",
        &figure("chart-marketing-product-types", "hbars", chart, &[]),
    )
}

/// A ratio as a percentage with its exact value as a tooltip.
fn ratio_cell(r: Option<rust_decimal::Decimal>) -> Cell {
    Cell::NumTitle(
        percent(r),
        r.map_or("undefined: nothing to divide by".to_owned(), |r| {
            r.normalize().to_string()
        }),
    )
}

fn by_product_type(s: &MarketingSection) -> String {
    let rows: Vec<Vec<Cell>> = s
        .by_product_type
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.product_type.clone()),
                Cell::Num(count(r.won_deals)),
                Cell::Num(money(&r.revenue)),
                Cell::Num(money(&r.cost)),
                ratio_cell(r.roi),
            ]
        })
        .collect();
    let body = if rows.is_empty() {
        "<div class=\"empty\">No deal won and no cost with a product type in this period.</div>"
            .to_owned()
    } else {
        table(
            &["product type", "won deals", "revenue", "cost", "ROI"],
            &[false, true, true, true, true],
            &rows,
        )
    };
    card(
        7,
        "Cost efficiency by product type",
        "Deals and costs without a product type are counted in the totals only.",
        &body,
    )
}

fn by_source(s: &MarketingSection) -> String {
    let rows: Vec<Vec<Cell>> = s
        .by_source
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                Cell::Html(swatch(PALETTE[i % PALETTE.len()], &r.source)),
                Cell::Num(count(r.created)),
                Cell::Num(count(r.handed_over)),
                Cell::Num(count(r.opportunity)),
                Cell::Num(count(r.won)),
                ratio_cell(r.opportunity_rate),
                ratio_cell(r.order_rate),
                Cell::Num(count(r.won_deals)),
                Cell::Num(money(&r.revenue)),
                Cell::Num(money(&r.cost)),
                ratio_cell(r.roi),
                Cell::NumTitle(
                    average(r.cost_per_deal),
                    r.cost_per_deal
                        .map_or("n/a".to_owned(), |v| v.normalize().to_string()),
                ),
                Cell::NumTitle(
                    average(r.cost_per_won),
                    r.cost_per_won
                        .map_or("n/a".to_owned(), |v| v.normalize().to_string()),
                ),
            ]
        })
        .collect();
    let body = if rows.is_empty() {
        "<div class=\"empty\">No deal and no cost in this period.</div>".to_owned()
    } else {
        let mut body = table(
            &[
                "source",
                "created",
                "handed over",
                "opportunity",
                "won",
                "opportunity rate",
                "order rate",
                "won deals",
                "revenue",
                "cost",
                "ROI",
                "cost per deal",
                "cost per won deal",
            ],
            &[
                false, true, true, true, true, true, true, true, true, true, true, true, true,
            ],
            &rows,
        );
        body.push_str(&note(
            "created … won: the funnel of the deals created in the period; won deals and \
             revenue: deals won in the period; ROI = (revenue - cost) / cost.",
        ));
        body
    };
    card(
        12,
        "By source: care and cost efficiency",
        "One row per source with deals or costs in the period.",
        &body,
    )
}
