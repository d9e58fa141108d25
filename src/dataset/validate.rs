//! Validation of staged rows: one function per rule of docs/input-format.md, and one validator per
//! table applying them in the precedence of docs/input-format.md#rejections:
//! `parse_error` > `duplicate_id` (both at staging) > `unknown_customer` /
//! `unknown_order` > `negative_amount` > `invalid_quantity` > `stage_out_of_order` >
//! `stage_skipped` > `missing_revenue`.
//!
//! References: "unknown" means no *accepted* row with that id, so rejections cascade
//! (docs/input-format.md#rejections). Each table's distinct references are resolved once (a hash look-up per
//! distinct id, not per row). Accepted rows are returned as indices into the staged rows,
//! or for the large tables (orders, lines, interactions) as one key per staged row,
//! [`REJECTED`] for a rejected one; building the indexed tables is `builder.rs`'s job. No
//! string is formatted for an accepted row.
//!
//! Indexing by a staged key cannot go out of range: staged keys come from the table's
//! own interners (a row whose key could not be interned is rejected at staging), and
//! each resolution vector has one entry per key of that interner.

use rust_decimal::Decimal;

use crate::calendar::Ts;
use crate::dataset::intern::{Interner, resolve};
use crate::dataset::stage::{
    StagedCost, StagedDeal, StagedInteraction, StagedLine, StagedOrder, TableStage,
};
use crate::error::{Reason, Rejection, Table};

