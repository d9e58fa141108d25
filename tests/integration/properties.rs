//! Properties that must always hold, whatever the data: nothing is lost
//! (`read = accepted + rejected`), row order does not matter, and no input panics.

use chrono::{TimeZone, Utc};
use crm_metrics::model::Customer;
use crm_metrics::sample::{SampleOptions, SampleRows};
use crm_metrics::{Dataset, DatasetBuilder, ReportOptions, Table, calendar::Preset};
use proptest::prelude::*;

/// Test helpers over generated rows.
pub trait RowsExt {
    fn build(&self) -> Dataset;
    fn dedupe(&mut self);
    fn shuffle(&mut self, seed: u64);
}

impl RowsExt for SampleRows {
    fn build(&self) -> Dataset {
        self.builder().build().unwrap()
    }

    /// Keeps the first row of every id, so that no row is a duplicate.
    fn dedupe(&mut self) {
        fn keep<T>(rows: &mut Vec<T>, id: impl Fn(&T) -> String) {
            let mut seen = std::collections::HashSet::new();
            rows.retain(|r| seen.insert(id(r)));
        }
        keep(&mut self.customers, |r| r.id.clone());
        keep(&mut self.orders, |r| r.id.clone());
        keep(&mut self.deals, |r| r.id.clone());
        keep(&mut self.interactions, |r| r.id.clone());
        keep(&mut self.campaigns, |r| r.id.clone());
        keep(&mut self.staff, |r| r.id.clone());
        keep(&mut self.fanpages, |r| r.id.clone());
    }

    /// Shuffles every table with `seed`, keeping each order's lines in their relative order.
    fn shuffle(&mut self, seed: u64) {
        let mut state = seed | 1;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        fn shuffle<T>(v: &mut [T], next: &mut impl FnMut(usize) -> usize) {
            for i in (1..v.len()).rev() {
                let j = next(i + 1);
                v.swap(i, j);
            }
        }
        shuffle(&mut self.customers, &mut next);
        shuffle(&mut self.orders, &mut next);
        shuffle(&mut self.deals, &mut next);
        shuffle(&mut self.costs, &mut next);
        shuffle(&mut self.interactions, &mut next);
        shuffle(&mut self.campaigns, &mut next);
        shuffle(&mut self.staff, &mut next);
        shuffle(&mut self.fanpages, &mut next);
        // Lines: shuffle whole orders' groups, and interleave groups, but keep each
        // order's lines in their relative order.
        let mut keys: Vec<(usize, usize)> = Vec::with_capacity(self.order_lines.len());
        let mut rank = std::collections::HashMap::new();
        for (i, line) in self.order_lines.iter().enumerate() {
            let r = *rank
                .entry(line.order_id.clone())
                .or_insert_with(|| next(1 << 20));
            keys.push((r, i));
        }
        let mut order: Vec<usize> = (0..self.order_lines.len()).collect();
        order.sort_by_key(|&i| keys[i]);
        self.order_lines = order
            .into_iter()
            .map(|i| self.order_lines[i].clone())
            .collect();
    }
}

fn as_of() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap()
}

/// The report of every section for a few periods, as JSON, with `data_quality.rejected`
/// replaced by a sorted list of (table, id, reason, column) (shuffling renumbers lines).
pub fn reports(d: &Dataset) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for (period, tz) in [
        (Preset::ThisMonth, "+07:00"),
        (Preset::Last90Days, "Europe/Berlin"),
        (Preset::ThisYear, "-03:00"),
    ] {
        let options = ReportOptions::new(as_of()).period(period).time_zone(tz);
        let mut json = serde_json::to_value(crm_metrics::report(d, &options).unwrap()).unwrap();
        let mut rejected: Vec<String> = d
            .quality()
            .rejections()
            .iter()
            .map(|r| format!("{}|{:?}|{}|{:?}", r.table, r.id, r.reason, r.column))
            .collect();
        rejected.sort();
        json["data_quality"]["rejected"] = serde_json::json!(rejected);
        out.push(json);
    }
    out
}

