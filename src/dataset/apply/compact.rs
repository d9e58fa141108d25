//! Compaction of the run tables: the rows no customer's run covers any more (the old
//! runs of the customers [`Dataset::apply`](crate::Dataset::apply) rebuilt at the end of
//! a table) are squeezed out in place.
//!
//! Live runs are moved down in the order of their positions, each to the first free
//! position, so a row never moves up and nothing is copied twice: one `memmove` per run,
//! no second buffer (the table never needs twice its memory). Runs keep their relative
//! order in the table, which need not be their customers' order; nothing reads the
//! table in any order but a customer's run at a time.

use crate::dataset::index::{InteractionRow, LineRow, OrderDetail, OrderRow};
use crate::dataset::storage::Run;

/// The customers whose runs are not empty, by the position of their run (an empty run
/// is set to start at 0). A run that overlaps an earlier one (which no build or batch
/// makes; only a forged snapshot could) or passes the end of the table is emptied, so
/// that the moves below stay in bounds and never overwrite a row not yet moved. The
/// customer keeps its other data (summaries), so its reports may change: a forged
/// file's numbers are not trusted, only kept from panicking.
fn by_position(runs: &mut [Run], rows: usize) -> Vec<u32> {
    let mut order = Vec::with_capacity(runs.len());
    for (c, run) in (0..).zip(runs.iter_mut()) {
        if run.len > 0 {
            order.push(c);
        } else {
            // Its start may be past the end of the compacted table.
            run.start = 0;
        }
    }
    // By start, then by customer: of two runs that start together, the first
    // customer's is kept.
    order.sort_unstable_by_key(|&c| (runs.get(c as usize).map(|r| r.start), c));
    let mut end = 0;
    order.retain(|&c| {
        let Some(run) = runs.get_mut(c as usize) else {
            return false;
        };
        let range = run.range();
        if range.start < end || range.end > rows {
            *run = Run::default();
            return false;
        }
        end = range.end;
        true
    });
    order
}

/// Squeezes the dead rows out of `orders`, `details` (one per order), `lines` and
/// `line_runs` (the line offsets of each order position, plus one), and points `runs`
/// at the moved rows. `line_runs` must be ascending and end at `lines.len()`.
pub(super) fn orders(
    runs: &mut [Run],
    orders: &mut Vec<OrderRow>,
    details: &mut Vec<OrderDetail>,
    line_runs: &mut Vec<u32>,
    lines: &mut Vec<LineRow>,
) {
    let rows = orders
        .len()
        .min(details.len())
        .min(line_runs.len().saturating_sub(1));
    let (mut to, mut line_to) = (0usize, 0usize);
    for c in by_position(runs, rows) {
        let Some(run) = runs.get_mut(c as usize) else {
            continue;
        };
        let from = run.range();
        for p in from.clone() {
            // Read before `line_runs[to + p - from.start]` (at most `p`) is written.
            let (start, end) = (line_runs[p] as usize, line_runs[p + 1] as usize);
            let (start, end) = (start.min(lines.len()), end.min(lines.len()));
            let n = end
                .saturating_sub(start)
                .min(lines.len().saturating_sub(line_to));
            // Lines of earlier positions come before `start` and moved down to below
            // `line_to`, so `line_to <= start` and the move stays in bounds.
            lines.copy_within(start..start + n, line_to);
            line_runs[to + (p - from.start)] = line_to as u32;
            line_to += n;
        }
        orders.copy_within(from.clone(), to);
        details.copy_within(from.clone(), to);
        run.start = to as u32;
        to += from.len();
    }
    orders.truncate(to);
    details.truncate(to);
    lines.truncate(line_to);
    line_runs.truncate(to);
    line_runs.push(line_to as u32);
}

