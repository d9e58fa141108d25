//! Arbitrary bytes as one table's CSV file. The first byte picks the table (and whether
//! SPEC §2's header is put in front, so that the bytes reach the row parsers); the rest is
//! the file. Loading never panics; a loaded table keeps `read = accepted + rejected`.
#![no_main]

use crm_metrics::{DatasetBuilder, Error, Table};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let table = Table::ALL[usize::from(selector % 9)];
    let mut file = Vec::with_capacity(body.len() + 120);
    if selector & 0x10 != 0 {
        file.extend_from_slice(table.header().as_bytes());
        file.push(b'\n');
    }
    file.extend_from_slice(body);
    let strict = selector & 0x20 != 0;
    let mut builder = DatasetBuilder::new().strict(strict);
    match builder.read_csv(table, file.as_slice(), format!("{table}.csv")) {
        Ok(()) => {}
        // A header past the record limit (16 MiB) only with -max_len beyond it.
        Err(
            Error::MissingColumn { .. }
            | Error::DuplicateColumn { .. }
            | Error::InputTooLarge { .. },
        ) => return,
        Err(e) => panic!("unexpected error: {e}"),
    }
    match builder.build() {
        Ok(dataset) => {
            common::check_quality(&dataset);
            if strict {
                assert!(dataset.quality().is_clean());
            }
            common::reports(&dataset, selector >> 6);
        }
        Err(Error::Rejected(r)) => {
            assert!(strict);
            assert_eq!(r.table, table);
            assert!(r.line >= 2, "a row is never on the header's line");
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
});
