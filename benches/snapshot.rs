//! Snapshot benches, in one run next to the CSV build they replace:
//! `snapshot/save/<customers>` (`Dataset::save` to a file beside the snapshot,
//! `snapshot-<customers>.saved.crmsnap`, removed afterwards),
//! `snapshot/csv_build/<customers>` (a folder of CSV files to a `Dataset`) and
//! `snapshot/open/<customers>` (a snapshot file to a `Dataset`, `Dataset::open`),
//! throughput in bytes of the snapshot and of the CSV folder. 10k and 100k customers,
//! and 1M with `CRM_BENCH_1M=1`. Data is generated once with a fixed seed (seed 1,
//! clean), outside the timed loops; the file sizes are printed on stderr.
//!
//! Both the build and the open read files (from the page cache after the first run),
//! and both are timed up to the moment the `Dataset` is returned: the time to free it
//! afterwards (a fifth of a second at 1M, the same for both) is not part of either, so
//! both use `iter_with_large_drop`. The CSV folders are cached under
//! `target/bench-data/` as for benches/build.rs (or under `$CRM_BENCH_DATA`). The
//! snapshot is written beside them as `snapshot-<customers>.crmsnap` (or under
//! `$CRM_BENCH_SNAPSHOT_DIR`, for a read-only data folder) and removed at the end, and
//! the built dataset is dropped before the build and open loops, so that one process
//! holds at most one extra dataset (about 4 GB at 1M with the build's own peak).
//!
//! With `--features parallel` both the build and the open use two threads (the open
//! reads the file's two halves at once), so the ratio stays like for like.

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crm_metrics::sample::SampleOptions;
use crm_metrics::{Dataset, DatasetBuilder};

fn sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("CRM_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

/// The CSV folder for `customers` (the same cache as `benches/build.rs`) and its size.
fn csv_dir(customers: usize) -> (PathBuf, u64) {
    let data = std::env::var_os("CRM_BENCH_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"),
        PathBuf::from,
    );
    let dir = data.join(format!("csv-{customers}"));
    let done = dir.join(".complete");
    if !done.exists() {
        let summary = SampleOptions::new(customers)
            .seed(1)
            .write_csv(&dir)
            .unwrap();
        std::fs::write(&done, summary.total_bytes().to_string()).unwrap();
    }
    let bytes = std::fs::read_to_string(&done).unwrap().parse().unwrap();
    (dir, bytes)
}

fn build(dir: &PathBuf) -> Dataset {
    let mut builder = DatasetBuilder::new();
    builder.read_csv_dir(dir).unwrap();
    builder.build().unwrap()
}

fn snapshot(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    for customers in sizes() {
        let (dir, csv_bytes) = csv_dir(customers);
        let dataset = build(&dir);
        let path = std::env::var_os("CRM_BENCH_SNAPSHOT_DIR")
            .map_or_else(|| dir.parent().unwrap().to_owned(), PathBuf::from)
            .join(format!("snapshot-{customers}.crmsnap"));
        dataset.save(&path).unwrap();
        let snapshot_bytes = std::fs::metadata(&path).unwrap().len();
        // Assert the answer before timing it.
        let opened = Dataset::open(&path).unwrap();
        assert_eq!(opened.quality(), dataset.quality());
        assert_eq!(opened.order_count(), dataset.order_count());
        drop(opened);
        eprintln!(
            "snapshot/{customers}: CSV folder {csv_bytes} bytes, snapshot {snapshot_bytes} bytes ({:.1} %)",
            snapshot_bytes as f64 * 100.0 / csv_bytes as f64
        );
        group.throughput(Throughput::Bytes(snapshot_bytes));
        // To a file, as a service saves (one pass, the header written last).
        let saved = path.with_extension("saved.crmsnap");
        group.bench_with_input(BenchmarkId::new("save", customers), &dataset, |b, d| {
            b.iter(|| d.save(&saved).unwrap())
        });
        std::fs::remove_file(&saved).ok();
        drop(dataset);
        group.throughput(Throughput::Bytes(csv_bytes));
        group.bench_with_input(BenchmarkId::new("csv_build", customers), &dir, |b, dir| {
            b.iter_with_large_drop(|| build(dir))
        });
        group.throughput(Throughput::Bytes(snapshot_bytes));
        group.bench_with_input(BenchmarkId::new("open", customers), &path, |b, path| {
            b.iter_with_large_drop(|| Dataset::open(path).unwrap())
        });
        std::fs::remove_file(&path).ok();
    }
    group.finish();
}

criterion_group!(benches, snapshot);
criterion_main!(benches);
