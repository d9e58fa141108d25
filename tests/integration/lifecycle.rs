//! Lifecycle (new, returning, resurrecting, dormant): properties over generated
//! datasets, shards merged equal the whole, and the report's section equals the
//! section function. Also the shard-merge helper the cohorts and RFM tests share.

use crm_metrics::calendar::{Compare, Preset};
use crm_metrics::fold::Fold;
use crm_metrics::{CustomerIdx, Dataset, ReportOptions, lifecycle};
use proptest::prelude::*;

use crate::social::{sample, sample_as_of};

/// Options over as_of up to ~80 days back, every preset, three zones, every mode.
pub fn options_strategy() -> impl Strategy<Value = ReportOptions> {
    (
        0i64..2000,
        0..Preset::ALL.len(),
        prop::sample::select(vec!["+07:00", "Europe/Berlin", "-03:30"]),
        0..3usize,
    )
        .prop_map(|(hours_back, preset, tz, mode)| {
            let mode = [Compare::PreviousPeriod, Compare::ToDate, Compare::YearAgo][mode];
            ReportOptions::new(sample_as_of() - chrono::Duration::hours(hours_back))
                .time_zone(tz)
                .period(Preset::ALL[preset])
                .compare(mode)
        })
}

/// Folds every customer (existing or not) into one of `shards` partial states chosen
/// pseudo-randomly from `seed`, merges them in order, and finishes.
pub fn sharded<F: Fold>(
    dataset: &Dataset,
    options: &ReportOptions,
    shards: usize,
    seed: u64,
) -> F::Output {
    let mut parts: Vec<F> = (0..shards).map(|_| F::new(options).unwrap()).collect();
    let mut state = seed | 1;
    for customer in dataset.customer_indices() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        parts[(state % shards as u64) as usize].add_customer(dataset, customer);
    }
    // Indices outside the dataset add nothing.
    parts[0].add_customer(dataset, customer_beyond(dataset));
    let mut parts = parts.into_iter();
    let mut merged = parts.next().unwrap();
    for part in parts {
        merged.merge(part).unwrap();
    }
    merged.finish().unwrap()
}

fn customer_beyond(dataset: &Dataset) -> CustomerIdx {
    // The last valid index plus a few, through serde (CustomerIdx has no constructor).
    serde_json::from_value(serde_json::json!(dataset.customer_count() + 3)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn parts_add_up_to_active(
        customers in 50usize..400,
        seed in any::<u64>(),
        options in options_strategy(),
    ) {
        let (_, dataset) = sample(customers, seed);
        let s = lifecycle::section(&dataset, &options).unwrap();
        prop_assert_eq!(s.new + s.returning + s.resurrecting, s.active);
        prop_assert_eq!(s.monthly.len(), 12);
        for m in &s.monthly {
            prop_assert_eq!(m.new + m.returning + m.resurrecting, m.active, "{}", m.month);
        }
        // Dormant in a month = active the month before minus those returning.
        for pair in s.monthly.windows(2) {
            prop_assert_eq!(pair[1].dormant, pair[0].active - pair[1].returning);
        }
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
        let whole = lifecycle::section(&dataset, &options).unwrap();
        let merged = sharded::<lifecycle::Partial>(&dataset, &options, shards, split_seed);
        prop_assert_eq!(&merged, &whole);
        let report = crm_metrics::report(&dataset, &options).unwrap();
        prop_assert_eq!(&report.lifecycle, &whole);
    }
}
