//! Hand-made batches, one per kind of replacement, checked against the indexes a fresh
//! build would derive from the same rows.

use super::*;
use crate::dataset::deal_index::DealIndex;
use crate::dataset::engagement::EngagementIndex;
use crate::dataset::social_index::InboundIndex;
use crate::model::{
    Channel, Customer, Deal, Direction, Interaction, InteractionKind, Order, OrderLine,
    OrderStatus, Source,
};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap()
}

/// Every derived index equals the one a build derives from the dataset's rows, the
/// customers' runs are disjoint, and the dead rows are those no run covers.
fn assert_consistent(d: &Dataset) {
    assert_eq!(d.deal_index, DealIndex::new(&d.deals));
    assert_eq!(
        d.inbound,
        InboundIndex::build(&d.customers, &d.interaction_runs, &d.interactions)
    );
    assert_eq!(
        d.engagement,
        EngagementIndex::build(
            &d.customers,
            &d.interaction_runs,
            &d.interactions,
            d.campaigns.keys.len()
        )
    );
    let s = customer_summaries(
        &d.order_runs,
        &d.orders,
        &d.interaction_runs,
        &d.interactions,
    );
    assert_eq!(s.last_order_secs, d.last_order_secs);
    assert_eq!(s.last_interaction_secs, d.last_interaction_secs);
    assert_eq!(s.first_social_message, d.first_social_message);
    assert_eq!(
        format!("{:?}", s.purchase_totals),
        format!("{:?}", d.purchase_totals)
    );
    let mut order_covered = vec![false; d.orders.len()];
    let mut interaction_covered = vec![false; d.interactions.len()];
    let mut live_lines = 0;
    for (idx, row) in d.customers.iter().enumerate() {
        assert_eq!(d.customer_by_load[row.load as usize].index(), idx);
        for p in d.order_runs[idx].range() {
            assert!(!order_covered[p], "two runs cover order position {p}");
            order_covered[p] = true;
            live_lines += d.lines_of(p).len();
            assert_eq!(d.ids.order_owner[d.order_details[p].id as usize], row.load);
        }
        for p in d.interaction_runs[idx].range() {
            assert!(!interaction_covered[p], "two runs cover interaction {p}");
            interaction_covered[p] = true;
            let key = d.ids.interaction_keys[p];
            assert_eq!(d.ids.interaction_owner[key as usize], row.load);
        }
    }
    let live = |covered: &[bool]| covered.iter().filter(|&&c| c).count();
    assert_eq!(d.order_count(), live(&order_covered));
    assert_eq!(d.interaction_count(), live(&interaction_covered));
    assert_eq!(d.order_line_count(), live_lines);
    assert!(d.customers.is_sorted_by_key(|c| (c.created_at, c.load)));
    assert_eq!(d.line_runs.len(), d.orders.len() + 1);
    assert_eq!(d.line_runs.last().copied(), Some(d.lines.len() as u32));
    assert!(d.line_runs.is_sorted());
    assert_eq!(d.ids.interaction_keys.len(), d.interactions.len());
    assert_eq!(d.ids.deal_keys.len(), d.deals.len());
}

fn interaction(id: &str, customer: &str, day: u32) -> Interaction {
    Interaction::new(
        id,
        customer,
        at(day),
        Channel::Facebook,
        InteractionKind::Message,
        Direction::Inbound,
    )
    .fanpage_id("FP1")
}

fn base() -> Dataset {
    let mut b = DatasetBuilder::new();
    b.push_customer(&Customer::new("KH1", at(1), Source::Pos));
    b.push_customer(&Customer::new("KH2", at(2), Source::Pos));
    b.push_customer(&Customer::new("KH3", at(3), Source::Pos));
    let total = Decimal::from(100);
    b.push_order(&Order::new(
        "DH1",
        "KH1",
        at(5),
        OrderStatus::Pending,
        total,
    ));
    b.push_order(&Order::new(
        "DH2",
        "KH2",
        at(6),
        OrderStatus::Completed,
        total,
    ));
    b.push_order_line(&OrderLine::new("DH1", "SP1", 2, total));
    b.push_order_line(&OrderLine::new("DH2", "SP2", 1, total));
    b.push_interaction(&interaction("T1", "KH1", 7));
    b.push_interaction(&interaction("T2", "KH3", 8));
    b.push_deal(&Deal::new("DL1", at(4), "facebook_ads"));
    let d = b.build().unwrap();
    assert_consistent(&d);
    d
}