/// A rule's verdict on one row: the reason, the column at fault and a detail.
pub(crate) type Problem = (Reason, &'static str, String);

#[cold]
#[inline(never)]
fn problem(reason: Reason, column: &'static str, detail: String) -> Problem {
    (reason, column, detail)
}

/// The rejection of staged row `row` of `table` (its line, or `u32::MAX` when the stage
/// keeps none, and whether it was read from CSV or pushed as a struct).
#[cold]
#[inline(never)]
fn row_rejection<R>(
    table: Table,
    stage: &TableStage<R>,
    row: usize,
    id: Option<String>,
    (reason, column, detail): Problem,
) -> Rejection {
    let line = stage.lines.get(row).map_or(u32::MAX, |&line| line);
    Rejection::bounded(
        table,
        u64::from(line),
        id.as_deref(),
        Some(column),
        reason,
        detail,
        stage.origin(row),
    )
}

/// `negative_amount`: a total, cost, amount, unit price or revenue below zero.
pub(crate) fn negative_amount(column: &'static str, value: Decimal) -> Option<Problem> {
    // `-0` is not below zero (docs/input-format.md#values judges decimals by value).
    (value < Decimal::ZERO).then(|| problem(Reason::NegativeAmount, column, value.to_string()))
}

/// `invalid_quantity`: a quantity of zero or less.
pub(crate) fn invalid_quantity(quantity: i64) -> Option<Problem> {
    (quantity <= 0).then(|| problem(Reason::InvalidQuantity, "quantity", quantity.to_string()))
}

const STAGES: [&str; 4] = ["created_at", "handed_over_at", "opportunity_at", "won_at"];

fn stages(deal: &StagedDeal) -> [Option<Ts>; 4] {
    [
        Some(deal.created_at),
        deal.handed_over_at,
        deal.opportunity_at,
        deal.won_at,
    ]
}

/// `stage_out_of_order`: a present stage earlier than an earlier present stage
/// (created ≤ handed_over ≤ opportunity ≤ won, equal allowed; docs/input-format.md#dealscsv).
pub(crate) fn stage_out_of_order(deal: &StagedDeal) -> Option<Problem> {
    let stages = stages(deal);
    let mut latest: Option<(Ts, usize)> = None;
    for (i, stage) in stages.iter().enumerate() {
        let Some(at) = *stage else { continue };
        if let Some((before, j)) = latest
            && at < before
        {
            return Some(problem(
                Reason::StageOutOfOrder,
                STAGES[i],
                format!("{} is before {}", STAGES[i], STAGES[j]),
            ));
        }
        latest = Some((at, i));
    }
    None
}

/// `stage_skipped`: a later stage set while an earlier one is empty.
pub(crate) fn stage_skipped(deal: &StagedDeal) -> Option<Problem> {
    let stages = stages(deal);
    let last_set = stages.iter().rposition(Option::is_some)?;
    let gap = stages[..last_set].iter().position(Option::is_none)?;
    Some(problem(
        Reason::StageSkipped,
        STAGES[last_set],
        format!("{} is set but {} is empty", STAGES[last_set], STAGES[gap]),
    ))
}

/// `missing_revenue`: a won deal without revenue, or revenue without `won_at`.
pub(crate) fn missing_revenue(deal: &StagedDeal) -> Option<Problem> {
    match (deal.won_at, deal.revenue) {
        (Some(_), None) => Some(problem(
            Reason::MissingRevenue,
            "revenue",
            "won deal without revenue".into(),
        )),
        (None, Some(_)) => Some(problem(
            Reason::MissingRevenue,
            "revenue",
            "revenue without won_at".into(),
        )),
        _ => None,
    }
}

/// The key [`validate_keys`] gives a rejected row.
pub(crate) const REJECTED: u32 = u32::MAX;

/// Runs `check` on every staged row, collecting rejections; returns, for every staged
/// row, the key `check` gave it, or [`REJECTED`]. One `u32` a staged row, not a pair
/// per accepted row: nearly every row is accepted, so this halves what validation
/// keeps of the large tables. `check` never gives [`REJECTED`] (its keys are keys of
/// tables of fewer than 2^32 - 1 rows).
fn validate_keys<R>(
    table: Table,
    stage: &TableStage<R>,
    id: impl Fn(usize) -> Option<String>,
    mut check: impl FnMut(&R) -> Result<u32, Problem>,
    out: &mut Vec<Rejection>,
) -> Vec<u32> {
    let mut keys = Vec::with_capacity(stage.rows.len());
    for (i, row) in stage.rows.iter().enumerate() {
        match check(row) {
            Ok(key) => keys.push(key),
            Err(p) => {
                keys.push(REJECTED);
                out.push(row_rejection(table, stage, i, id(i), p));
            }
        }
    }
    keys
}

/// The accepted rows of a [`validate_keys`] result: (staged row, key), in file order.
pub(crate) fn accepted_pairs(keys: &[u32]) -> Vec<(u32, u32)> {
    keys.iter()
        .enumerate()
        .filter(|&(_, &key)| key != REJECTED)
        .map(|(row, &key)| (row as u32, key))
        .collect()
}

/// Runs `check` on every staged row, collecting rejections; returns what `check`
/// returned for the accepted rows, in file order.
fn validate_rows<R, T>(
    table: Table,
    stage: &TableStage<R>,
    id: impl Fn(usize) -> Option<String>,
    mut check: impl FnMut(usize, &R) -> Result<T, Problem>,
    out: &mut Vec<Rejection>,
) -> Vec<T> {
    let mut accepted = Vec::with_capacity(stage.rows.len());
    for (i, row) in stage.rows.iter().enumerate() {
        match check(i, row) {
            Ok(t) => accepted.push(t),
            Err(p) => out.push(row_rejection(table, stage, i, id(i), p)),
        }
    }
    accepted
}

/// The id text of a staged row (its key is its position).
fn row_id<R>(stage: &TableStage<R>) -> impl Fn(usize) -> Option<String> + '_ {
    |i| Some(stage.ids.resolve(i as u32).to_owned())
}

#[cold]
fn unknown_customer(text: &str) -> Problem {
    problem(
        Reason::UnknownCustomer,
        "customer_id",
        format!("no accepted customer {text}"),
    )
}

/// The orders validation accepted, by staged row (= id key): the customer key of each
/// ([`REJECTED`] when rejected) and its position among the accepted orders (its slot,
/// `u32::MAX` when rejected).
pub(crate) struct ValidOrders {
    pub(crate) customer_of_row: Vec<u32>,
    pub(crate) slot_of_row: Vec<u32>,
}

