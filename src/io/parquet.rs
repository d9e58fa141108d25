//! A folder of Parquet files into a [`DatasetBuilder`] (feature `parquet`).
//!
//! One file per table, `<table>.parquet` (`customers.parquet`, `orders.parquet`, …);
//! optional tables may be missing, as for CSV. Each file is streamed as record batches
//! of at most [`BATCH_ROWS`] rows, reading only the columns of the table (a projection),
//! and each batch is pushed with [`DatasetBuilder::push_batch`]: the columns, types and
//! value grammar are those of Arrow input (`crm_metrics::io::arrow`). Memory stays
//! bounded by one batch per file being read plus the rows kept. With the `parallel`
//! feature the files are read concurrently (largest first, one per worker), as CSV
//! files are; each table is staged on its own, so the result is the same.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use parquet::arrow::ProjectionMask;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};

use crate::calendar::BusinessCalendar;
use crate::dataset::DatasetBuilder;
use crate::error::{Error, InputKind, Result, Table};
use crate::io::arrow::{map_schema, push_batch_into};
use crate::io::csv::Slot;

/// Rows per record batch read from a Parquet file. The decoder's buffers for a batch
/// are freed before the next one; the smaller they are, the less they scatter free
/// space through the allocator's heap among the staged rows that stay. At 1M customers
/// (dashboard, full report, one core) 8,192 rows peaked 1 to 6 MB lower than 65,536
/// in same-run pairs, and the build was as fast within the noise of a shared machine
/// (a batch of the widest table, interactions, is about 1.3 MB).
pub const BATCH_ROWS: usize = 8_192;

/// `<dir>/<table>.parquet`.
pub fn table_path(dir: &Path, table: Table) -> PathBuf {
    dir.join(format!("{}.parquet", table.name()))
}

/// Whether `dir` holds Parquet input: `customers.parquet` is there and `customers.csv`
/// is not.
pub fn is_parquet_dir(dir: &Path) -> bool {
    table_path(dir, Table::Customers).is_file() && !dir.join("customers.csv").exists()
}

/// The file's metadata with its Utf8 columns read as Utf8View: the strings then stay in
/// the decoded pages instead of being copied into one buffer per batch (the rows read
/// them once, borrowed). Unchanged when the reader refuses the change.
fn string_views(metadata: ArrowReaderMetadata) -> ArrowReaderMetadata {
    let schema = metadata.schema();
    if !schema
        .fields()
        .iter()
        .any(|f| f.data_type() == &DataType::Utf8)
    {
        return metadata;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    let views = Schema::new_with_metadata(fields, schema.metadata().clone());
    let options = ArrowReaderOptions::new().with_schema(Arc::new(views));
    ArrowReaderMetadata::try_new(metadata.metadata().clone(), options).unwrap_or(metadata)
}

fn invalid(path: &Path, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Io {
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidData, e),
    }
}

