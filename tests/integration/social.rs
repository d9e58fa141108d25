//! Tests of the `social` section (SPEC §7): the fixture, properties against the raw
//! rows, and shard-merge-equals-whole.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_metrics::calendar::Preset;
use crm_metrics::fold::{CustomerFold, fold_customers, fold_shard};
use crm_metrics::model::{Direction, InteractionKind};
use crm_metrics::sample::{SampleOptions, SampleRows};
use crm_metrics::social::{self, SocialFold};
use crm_metrics::{Context, CustomerIdx, Dataset, ReportOptions};
use proptest::prelude::*;

#[test]
#[ignore = "needs the real-export parser (issue 14)"]
fn social_matches_every_fixture_case() {
    crate::fixtures::assert_sections(&["social"]);
}

/// The sample's `as_of`; reports are taken up to ~80 days before it, so that rows after
/// `as_of` and customers created after it are exercised.
pub fn sample_as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap()
}

/// A clean sample (no bad rows, so every raw row is accepted) and the dataset built
/// from its rows.
pub fn sample(customers: usize, seed: u64) -> (SampleRows, Dataset) {
    let rows = SampleOptions::new(customers)
        .seed(seed)
        .as_of(sample_as_of())
        .rows();
    let dataset = rows.builder().build().unwrap();
    assert!(dataset.quality().is_clean());
    (rows, dataset)
}

pub fn options_strategy() -> impl Strategy<Value = ReportOptions> {
    (
        0i64..2000,
        0..Preset::ALL.len(),
        prop::sample::select(vec!["+07:00", "Europe/Berlin", "-03:30"]),
        prop::collection::btree_set(
            prop::sample::select(vec!["FP1", "FP2", "FP3", "FP5", "FP_NOWHERE"]),
            0..3,
        ),
    )
        .prop_map(|(hours_back, preset, tz, pages)| {
            ReportOptions::new(sample_as_of() - Duration::hours(hours_back))
                .time_zone(tz.parse().unwrap())
                .period(Preset::ALL[preset])
                .fanpages(pages)
        })
}

/// Whether a raw row's customer exists at as_of and the row is social and selected.
fn social_row(
    rows: &SampleRows,
    customer: &str,
    page: &Option<String>,
    pages: &BTreeSet<String>,
    as_of: DateTime<Utc>,
) -> bool {
    let exists = rows
        .customers
        .iter()
        .any(|c| c.id == customer && c.created_at <= as_of);
    exists
        && page
            .as_ref()
            .is_some_and(|p| pages.is_empty() || pages.contains(p))
}

fn whole(dataset: &Dataset, context: &Context) -> social::SocialSection {
    social::section(dataset, context).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn funnel_never_grows_and_parts_add_up(
        customers in 50usize..300,
        seed in any::<u64>(),
        options in options_strategy(),
    ) {
        let (rows, dataset) = sample(customers, seed);
        let context = options.resolve().unwrap();
        let s = whole(&dataset, &context);
        let f = s.funnel;
        prop_assert!(f.reached >= f.cared && f.cared >= f.ordered && f.ordered >= f.delivered);
        prop_assert_eq!(f.reached, s.reached_customers.current);
        prop_assert!(f.cared <= s.cared.current);
        prop_assert!(s.reached_customers.current <= s.reached.current);
        let daily: u64 = s.reach_daily.iter().map(|d| d.count).sum();
        prop_assert_eq!(daily, s.reached.current);
        prop_assert_eq!(s.reach_by_hour.iter().sum::<u64>(), s.reached.current);
        prop_assert_eq!(s.reach_daily.len() as u64, u64::from(context.period.days()));

        // Recount from the raw rows: every inbound social interaction of the period.
        let range = context.calendar.range(context.period);
        let as_of = context.as_of;
        let in_period = |at: DateTime<Utc>| range.start <= at && at < range.end && at <= as_of;
        let (mut inbound, mut reach) = (0u64, 0u64);
        for i in &rows.interactions {
            if i.direction == Direction::Inbound
                && in_period(i.at)
                && social_row(&rows, &i.customer_id, &i.fanpage_id, &context.fanpages, as_of)
            {
                inbound += 1;
                if matches!(i.kind, InteractionKind::Message | InteractionKind::Comment) {
                    reach += 1;
                }
            }
        }
        let grid: u64 = s.interactions_by_weekday_hour.iter().flatten().sum();
        prop_assert_eq!(grid, inbound);
        prop_assert_eq!(s.reached.current, reach);
        // Placed social orders likewise.
        let placed = rows
            .orders
            .iter()
            .filter(|o| {
                o.status != crm_metrics::model::OrderStatus::Cancelled
                    && in_period(o.created_at)
                    && social_row(&rows, &o.customer_id, &o.fanpage_id, &context.fanpages, as_of)
            })
            .count() as u64;
        prop_assert_eq!(s.orders.current, placed);
    }

    #[test]
    fn shards_merge_to_the_whole(
        customers in 50usize..300,
        seed in any::<u64>(),
        shards in 1usize..6,
        split_seed in any::<u64>(),
        options in options_strategy(),
    ) {
        let (_, dataset) = sample(customers, seed);
        let context = options.resolve().unwrap();
        // Deal every customer (existing or not: the fold skips the others) to a
        // pseudo-random shard.
        let mut parts: Vec<Vec<CustomerIdx>> = vec![Vec::new(); shards];
        let mut state = split_seed | 1;
        for customer in dataset.customer_indices() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            parts[(state % shards as u64) as usize].push(customer);
        }
        let mut merged = SocialFold::new(&dataset, &context);
        for part in parts {
            let mut partial = SocialFold::new(&dataset, &context);
            fold_shard(&mut partial, &dataset, part);
            merged.merge(partial);
        }
        let all = fold_customers(&dataset, 0..dataset.customer_count(), || {
            SocialFold::new(&dataset, &context)
        });
        let merged = merged.finish(&dataset).unwrap();
        prop_assert_eq!(&merged, &all.finish(&dataset).unwrap());
        prop_assert_eq!(&merged, &whole(&dataset, &context));
    }
}
