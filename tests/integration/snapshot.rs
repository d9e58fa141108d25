//! Snapshots: `Dataset::save` then `Dataset::open` gives the same reports and the same
//! data quality, and a truncated, damaged, foreign or other-version file is a typed
//! error, never a panic.

use chrono::{TimeZone, Utc};
use crm_metrics::calendar::{Compare, Preset};
use crm_metrics::dataset::snapshot::{MAGIC, VERSION};
use crm_metrics::sample::SampleOptions;
use crm_metrics::{Dataset, Error, ReportOptions};
use proptest::prelude::*;

use crate::fixtures::{case_tz, cases, dataset_in, options};

fn bytes_of(dataset: &Dataset) -> Vec<u8> {
    let mut bytes = Vec::new();
    dataset.write_snapshot(&mut bytes).unwrap();
    bytes
}

fn reopen(dataset: &Dataset) -> Dataset {
    Dataset::read_snapshot(bytes_of(dataset).as_slice()).unwrap()
}

fn report_json(dataset: &Dataset, options: &ReportOptions) -> serde_json::Value {
    serde_json::to_value(crm_metrics::report(dataset, options).unwrap()).unwrap()
}

/// Every fixture case (all sections, each case's options), with the fixture's rejected
/// rows: the reopened dataset gives the very same JSON report and data quality.
#[test]
fn every_fixture_case_gives_the_same_report_after_reopening() {
    let dir = crate::fixtures::fixture_dir();
    let cases_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let count = cases().len();
    assert!(count > 0);
    for case in cases_json.as_array().unwrap() {
        let args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let built = dataset_in(case_tz(&args));
        let opened = reopen(built);
        assert_eq!(opened.quality(), built.quality());
        assert!(!built.quality().is_clean(), "the fixture has rejected rows");
        let options = options(&args);
        assert_eq!(
            report_json(&opened, &options),
            report_json(built, &options),
            "case {}",
            case["name"]
        );
    }
}

