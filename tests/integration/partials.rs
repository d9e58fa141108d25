//! The partial-state contract (`crm_metrics::fold::Fold`): shards computed apart, even
//! serialized and read back, merge into exactly the whole-dataset report; customers that
//! do not exist at `as_of` and indices from elsewhere add nothing and never panic.

use chrono::{DateTime, TimeZone, Utc};
use crm_metrics::calendar::Preset;
use crm_metrics::fold::{Fold, fold_customers, fold_shard};
use crm_metrics::sample::SampleOptions;
use crm_metrics::{
    CustomerIdx, Dataset, ReportOptions, customer_picture, customers, marketing, profile, social,
};
use proptest::prelude::*;

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap()
}

fn dataset(customers: usize, seed: u64) -> Dataset {
    SampleOptions::new(customers)
        .seed(seed)
        .as_of(as_of())
        .dataset()
        .unwrap()
}

/// The four sections' partial states of one shard: customers `shard`, and the deals and
/// costs at the positions `events` picks.
type Shard = (
    customers::Partial,
    customer_picture::Partial,
    social::Partial,
    marketing::Partial,
);

fn shard(
    data: &Dataset,
    options: &ReportOptions,
    customers: impl IntoIterator<Item = CustomerIdx>,
    events: impl Fn(usize) -> bool,
) -> Shard {
    let mut state = Shard::new(options).unwrap();
    fold_shard(&mut state, data, customers);
    state
        .3
        .add_deals(data, (0..data.deal_count()).filter(|&p| events(p)));
    state
        .3
        .add_costs(data, (0..data.cost_count()).filter(|&p| events(p)));
    state
}

/// Checks that merging `left` and `right` gives the report's four sections.
fn assert_whole(data: &Dataset, options: &ReportOptions, mut left: Shard, right: Shard) {
    left.merge(right).unwrap();
    let (customers, picture, social, marketing) = left.finish().unwrap();
    let report = crm_metrics::report(data, options).unwrap();
    assert_eq!(customers, report.customers);
    assert_eq!(picture, report.customer_picture);
    assert_eq!(social, report.social);
    assert_eq!(marketing, report.marketing);
}

/// Two shards of a dataset: customers below `cut` (and events below `cut` of
/// `per_mille`), the rest.
fn split(data: &Dataset, options: &ReportOptions, per_mille: usize) -> (Shard, Shard) {
    let all: Vec<CustomerIdx> = data.customer_indices().collect();
    let cut = all.len() * per_mille / 1000;
    let deals_cut = data.deal_count() * per_mille / 1000;
    let left = shard(data, options, all[..cut].iter().copied(), |p| p < deals_cut);
    let right = shard(data, options, all[cut..].iter().copied(), |p| {
        p >= deals_cut
    });
    (left, right)
}