#[test]
fn an_order_moving_to_another_customer_takes_its_lines_and_completes() {
    let mut d = base();
    let mut changes = DatasetBuilder::new();
    let order = Order::new(
        "DH1",
        "KH3",
        at(9),
        OrderStatus::Completed,
        Decimal::from(70),
    );
    changes.push_order(&order);
    changes.push_order_line(&OrderLine::new("DH1", "SP3", 1, Decimal::ONE));
    let summary = d.apply(changes).unwrap();
    assert_eq!(summary.table(Table::Orders).replaced, 1);
    assert_eq!(summary.table(Table::OrderLines).inserted, 1);
    assert_consistent(&d);
    let kh1 = d.customer_idx("KH1").unwrap();
    let kh3 = d.customer_idx("KH3").unwrap();
    assert!(d.orders_of(kh1).is_empty());
    assert_eq!(d.orders_of(kh3).len(), 1);
    assert!(d.orders_of(kh3)[0].is_completed());
    let products: Vec<&str> = d
        .lines_of(d.first_order_position(kh3))
        .iter()
        .map(|l| d.products.resolve(l.product))
        .collect();
    // The old line stays, the new one follows it.
    assert_eq!(products, ["SP1", "SP3"]);
    assert_eq!(d.purchase_totals[kh3.index()].count, 1);
    assert_eq!(d.last_order_secs[kh1.index()], i64::MIN);
}

#[test]
fn a_customer_with_a_new_created_at_moves_with_its_runs() {
    let mut d = base();
    let mut changes = DatasetBuilder::new();
    changes.push_customer(&Customer::new("KH1", at(10), Source::Shopee).phone("0901"));
    changes.push_customer(&Customer::new("KH0", at(1), Source::Pos));
    d.apply(changes).unwrap();
    assert_consistent(&d);
    let ids: Vec<String> = d
        .customer_indices()
        .map(|i| d.customer(i).unwrap().id)
        .collect();
    // KH0 ties with nobody; KH1 moved to the end.
    assert_eq!(ids, ["KH0", "KH2", "KH3", "KH1"]);
    let kh1 = d.customer_idx("KH1").unwrap();
    assert_eq!(d.orders_of(kh1).len(), 1);
    assert_eq!(d.interactions_of(kh1).len(), 1);
    assert_eq!(d.customer(kh1).unwrap().phone.as_deref(), Some("0901"));
    assert_eq!(d.customer(kh1).unwrap().source, Source::Shopee);
}

#[test]
fn a_deal_reaching_a_new_stage_and_an_interaction_replaced_update_their_indexes() {
    let mut d = base();
    let mut changes = DatasetBuilder::new();
    changes.push_deal(
        &Deal::new("DL1", at(4), "facebook_ads")
            .handed_over_at(at(5))
            .opportunity_at(at(6))
            .won_at(at(7))
            .revenue(Decimal::from(900)),
    );
    changes.push_deal(&Deal::new("DL2", at(1), "zalo_ads"));
    let mut moved = interaction("T1", "KH2", 9);
    moved.kind = InteractionKind::Comment;
    changes.push_interaction(&moved);
    let summary = d.apply(changes).unwrap();
    assert_eq!(summary.table(Table::Deals).replaced, 1);
    assert_eq!(summary.table(Table::Deals).inserted, 1);
    assert_eq!(summary.table(Table::Interactions).replaced, 1);
    assert_consistent(&d);
    assert_eq!(d.deal_count(), 2);
    assert!(d.deals[1].won_at.is_some());
    let kh1 = d.customer_idx("KH1").unwrap();
    let kh2 = d.customer_idx("KH2").unwrap();
    assert!(d.interactions_of(kh1).is_empty());
    assert_eq!(d.interactions_of(kh2).len(), 1);
    assert_eq!(
        d.first_social_message[kh2.index()],
        Some(Ts::from_datetime(at(9)))
    );
}

#[test]
fn a_rejected_replacement_leaves_the_old_row_and_is_counted() {
    let mut d = base();
    let mut changes = DatasetBuilder::new();
    let order = Order::new(
        "DH2",
        "KH2",
        at(6),
        OrderStatus::Completed,
        Decimal::from(-1),
    );
    changes.push_order(&order);
    let summary = d.apply(changes).unwrap();
    let orders = summary.table(Table::Orders);
    assert_eq!((orders.rejected, orders.rejected_replacements), (1, 1));
    assert_consistent(&d);
    let kh2 = d.customer_idx("KH2").unwrap();
    assert_eq!(d.orders_of(kh2)[0].total, Decimal::from(100));
    assert_eq!(d.quality().table(Table::Orders).read, 3);
}

