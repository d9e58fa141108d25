//! Snapshot benches, in one run next to the CSV build they replace:
//! `snapshot/csv_build/<customers>` (a folder of CSV files to a `Dataset`),
//! `snapshot/save/<customers>` (a `Dataset` to snapshot bytes in memory) and
//! `snapshot/open/<customers>` (snapshot bytes to a `Dataset`), throughput in bytes of
//! the CSV folder and of the snapshot. 10k and 100k customers, and 1M with
//! `CRM_BENCH_1M=1`. Data is generated once with a fixed seed (seed 1, clean), outside
//! the timed loops; the file sizes are printed on stderr.

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
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-data/csv-{customers}"));
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
        let mut bytes = Vec::new();
        dataset.write_snapshot(&mut bytes).unwrap();
        // Assert the answer before timing it.
        let opened = Dataset::read_snapshot(bytes.as_slice()).unwrap();
        assert_eq!(opened.quality(), dataset.quality());
        assert_eq!(opened.order_count(), dataset.order_count());
        eprintln!(
            "snapshot/{customers}: CSV folder {csv_bytes} bytes, snapshot {} bytes ({:.1} %)",
            bytes.len(),
            bytes.len() as f64 * 100.0 / csv_bytes as f64
        );
        group.throughput(Throughput::Bytes(csv_bytes));
        group.bench_with_input(BenchmarkId::new("csv_build", customers), &dir, |b, dir| {
            b.iter(|| build(dir))
        });
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("save", customers), &dataset, |b, d| {
            b.iter(|| {
                let mut out = Vec::with_capacity(bytes.len());
                d.write_snapshot(&mut out).unwrap();
                out
            })
        });
        group.bench_with_input(BenchmarkId::new("open", customers), &bytes, |b, bytes| {
            b.iter(|| Dataset::read_snapshot(bytes.as_slice()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, snapshot);
criterion_main!(benches);