fn customers_by_id(d: &Dataset) -> Vec<Customer> {
    let mut all: Vec<Customer> = d.customer_indices().filter_map(|i| d.customer(i)).collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// SPEC §2: every row read is accepted or rejected, in every table, whatever the mix.
    #[test]
    fn read_is_accepted_plus_rejected(seed in any::<u64>(), customers in 20usize..150, bad in 0.0f64..0.5) {
        let options = SampleOptions::new(customers).seed(seed).bad_rate(bad);
        // Through the builder...
        let d = options.dataset().unwrap();
        for table in Table::ALL {
            let c = d.quality().table(table);
            prop_assert_eq!(c.read, c.accepted + c.rejected, "{}", table);
        }
        let rejected: u64 = Table::ALL.iter().map(|&t| d.quality().table(t).rejected).sum();
        prop_assert_eq!(rejected as usize, d.quality().rejections().len());
        // ...and through CSV files, where values are also corrupted into parse errors.
        let dir = std::env::temp_dir().join(format!("crm-prop-{}-{seed}", std::process::id()));
        let summary = options.write_csv(&dir).unwrap();
        let mut b = DatasetBuilder::new();
        b.read_csv_dir(&dir).unwrap();
        let from_csv = b.build().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        for table in Table::ALL {
            let c = from_csv.quality().table(table);
            prop_assert_eq!(c.read, summary.rows[table as usize], "{}", table);
            prop_assert_eq!(c.read, c.accepted + c.rejected, "{}", table);
        }
    }

    /// On data without duplicate ids, the order of rows changes no metric and only the
    /// order (and line numbers) of `rejected`.
    #[test]
    fn shuffling_rows_changes_nothing(seed in any::<u64>(), shuffle in any::<u64>(), bad in prop_oneof![Just(0.0), 0.0f64..0.2]) {
        let mut rows = SampleOptions::new(80).seed(seed).bad_rate(bad).rows();
        rows.dedupe();
        let original = rows.build();
        rows.shuffle(shuffle);
        let shuffled = rows.build();
        prop_assert_eq!(customers_by_id(&original), customers_by_id(&shuffled));
        prop_assert_eq!(original.order_count(), shuffled.order_count());
        prop_assert_eq!(original.order_line_count(), shuffled.order_line_count());
        prop_assert_eq!(original.interaction_count(), shuffled.interaction_count());
        prop_assert_eq!(reports(&original), reports(&shuffled));
    }

    /// No bytes make loading panic: any file content, for any table.
    #[test]
    fn arbitrary_bytes_never_panic(table in 0usize..9, bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let table = Table::ALL[table];
        let mut b = DatasetBuilder::new();
        if b.read_csv(table, bytes.as_slice(), "fuzz.csv").is_ok() {
            let d = b.build().unwrap();
            let c = d.quality().table(table);
            prop_assert_eq!(c.read, c.accepted + c.rejected);
        }
    }

    /// The same with a valid header, so that the bytes reach the row parsers.
    #[test]
    fn arbitrary_records_never_panic(table in 0usize..9, body in "[ -~\n\r\",é\u{feff}]{0,400}") {
        let table = Table::ALL[table];
        let header = table.header();
        let text = format!("{header}\n{body}");
        let mut b = DatasetBuilder::new();
        b.read_csv(table, text.as_bytes(), "fuzz.csv").unwrap();
        let d = b.build().unwrap();
        let c = d.quality().table(table);
        prop_assert_eq!(c.read, c.accepted + c.rejected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// The report folds the customer-based sections in one pass; that must equal each
    /// section computed alone.
    #[test]
    fn the_fused_report_equals_each_section_alone(seed in any::<u64>(), preset in 0usize..11, tz in prop_oneof![Just("+07:00"), Just("Europe/Berlin")]) {
        let dataset = SampleOptions::new(150).seed(seed).bad_rate(0.05).dataset().unwrap();
        let options = ReportOptions::new(as_of()).period(Preset::ALL[preset]).time_zone(tz);
        let context = options.resolve().unwrap();
        let report = crm_metrics::report(&dataset, &options).unwrap();
        prop_assert_eq!(report.customers, crm_metrics::customers::section(&dataset, &context).unwrap());
        prop_assert_eq!(report.customer_picture, crm_metrics::customer_picture::section(&dataset, &context).unwrap());
        prop_assert_eq!(report.social, crm_metrics::social::section(&dataset, &context).unwrap());
        prop_assert_eq!(report.marketing, crm_metrics::marketing::section(&dataset, &context).unwrap());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    /// The standalone metric functions (some read per-customer totals or time indexes
    /// kept by the dataset instead of folding every row) equal the sections' fields,
    /// including when as_of is early enough that customers have purchases after it.
    #[test]
    fn standalone_metrics_equal_the_sections(
        seed in any::<u64>(),
        preset in 0usize..11,
        tz in prop_oneof![Just("+07:00"), Just("Europe/Berlin"), Just("-03:00")],
        days_back in prop_oneof![Just(0i64), 1i64..400],
        pages in prop_oneof![Just(vec![]), Just(vec!["FP1"]), Just(vec!["FP3", "FP_GONE"])],
    ) {
        use crm_metrics::{customer_picture, customers, social};
        let dataset = SampleOptions::new(200).seed(seed).bad_rate(0.03).dataset().unwrap();
        let as_of = as_of() - chrono::Duration::days(days_back);
        let options = ReportOptions::new(as_of)
            .period(Preset::ALL[preset])
            .time_zone(tz)
            .fanpages(pages);
        let context = options.resolve().unwrap();
        let report = crm_metrics::report(&dataset, &options).unwrap();
        prop_assert_eq!(customers::dormant(&dataset, &context), report.customers.dormant_customers);
        prop_assert_eq!(customers::new_customers_daily(&dataset, &context), report.customers.new_customers_daily);
        prop_assert_eq!(customers::new_customers(&dataset, &context), report.customers.new_customers);
        prop_assert_eq!(customer_picture::visit_groups(&dataset, &context).unwrap(), report.customer_picture.visit_groups);
        prop_assert_eq!(customer_picture::return_cycle(&dataset, &context), report.customer_picture.return_cycle);
        prop_assert_eq!(social::interactions_by_weekday_hour(&dataset, &context), report.social.interactions_by_weekday_hour);
        prop_assert_eq!(social::reach_by_hour(&dataset, &context), report.social.reach_by_hour);
    }
}
