//! RFM: properties over generated datasets, shards merged equal the whole for the
//! section and for the scored per-purchaser rows, and the CSV of `--rfm-out`.

use std::collections::BTreeMap;

use crm_metrics::rfm::{self, Segment};
use proptest::prelude::*;

use crate::lifecycle::{options_strategy, sharded};
use crate::social::sample;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn segments_and_grid_add_up_and_rows_agree(
        customers in 50usize..400,
        seed in any::<u64>(),
        options in options_strategy(),
    ) {
        let (_, dataset) = sample(customers, seed);
        let s = rfm::section(&dataset, &options).unwrap();
        let rows = rfm::summary(&dataset, &options).unwrap();
        prop_assert_eq!(s.segments.len(), 7);
        prop_assert_eq!(s.segments.iter().map(|r| r.customers).sum::<u64>(), s.customers);
        prop_assert_eq!(s.grid.iter().flatten().sum::<u64>(), s.customers);
        prop_assert_eq!(rows.len() as u64, s.customers);
        prop_assert!(rows.windows(2).all(|w| w[0].customer_id < w[1].customer_id));
        let mut grid = [[0u64; 5]; 5];
        let mut by_segment: BTreeMap<Segment, u64> = BTreeMap::new();
        for row in &rows {
            prop_assert!(row.frequency <= row.t && row.recency <= row.t, "{:?}", row);
            prop_assert!((1..=5).contains(&row.r) && (1..=5).contains(&row.f) && (1..=5).contains(&row.m));
            prop_assert_eq!(row.segment, rfm::segment(row.r, row.f, row.frequency));
            if row.frequency == 0 {
                prop_assert!(row.monetary_value.is_zero());
            }
            grid[5 - row.r as usize][row.f as usize - 1] += 1;
            *by_segment.entry(row.segment).or_default() += 1;
        }
        // The section (histograms) and the rows (scored one by one) agree.
        prop_assert_eq!(grid, s.grid);
        for seg in &s.segments {
            prop_assert_eq!(by_segment.get(&seg.segment).copied().unwrap_or(0), seg.customers);
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
        let whole = rfm::section(&dataset, &options).unwrap();
        let merged = sharded::<rfm::Partial>(&dataset, &options, shards, split_seed);
        prop_assert_eq!(&merged, &whole);
        let report = crm_metrics::report(&dataset, &options).unwrap();
        prop_assert_eq!(&report.rfm, &whole);
        // Scores and rows: each shard's rows scored against the merged histograms.
        let rows = rfm::summary(&dataset, &options).unwrap();
        let merged_rows = sharded::<rfm::SummaryPartial>(&dataset, &options, shards, split_seed);
        prop_assert_eq!(merged_rows, rows);
    }
}

#[test]
fn csv_of_the_sample_is_sorted_and_plain() {
    let (_, dataset) = sample(300, 5);
    let options = crm_metrics::ReportOptions::new(crate::social::sample_as_of());
    let rows = rfm::summary(&dataset, &options).unwrap();
    let mut out = Vec::new();
    rfm::write_csv(&rows, &mut out, "rfm.csv").unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("customer_id,frequency,recency,t,monetary_value,r,f,m,segment")
    );
    assert_eq!(lines.clone().count(), rows.len());
    for (line, row) in lines.zip(&rows) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 9);
        assert_eq!(fields[0], row.customer_id);
        // Plain decimals without trailing zeros.
        let plain = !fields[4].contains('e');
        let trailing_zero = fields[4].contains('.') && fields[4].ends_with('0');
        assert!(plain && !trailing_zero, "{line}");
        assert_eq!(
            fields[4].parse::<rust_decimal::Decimal>().unwrap(),
            row.monetary_value
        );
        assert_eq!(fields[8], row.segment.name());
    }
    assert!(text.ends_with('\n') && !text.contains('\r'));
}

#[cfg(feature = "serde")]
#[test]
fn partial_states_merge_after_a_serde_round_trip() {
    use crm_metrics::fold::Fold;
    let (_, dataset) = sample(200, 9);
    let options = crm_metrics::ReportOptions::new(crate::social::sample_as_of());
    let mut a = rfm::Partial::new(&options).unwrap();
    let mut b = rfm::Partial::new(&options).unwrap();
    for c in dataset.customer_indices() {
        if c.index() % 2 == 0 {
            a.add_customer(&dataset, c)
        } else {
            b.add_customer(&dataset, c)
        }
    }
    let b: rfm::Partial = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
    a.merge(b).unwrap();
    assert_eq!(
        a.finish().unwrap(),
        rfm::section(&dataset, &options).unwrap()
    );
}
