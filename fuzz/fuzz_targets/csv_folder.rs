//! Arbitrary bytes as a whole folder: the input is split at 0x1E bytes into up to nine
//! files (customers.csv, orders.csv, ... in SPEC §2's order; a missing part is a missing
//! file, and a part starting with 0x1F is the file with SPEC §2's header put in front),
//! written to a temporary folder and read with `read_csv_dir`, then built leniently and
//! strictly and reported on. Strict mode fails exactly on the first lenient rejection.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use crm_metrics::{DatasetBuilder, Error, Table};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("crm-fuzz-folder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = dir();
    let mut parts = data.split(|&b| b == 0x1E);
    for table in Table::ALL {
        let path = dir.join(format!("{table}.csv"));
        match parts.next() {
            Some(part) => {
                let mut file = Vec::new();
                let body = match part.split_first() {
                    Some((0x1F, rest)) => {
                        file.extend_from_slice(table.header().as_bytes());
                        file.push(b'\n');
                        rest
                    }
                    _ => part,
                };
                file.extend_from_slice(body);
                std::fs::write(&path, &file).unwrap();
            }
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let mut builder = DatasetBuilder::new();
    match builder.read_csv_dir(dir) {
        Ok(()) => {}
        Err(
            Error::MissingFile { .. }
            | Error::MissingColumn { .. }
            | Error::DuplicateColumn { .. }
            | Error::InputTooLarge { .. },
        ) => {
            return;
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
    let strict = builder.clone().strict(true).build();
    let dataset = builder
        .build()
        .expect("a lenient build never fails on rows");
    common::check_quality(&dataset);
    match (strict, dataset.quality().rejections().first()) {
        (Ok(_), None) => {}
        (Err(Error::Rejected(r)), Some(first)) => {
            assert_eq!(&*r, first);
            assert!(r.line >= 2, "a row is never on the header's line");
        }
        (other, first) => panic!("strict {other:?} but first rejection {first:?}"),
    }
    common::reports(&dataset, data.len() as u8);
});
