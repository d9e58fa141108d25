//! Cohorts: properties over generated datasets and shards merged equal the whole.

use crm_metrics::cohorts;
use proptest::prelude::*;

use crate::lifecycle::{options_strategy, sharded};
use crate::social::sample;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn retained_zero_is_the_cohort(
        customers in 50usize..400,
        seed in any::<u64>(),
        options in options_strategy(),
    ) {
        let (_, dataset) = sample(customers, seed);
        let rows = cohorts::section(&dataset, &options).unwrap();
        let purchasers = crm_metrics::rfm::section(&dataset, &options).unwrap().customers;
        prop_assert_eq!(rows.len(), 12);
        prop_assert!(rows.iter().map(|r| r.customers).sum::<u64>() <= purchasers);
        for (i, row) in rows.iter().enumerate() {
            prop_assert_eq!(row.retained.len(), 12 - i);
            prop_assert_eq!(row.retention.len(), 12 - i);
            prop_assert_eq!(row.revenue.len(), 12 - i);
            prop_assert_eq!(row.retained[0], row.customers);
            prop_assert!(row.retained.iter().all(|&r| r <= row.customers));
            prop_assert_eq!(row.retention[0].is_some(), row.customers > 0);
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
        let whole = cohorts::section(&dataset, &options).unwrap();
        let merged = sharded::<cohorts::Partial>(&dataset, &options, shards, split_seed);
        prop_assert_eq!(&merged, &whole);
        let report = crm_metrics::report(&dataset, &options).unwrap();
        prop_assert_eq!(&report.cohorts, &whole);
    }
}
