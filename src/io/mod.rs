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

/// The longest CSV record (one row, its quoted line breaks included) that is read:
/// 16 MiB. A longer one is rejected as a `parse_error` and the rest of its line skipped.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// The most fields a CSV record may have: 65,536. A record with more is rejected as a
/// `parse_error` and the rest of its line skipped.
pub const MAX_FIELDS: usize = 1 << 16;

/// The longest physical line a CSV file may have: 256 MiB. Past it the input is not CSV
/// text and reading stops with an [`Error::Io`](crate::Error::Io) of kind
/// `InvalidData` naming the file and the line.
pub const MAX_LINE_BYTES: usize = 256 << 20;