#[test]
fn save_and_open_a_file() {
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let built = SampleOptions::new(300)
        .seed(3)
        .as_of(as_of)
        .bad_rate(0.05)
        .dataset()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("crm-snapshot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data.crmsnap");
    built.save(&path).unwrap();
    let opened = Dataset::open(&path).unwrap();
    let options = ReportOptions::new(as_of).period(Preset::LastMonth);
    assert_eq!(
        report_json(&opened, &options),
        report_json(&built, &options)
    );
    assert_eq!(opened.quality(), built.quality());
    // Saving the reopened dataset writes the same bytes.
    assert_eq!(bytes_of(&opened), std::fs::read(&path).unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

/// A writer that takes `room` bytes, then fails (a full disk, a closed socket); it
/// records the largest write it was asked for.
struct FailingAfter {
    room: usize,
    written: std::io::Cursor<Vec<u8>>,
    largest: usize,
}

impl FailingAfter {
    fn new(room: usize) -> FailingAfter {
        FailingAfter {
            room,
            written: std::io::Cursor::new(Vec::new()),
            largest: 0,
        }
    }
}

impl std::io::Write for FailingAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        if self.room == 0 {
            return Err(std::io::Error::other("no space left"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        self.written.write(&buf[..n])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for FailingAfter {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.written.seek(to)
    }
}

/// Sections larger than the quarter-megabyte buffer they stream through on the way
/// out: both ways of writing give the same bytes, which open to the same dataset; a
/// writer that fails anywhere (in the header, in a section, at its last byte) is a
/// `Write` error from either way, never a panic, and what the seekable way leaves behind
/// opens as "not a snapshot".
#[test]
fn sections_stream_out_in_pieces_and_a_failing_writer_is_an_error() {
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let built = SampleOptions::new(8_000)
        .seed(5)
        .as_of(as_of)
        .dataset()
        .unwrap();
    let once = bytes_of(&built);
    assert!(once.len() > 4 << 20, "several chunks: {}", once.len());
    let mut seekable = std::io::Cursor::new(Vec::new());
    built.write_snapshot_seekable(&mut seekable).unwrap();
    assert!(seekable.get_ref() == &once);
    assert_eq!(seekable.position(), once.len() as u64);
    let options = ReportOptions::new(as_of).period(Preset::LastMonth);
    assert_eq!(
        report_json(&Dataset::read_snapshot(once.as_slice()).unwrap(), &options),
        report_json(&built, &options)
    );
    for room in [0, 7, 500, 300_000, once.len() / 2, once.len() - 1] {
        let failing = || FailingAfter::new(room);
        let mut writer = failing();
        assert!(
            matches!(built.write_snapshot(&mut writer), Err(Error::Write { .. })),
            "room {room}"
        );
        let mut writer = failing();
        assert!(
            matches!(
                built.write_snapshot_seekable(&mut writer),
                Err(Error::Write { .. })
            ),
            "room {room}"
        );
        // The header is written last: what a save stopped before it leaves is not a
        // snapshot.
        assert!(
            matches!(
                Dataset::read_snapshot(writer.written.get_ref().as_slice()),
                Err(Error::NotASnapshot { .. })
            ),
            "room {room}"
        );
    }
    // Stopped while the header is written over the blank one: still an error.
    let mut writer = FailingAfter::new(once.len() + 10);
    assert!(built.write_snapshot_seekable(&mut writer).is_err());
    assert!(Dataset::read_snapshot(writer.written.get_ref().as_slice()).is_err());
    // Both ways stream: no write is much over the 256 KiB buffer, in a file of MBs.
    let mut exact = FailingAfter::new(once.len());
    built.write_snapshot(&mut exact).unwrap();
    assert!(exact.written.get_ref() == &once);
    let mut seekable = FailingAfter::new(2 * once.len());
    built.write_snapshot_seekable(&mut seekable).unwrap();
    for largest in [exact.largest, seekable.largest] {
        assert!(largest <= (256 << 10) + 64, "{largest}");
    }
}

/// A file written by the first writer of format 4 (`tests/fixtures/snapshot-v4.crmsnap`,
/// see the README there) opens to the dataset it was saved from, and today's writer
/// writes the very same bytes: the format has not changed under its version number.
#[test]
fn a_format_4_file_of_an_earlier_writer_opens_and_is_written_again_byte_for_byte() {
    let stored = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshot-v4.crmsnap"),
    )
    .unwrap();
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let built = SampleOptions::new(30)
        .seed(11)
        .as_of(as_of)
        .history_days(120)
        .bad_rate(0.1)
        .dataset()
        .unwrap();
    assert!(!built.quality().is_clean());
    let opened = Dataset::read_snapshot(stored.as_slice()).unwrap();
    assert_eq!(opened.quality(), built.quality());
    let options = ReportOptions::new(as_of).period(Preset::LastMonth);
    assert_eq!(
        report_json(&opened, &options),
        report_json(&built, &options)
    );
    assert!(bytes_of(&built) == stored, "the writer's bytes changed");
    let mut seekable = std::io::Cursor::new(Vec::new());
    opened.write_snapshot_seekable(&mut seekable).unwrap();
    assert!(seekable.into_inner() == stored);
}

/// Every way the crate writes files names a failure as a write, with the path: a
/// snapshot, the generated sample's CSV folder, the RFM export.
#[test]
fn failed_writes_are_write_errors_naming_the_path() {
    let dir = std::env::temp_dir().join(format!("crm-write-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    let sample = SampleOptions::new(20).seed(2).as_of(as_of);
    let dataset = sample.dataset().unwrap();
    let under_a_file = blocker.join("x.crmsnap");
    let err = dataset.save(&under_a_file).unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    assert!(err.to_string().starts_with("writing "), "{err}");
    assert!(err.to_string().contains("x.crmsnap"), "{err}");
    let err = sample.write_csv(blocker.join("csv")).unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    let rows = crm_metrics::rfm::summary(&dataset, &ReportOptions::new(as_of)).unwrap();
    let err = crm_metrics::rfm::write_csv(&rows, FailingAfter::new(0), "rfm.csv").unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    assert!(err.to_string().starts_with("writing rfm.csv: "), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

fn option_sets(as_of: chrono::DateTime<Utc>) -> Vec<ReportOptions> {
    vec![
        ReportOptions::new(as_of),
        ReportOptions::new(as_of)
            .time_zone("Europe/Berlin")
            .period(Preset::Last30Days)
            .compare(Compare::YearAgo),
        ReportOptions::new(as_of)
            .period(Preset::ThisYear)
            .sources(vec!["facebook_ads".to_owned()])
            .fanpages(vec!["FP1".to_owned()]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Generated datasets (some with bad rows): same report under several option sets,
    /// same data quality, and the same bytes when saved again.
    #[test]
    fn generated_datasets_round_trip(
        customers in 0usize..150,
        seed in any::<u64>(),
        bad in prop::sample::select(vec![0.0, 0.02, 0.2]),
    ) {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
        let built = SampleOptions::new(customers).seed(seed).as_of(as_of).bad_rate(bad).dataset().unwrap();
        let bytes = bytes_of(&built);
        let opened = Dataset::read_snapshot(bytes.as_slice()).unwrap();
        prop_assert_eq!(opened.quality(), built.quality());
        prop_assert_eq!(opened.customer_count(), built.customer_count());
        for options in option_sets(as_of) {
            prop_assert_eq!(report_json(&opened, &options), report_json(&built, &options));
        }
        prop_assert_eq!(bytes_of(&opened), bytes);
    }

    /// Any byte of a real snapshot changed, or the file cut anywhere: a typed error,
    /// never a panic and never a dataset.
    #[test]
    fn flipped_or_truncated_snapshots_are_errors(
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = small_snapshot();
        let i = at.index(bytes.len());
        let mut damaged = bytes.to_vec();
        damaged[i] ^= flip;
        let result = Dataset::read_snapshot(damaged.as_slice());
        prop_assert!(matches!(
            result,
            Err(Error::SnapshotCorrupt { .. } | Error::NotASnapshot { .. } | Error::SnapshotVersion { .. } | Error::SnapshotTruncated { .. })
        ), "byte {} ^ {}: {:?}", i, flip, result.map(|_| ()));
        let n = cut.index(bytes.len());
        let result = Dataset::read_snapshot(&bytes[..n]);
        prop_assert!(matches!(
            result,
            Err(Error::SnapshotTruncated { .. } | Error::NotASnapshot { .. })
        ), "cut at {}: {:?}", n, result.map(|_| ()));
    }
}

/// A snapshot of a small sample with bad rows, made once.
fn small_snapshot() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let built = SampleOptions::new(40)
            .seed(9)
            .bad_rate(0.1)
            .dataset()
            .unwrap();
        bytes_of(&built)
    })
}

#[test]
fn every_single_byte_flip_and_every_cut_of_a_tiny_snapshot_is_an_error() {
    use crm_metrics::model::{Customer, Order, OrderStatus, Source, Staff};
    use rust_decimal::Decimal;
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
    let mut builder = crm_metrics::DatasetBuilder::new();
    builder.push_customer(&Customer::new("KH1", at, Source::Manual));
    builder.push_customer(&Customer::new("KH2", at, Source::Pos));
    let order = |id, total| Order::new(id, "KH1", at, OrderStatus::Completed, Decimal::from(total));
    builder.push_order(&order("DH1", 90_000).staff_id("NV9"));
    builder.push_order(&order("DH2", -5)); // rejected, column total
    builder.push_staff(&Staff::new("NV1", "Lan"));
    let built = builder.build().unwrap();
    assert_eq!(built.quality().rejections().len(), 1);
    let bytes = bytes_of(&built);
    assert!(bytes.len() < 4096, "{}", bytes.len());
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 0x01;
        assert!(
            Dataset::read_snapshot(damaged.as_slice()).is_err(),
            "byte {i} flipped was read as a dataset"
        );
    }
    for n in 0..bytes.len() {
        match Dataset::read_snapshot(&bytes[..n]) {
            Err(Error::SnapshotTruncated { .. } | Error::NotASnapshot { .. }) => {}
            other => panic!("cut at {n}: {:?}", other.map(|_| ())),
        }
    }
    // One byte too many is damage too.
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Dataset::read_snapshot(longer.as_slice()),
        Err(Error::SnapshotCorrupt {
            section: "header",
            ..
        })
    ));
}

#[test]
fn foreign_files_are_not_snapshots() {
    let csv = b"id,created_at,source\nKH1,2026-11-01T10:00:00+07:00,pos\n".as_slice();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice();
    for foreign in [csv, png, b"".as_slice(), &MAGIC[..3]] {
        assert!(
            matches!(
                Dataset::read_snapshot(foreign),
                Err(Error::NotASnapshot { .. })
            ),
            "{foreign:?}"
        );
    }
    let error = Dataset::read_snapshot(csv).unwrap_err();
    assert_eq!(
        error.to_string(),
        "snapshot: not a crm-metrics snapshot (it does not start with the snapshot magic bytes)"
    );
    // A folder is refused before reading.
    assert!(matches!(
        Dataset::open(std::env::temp_dir()),
        Err(Error::NotARegularFile { .. })
    ));
}

#[test]
fn another_version_is_named() {
    let mut bytes = small_snapshot().to_vec();
    bytes[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
    let error = Dataset::read_snapshot(bytes.as_slice()).unwrap_err();
    assert!(
        matches!(error, Error::SnapshotVersion { found, supported, .. } if found == VERSION + 1 && supported == VERSION)
    );
    assert!(
        error
            .to_string()
            .contains(&format!("format version {}", VERSION + 1)),
        "{error}"
    );
    // Files of the earlier formats (24-byte inbound entries; the sections in another
    // order) are refused, not misread.
    for old in 1..VERSION {
        bytes[8..12].copy_from_slice(&old.to_le_bytes());
        let error = Dataset::read_snapshot(bytes.as_slice()).unwrap_err();
        assert!(
            matches!(
                error,
                Error::SnapshotVersion { found, supported, .. } if found == old && supported == VERSION
            ),
            "{error}"
        );
    }
}

#[test]
fn a_damaged_section_is_named() {
    let mut bytes = small_snapshot().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    let error = Dataset::read_snapshot(bytes.as_slice()).unwrap_err();
    match &error {
        Error::SnapshotCorrupt { section, .. } => assert_ne!(*section, "header"),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("checksum mismatch"), "{error}");
}

/// The same damage found through a file (`Dataset::open`, which reads the two halves of
/// a file on two threads with the `parallel` feature): byte flips across the whole
/// file, cuts and an extra byte are typed errors, and the intact file opens to the same
/// bytes.
#[test]
fn damaged_files_are_errors_through_open() {
    let bytes = small_snapshot();
    let dir = std::env::temp_dir().join(format!("crm-snapshot-damage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("damaged.crmsnap");
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(bytes_of(&Dataset::open(&path).unwrap()), bytes);
    let step = (bytes.len() / 97).max(1);
    for i in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        let mut damaged = bytes.to_vec();
        damaged[i] ^= 0x40;
        std::fs::write(&path, &damaged).unwrap();
        let result = Dataset::open(&path);
        assert!(
            matches!(
                result,
                Err(Error::SnapshotCorrupt { .. }
                    | Error::NotASnapshot { .. }
                    | Error::SnapshotVersion { .. }
                    | Error::SnapshotTruncated { .. })
            ),
            "byte {i}: {:?}",
            result.map(|_| ())
        );
    }
    for n in [0, 5, 30, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..n]).unwrap();
        let result = Dataset::open(&path);
        assert!(
            matches!(
                result,
                Err(Error::SnapshotTruncated { .. } | Error::NotASnapshot { .. })
            ),
            "cut at {n}: {:?}",
            result.map(|_| ())
        );
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    std::fs::write(&path, &longer).unwrap();
    assert!(matches!(
        Dataset::open(&path),
        Err(Error::SnapshotCorrupt {
            section: "header",
            ..
        })
    ));
    std::fs::remove_dir_all(&dir).ok();
}
