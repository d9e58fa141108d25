//! Building a dataset from typed Parquet against building it from the same data as CSV
//! (`parquet/csv/<customers>` and `parquet/typed/<customers>`, same run), on generated
//! data of 100k customers, and 1M with `CRM_BENCH_1M=1`. Reading alone, without the
//! build's validation and indexing, is measured too (`parquet/csv-read/<customers>`,
//! `parquet/typed-read/<customers>`): the rest of a build is the same for both. The CSV
//! folders are cached under `target/bench-data/` as for benches/build.rs (or under
//! `$CRM_BENCH_DATA`); the Parquet folders are converted from them once
//! (`parquet_write::write_parquet_dir`, typed columns).

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use crm_metrics::DatasetBuilder;
use crm_metrics::calendar::BusinessCalendar;
use crm_metrics::io::parquet_write::{Columns, Rows, write_parquet_dir};
use crm_metrics::sample::SampleOptions;

fn sizes() -> Vec<usize> {
    let mut sizes = vec![100_000];
    if std::env::var_os("CRM_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

/// The CSV folder for `customers` (seed 1) and its typed Parquet copy, made once.
fn dirs(customers: usize) -> (PathBuf, PathBuf) {
    let data = std::env::var_os("CRM_BENCH_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"),
        PathBuf::from,
    );
    let csv = data.join(format!("csv-{customers}"));
    let done = csv.join(".complete");
    if !done.exists() {
        let summary = SampleOptions::new(customers)
            .seed(1)
            .write_csv(&csv)
            .unwrap();
        std::fs::write(&done, summary.total_bytes().to_string()).unwrap();
    }
    let parquet = data.join(format!("parquet-typed-{customers}"));
    let done = parquet.join(".complete");
    if !done.exists() {
        let zone = BusinessCalendar::default();
        write_parquet_dir(&csv, &parquet, &zone, Rows::All, Columns::Typed).unwrap();
        std::fs::write(&done, "").unwrap();
    }
    // Which columns the conversion typed (a column with a value that does not fit its
    // type stays text, so that it reads to the CSV's rejections).
    let mut text = Vec::new();
    for table in crm_metrics::Table::ALL {
        let Ok(file) = std::fs::File::open(parquet.join(format!("{}.parquet", table.name())))
        else {
            continue;
        };
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        for field in reader.schema().fields() {
            if field.data_type() == &arrow_schema::DataType::Utf8 {
                text.push(format!("{}.{}", table.name(), field.name()));
            }
        }
    }
    eprintln!("{customers} customers, Utf8 columns: {}", text.join(" "));
    (csv, parquet)
}

/// Decodes every Parquet file of `dir` as `read_parquet_dir` does (`BATCH_ROWS`-row batches of
/// every column), keeping nothing: the Parquet side of a typed read. Rows decoded.
fn decode_only(dir: &std::path::Path) -> usize {
    let mut rows = 0;
    for table in crm_metrics::Table::ALL {
        let Ok(file) = std::fs::File::open(dir.join(format!("{}.parquet", table.name()))) else {
            continue;
        };
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .with_batch_size(crm_metrics::io::parquet::BATCH_ROWS)
            .build()
            .unwrap();
        for batch in reader {
            rows += batch.unwrap().num_rows();
        }
    }
    rows
}

/// Every batch `read_parquet_dir` would push, decoded the same way, in memory.
fn decoded(dir: &std::path::Path) -> Vec<(crm_metrics::Table, arrow_array::RecordBatch)> {
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    let mut batches = Vec::new();
    for table in crm_metrics::Table::ALL {
        let Ok(file) = std::fs::File::open(dir.join(format!("{}.parquet", table.name()))) else {
            continue;
        };
        // Strings as views, as read_parquet_dir reads them.
        let plain = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).unwrap();
        let fields: Vec<arrow_schema::Field> = plain
            .schema()
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                arrow_schema::DataType::Utf8 => f
                    .as_ref()
                    .clone()
                    .with_data_type(arrow_schema::DataType::Utf8View),
                _ => f.as_ref().clone(),
            })
            .collect();
        let options = ArrowReaderOptions::new()
            .with_schema(std::sync::Arc::new(arrow_schema::Schema::new(fields)));
        let metadata = ArrowReaderMetadata::try_new(plain.metadata().clone(), options).unwrap();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::new_with_metadata(
                file, metadata,
            )
            .with_batch_size(crm_metrics::io::parquet::BATCH_ROWS)
            .build()
            .unwrap();
        for batch in reader {
            batches.push((table, batch.unwrap()));
        }
    }
    batches
}

fn csv_against_parquet(c: &mut Criterion) {
    let mut group = c.benchmark_group("parquet");
    group.sample_size(10);
    // Ten runs per arm: a build at 1M customers takes seconds, and the default linear
    // sampling would run 55.
    group.sampling_mode(SamplingMode::Flat);
    for customers in sizes() {
        let (csv, parquet) = dirs(customers);
        let from_csv = || {
            let mut builder = DatasetBuilder::new();
            builder.read_csv_dir(&csv).unwrap();
            builder.build().unwrap()
        };
        let from_parquet = || {
            let mut builder = DatasetBuilder::new();
            builder.read_parquet_dir(&parquet).unwrap();
            builder.build().unwrap()
        };
        // The same dataset either way, before anything is timed.
        let (a, b) = (from_csv(), from_parquet());
        assert_eq!(a.customer_count(), customers);
        for table in crm_metrics::Table::ALL {
            assert_eq!(a.quality().table(table), b.quality().table(table));
        }
        assert_eq!(a.order_count(), b.order_count());
        assert_eq!(a.interaction_count(), b.interaction_count());
        drop((a, b));
        group.bench_function(BenchmarkId::new("csv", customers), |bench| {
            bench.iter(from_csv)
        });
        group.bench_function(BenchmarkId::new("typed", customers), |bench| {
            bench.iter(from_parquet)
        });
        group.bench_function(BenchmarkId::new("typed-decode", customers), |bench| {
            bench.iter(|| decode_only(&parquet))
        });
        if customers <= 100_000 {
            // The batches decoded beforehand (all in memory): only pushing them is timed.
            let batches = decoded(&parquet);
            group.bench_function(BenchmarkId::new("typed-push", customers), |bench| {
                bench.iter(|| {
                    let mut builder = DatasetBuilder::new();
                    for (table, batch) in &batches {
                        builder.push_batch(*table, batch).unwrap();
                    }
                    builder
                })
            });
        }
        group.bench_function(BenchmarkId::new("csv-read", customers), |bench| {
            bench.iter(|| {
                let mut builder = DatasetBuilder::new();
                builder.read_csv_dir(&csv).unwrap();
                builder
            })
        });
        group.bench_function(BenchmarkId::new("typed-read", customers), |bench| {
            bench.iter(|| {
                let mut builder = DatasetBuilder::new();
                builder.read_parquet_dir(&parquet).unwrap();
                builder
            })
        });
    }
    group.finish();
}

criterion_group!(benches, csv_against_parquet);
criterion_main!(benches);
