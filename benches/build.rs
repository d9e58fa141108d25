//! Dataset build benches: from structs (`build/structs/<customers>`: each row pushed with
//! `push_*`, and `.../batched-<customers>`: the tables pushed with `push_customers`,
//! `push_orders`, … at once) and from a folder of
//! CSV files (`build/csv/<customers>`, throughput in bytes of CSV), on generated data of
//! 10k and 100k customers, and 1M with `CRM_BENCH_1M=1`. Data is generated once, with a
//! fixed seed, outside the timed loop; CSV folders are cached under
//! `target/bench-data/`, or under `$CRM_BENCH_DATA` when set (regenerated when missing).
//!
//! With the `parallel` feature each build is measured on a rayon pool of one thread and
//! of two, in the same run (`build/csv/1-thread/<customers>`, `.../2-threads/...`);
//! without it, on the calling thread only.

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crm_metrics::DatasetBuilder;
use crm_metrics::sample::{CsvSummary, SampleOptions, SampleRows};

fn sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("CRM_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

/// The CSV folder for `customers`, generated once (seed 1).
fn csv_dir(customers: usize) -> (PathBuf, u64) {
    let data = std::env::var_os("CRM_BENCH_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"),
        PathBuf::from,
    );
    let dir = data.join(format!("csv-{customers}"));
    let done = dir.join(".complete");
    if !done.exists() {
        let summary: CsvSummary = SampleOptions::new(customers)
            .seed(1)
            .write_csv(&dir)
            .unwrap();
        std::fs::write(&done, summary.total_bytes().to_string()).unwrap();
    }
    let bytes = std::fs::read_to_string(&done).unwrap().parse().unwrap();
    (dir, bytes)
}

/// The pools to measure on: (name, threads), `None` for the calling thread.
fn pools() -> Vec<(&'static str, Option<usize>)> {
    if cfg!(feature = "parallel") {
        vec![("1-thread", Some(1)), ("2-threads", Some(2))]
    } else {
        vec![("sequential", None)]
    }
}

/// Runs `f` on a rayon pool of `threads` threads (or here without `parallel`).
fn on_pool<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> T {
    #[cfg(feature = "parallel")]
    if let Some(threads) = threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        return pool.install(f);
    }
    let _ = threads;
    f()
}

fn from_structs(c: &mut Criterion) {
    let mut group = c.benchmark_group("build/structs");
    group.sample_size(10);
    for customers in sizes() {
        let rows = SampleOptions::new(customers).seed(1).rows();
        // Assert the answer before timing it.
        assert_eq!(rows.builder().build().unwrap().customer_count(), customers);
        group.throughput(Throughput::Elements(rows.len() as u64));
        for (name, threads) in pools() {
            group.bench_with_input(BenchmarkId::new(name, customers), &rows, |b, rows| {
                on_pool(threads, || b.iter(|| rows.builder().build().unwrap()))
            });
            group.bench_with_input(
                BenchmarkId::new(name, format!("batched-{customers}")),
                &rows,
                |b, rows| on_pool(threads, || b.iter(|| batched(rows).build().unwrap())),
            );
        }
    }
    group.finish();
}

/// A builder holding every row, the large tables pushed at once.
fn batched(rows: &SampleRows) -> DatasetBuilder {
    let mut b = DatasetBuilder::new();
    b.push_customers(&rows.customers);
    b.push_orders(&rows.orders);
    b.push_order_lines(&rows.order_lines);
    b.push_deals(&rows.deals);
    rows.costs.iter().for_each(|r| b.push_cost(r));
    b.push_interactions(&rows.interactions);
    rows.campaigns.iter().for_each(|r| b.push_campaign(r));
    rows.staff.iter().for_each(|r| b.push_staff(r));
    rows.fanpages.iter().for_each(|r| b.push_fanpage(r));
    b
}

fn from_csv(c: &mut Criterion) {
    let mut group = c.benchmark_group("build/csv");
    group.sample_size(10);
    for customers in sizes() {
        let (dir, bytes) = csv_dir(customers);
        let load = || {
            let mut builder = DatasetBuilder::new();
            builder.read_csv_dir(&dir).unwrap();
            builder.build().unwrap()
        };
        assert_eq!(load().customer_count(), customers);
        group.throughput(Throughput::Bytes(bytes));
        for (name, threads) in pools() {
            group.bench_function(BenchmarkId::new(name, customers), |b| {
                on_pool(threads, || b.iter(load))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, from_structs, from_csv);
criterion_main!(benches);