#[test]
fn a_staff_row_for_an_id_only_referenced_renumbers_keys() {
    let mut b = DatasetBuilder::new();
    b.push_customer(&Customer::new("KH1", at(1), Source::Pos));
    b.push_staff(&crate::model::Staff::new("NV1", "An"));
    let order = Order::new("DH1", "KH1", at(5), OrderStatus::Completed, Decimal::ONE);
    b.push_order(&order.clone().staff_id("NV9"));
    let mut d = b.build().unwrap();
    let mut changes = DatasetBuilder::new();
    changes.push_staff(&crate::model::Staff::new("NV9", "Binh"));
    d.apply(changes).unwrap();
    assert_consistent(&d);
    assert_eq!(d.staff.known, 2);
    let key = d.order_details[0].staff.get().unwrap();
    assert_eq!(d.staff.id(key), "NV9");
    assert_eq!(d.staff.info(key).map(String::as_str), Some("Binh"));
}

#[test]
fn deals_replaced_where_they_are_and_added_last_keep_the_other_index_entries() {
    let mut d = base();
    let mut changes = DatasetBuilder::new();
    changes.push_deal(
        &Deal::new("DL2", at(10), "zalo_ads")
            .handed_over_at(at(11))
            .opportunity_at(at(11))
            .won_at(at(12))
            .revenue(Decimal::from(500)),
    );
    changes.push_deal(
        &Deal::new("DL3", at(11), "facebook_ads")
            .handed_over_at(at(11))
            .opportunity_at(at(12))
            .won_at(at(12))
            .revenue(Decimal::from(700)),
    );
    let summary = d.apply(changes).unwrap();
    assert_eq!(summary.table(Table::Deals).inserted, 2);
    assert_consistent(&d);
    // DL1 reaches new stages in its place, DL2 keeps its stages with a new revenue, DL4
    // comes after every deal: no kept deal moves.
    let mut changes = DatasetBuilder::new();
    changes.push_deal(
        &Deal::new("DL1", at(4), "facebook_ads")
            .handed_over_at(at(5))
            .opportunity_at(at(6))
            .won_at(at(12))
            .revenue(Decimal::from(900)),
    );
    changes.push_deal(
        &Deal::new("DL2", at(10), "zalo_ads")
            .handed_over_at(at(11))
            .opportunity_at(at(11))
            .won_at(at(12))
            .revenue(Decimal::from(501)),
    );
    changes.push_deal(&Deal::new("DL4", at(20), "zalo_ads").handed_over_at(at(21)));
    let summary = d.apply(changes).unwrap();
    assert_eq!(summary.table(Table::Deals).replaced, 2);
    assert_eq!(summary.table(Table::Deals).inserted, 1);
    assert_consistent(&d);
    assert_eq!(d.deal_count(), 4);
    // DL2 loses its stages where it is.
    let mut changes = DatasetBuilder::new();
    changes.push_deal(&Deal::new("DL2", at(10), "zalo_ads"));
    let summary = d.apply(changes).unwrap();
    assert_eq!(summary.table(Table::Deals).replaced, 1);
    assert_consistent(&d);
    // A deal created before the others moves every kept deal: the index is renumbered.
    let mut changes = DatasetBuilder::new();
    changes.push_deal(&Deal::new("DL5", at(2), "zalo_ads").handed_over_at(at(3)));
    changes.push_deal(&Deal::new("DL3", at(11), "facebook_ads").handed_over_at(at(13)));
    d.apply(changes).unwrap();
    assert_consistent(&d);
    assert_eq!(d.deal_count(), 5);
}