/// Squeezes the dead rows out of `interactions` and `keys` (one per interaction), and
/// points `runs` at the moved rows.
pub(super) fn interactions(
    runs: &mut [Run],
    interactions: &mut Vec<InteractionRow>,
    keys: &mut Vec<u32>,
) {
    let rows = interactions.len().min(keys.len());
    let mut to = 0usize;
    for c in by_position(runs, rows) {
        let Some(run) = runs.get_mut(c as usize) else {
            continue;
        };
        let from = run.range();
        interactions.copy_within(from.clone(), to);
        keys.copy_within(from.clone(), to);
        run.start = to as u32;
        to += from.len();
    }
    interactions.truncate(to);
    keys.truncate(to);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Ts;
    use crate::dataset::OptKey;
    use crate::model::{Channel, Direction, InteractionKind, OrderStatus};
    use rust_decimal::Decimal;

    fn order(n: i64) -> OrderRow {
        OrderRow {
            created_at: Ts::from_secs(n),
            total: Decimal::from(n),
            status: OrderStatus::Completed,
            has_voucher: false,
            social: false,
        }
    }

    fn detail(id: u32) -> OrderDetail {
        OrderDetail {
            cost_of_goods: None,
            id,
            fanpage: OptKey::NONE,
            staff: OptKey::NONE,
        }
    }

    fn line(product: u32) -> LineRow {
        LineRow {
            product,
            quantity: 1,
        }
    }

    fn interaction(n: i64) -> InteractionRow {
        InteractionRow {
            at: Ts::from_secs(n),
            fanpage: OptKey::NONE,
            staff: OptKey::NONE,
            campaign: OptKey::NONE,
            ref_id: OptKey::NONE,
            channel: Channel::Zalo,
            kind: InteractionKind::Message,
            direction: Direction::Inbound,
            automated: false,
        }
    }

    fn run(start: u32, len: u32) -> Run {
        Run { start, len }
    }

    #[test]
    fn live_order_runs_move_down_with_their_lines_and_dead_ones_leave() {
        // Positions 0..6: customer 0 has [0, 1], position 2 is dead, customer 1 has
        // [3], positions 4 and 5 are dead, customer 2 (rebuilt at the end) has [6, 7].
        // Customer 3 has no orders and a stale start.
        let mut runs = vec![run(0, 2), run(3, 1), run(6, 2), run(9, 0)];
        let mut orders: Vec<OrderRow> = (0..8).map(order).collect();
        let mut details: Vec<OrderDetail> = (0..8).map(detail).collect();
        // Lines per position: 1, 0, 2, 1, 1, 0, 2, 1 (product = 10 × position + k).
        let counts = [1, 0, 2, 1, 1, 0, 2, 1];
        let mut lines = Vec::new();
        let mut line_runs = vec![0];
        for (p, &n) in counts.iter().enumerate() {
            for k in 0..n {
                lines.push(line(10 * p as u32 + k));
            }
            line_runs.push(lines.len() as u32);
        }
        super::orders(
            &mut runs,
            &mut orders,
            &mut details,
            &mut line_runs,
            &mut lines,
        );
        assert_eq!(runs, [run(0, 2), run(2, 1), run(3, 2), run(0, 0)]);
        let ids: Vec<u32> = details.iter().map(|d| d.id).collect();
        assert_eq!(ids, [0, 1, 3, 6, 7]);
        let secs: Vec<i64> = orders.iter().map(|o| o.created_at.secs).collect();
        assert_eq!(secs, [0, 1, 3, 6, 7]);
        // Lines of positions 0 (1), 1 (0), 3 (1), 6 (2), 7 (1).
        let products: Vec<u32> = lines.iter().map(|l| l.product).collect();
        assert_eq!(products, [0, 30, 60, 61, 70]);
        assert_eq!(line_runs, [0, 1, 1, 2, 4, 5]);
    }

    #[test]
    fn interaction_runs_out_of_customer_order_keep_their_relative_order() {
        // Customer 0's run was rebuilt at the end (positions 5, 6); customer 1's run is
        // at 1..3; positions 0, 3 and 4 are dead.
        let mut runs = vec![run(5, 2), run(1, 2)];
        let mut rows: Vec<InteractionRow> = (0..7).map(interaction).collect();
        let mut keys: Vec<u32> = (100..107).collect();
        super::interactions(&mut runs, &mut rows, &mut keys);
        assert_eq!(runs, [run(2, 2), run(0, 2)]);
        assert_eq!(keys, [101, 102, 105, 106]);
        let secs: Vec<i64> = rows.iter().map(|i| i.at.secs).collect();
        assert_eq!(secs, [1, 2, 5, 6]);
    }

    #[test]
    fn overlapping_or_out_of_bounds_runs_are_emptied_without_panicking() {
        // What only a forged snapshot could hold: run 1 overlaps run 0, run 2 passes
        // the end.
        let mut runs = vec![run(0, 3), run(2, 2), run(4, 9)];
        let mut rows: Vec<InteractionRow> = (0..6).map(interaction).collect();
        let mut keys: Vec<u32> = (0..6).collect();
        super::interactions(&mut runs, &mut rows, &mut keys);
        assert_eq!(runs, [run(0, 3), run(0, 0), run(0, 0)]);
        assert_eq!(keys, [0, 1, 2]);
    }
}
