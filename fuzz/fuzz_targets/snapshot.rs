//! Any bytes read as a snapshot: a typed error or a dataset, never a panic; a dataset
//! that opens gives a report or a typed error. The first byte chooses the mode: even,
//! the bytes as they are (the checksums reject almost everything); odd, the bytes after
//! it are appended to a prefix of a real snapshot of a small sample, so that the header
//! and section-table parsing is reached with a valid magic and version.
#![no_main]

use chrono::{TimeZone, Utc};
use crm_metrics::{Dataset, ReportOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes: Vec<u8> = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut real = Vec::new();
        crm_metrics::sample::SampleOptions::new(5)
            .seed(1)
            .dataset()
            .unwrap()
            .write_snapshot(&mut real)
            .unwrap();
        let keep = usize::from(mode) * 8 % real.len();
        real.truncate(keep);
        real.extend_from_slice(rest);
        real
    };
    if let Ok(dataset) = Dataset::read_snapshot(bytes.as_slice()) {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
        let _ = crm_metrics::report(&dataset, &ReportOptions::new(as_of));
    }
});