/// Batch after batch, the rebuilt customers' old runs pile up as dead rows until a
/// table's dead rows pass an eighth of its live ones; then it is compacted. At every
/// step the dataset is consistent, and at the end its reports (and a snapshot of it)
/// equal a build of the final rows.
#[test]
fn dead_rows_pile_up_batch_after_batch_until_compaction_squeezes_them_out() {
    use crate::sample::SampleOptions;
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let mut rows = SampleOptions::new(150).seed(3).as_of(as_of).rows();
    let mut d = rows.builder().build().unwrap();
    assert_eq!(d.dead, super::super::frozen::DeadRows::default());
    let (mut piled_up, mut compacted) = ([false; 2], [false; 2]);
    for batch in 0..40 {
        let mut changes = DatasetBuilder::new();
        for k in 0..2 {
            let i = (batch * 37 + k * 11) % rows.orders.len();
            rows.orders[i].total += Decimal::ONE;
            changes.push_order(&rows.orders[i]);
        }
        let i = (batch * 53) % rows.interactions.len();
        rows.interactions[i].at += chrono::Duration::seconds(1);
        changes.push_interaction(&rows.interactions[i]);
        let before = d.dead;
        d.apply(changes).unwrap();
        assert_consistent(&d);
        for (k, (now, was)) in [
            (d.dead.orders, before.orders),
            (d.dead.interactions, before.interactions),
        ]
        .into_iter()
        .enumerate()
        {
            piled_up[k] |= now > was;
            compacted[k] |= now < was;
        }
        assert!(d.dead.orders * 8 <= d.order_count() as u64);
        assert!(d.dead.interactions * 8 <= d.interaction_count() as u64);
    }
    assert_eq!((piled_up, compacted), ([true; 2], [true; 2]));

    assert_like_a_build(&d, &rows.builder().build().unwrap(), as_of);
}

/// `d` (after batches) holds what `fresh` (a build of the final rows) holds: the same
/// counts and reports (but for data quality, which counts the batches' rows too), also
/// after a snapshot round trip (which keeps the dead rows) and a compaction.
fn assert_like_a_build(d: &Dataset, fresh: &Dataset, as_of: DateTime<Utc>) {
    let counts = |d: &Dataset| {
        (
            d.customer_count(),
            d.order_count(),
            d.order_line_count(),
            d.interaction_count(),
        )
    };
    assert_eq!(counts(d), counts(fresh));
    let options = crate::ReportOptions::new(as_of);
    let fresh_quality = crate::report::report(fresh, &options).unwrap().data_quality;
    let without_quality = |d: &Dataset| {
        let mut r = crate::report::report(d, &options).unwrap();
        r.data_quality = fresh_quality.clone();
        r
    };
    let want = without_quality(fresh);
    assert_eq!(without_quality(d), want);
    let mut bytes = Vec::new();
    d.write_snapshot(&mut bytes).unwrap();
    let mut again = Dataset::read_snapshot(&bytes[..]).unwrap();
    assert_eq!(again.dead, d.dead);
    assert_eq!(without_quality(&again), want);
    again.compact();
    assert_consistent(&again);
    assert_eq!(again.dead, super::super::frozen::DeadRows::default());
    assert_eq!(counts(&again), counts(fresh));
    assert_eq!(without_quality(&again), want);
}

/// Most changes in one random batch.
const OPS: usize = 12;

