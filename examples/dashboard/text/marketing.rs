//! Text screen of the `marketing` section (SPEC §5): overview, funnel, daily activity,
//! revenue by product type, care and cost efficiency by source and by product type.

use std::fmt::Write;

use crm_metrics::marketing::MarketingSection;

use super::{TextTable, cmp_money, cmp_ratio, count, money, percent, title};

/// Renders the section.
pub fn render(out: &mut String, section: &MarketingSection) {
    title(out, "MARKETING");
    let mut overview = TextTable::new(&["", "current", "previous", "change"]);
    for (name, cells) in [
        ("revenue", cmp_money(&section.revenue)),
        ("cost", cmp_money(&section.cost)),
        ("ROI", cmp_ratio(&section.roi)),
    ] {
        let mut row = vec![name.to_owned()];
        row.extend(cells);
        overview.row(row);
    }
    overview.render(out);

    let f = &section.funnel;
    let _ = writeln!(
        out,
        "\n  funnel (deals created in the period): created {} → handed over {} → opportunity {} → won {}",
        count(f.created),
        count(f.handed_over),
        count(f.opportunity),
        count(f.won)
    );
    let _ = writeln!(
        out,
        "  opportunity rate {}   order rate {}   won deals {}   AOV {}",
        percent(section.opportunity_rate),
        percent(section.order_rate),
        count(section.won_deals),
        optional_money(section.aov),
    );

    let active: Vec<_> = section
        .activity_daily
        .iter()
        .filter(|d| d.created + d.handed_over + d.opportunity + d.won > 0)
        .collect();
    let _ = writeln!(
        out,
        "\n  activity by day ({} of {} days active; quiet days left out)",
        active.len(),
        section.activity_daily.len()
    );
    if !active.is_empty() {
        let mut daily = TextTable::new(&["date", "created", "handed over", "opportunity", "won"]);
        for d in active {
            daily.row(vec![
                d.date.to_string(),
                count(d.created),
                count(d.handed_over),
                count(d.opportunity),
                count(d.won),
            ]);
        }
        daily.render(out);
    }

    if !section.revenue_by_product_type.is_empty() {
        let _ = writeln!(out, "\n  revenue by product type");
        let mut by_type = TextTable::new(&["product type", "revenue", "won deals"]);
        for row in &section.revenue_by_product_type {
            let name = if row.product_type.is_empty() {
                "(none)".to_owned()
            } else {
                row.product_type.clone()
            };
            by_type.row(vec![name, money(&row.revenue), count(row.won_deals)]);
        }
        by_type.render(out);
    }

    if !section.by_source.is_empty() {
        let _ = writeln!(out, "\n  care efficiency by source");
        let mut care = TextTable::new(&[
            "source",
            "created",
            "handed over",
            "opportunity",
            "won",
            "opp. rate",
            "order rate",
        ]);
        let mut cost = TextTable::new(&[
            "source",
            "won deals",
            "revenue",
            "cost",
            "ROI",
            "cost/deal",
            "cost/won",
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
            cost.row(vec![
                row.source.clone(),
                count(row.won_deals),
                money(&row.revenue),
                money(&row.cost),
                percent(row.roi),
                optional_money(row.cost_per_deal),
                optional_money(row.cost_per_won),
            ]);
        }
        care.render(out);
        let _ = writeln!(out, "\n  cost efficiency by source");
        cost.render(out);
    }

    if !section.by_product_type.is_empty() {
        let _ = writeln!(out, "\n  cost efficiency by product type");
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

/// Money rounded to whole units for display, `n/a` when undefined.
fn optional_money(amount: Option<rust_decimal::Decimal>) -> String {
    match amount {
        Some(a) => money(&a.round_dp(0)),
        None => "n/a".to_owned(),
    }
}
