//! Text screen of the `social` section (SPEC §7).

use std::fmt::Write;

use crm_metrics::social::SocialSection;

use super::{TextTable, cmp_count, cmp_money, count, money, percent, title};

/// Staff rows shown (the JSON report has them all).
const STAFF_ROWS: usize = 10;
/// Days per line of the daily reach sparkline.
const DAYS_PER_LINE: usize = 62;

/// Renders the section.
pub fn render(out: &mut String, section: &SocialSection) {
    title(out, "SOCIAL CHAT");
    let mut table = TextTable::new(&["", "current", "previous", "change"]);
    let mut row = |label: &str, cells: [String; 3]| {
        let mut row = vec![label.to_owned()];
        row.extend(cells);
        table.row(row);
    };
    row("reached (messages + comments)", cmp_count(&section.reached));
    row("reached customers", cmp_count(&section.reached_customers));
    row("cared customers", cmp_count(&section.cared));
    row("new customers", cmp_count(&section.new_customers));
    row("orders (placed)", cmp_count(&section.orders));
    row("cancelled orders", cmp_count(&section.cancelled_orders));
    row("revenue", cmp_money(&section.revenue));
    row("gross profit", cmp_money(&section.gross_profit));
    table.render(out);
    if section.orders_missing_cost > 0 {
        let _ = writeln!(
            out,
            "  gross profit leaves out {} placed order(s) without cost_of_goods",
            count(section.orders_missing_cost)
        );
    }
    let _ = writeln!(
        out,
        "  fanpages activated: {}   linked accounts: {}",
        count(section.activated_pages),
        count(section.linked_accounts)
    );

    let f = &section.funnel;
    let _ = writeln!(out, "\n  funnel (customers)");
    let mut funnel = TextTable::new(&["stage", "customers", "of reached"]);
    for (stage, n) in [
        ("reached", f.reached),
        ("cared", f.cared),
        ("ordered", f.ordered),
        ("delivered", f.delivered),
    ] {
        funnel.row(vec![
            stage.to_owned(),
            count(n),
            percent(crm_metrics::money::count_ratio(n, f.reached)),
        ]);
    }
    funnel.render(out);

    if let (Some(first), Some(last)) = (section.reach_daily.first(), section.reach_daily.last()) {
        let counts: Vec<u64> = section.reach_daily.iter().map(|d| d.count).collect();
        let peak = counts.iter().copied().max().unwrap_or(0);
        let _ = writeln!(
            out,
            "\n  reach per day, {} .. {} (peak {}/day)",
            first.date,
            last.date,
            count(peak)
        );
        for chunk in counts.chunks(DAYS_PER_LINE) {
            let _ = writeln!(out, "  {}", sparkline(chunk, peak));
        }
    }

    let hour_peak = section.reach_by_hour.iter().copied().max().unwrap_or(0);
    let _ = writeln!(
        out,
        "\n  reach by hour (00 .. 23, peak {})",
        count(hour_peak)
    );
    let _ = writeln!(out, "  {}", sparkline(&section.reach_by_hour, hour_peak));

    let _ = writeln!(out, "\n  inbound interactions by weekday and hour");
    let mut header = String::from("       ");
    for hour in 0..24 {
        let _ = write!(header, "{hour:>3}");
    }
    let _ = writeln!(out, "{header}");
    for (day, hours) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .zip(&section.interactions_by_weekday_hour)
    {
        let mut line = format!("  {day}  ");
        for &n in hours {
            if n == 0 {
                line.push_str("  ·");
            } else {
                let _ = write!(line, "{n:>3}");
            }
        }
        let _ = writeln!(out, "{line}");
    }

    if !section.top_staff.is_empty() {
        let _ = writeln!(out, "\n  top staff");
        let mut staff = TextTable::new(&[
            "staff",
            "customers cared",
            "revenue",
            "ordered customers",
            "conversion",
        ]);
        for s in section.top_staff.iter().take(STAFF_ROWS) {
            let name = match &s.name {
                Some(name) => format!("{name} ({})", s.staff_id),
                None => format!("{} (unknown)", s.staff_id),
            };
            staff.row(vec![
                name,
                count(s.customers_cared),
                money(&s.revenue),
                count(s.ordered_customers),
                percent(s.conversion_rate),
            ]);
        }
        staff.render(out);
        if section.top_staff.len() > STAFF_ROWS {
            let _ = writeln!(
                out,
                "  … {} more in the JSON report",
                section.top_staff.len() - STAFF_ROWS
            );
        }
    }
}

/// One block character per value, scaled to `peak` (`·` for zero).
fn sparkline(values: &[u64], peak: u64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    values
        .iter()
        .map(|&v| {
            if v == 0 || peak == 0 {
                '·'
            } else {
                // 1..=peak onto 0..8.
                let level = ((v - 1) * 8 / peak).min(7) as usize;
                BARS[level]
            }
        })
        .collect()
}