/// Random batches on a small generated dataset (from a review by a helper session):
/// new customers with orders, lines and interactions; orders replaced, moved between
/// customers and re-timed; new lines on existing orders; interactions replaced with
/// new times and owners; customers replaced with a new `created_at`; now and then an
/// explicit [`Dataset::compact`]. After every batch the dataset is consistent (dead
/// counts included); at the end its counts, its report, its snapshot and the
/// snapshot compacted equal a fresh build of the final rows. Returns how many batches
/// compacted the order side and the interaction side by themselves.
fn random_batches(n: usize, seed: u64, batches: usize, compact_every: usize) -> [usize; 2] {
    use crate::sample::SampleOptions;
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let mut rows = SampleOptions::new(n).seed(seed).as_of(as_of).rows();
    let mut d = rows.builder().build().unwrap();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut rnd = move |m: usize| -> usize {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m.max(1)
    };
    let mut fresh_id = 0usize;
    let mut compactions = [0; 2];
    for batch in 0..batches {
        let mut changes = DatasetBuilder::new();
        let ops = 1 + rnd(OPS);
        let mut used_o = std::collections::HashSet::new();
        let mut used_i = std::collections::HashSet::new();
        let mut used_c = std::collections::HashSet::new();
        for _ in 0..ops {
            match rnd(6) {
                0 => {
                    // New customer with an order, a line and an interaction.
                    let mut c = rows.customers[rnd(rows.customers.len())].clone();
                    fresh_id += 1;
                    c.id = format!("NEWC{fresh_id}");
                    c.created_at -= chrono::Duration::days(rnd(100) as i64);
                    changes.push_customer(&c);
                    rows.customers.push(c.clone());
                    used_c.insert(c.id.clone());
                    if rnd(2) == 0 && !rows.orders.is_empty() {
                        let mut o = rows.orders[rnd(rows.orders.len())].clone();
                        o.id = format!("NEWO{fresh_id}");
                        o.customer_id = c.id.clone();
                        changes.push_order(&o);
                        rows.orders.push(o.clone());
                        used_o.insert(o.id.clone());
                        if !rows.order_lines.is_empty() {
                            let mut l = rows.order_lines[rnd(rows.order_lines.len())].clone();
                            l.order_id = o.id.clone();
                            changes.push_order_line(&l);
                            rows.order_lines.push(l);
                        }
                    }
                    if rnd(2) == 0 && !rows.interactions.is_empty() {
                        let mut i = rows.interactions[rnd(rows.interactions.len())].clone();
                        i.id = format!("NEWI{fresh_id}");
                        i.customer_id = c.id.clone();
                        changes.push_interaction(&i);
                        rows.interactions.push(i.clone());
                        used_i.insert(i.id.clone());
                    }
                }
                1 => {
                    // Replace an order, maybe moving it to another customer.
                    let k = rnd(rows.orders.len());
                    if !used_o.insert(rows.orders[k].id.clone()) {
                        continue;
                    }
                    if rnd(2) == 0 {
                        rows.orders[k].customer_id =
                            rows.customers[rnd(rows.customers.len())].id.clone();
                    }
                    rows.orders[k].created_at += chrono::Duration::hours(rnd(48) as i64 - 24);
                    rows.orders[k].total += Decimal::ONE;
                    changes.push_order(&rows.orders[k]);
                }
                2 => {
                    // New lines on an existing order (not replaced in this batch).
                    let k = rnd(rows.orders.len());
                    let mut l = rows.order_lines[rnd(rows.order_lines.len())].clone();
                    l.order_id = rows.orders[k].id.clone();
                    changes.push_order_line(&l);
                    rows.order_lines.push(l);
                }
                3 => {
                    // Replace an interaction with a new time, maybe a new owner.
                    let k = rnd(rows.interactions.len());
                    if !used_i.insert(rows.interactions[k].id.clone()) {
                        continue;
                    }
                    if rnd(2) == 0 {
                        rows.interactions[k].customer_id =
                            rows.customers[rnd(rows.customers.len())].id.clone();
                    }
                    rows.interactions[k].at += chrono::Duration::hours(rnd(48) as i64 - 24);
                    changes.push_interaction(&rows.interactions[k]);
                }
                4 => {
                    // Replace a customer with a new created_at.
                    let k = rnd(rows.customers.len());
                    if !used_c.insert(rows.customers[k].id.clone()) {
                        continue;
                    }
                    rows.customers[k].created_at += chrono::Duration::days(rnd(20) as i64 - 10);
                    changes.push_customer(&rows.customers[k]);
                }
                _ => {
                    // New interaction for an existing customer.
                    let mut i = rows.interactions[rnd(rows.interactions.len())].clone();
                    fresh_id += 1;
                    i.id = format!("NEWI{fresh_id}");
                    i.customer_id = rows.customers[rnd(rows.customers.len())].id.clone();
                    changes.push_interaction(&i);
                    rows.interactions.push(i.clone());
                    used_i.insert(i.id.clone());
                }
            }
        }
        let before = d.dead;
        let s = d.apply(changes).unwrap();
        compactions[0] += usize::from(d.dead.orders < before.orders);
        compactions[1] += usize::from(d.dead.interactions < before.interactions);
        assert!(
            s.quality.rejections.is_empty(),
            "batch {batch}: {:?}",
            s.quality.rejections
        );
        assert_consistent(&d);
        if compact_every > 0 && batch % compact_every == compact_every - 1 {
            d.compact();
            assert_consistent(&d);
        }
    }
    assert_like_a_build(&d, &rows.builder().build().unwrap(), as_of);
    compactions
}

#[test]
fn random_batches_equal_a_build_of_the_final_rows() {
    let mut compactions = [0; 2];
    let mut add = |c: [usize; 2]| {
        compactions[0] += c[0];
        compactions[1] += c[1];
    };
    for seed in 0..6u64 {
        add(random_batches(40 + 10 * seed as usize, seed, 40, 0));
    }
    for seed in 100..103u64 {
        add(random_batches(50, seed, 40, 7));
    }
    for seed in 1000..1012u64 {
        let every = if seed % 3 == 0 { 5 } else { 0 };
        add(random_batches(6 + (seed as usize % 5), seed, 30, every));
    }
    assert!(compactions[0] > 0 && compactions[1] > 0, "{compactions:?}");
}