/// Validates orders: the customer must be accepted, amounts non-negative.
pub(crate) fn orders(
    stage: &TableStage<StagedOrder>,
    customers: &Interner,
    out: &mut Vec<Rejection>,
) -> ValidOrders {
    let customer_of = resolve(&stage.keys.customer, customers);
    let customer_of_row = validate_keys(
        Table::Orders,
        stage,
        row_id(stage),
        |row| {
            let customer = customer_of[row.customer as usize]
                .ok_or_else(|| unknown_customer(stage.keys.customer.resolve(row.customer)))?;
            if let Some(p) = negative_amount("total", row.total).or_else(|| {
                row.cost_of_goods
                    .and_then(|c| negative_amount("cost_of_goods", c))
            }) {
                return Err(p);
            }
            Ok(customer)
        },
        out,
    );
    let mut slots = 0u32;
    let slot_of_row = customer_of_row
        .iter()
        .map(|&customer| {
            if customer == REJECTED {
                u32::MAX
            } else {
                slots += 1;
                slots - 1
            }
        })
        .collect();
    ValidOrders {
        customer_of_row,
        slot_of_row,
    }
}

/// Validates order lines: the order must be accepted, the price non-negative and the
/// quantity positive. Gives each staged line's accepted order slot, [`REJECTED`] when
/// rejected.
pub(crate) fn order_lines(
    stage: &TableStage<StagedLine>,
    order_ids: &Interner,
    orders: &ValidOrders,
    out: &mut Vec<Rejection>,
) -> Vec<u32> {
    // The slot of each local order key, `u32::MAX` for no accepted order.
    let slot_of: Vec<u32> = resolve(&stage.keys.order, order_ids)
        .into_iter()
        .map(|row| row.map_or(u32::MAX, |r| orders.slot_of_row[r as usize]))
        .collect();
    validate_keys(
        Table::OrderLines,
        stage,
        |_| None,
        |row| {
            let slot = slot_of[row.order as usize];
            if slot == u32::MAX {
                return Err(problem(
                    Reason::UnknownOrder,
                    "order_id",
                    format!("no accepted order {}", stage.keys.order.resolve(row.order)),
                ));
            }
            if let Some(p) = negative_amount("unit_price", row.unit_price)
                .or_else(|| invalid_quantity(row.quantity))
            {
                return Err(p);
            }
            Ok(slot)
        },
        out,
    )
}

/// Accepted deals: (staged row, customer key if any).
pub(crate) fn deals(
    stage: &TableStage<StagedDeal>,
    customers: &Interner,
    out: &mut Vec<Rejection>,
) -> Vec<(u32, Option<u32>)> {
    let customer_of = resolve(&stage.keys.customer, customers);
    validate_rows(
        Table::Deals,
        stage,
        row_id(stage),
        |i, row| {
            let customer = match row.customer.get() {
                None => None,
                Some(local) => Some(
                    customer_of[local as usize]
                        .ok_or_else(|| unknown_customer(stage.keys.customer.resolve(local)))?,
                ),
            };
            if let Some(p) = row
                .revenue
                .and_then(|r| negative_amount("revenue", r))
                .or_else(|| stage_out_of_order(row))
                .or_else(|| stage_skipped(row))
                .or_else(|| missing_revenue(row))
            {
                return Err(p);
            }
            Ok((i as u32, customer))
        },
        out,
    )
}

/// Accepted costs (staged rows).
pub(crate) fn costs(stage: &TableStage<StagedCost>, out: &mut Vec<Rejection>) -> Vec<u32> {
    validate_rows(
        Table::Costs,
        stage,
        |_| None,
        |i, row| negative_amount("amount", row.amount).map_or(Ok(i as u32), Err),
        out,
    )
}