#[test]
fn shards_in_one_process_merge_to_the_report() {
    let data = dataset(400, 11);
    for options in [
        ReportOptions::new(as_of()),
        ReportOptions::new(as_of())
            .time_zone("Europe/Berlin")
            .period(Preset::Last30Days)
            .sources(["facebook_ads", "google_ads"]),
    ] {
        for per_mille in [500, 100, 0, 1000] {
            let (left, right) = split(&data, &options, per_mille);
            assert_whole(&data, &options, left, right);
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn serialized_shards_merge_to_the_report() {
    use crm_metrics::fold::{Section, Versioned};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    /// Through JSON, as another process would send it.
    fn send<T: Section + Serialize + DeserializeOwned>(state: T) -> T {
        let json = serde_json::to_string(&Versioned::new(state)).unwrap();
        serde_json::from_str::<Versioned<T>>(&json)
            .unwrap()
            .into_inner()
    }
    fn send_all((a, b, c, d): Shard) -> Shard {
        (send(a), send(b), send(c), send(d))
    }

    let data = dataset(600, 5);
    let options = [
        ReportOptions::new(as_of()),
        ReportOptions::new(as_of())
            .time_zone("Asia/Ho_Chi_Minh")
            .period(Preset::LastMonth)
            .fanpages(["FP1", "FP3"])
            .product_types(["course"]),
    ];
    for options in options {
        // Two halves, and an uneven 1:9 split.
        for per_mille in [500, 100] {
            let (left, right) = split(&data, &options, per_mille);
            assert_whole(&data, &options, send_all(left), send_all(right));
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn the_envelope_refuses_other_versions_and_sections() {
    use crm_metrics::fold::Versioned;
    let state = customers::Partial::new(&ReportOptions::new(as_of())).unwrap();
    let json = serde_json::to_string(&Versioned::new(state)).unwrap();
    let wrong = json.replace(r#""version":1"#, r#""version":7"#);
    let error = serde_json::from_str::<Versioned<customers::Partial>>(&wrong).unwrap_err();
    assert!(error.to_string().contains("version 7"), "{error}");
    let error = serde_json::from_str::<Versioned<social::Partial>>(&json).unwrap_err();
    assert!(error.to_string().contains("section `customers`"), "{error}");
    let error = serde_json::from_str::<Versioned<customers::Partial>>(
        &json.replace("crm-metrics/partial", "other"),
    )
    .unwrap_err();
    assert!(error.to_string().contains("format"), "{error}");
}

#[test]
fn merging_states_of_different_options_is_an_error() {
    let a = ReportOptions::new(as_of());
    let b = ReportOptions::new(as_of()).period(Preset::LastMonth);
    let mut left = customers::Partial::new(&a).unwrap();
    assert!(left.merge(customers::Partial::new(&b).unwrap()).is_err());
    let mut left = social::Partial::new(&a).unwrap();
    assert!(left.merge(social::Partial::new(&b).unwrap()).is_err());
    let mut left = marketing::Partial::new(&a).unwrap();
    assert!(left.merge(marketing::Partial::new(&b).unwrap()).is_err());
    let mut left = customer_picture::Partial::new(&a).unwrap();
    assert!(
        left.merge(customer_picture::Partial::new(&b).unwrap())
            .is_err()
    );
    let other_edges = customer_picture::PictureOptions::default()
        .spend_edges([rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ONE]);
    let mut left = customer_picture::Partial::new(&a).unwrap();
    let right = customer_picture::Partial::with_options(&a, &other_edges).unwrap();
    assert!(left.merge(right).is_err());
    // The profile's customer and the rejection limit do not change these numbers.
    let mut left = customers::Partial::new(&a).unwrap();
    let same = a.clone().customer("KH00001");
    assert!(left.merge(customers::Partial::new(&same).unwrap()).is_ok());
}

/// Folding every customer of the dataset at an earlier `as_of` counts only those that
/// exist then (it used to count them all).
#[test]
fn folding_every_customer_at_an_earlier_as_of_counts_the_existing_ones() {
    let data = dataset(500, 3);
    let earlier = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let options = ReportOptions::new(earlier);
    let context = options.resolve().unwrap();
    let existing = data.customers_at(earlier).len() as u64;
    assert!(
        existing < data.customer_count() as u64,
        "the sample grows after June"
    );
    let everyone = 0..data.customer_count();
    let empty = customers::Partial::new(&options).unwrap();
    let folded = fold_customers(&data, everyone.clone(), || empty.clone())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(folded.total_customers, existing);
    assert_eq!(folded, customers::section(&data, &context).unwrap());
    let empty = customer_picture::Partial::new(&options).unwrap();
    let folded = fold_customers(&data, everyone.clone(), || empty.clone())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(folded, customer_picture::section(&data, &context).unwrap());
    let empty = social::Partial::new(&options).unwrap();
    let folded = fold_customers(&data, everyone, || empty.clone())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(folded, social::section(&data, &context).unwrap());
}

/// An index a caller can make: deserialized from any number.
fn index(raw: u32) -> CustomerIdx {
    serde_json::from_str(&raw.to_string()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Foreign and out-of-range indices and positions: nothing panics, nothing is added.
    #[test]
    fn foreign_and_out_of_range_indices_add_nothing(
        raw in prop_oneof![any::<u32>(), 0u32..400, Just(u32::MAX)],
        position in prop_oneof![any::<usize>(), 0usize..2000, Just(usize::MAX)],
        seed in 0u64..4,
    ) {
        let small = dataset(40, seed);
        let big = dataset(200, seed + 1);
        let options = ReportOptions::new(as_of()).customer("KH00001");
        let context = options.resolve().unwrap();
        // An index of the big dataset (or any number) used on the small one.
        let idx = index(raw);
        let foreign = big.customer_indices().nth(raw as usize % big.customer_count()).unwrap();
        for idx in [idx, foreign] {
            let inside = idx.index() < small.customer_count();
            // Lookups by index answer None or an empty value.
            let row = small.customer(idx);
            prop_assert_eq!(row.is_some(), inside);
            let summary = customers::PurchaseSummary::of(&small, &context, idx);
            if !inside {
                prop_assert_eq!(summary, customers::PurchaseSummary::default());
            }
            let _ = profile::engagement(&small, &context, idx);
            let profile = profile::profile_of(&small, &context, idx);
            prop_assert!(inside || profile.is_err());
            let months = profile::spending_by_month(&small, &context, idx).unwrap();
            prop_assert!(inside || months.iter().all(|m| m.orders == 0));
            let _ = profile::year_over_year(&small, &context, idx).unwrap();
            let history = profile::purchase_history(&small, &context, idx).unwrap();
            prop_assert!(inside || history.is_empty());
            // Partial states: an index past the end adds nothing.
            let mut state = Shard::new(&options).unwrap();
            state.add_customer(&small, idx);
            if !inside {
                let empty = Shard::new(&options).unwrap().finish().unwrap();
                let added = state.finish().unwrap();
                prop_assert_eq!(&added.0, &empty.0);
                prop_assert_eq!(&added.1, &empty.1);
                prop_assert_eq!(&added.2, &empty.2);
            }
        }
        // Deal and cost positions past the end add nothing.
        let mut events = marketing::Partial::new(&options).unwrap();
        events.add_deal(&small, small.deal_count().saturating_add(position));
        events.add_cost(&small, small.cost_count().saturating_add(position));
        events.add_deals(&small, [position, usize::MAX]);
        events.add_costs(&small, [position, usize::MAX]);
        let _ = events.finish().unwrap();
        // Sharding ranges past the end are cut to the dataset.
        let empty = customers::Partial::new(&options).unwrap();
        let folded = fold_customers(&small, position..position.saturating_add(10), || empty.clone());
        prop_assert!(folded.is_ok());
    }
}

/// The one-metric functions of social and marketing equal the sections' fields.
#[test]
fn one_metric_functions_equal_the_section_fields() {
    let data = dataset(300, 8);
    for options in [
        ReportOptions::new(as_of()),
        ReportOptions::new(as_of())
            .period(Preset::Last30Days)
            .fanpages(["FP2"])
            .sources(["facebook_ads"]),
    ] {
        let c = options.resolve().unwrap();
        let s = social::section(&data, &c).unwrap();
        assert_eq!(social::reach(&data, &c).unwrap(), s.reached);
        assert_eq!(
            social::reached_customers(&data, &c).unwrap(),
            s.reached_customers
        );
        assert_eq!(social::cared(&data, &c).unwrap(), s.cared);
        assert_eq!(social::orders(&data, &c).unwrap(), s.orders);
        assert_eq!(
            social::cancelled_orders(&data, &c).unwrap(),
            s.cancelled_orders
        );
        assert_eq!(social::revenue(&data, &c).unwrap(), s.revenue);
        assert_eq!(social::gross_profit(&data, &c).unwrap(), s.gross_profit);
        assert_eq!(
            social::orders_missing_cost(&data, &c).unwrap(),
            s.orders_missing_cost
        );
        assert_eq!(social::new_customers(&data, &c).unwrap(), s.new_customers);
        assert_eq!(social::funnel(&data, &c).unwrap(), s.funnel);
        assert_eq!(social::reach_daily(&data, &c).unwrap(), s.reach_daily);
        assert_eq!(social::top_staff(&data, &c).unwrap(), s.top_staff);
        assert_eq!(social::reach_by_hour(&data, &c), s.reach_by_hour);
        assert_eq!(
            social::interactions_by_weekday_hour(&data, &c),
            s.interactions_by_weekday_hour
        );
        let m = marketing::section(&data, &c).unwrap();
        assert_eq!(marketing::revenue(&data, &c).unwrap(), m.revenue);
        assert_eq!(marketing::cost(&data, &c).unwrap(), m.cost);
        assert_eq!(marketing::roi_change(&data, &c).unwrap(), m.roi);
        assert_eq!(marketing::cohort_funnel(&data, &c).unwrap(), m.funnel);
        assert_eq!(marketing::won_deals(&data, &c).unwrap(), m.won_deals);
        assert_eq!(
            marketing::activity_daily(&data, &c).unwrap(),
            m.activity_daily
        );
        assert_eq!(
            marketing::revenue_by_product_type(&data, &c).unwrap(),
            m.revenue_by_product_type
        );
        assert_eq!(marketing::by_source(&data, &c).unwrap(), m.by_source);
        assert_eq!(
            marketing::by_product_type(&data, &c).unwrap(),
            m.by_product_type
        );
    }
}

/// Section outputs and options round-trip through JSON.
#[test]
fn options_and_sections_round_trip_through_json() {
    let data = dataset(200, 9);
    let options = ReportOptions::new(as_of())
        .time_zone("Europe/Berlin")
        .period(Preset::LastMonth)
        .sources(["facebook_ads"])
        .customer("KH0000002");
    let json = serde_json::to_string(&options).unwrap();
    let back: ReportOptions = serde_json::from_str(&json).unwrap();
    assert_eq!(back, options);
    let report = crm_metrics::report(&data, &options).unwrap();
    fn again<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }
    assert_eq!(again(&report.customers), report.customers);
    assert_eq!(again(&report.customer_picture), report.customer_picture);
    assert_eq!(again(&report.social), report.social);
    assert_eq!(again(&report.marketing), report.marketing);
    assert_eq!(again(&report.profile), report.profile);
}

/// Two processes, each with its own dataset: the customers of a shard with all their
/// rows (orders, lines, interactions, their deals), the shared tables (staff, fanpages,
/// campaigns) in full, and a share of the deals without a customer and of the costs.
/// Their partial states, merged, equal the report of the whole dataset: staff, sources
/// and product types meet by their ids, not by either dataset's interned keys.
#[test]
fn shards_built_as_separate_datasets_merge_to_the_report() {
    use crm_metrics::sample::SampleRows;
    use std::collections::BTreeSet;

    let rows = SampleOptions::new(500).seed(6).as_of(as_of()).rows();
    let whole = rows.builder().build().unwrap();
    let options = ReportOptions::new(as_of()).period(Preset::Last30Days);
    // Customers by id: every row of one id goes to one shard (so do duplicates).
    let left_ids: BTreeSet<&str> = rows
        .customers
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| id.bytes().map(u32::from).sum::<u32>() % 10 < 3)
        .collect();
    let in_left = |id: &str| left_ids.contains(id);
    let part = |left: bool| -> Dataset {
        let keep = |id: &str| in_left(id) == left;
        let orders: Vec<_> = rows
            .orders
            .iter()
            .filter(|o| keep(&o.customer_id))
            .cloned()
            .collect();
        let order_ids: BTreeSet<&str> = orders.iter().map(|o| o.id.as_str()).collect();
        let shard = SampleRows {
            customers: rows
                .customers
                .iter()
                .filter(|c| keep(&c.id))
                .cloned()
                .collect(),
            order_lines: rows
                .order_lines
                .iter()
                .filter(|l| order_ids.contains(l.order_id.as_str()))
                .cloned()
                .collect(),
            orders,
            deals: rows
                .deals
                .iter()
                .filter(|d| match &d.customer_id {
                    Some(id) => keep(id),
                    None => (d.id.len() % 2 == 0) == left,
                })
                .cloned()
                .collect(),
            costs: rows
                .costs
                .iter()
                .enumerate()
                .filter(|(i, _)| (i % 2 == 0) == left)
                .map(|(_, c)| c.clone())
                .collect(),
            interactions: rows
                .interactions
                .iter()
                .filter(|i| keep(&i.customer_id))
                .cloned()
                .collect(),
            campaigns: rows.campaigns.clone(),
            staff: rows.staff.iter().rev().cloned().collect(), // another key order
            fanpages: rows.fanpages.clone(),
        };
        shard.builder().build().unwrap()
    };
    let (left_data, right_data) = (part(true), part(false));
    let states = [&left_data, &right_data]
        .map(|data| shard(data, &options, data.customer_indices(), |_| true));
    let [left, right] = states;
    let report = crm_metrics::report(&whole, &options).unwrap();
    assert!(left_data.customer_count() > 0 && right_data.customer_count() > 0);
    assert!(report.social.top_staff.len() > 1 && report.marketing.by_source.len() > 1);
    assert_whole(&whole, &options, left, right);
}
