//! Input and output formats. `io` reads and writes; it never computes a metric.
//!
//! * [`csv`] (feature `csv`, on by default): a folder of docs/input-format.md CSV files into a
//!   [`DatasetBuilder`](crate::DatasetBuilder).

#[cfg(feature = "csv")]
pub mod csv;
#[cfg(feature = "csv")]
pub(crate) mod records;