impl DatasetBuilder {
    /// Adds the rows of the Parquet files `<table>.parquet` in `dir` (feature
    /// `parquet`). Optional files may be missing. Columns and types as for
    /// [`push_batch`](DatasetBuilder::push_batch); timestamps without a time zone are
    /// local times in the builder's [`time_zone`](DatasetBuilder::time_zone).
    ///
    /// # Errors
    /// * [`Error::MissingFile`] when `customers.parquet` or `orders.parquet` is missing.
    /// * [`Error::MissingColumn`], [`Error::DuplicateColumn`], [`Error::ColumnType`] as
    ///   for [`push_batch`](DatasetBuilder::push_batch).
    /// * [`Error::Io`] when a file cannot be read or is not valid Parquet (kind
    ///   `InvalidData`).
    pub fn read_parquet_dir(&mut self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        // Open every file first; then read them (concurrently with `parallel`: tables
        // are staged independently). Errors are reported in table order either way, as
        // a sequential read would meet them.
        let opened: Vec<Result<Option<(File, PathBuf)>>> = Table::ALL
            .iter()
            .map(|&table| {
                let path = table_path(dir, table);
                Ok(
                    super::open_table_file(dir, table, &path, InputKind::Parquet)?
                        .map(|file| (file, path)),
                )
            })
            .collect();
        let zone = &self.zone;
        let slots = self.stage.slots(Table::ALL);
        let jobs: Vec<Job<'_>> = Table::ALL.into_iter().zip(slots).zip(opened).collect();
        let read = |((table, slot), opened): Job<'_>| match opened? {
            Some((file, path)) => read_into(slot, table, file, &path, zone),
            None => Ok(()),
        };
        let size = |job: &Job<'_>| match &job.1 {
            Ok(Some((file, _))) => file.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        };
        let results = super::run_largest_first(jobs, size, read);
        results.into_iter().collect()
    }

    /// Adds the rows of one table from a Parquet file, streamed batch by batch with
    /// only the table's columns read. `path` names the file in errors.
    ///
    /// # Errors
    /// As [`read_parquet_dir`](DatasetBuilder::read_parquet_dir).
    pub fn read_parquet(&mut self, table: Table, file: File, path: impl AsRef<Path>) -> Result<()> {
        match self.stage.slots([table]).pop() {
            Some(slot) => read_into(slot, table, file, path.as_ref(), &self.zone),
            None => Ok(()),
        }
    }
}

/// A table to read: its stage and its opened file (or why it could not be opened).
type Job<'a> = ((Table, Slot<'a>), Result<Option<(File, PathBuf)>>);

/// Reserves room for exactly `rows` more rows in the slot's stage, when granted.
fn reserve_exact(slot: &mut Slot<'_>, rows: usize, plausible: usize) {
    match slot {
        Slot::Customers(s) => s.try_reserve_exact(rows, plausible),
        Slot::Orders(s) => s.try_reserve_exact(rows, plausible),
        Slot::OrderLines(s) => s.try_reserve_exact(rows, plausible),
        Slot::Deals(s) => s.try_reserve_exact(rows, plausible),
        Slot::Costs(s) => s.try_reserve_exact(rows, plausible),
        Slot::Interactions(s) => s.try_reserve_exact(rows, plausible),
        Slot::Campaigns(s) => s.try_reserve_exact(rows, plausible),
        Slot::Staff(s) => s.try_reserve_exact(rows, plausible),
        Slot::Fanpages(s) => s.try_reserve_exact(rows, plausible),
    }
}

/// Reads one table's Parquet file into its stage, batch by batch, only the table's
/// columns decoded.
fn read_into(
    mut slot: Slot<'_>,
    table: Table,
    file: File,
    path: &Path,
    zone: &BusinessCalendar,
) -> Result<()> {
    // An empty (0-byte) file is an empty table, as an empty CSV file is: nothing for an
    // optional table, a missing column for a required one (it has no schema).
    if file.metadata().is_ok_and(|m| m.len() == 0) {
        return match table.columns().iter().find(|c| c.required) {
            Some(column) if table.is_required() => Err(Error::MissingColumn {
                table,
                column: column.name,
                input: InputKind::Parquet,
            }),
            _ => Ok(()),
        };
    }
    let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| invalid(path, e))?;
    let map = map_schema(table, metadata.schema(), InputKind::Parquet)?;
    // Room for the rows the file declares, at once (see `TableStage::try_reserve_exact`:
    // a file declaring more rows than it holds costs address space, not memory).
    // The ids' room is bounded by one row per byte of the file (an id takes more).
    let declared = usize::try_from(metadata.metadata().file_metadata().num_rows()).unwrap_or(0);
    let bytes = file.metadata().map_or(0, |m| m.len());
    reserve_exact(
        &mut slot,
        declared,
        usize::try_from(bytes).unwrap_or(usize::MAX),
    );
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, string_views(metadata));
    let mut roots: Vec<usize> = map.iter().flatten().copied().collect();
    roots.sort_unstable();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| invalid(path, e))?;
    for batch in reader {
        let batch = batch.map_err(|e| invalid(path, e))?;
        push_batch_into(&mut slot, table, &batch, zone)?;
    }
    Ok(())
}
