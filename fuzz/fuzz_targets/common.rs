//! Shared by the targets: the checks every loaded dataset must pass, and a report over it.
#![allow(dead_code)] // each target uses a part of this module

use chrono::{DateTime, Utc};
use std::sync::OnceLock;

use crm_metrics::calendar::{BusinessCalendar, Preset};
use crm_metrics::{Dataset, Error, ReportOptions, Table};

/// `read = accepted + rejected` for every table, and the rejections are all listed.
pub fn check_quality(dataset: &Dataset) {
    let quality = dataset.quality();
    let mut rejected = 0;
    for table in Table::ALL {
        let c = quality.table(table);
        assert_eq!(c.read, c.accepted + c.rejected, "{table}");
        rejected += c.rejected;
    }
    assert_eq!(rejected as usize, quality.rejections().len());
    assert_eq!(
        quality.table(Table::Customers).accepted as usize,
        dataset.customer_count()
    );
    assert_eq!(
        quality.table(Table::Orders).accepted as usize,
        dataset.order_count()
    );
    assert_eq!(
        quality.table(Table::OrderLines).accepted as usize,
        dataset.order_line_count()
    );
    assert_eq!(
        quality.table(Table::Deals).accepted as usize,
        dataset.deal_count()
    );
    assert_eq!(
        quality.table(Table::Costs).accepted as usize,
        dataset.cost_count()
    );
    assert_eq!(
        quality.table(Table::Interactions).accepted as usize,
        dataset.interaction_count()
    );
}

/// A report must be computed or fail with an error a caller can act on; never panic.
pub fn check_report(dataset: &Dataset, options: &ReportOptions) {
    match crm_metrics::report(dataset, options) {
        Ok(report) => {
            serde_json::to_string(&report).expect("a report serializes");
        }
        Err(
            Error::Overflow { .. }
            | Error::CountOverflow { .. }
            | Error::UnknownCustomer { .. }
            | Error::DateOutOfRange { .. }
            | Error::InvalidSpendLevels { .. }
            | Error::InvalidPeriod { .. }
            | Error::InvalidArgument(_),
        ) => {}
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// A parsed zone, cached: an IANA calendar builds its offset table once, on first use,
/// and clones share it (parsing per input would rebuild it every time).
pub fn calendar(zone: &str) -> BusinessCalendar {
    static CACHE: OnceLock<std::sync::Mutex<Vec<BusinessCalendar>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    if let Some(found) = cache.iter().find(|c| c.name() == zone) {
        return found.clone();
    }
    let parsed: BusinessCalendar = zone.parse().unwrap();
    cache.push(parsed.clone());
    parsed
}

/// Reports over `dataset` with a few fixed option sets (and the first customer's profile).
pub fn reports(dataset: &Dataset, selector: u8) {
    let as_of: DateTime<Utc> = DateTime::from_timestamp(1_794_711_600, 0).unwrap(); // 2026-11-15T03:00:00Z
    let (tz, preset) = match selector % 4 {
        0 => ("+07:00", Preset::ThisMonth),
        1 => ("Europe/Berlin", Preset::Last90Days),
        2 => ("-03:00", Preset::ThisYear),
        _ => ("America/New_York", Preset::LastWeek),
    };
    let mut options = ReportOptions::new(as_of)
        .time_zone(calendar(tz))
        .period(preset);
    if let Some(first) = dataset
        .customer_indices()
        .next()
        .and_then(|i| dataset.customer(i))
    {
        options = options.customer(first.id);
    }
    check_report(dataset, &options);
}