/// Validates interactions: the customer must be accepted. Gives each staged
/// interaction's customer key, [`REJECTED`] when rejected.
pub(crate) fn interactions(
    stage: &TableStage<StagedInteraction>,
    customers: &Interner,
    out: &mut Vec<Rejection>,
) -> Vec<u32> {
    let customer_of = resolve(&stage.keys.customer, customers);
    validate_keys(
        Table::Interactions,
        stage,
        row_id(stage),
        |row| {
            customer_of[row.customer as usize]
                .ok_or_else(|| unknown_customer(stage.keys.customer.resolve(row.customer)))
        },
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::storage::OptKey;
    use chrono::{TimeZone, Utc};

    fn ts(h: u32) -> Ts {
        Ts::from_datetime(Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap())
    }

    fn deal(stages: [Option<u32>; 3], revenue: Option<i64>) -> StagedDeal {
        StagedDeal {
            created_at: ts(10),
            handed_over_at: stages[0].map(ts),
            opportunity_at: stages[1].map(ts),
            won_at: stages[2].map(ts),
            revenue: revenue.map(Decimal::from),
            customer: OptKey::NONE,
            source: 0,
            product_type: OptKey::NONE,
        }
    }

    fn reason(p: Option<Problem>) -> Option<(Reason, &'static str)> {
        p.map(|(r, c, _)| (r, c))
    }

    #[test]
    fn amounts_and_quantities() {
        assert_eq!(
            reason(negative_amount("total", Decimal::from(-1))),
            Some((Reason::NegativeAmount, "total"))
        );
        assert_eq!(negative_amount("total", Decimal::ZERO), None);
        assert_eq!(negative_amount("total", -Decimal::ZERO), None); // negative zero is zero
        assert_eq!(
            negative_amount("total", Decimal::new(-1, 28)).map(|p| p.0),
            Some(Reason::NegativeAmount)
        );
        assert_eq!(invalid_quantity(1), None);
        assert_eq!(
            reason(invalid_quantity(0)),
            Some((Reason::InvalidQuantity, "quantity"))
        );
        assert_eq!(
            reason(invalid_quantity(-2)),
            Some((Reason::InvalidQuantity, "quantity"))
        );
    }

    #[test]
    fn deal_stages() {
        // created 10:00; all stages in order, equal allowed
        assert_eq!(
            stage_out_of_order(&deal([Some(11), Some(11), Some(12)], Some(5))),
            None
        );
        assert_eq!(
            stage_skipped(&deal([Some(11), Some(11), Some(12)], Some(5))),
            None
        );
        // handed over before created
        assert_eq!(
            reason(stage_out_of_order(&deal([Some(9), None, None], None))),
            Some((Reason::StageOutOfOrder, "handed_over_at"))
        );
        // won before opportunity, with the handed-over stage missing: out of order is
        // checked first (docs/input-format.md#dealscsv)
        let d = deal([None, Some(12), Some(11)], Some(5));
        assert_eq!(
            reason(stage_out_of_order(&d)),
            Some((Reason::StageOutOfOrder, "won_at"))
        );
        assert_eq!(
            reason(stage_skipped(&d)),
            Some((Reason::StageSkipped, "won_at"))
        );
        // a pair that is not adjacent: won before created, with gaps between
        assert_eq!(
            reason(stage_out_of_order(&deal([None, None, Some(9)], Some(5)))),
            Some((Reason::StageOutOfOrder, "won_at"))
        );
        // opportunity without handed over
        assert_eq!(
            reason(stage_skipped(&deal([None, Some(12), None], None))),
            Some((Reason::StageSkipped, "opportunity_at"))
        );
        // revenue rules; revenue 0 on a won deal is fine
        assert_eq!(
            missing_revenue(&deal([Some(11), Some(12), Some(13)], Some(0))),
            None
        );
        assert_eq!(
            reason(missing_revenue(&deal([Some(11), Some(12), Some(13)], None))),
            Some((Reason::MissingRevenue, "revenue"))
        );
        assert_eq!(
            reason(missing_revenue(&deal([Some(11), None, None], Some(5)))),
            Some((Reason::MissingRevenue, "revenue"))
        );
    }
}
