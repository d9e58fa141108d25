//! Input and output formats. `io` reads and writes; it never computes a metric.
//!
//! * [`csv`] (feature `csv`, on by default): a folder of docs/input-format.md CSV files into a
//!   [`DatasetBuilder`](crate::DatasetBuilder).
//! * `arrow` (feature `arrow`): Arrow record batches into a builder, read with the CSV
//!   value grammar.
//! * `parquet` (feature `parquet`): a folder of `<table>.parquet` files in, and a
//!   dataset's accepted rows out as typed Parquet.
//! * [`file`](mod@file): opening input files safely (regular files only, never blocking), reading
//!   small files under a size limit, and telling whether two paths are the same file.
//!
//! # Limits on bad input
//!
//! Reading is streamed: memory grows with the rows kept, plus one fixed read buffer and
//! one record buffer, never with a file's declared size. A CSV record longer than
//! [`MAX_RECORD_BYTES`] or with more than [`MAX_FIELDS`] fields is rejected as a
//! `parse_error` naming the limit, and reading goes on at the next line. A physical line
//! longer than [`MAX_LINE_BYTES`] means the input is not CSV text (a sparse or binary
//! file, an endless stream of zeros): reading stops with an error naming the file. So
//! every input, however large or endless, is read in bounded memory.

#[cfg(feature = "arrow")]
pub mod arrow;
#[cfg(feature = "csv")]
pub mod csv;
pub mod file;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "parquet")]
pub mod parquet_write;
#[cfg(feature = "csv")]
pub(crate) mod records;

/// The longest CSV record (one row: its fields' bytes, the commas between them and its
/// quoted line breaks included) that is read: 16 MiB. A longer one is rejected as a `parse_error` and the rest of its line skipped.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// The most fields a CSV record may have: 65,536. A record with more is rejected as a
/// `parse_error` and the rest of its line skipped.
pub const MAX_FIELDS: usize = 1 << 16;

/// The longest physical line a CSV file may have: 256 MiB. Past it the input is not CSV
/// text and reading stops with an [`Error::Io`](crate::Error::Io) of kind
/// `InvalidData` naming the file and the line.
pub const MAX_LINE_BYTES: usize = 256 << 20;

/// Runs `run` on every job and returns the results in the jobs' order, so that errors
/// are reported in the same order whatever the threads did. With the `parallel`
/// feature the jobs run on rayon's pool, largest first (by `size`): each worker takes
/// the largest job left, which keeps every core busy until the end (a split of the
/// list in halves could give one core customers, orders and order lines, most of a
/// folder's bytes). Without it, they run one after the other.
#[cfg(feature = "csv")]
pub(crate) fn run_largest_first<J: Send, R: Send>(
    jobs: Vec<J>,
    size: impl Fn(&J) -> u64,
    run: impl Fn(J) -> R + Sync,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        let mut jobs: Vec<(usize, J)> = jobs.into_iter().enumerate().collect();
        jobs.sort_by_cached_key(|(_, job)| size(job));
        let count = jobs.len();
        let queue = std::sync::Mutex::new(jobs);
        let done = std::sync::Mutex::new(Vec::with_capacity(count));
        rayon::scope(|scope| {
            for _ in 0..rayon::current_num_threads().min(count) {
                scope.spawn(|_| {
                    loop {
                        let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                        let Some((i, job)) = next else { break };
                        let result = run(job);
                        if let Ok(mut done) = done.lock() {
                            done.push((i, result));
                        }
                    }
                });
            }
        });
        let mut done = done.into_inner().unwrap_or_default();
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, result)| result).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        let _ = size;
        jobs.into_iter().map(run).collect()
    }
}

/// Opens the file `path` of `table` in the folder `dir` (regular files only, checked
/// before and after opening, and the open never waits: a FIFO would block it forever).
/// A missing optional table is `None`; a missing required one is
/// [`Error::MissingFile`](crate::Error::MissingFile), or the I/O error of the folder
/// itself when `dir` is not a folder.
#[cfg(feature = "csv")]
pub(crate) fn open_table_file(
    dir: &std::path::Path,
    table: crate::Table,
    path: &std::path::Path,
    input: crate::InputKind,
) -> crate::Result<Option<std::fs::File>> {
    use crate::Error;
    match file::open_regular(path) {
        Ok(file) => Ok(Some(file)),
        Err(Error::Io { source: e, .. }) if e.kind() == std::io::ErrorKind::NotFound => {
            if !table.is_required() {
                Ok(None)
            } else if !dir.is_dir() {
                Err(Error::Io {
                    path: dir.to_owned(),
                    source: e,
                })
            } else {
                Err(Error::MissingFile { table, input })
            }
        }
        Err(e) => Err(e),
    }
}
