//! Text screen of the `marketing` section (docs/metrics.md#marketing, S2 "Overview dashboard"): overview,
//! funnel, daily activity, revenue by product type, care and cost efficiency by source
//! and by product type.

use chrono::NaiveDate;
use crm_metrics::marketing::MarketingSection;
use crm_metrics::money::count_ratio;

use super::format::{Frame, average, count, money, percent, product_type_label};
use super::{DayPlan, TextTable, bar, cmp_money, cmp_ratio, heading, line, sparkline_block, title};

/// Renders the section.
pub fn render(out: &mut String, frame: &Frame, section: &MarketingSection) {
    title(out, "MARKETING", "what the marketing spend brought in");
    let mut overview = TextTable::new(&["", "current", "previous", "change"]);
    for (name, cells) in [
        ("revenue (deals won)", cmp_money(&section.revenue)),
        ("marketing cost", cmp_money(&section.cost)),
        ("ROI = (revenue - cost) / cost", cmp_ratio(&section.roi)),
    ] {
        let mut row = vec![name.to_owned()];
        row.extend(cells);
        overview.row(row);
    }
    overview.render(out);

    let f = &section.funnel;
    heading(out, "funnel of the deals created in the period");
    let mut funnel = TextTable::new(&["stage", "deals", "of created", ""]).left(3);
    for (stage, n) in [
        ("created", f.created),
        ("handed to sales", f.handed_over),
        ("opportunity", f.opportunity),
        ("won", f.won),
    ] {
        funnel.row(vec![
            stage.to_owned(),
            count(n),
            percent(count_ratio(n, f.created)),
            bar(n as f64, f.created as f64, 40),
        ]);
    }
    funnel.render(out);
    line(
        out,
        &format!(
            "opportunity rate {} · order rate {} · {} deals won in the period · average deal {}",
            percent(section.opportunity_rate),
            percent(section.order_rate),
            count(section.won_deals),
            average(section.aov),
        ),
    );

    activity(out, frame, section);

    heading(out, "revenue by product type (deals won in the period)");
    if section.revenue_by_product_type.is_empty() {
        line(out, "no deal won in the period");
    } else {
        let peak = section
            .revenue_by_product_type
            .iter()
            .map(|r| super::format::to_f64(&r.revenue))
            .fold(0.0, f64::max);
        let mut by_type = TextTable::new(&["product type", "revenue", "won deals", ""]).left(3);
        for row in &section.revenue_by_product_type {
            by_type.row(vec![
                product_type_label(&row.product_type).to_owned(),
                money(&row.revenue),
                count(row.won_deals),
                bar(super::format::to_f64(&row.revenue), peak, 30),
            ]);
        }
        by_type.render(out);
    }

    heading(
        out,
        "by source: care efficiency (deals created in the period)",
    );
    if section.by_source.is_empty() {
        line(out, "no deal or cost in the period");
    } else {
        let mut care = TextTable::new(&[
            "source",
            "created",
            "handed over",
            "opportunity",
            "won",
            "opportunity rate",
            "order rate",
        ]);
        for row in &section.by_source {
            care.row(vec![
                row.source.clone(),
                count(row.created),
                count(row.handed_over),
                count(row.opportunity),
                count(row.won),
                percent(row.opportunity_rate),
                percent(row.order_rate),
            ]);
        }
        care.render(out);
        heading(out, "by source: cost efficiency");
        let mut cost = TextTable::new(&[
            "source",
            "won deals",
            "revenue",
            "cost",
            "ROI",
            "cost per deal",
            "cost per won",
        ]);
        for row in &section.by_source {
            cost.row(vec![
                row.source.clone(),
                count(row.won_deals),
                money(&row.revenue),
                money(&row.cost),
                percent(row.roi),
                average(row.cost_per_deal),
                average(row.cost_per_won),
            ]);
        }
        cost.render(out);
    }

    if !section.by_product_type.is_empty() {
        heading(out, "by product type: cost efficiency");
        let mut by_type = TextTable::new(&["product type", "won deals", "revenue", "cost", "ROI"]);
        for row in &section.by_product_type {
            by_type.row(vec![
                row.product_type.clone(),
                count(row.won_deals),
                money(&row.revenue),
                money(&row.cost),
                percent(row.roi),
            ]);
        }
        by_type.render(out);
    }
}

/// Deal activity per day: a sparkline of all stage moves and a table of active days,
/// weeks or months.
fn activity(out: &mut String, frame: &Frame, section: &MarketingSection) {
    let days = &section.activity_daily;
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
    let moves: Vec<u64> = days
        .iter()
        .map(|d| d.created + d.handed_over + d.opportunity + d.won)
        .collect();
    let active: Vec<bool> = moves.iter().map(|&m| m > 0).collect();
    let plan = DayPlan::new(frame, &dates, &active);
    let past = plan.past;
    heading(
        out,
        "deal activity per day (deals created, handed over, opportunity or won that day)",
    );
    if moves[..past].iter().all(|&m| m == 0) {
        line(out, "no deal activity in the period so far");
        return;
    }
    sparkline_block(out, &dates[..past], &moves[..past]);
    heading(
        out,
        &format!("deal activity by {}{}", plan.unit, plan.note()),
    );
    let mut table = TextTable::new(&[plan.unit, "created", "handed over", "opportunity", "won"]);
    for (label, range) in &plan.rows {
        let sum = |f: fn(&crm_metrics::marketing::ActivityDay) -> u64| -> u64 {
            days[range.clone()].iter().map(f).sum()
        };
        table.row(vec![
            label.clone(),
            count(sum(|d| d.created)),
            count(sum(|d| d.handed_over)),
            count(sum(|d| d.opportunity)),
            count(sum(|d| d.won)),
        ]);
    }
    table.render(out);
}
