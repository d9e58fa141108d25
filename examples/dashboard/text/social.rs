//! Text screen of the `social` section (docs/metrics.md#social, S4 "Chat OmniAI overview").

use std::fmt::Write;

use chrono::NaiveDate;
use crm_metrics::money::count_ratio;
use crm_metrics::social::SocialSection;

use super::format::{self, Frame, WEEKDAYS, count, money, percent, short_date};
use super::{TextTable, WIDTH, bar, cmp_count, cmp_money, heading, line, sparkline_block, title};

/// Staff rows shown (the JSON report has them all).
const STAFF_ROWS: usize = 10;

/// Renders the section.
pub fn render(out: &mut String, frame: &Frame, section: &SocialSection) {
    title(out, "SOCIAL CHAT", "fanpage messages, care and orders");
    let mut table = TextTable::new(&["", "current", "previous", "change"]);
    let mut row = |label: &str, cells: [String; 3]| {
        let mut row = vec![label.to_owned()];
        row.extend(cells);
        table.row(row);
    };
    row(
        "messages and comments received",
        cmp_count(&section.reached),
    );
    row("customers who wrote", cmp_count(&section.reached_customers));
    row("customers answered (cared)", cmp_count(&section.cared));
    row(
        "customers writing for the first time",
        cmp_count(&section.new_customers),
    );
    row("orders placed", cmp_count(&section.orders));
    row("orders cancelled", cmp_count(&section.cancelled_orders));
    row("revenue of placed orders", cmp_money(&section.revenue));
    row("gross profit", cmp_money(&section.gross_profit));
    table.render(out);
    if section.orders_missing_cost > 0 {
        line(
            out,
            &format!(
                "gross profit leaves out {} without a cost of goods",
                format::counted(section.orders_missing_cost, "placed order", "placed orders")
            ),
        );
    }
    line(
        out,
        &format!(
            "{} activated · {}",
            format::counted(section.activated_pages, "fanpage", "fanpages"),
            format::counted(section.linked_accounts, "linked account", "linked accounts")
        ),
    );

    let f = &section.funnel;
    heading(out, "from message to delivery (customers)");
    let mut funnel = TextTable::new(&["stage", "customers", "of reached", ""]).left(3);
    for (stage, n) in [
        ("wrote to a page", f.reached),
        ("got an answer", f.cared),
        ("placed an order", f.ordered),
        ("order delivered", f.delivered),
    ] {
        funnel.row(vec![
            stage.to_owned(),
            count(n),
            percent(count_ratio(n, f.reached)),
            bar(n as f64, f.reached as f64, 40),
        ]);
    }
    funnel.render(out);

    reach_daily(out, frame, section);
    heatmap(out, section);

    heading(out, "top staff (by revenue)");
    if section.top_staff.is_empty() {
        line(
            out,
            "no staff answered a message or took a social order in the period",
        );
        return;
    }
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
            None => format!("{} (unknown id)", s.staff_id),
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
        line(
            out,
            &format!(
                "… {} more in the JSON report",
                count((section.top_staff.len() - STAFF_ROWS) as u64)
            ),
        );
    }
}

/// Messages and comments per day: a sparkline and the busiest days.
fn reach_daily(out: &mut String, frame: &Frame, section: &SocialSection) {
    let dates: Vec<NaiveDate> = section.reach_daily.iter().map(|d| d.date).collect();
    let counts: Vec<u64> = section.reach_daily.iter().map(|d| d.count).collect();
    let past = frame.past_days(&dates);
    let total: u64 = counts[..past].iter().sum();
    let ahead = dates.len() - past;
    heading(
        out,
        &format!(
            "messages and comments per day: {} in {} days{}",
            count(total),
            count(past as u64),
            if ahead > 0 {
                format!(" ({} days still ahead)", count(ahead as u64))
            } else {
                String::new()
            }
        ),
    );
    if total == 0 {
        line(out, "no message or comment in the period so far");
        return;
    }
    sparkline_block(out, &dates[..past], &counts[..past]);
    let mut busiest: Vec<usize> = (0..past).filter(|&i| counts[i] > 0).collect();
    busiest.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    let top: Vec<String> = busiest
        .iter()
        .take(5)
        .map(|&i| format!("{} ({})", short_date(dates[i]), count(counts[i])))
        .collect();
    line(out, &format!("busiest days: {}", top.join(", ")));
}

/// Inbound interactions by weekday and hour, with the reach by hour under it. Counts
/// are printed when they fit in 3 columns, shades otherwise.
fn heatmap(out: &mut String, section: &SocialSection) {
    let grid = &section.interactions_by_weekday_hour;
    let peak = grid
        .iter()
        .flatten()
        .chain(section.reach_by_hour.iter())
        .copied()
        .max()
        .unwrap_or(0);
    let numbers = peak < 100;
    heading(
        out,
        if numbers {
            "when customers write: inbound interactions by weekday and local hour"
        } else {
            "when customers write: inbound interactions by weekday and local hour (shade)"
        },
    );
    let mut header = String::from("  hour ");
    for hour in 0..24 {
        let _ = write!(header, "{hour:>3}");
    }
    let _ = writeln!(out, "{header}");
    let cell = |n: u64| -> String {
        if n == 0 {
            "  ·".to_owned()
        } else if numbers {
            format!("{n:>3}")
        } else {
            const SHADES: [char; 4] = ['░', '▒', '▓', '█'];
            let level = ((n as u128 * 4).div_ceil(peak as u128)).clamp(1, 4) as usize - 1;
            format!(" {0}{0}", SHADES[level])
        }
    };
    for (day, hours) in WEEKDAYS.iter().zip(grid) {
        let mut row = format!("  {day}  ");
        for &n in hours {
            row.push_str(&cell(n));
        }
        let _ = writeln!(out, "{row}");
    }
    let mut row = String::from("  reach");
    for &n in &section.reach_by_hour {
        row.push_str(&cell(n));
    }
    let _ = writeln!(out, "{row}");
    debug_assert!(row.chars().count() <= WIDTH);
    let hour_peak = section.reach_by_hour.iter().copied().max().unwrap_or(0);
    let busiest: Vec<String> = {
        let mut hours: Vec<usize> = (0..24).filter(|&h| section.reach_by_hour[h] > 0).collect();
        hours.sort_by(|&a, &b| {
            section.reach_by_hour[b]
                .cmp(&section.reach_by_hour[a])
                .then(a.cmp(&b))
        });
        hours.iter().take(3).map(|h| format!("{h:02}:00")).collect()
    };
    if hour_peak > 0 {
        line(
            out,
            &format!(
                "reach = messages and comments by hour; busiest hours {}{}",
                busiest.join(", "),
                if numbers {
                    String::new()
                } else {
                    format!(" (darkest shade = up to {})", count(peak))
                }
            ),
        );
    }
}
