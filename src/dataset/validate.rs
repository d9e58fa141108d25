//! Validation of staged rows: one function per rule of SPEC §2, and one validator per
//! table applying them in SPEC §9.3's precedence:
//! `parse_error` (at staging) > `duplicate_id` > `unknown_customer` / `unknown_order` >
//! `negative_amount` > `invalid_quantity` > `stage_out_of_order` > `stage_skipped` >
//! `missing_revenue`.
//!
//! Ids: the first row in file order that parses claims its id even if it is then
//! rejected for another reason (SPEC §9.4). References: "unknown" means no *accepted* row
//! with that id, so rejections cascade (SPEC §9.5). Accepted rows are returned as indices
//! into the staged rows; building the indexed tables is `builder.rs`'s job. No string is
//! formatted for an accepted row.

use rust_decimal::Decimal;

use crate::calendar::Ts;
use crate::dataset::intern::Interner;
use crate::dataset::stage::{
    Arena, Span, StagedCampaign, StagedCustomer, StagedDeal, StagedFanpage, StagedInteraction,
    StagedStaff, TableStage,
};
use crate::dataset::stage::{StagedCost, StagedLine, StagedOrder};
use crate::error::{Reason, Rejection, Table};

/// A rule's verdict on one row: the reason, the column at fault and a detail.
pub(crate) type Problem = (Reason, &'static str, String);

#[cold]
#[inline(never)]
fn problem(reason: Reason, column: &'static str, detail: String) -> Problem {
    (reason, column, detail)
}

#[cold]
#[inline(never)]
fn rejection(
    table: Table,
    line: u64,
    id: Option<&str>,
    (reason, column, detail): Problem,
) -> Rejection {
    Rejection {
        table,
        line,
        id: id.filter(|s| !s.is_empty()).map(str::to_owned),
        column: Some(column),
        reason,
        detail,
    }
}

/// `negative_amount`: a total, cost, amount, unit price or revenue below zero.
pub(crate) fn negative_amount(column: &'static str, value: Decimal) -> Option<Problem> {
    // `-0` is not below zero (SPEC §9.9 judges decimals by value).
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
/// (created ≤ handed_over ≤ opportunity ≤ won, equal allowed; SPEC §9.11).
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

/// Claims `id` for the first row that parsed; later rows are `duplicate_id`.
fn claim(ids: &mut Interner, id: &str) -> Result<u32, Problem> {
    match ids.intern(id) {
        Some((key, true)) => Ok(key),
        Some((_, false)) => Err(problem(
            Reason::DuplicateId,
            "id",
            format!("{id} is already claimed by an earlier row"),
        )),
        None => Err(problem(
            Reason::DuplicateId,
            "id",
            "more than 4 billion ids".into(),
        )),
    }
}

/// Runs `check` on every row, collecting rejections; returns the accepted rows' indices.
fn validate_rows<R>(
    table: Table,
    stage: &TableStage<R>,
    line: impl Fn(&R) -> u64,
    id: impl Fn(&R) -> Option<Span>,
    mut check: impl FnMut(usize, &R, &Arena) -> Result<(), Problem>,
    out: &mut Vec<Rejection>,
) -> Vec<u32> {
    let mut accepted = Vec::with_capacity(stage.rows.len());
    for (i, row) in stage.rows.iter().enumerate() {
        match check(i, row, &stage.arena) {
            // OK because a stage never holds more than u32::MAX rows (checked at staging).
            Ok(()) => accepted.push(i as u32),
            Err(p) => out.push(rejection(
                table,
                line(row),
                id(row).map(|s| stage.arena.get(s)),
                p,
            )),
        }
    }
    accepted
}

/// Accepted customers: ids interned in input order, so key `k` is the `k`-th accepted
/// customer (every claim is accepted: customers have no other rule).
pub(crate) struct ValidCustomers {
    pub(crate) ids: Interner,
    pub(crate) accepted: Vec<u32>,
}

pub(crate) fn customers(
    stage: &TableStage<StagedCustomer>,
    out: &mut Vec<Rejection>,
) -> ValidCustomers {
    let mut ids = Interner::with_capacity(stage.rows.len());
    let accepted = validate_rows(
        Table::Customers,
        stage,
        |r| r.line,
        |r| Some(r.id),
        |_, row, arena| claim(&mut ids, arena.get(row.id)).map(|_| ()),
        out,
    );
    ValidCustomers { ids, accepted }
}

/// Accepted orders, with the customer (its key in `ValidCustomers::ids`) of each.
pub(crate) struct ValidOrders {
    pub(crate) ids: Interner,
    /// For each id key: the accepted order's position in `accepted`, or `u32::MAX`
    /// when the row that claimed the id was rejected.
    pub(crate) slot_of_key: Vec<u32>,
    /// (staged row, customer key, id key) of each accepted order.
    pub(crate) accepted: Vec<(u32, u32, u32)>,
}

pub(crate) fn orders(
    stage: &TableStage<StagedOrder>,
    customers: &ValidCustomers,
    out: &mut Vec<Rejection>,
) -> ValidOrders {
    let mut ids = Interner::with_capacity(stage.rows.len());
    let mut slot_of_key = Vec::with_capacity(stage.rows.len());
    let mut accepted = Vec::with_capacity(stage.rows.len());
    validate_rows(
        Table::Orders,
        stage,
        |r| r.line,
        |r| Some(r.id),
        |i, row, arena| {
            let key = claim(&mut ids, arena.get(row.id))?;
            slot_of_key.push(u32::MAX);
            let customer_id = arena.get(row.customer_id);
            let customer = customers.ids.get(customer_id).ok_or_else(|| {
                problem(
                    Reason::UnknownCustomer,
                    "customer_id",
                    format!("no accepted customer {customer_id}"),
                )
            })?;
            if let Some(p) = negative_amount("total", row.total).or_else(|| {
                row.cost_of_goods
                    .and_then(|c| negative_amount("cost_of_goods", c))
            }) {
                return Err(p);
            }
            // OK because staged tables hold fewer than u32::MAX rows.
            slot_of_key[key as usize] = accepted.len() as u32;
            accepted.push((i as u32, customer, key));
            Ok(())
        },
        out,
    );
    ValidOrders {
        ids,
        slot_of_key,
        accepted,
    }
}

/// Accepted lines: (staged row, accepted order slot).
pub(crate) fn order_lines(
    stage: &TableStage<StagedLine>,
    orders: &ValidOrders,
    out: &mut Vec<Rejection>,
) -> Vec<(u32, u32)> {
    let mut accepted = Vec::with_capacity(stage.rows.len());
    validate_rows(
        Table::OrderLines,
        stage,
        |r| r.line,
        |_| None,
        |i, row, arena| {
            let order_id = arena.get(row.order_id);
            let slot = orders
                .ids
                .get(order_id)
                .map(|key| orders.slot_of_key[key as usize])
                .filter(|&slot| slot != u32::MAX)
                .ok_or_else(|| {
                    problem(
                        Reason::UnknownOrder,
                        "order_id",
                        format!("no accepted order {order_id}"),
                    )
                })?;
            if let Some(p) = negative_amount("unit_price", row.unit_price)
                .or_else(|| invalid_quantity(row.quantity))
            {
                return Err(p);
            }
            accepted.push((i as u32, slot));
            Ok(())
        },
        out,
    );
    accepted
}

/// Accepted deals: (staged row, customer key if any).
pub(crate) fn deals(
    stage: &TableStage<StagedDeal>,
    customers: &ValidCustomers,
    out: &mut Vec<Rejection>,
) -> Vec<(u32, Option<u32>)> {
    let mut ids = Interner::with_capacity(stage.rows.len());
    let mut accepted = Vec::with_capacity(stage.rows.len());
    validate_rows(
        Table::Deals,
        stage,
        |r| r.line,
        |r| Some(r.id),
        |i, row, arena| {
            claim(&mut ids, arena.get(row.id))?;
            let customer = match arena.opt(row.customer_id) {
                None => None,
                Some(id) => Some(customers.ids.get(id).ok_or_else(|| {
                    problem(
                        Reason::UnknownCustomer,
                        "customer_id",
                        format!("no accepted customer {id}"),
                    )
                })?),
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
            accepted.push((i as u32, customer));
            Ok(())
        },
        out,
    );
    accepted
}

/// Accepted costs (staged rows).
pub(crate) fn costs(stage: &TableStage<StagedCost>, out: &mut Vec<Rejection>) -> Vec<u32> {
    validate_rows(
        Table::Costs,
        stage,
        |r| r.line,
        |_| None,
        |_, row, _| negative_amount("amount", row.amount).map_or(Ok(()), Err),
        out,
    )
}

/// Accepted interactions: (staged row, customer key).
pub(crate) fn interactions(
    stage: &TableStage<StagedInteraction>,
    customers: &ValidCustomers,
    out: &mut Vec<Rejection>,
) -> Vec<(u32, u32)> {
    let mut ids = Interner::with_capacity(stage.rows.len());
    let mut accepted = Vec::with_capacity(stage.rows.len());
    validate_rows(
        Table::Interactions,
        stage,
        |r| r.line,
        |r| Some(r.id),
        |i, row, arena| {
            claim(&mut ids, arena.get(row.id))?;
            let customer_id = arena.get(row.customer_id);
            let customer = customers.ids.get(customer_id).ok_or_else(|| {
                problem(
                    Reason::UnknownCustomer,
                    "customer_id",
                    format!("no accepted customer {customer_id}"),
                )
            })?;
            accepted.push((i as u32, customer));
            Ok(())
        },
        out,
    );
    accepted
}

/// Staff, fanpages, campaigns: only ids to claim. Returns the id interner (accepted rows
/// are keys `0..n`) and the accepted staged rows in key order.
pub(crate) fn entities<R>(
    table: Table,
    stage: &TableStage<R>,
    line: impl Fn(&R) -> u64,
    id: impl Fn(&R) -> Span,
    out: &mut Vec<Rejection>,
) -> (Interner, Vec<u32>) {
    let mut ids = Interner::with_capacity(stage.rows.len());
    let accepted = validate_rows(
        table,
        stage,
        line,
        |r| Some(id(r)),
        |_, row, arena| claim(&mut ids, arena.get(id(row))).map(|_| ()),
        out,
    );
    (ids, accepted)
}

/// Line of a staged staff row (for `entities`).
pub(crate) fn staff_line(r: &StagedStaff) -> u64 {
    r.line
}

/// Line of a staged fanpage row (for `entities`).
pub(crate) fn fanpage_line(r: &StagedFanpage) -> u64 {
    r.line
}

/// Line of a staged campaign row (for `entities`).
pub(crate) fn campaign_line(r: &StagedCampaign) -> u64 {
    r.line
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ts(h: u32) -> Ts {
        Ts::from_datetime(Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap())
    }

    fn deal(stages: [Option<u32>; 3], revenue: Option<i64>) -> StagedDeal {
        StagedDeal {
            line: 2,
            id: Span::default(),
            customer_id: Span::default(),
            created_at: ts(10),
            source: Span::default(),
            product_type: Span::default(),
            handed_over_at: stages[0].map(ts),
            opportunity_at: stages[1].map(ts),
            won_at: stages[2].map(ts),
            revenue: revenue.map(Decimal::from),
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
        // checked first (SPEC §9.11)
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
