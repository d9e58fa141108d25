//! Writing a folder of CSV files as Parquet (feature `parquet`): the dashboard's
//! `--export-parquet`, so that a CSV export converts once.
//!
//! One file per table, `<table>.parquet`, with the columns of the CSV file (a column the
//! CSV header lacks is left out), named as docs/input-format.md names them. Typed
//! columns (the schema of docs/input-format.md#arrow-and-parquet):
//!
//! * ids, texts and enumerations: Utf8 (enumerations lower-case, as stored);
//! * instants: Timestamp(Microsecond, "UTC"), local times converted with the zone;
//! * calendar dates: Date32;
//! * money: Decimal128(38, S), S the largest scale in the column (exact);
//! * counts: Int64; booleans: Boolean;
//! * an empty value: null.
//!
//! A column is typed only when every value written parses with the CSV value grammar
//! (and fits the type exactly: instants to the microsecond, money in 38 digits);
//! otherwise it is written as text, so that reading the Parquet folder gives the rows
//! and the rejections the CSV folder gives. With [`Rows::Accepted`] only the rows a
//! built dataset accepted are written, and every column of them types.
//!
//! Each file is read twice (once to choose the types, once to write), so memory stays
//! bounded by one batch of [`BATCH_ROWS`] rows whatever the file's size.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::calendar::BusinessCalendar;
use crate::dataset::DataQuality;
use crate::dataset::values;
use crate::error::{Error, Origin, Result, Table};
use crate::io::csv::{header_map, table_path as csv_path};
use crate::io::file::open_regular;
use crate::io::parquet::table_path;
use crate::io::records::{Record, RecordReader};
use crate::model::{Channel, Direction, Gender, InteractionKind, OrderStatus, Source};

/// Rows per record batch (and row group chunk) written.
pub const BATCH_ROWS: usize = 65_536;

/// Which rows of the CSV files are written.
#[derive(Clone, Copy, Debug)]
pub enum Rows<'a> {
    /// Every record (blank lines skipped): the Parquet folder then reads as the CSV
    /// folder does, rejections included.
    All,
    /// Only the rows the dataset built from these files (in the same zone) accepted:
    /// the rows of its [`DataQuality::rejections`] read from CSV lines are left out.
    Accepted(&'a DataQuality),
}

/// How the columns are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    /// Every column as Utf8 text, the CSV field as it is.
    Text,
    /// The typed schema (see the module docs), a column as text only where a value
    /// does not fit its type.
    Typed,
}

/// What a column holds.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Text,
    Enum(fn(&[u8]) -> Option<&'static str>),
    Instant,
    Date,
    Money,
    Count,
    Bool,
}

fn source(b: &[u8]) -> Option<&'static str> {
    Source::from_bytes(b).map(Source::name)
}
fn gender(b: &[u8]) -> Option<&'static str> {
    Gender::from_bytes(b).map(Gender::name)
}
fn status(b: &[u8]) -> Option<&'static str> {
    OrderStatus::from_bytes(b).map(OrderStatus::name)
}
fn channel(b: &[u8]) -> Option<&'static str> {
    Channel::from_bytes(b).map(Channel::name)
}
fn kind(b: &[u8]) -> Option<&'static str> {
    InteractionKind::from_bytes(b).map(InteractionKind::name)
}
fn direction(b: &[u8]) -> Option<&'static str> {
    Direction::from_bytes(b).map(Direction::name)
}

/// The kinds of `table`'s columns, in the documented order.
fn kinds(table: Table) -> &'static [Kind] {
    use Kind::{Bool, Count, Date, Enum, Instant, Money, Text};
    match table {
        Table::Customers => &[
            Text,
            Instant,
            Enum(source),
            Text,
            Text,
            Text,
            Enum(gender),
            Date,
            Text,
            Text,
            Text,
        ],
        Table::Orders => &[
            Text,
            Text,
            Instant,
            Enum(status),
            Money,
            Money,
            Text,
            Text,
            Text,
            Text,
        ],
        Table::OrderLines => &[Text, Text, Text, Text, Count, Money],
        Table::Deals => &[
            Text, Text, Instant, Text, Text, Instant, Instant, Instant, Money,
        ],
        Table::Costs => &[Date, Text, Text, Money],
        Table::Interactions => &[
            Text,
            Text,
            Instant,
            Enum(channel),
            Enum(kind),
            Enum(direction),
            Text,
            Text,
            Bool,
            Text,
            Text,
        ],
        Table::Campaigns => &[Text, Text, Enum(channel)],
        Table::Staff => &[Text, Text],
        Table::Fanpages => &[Text, Text, Enum(channel), Bool, Count],
    }
}

/// A column's type as chosen by the first pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Out {
    Text,
    Enum,
    Instant,
    Date,
    /// Decimal128(38, scale).
    Money(u32),
    Count,
    Bool,
}

/// What the first pass learns of a column: whether every value fits its kind, and for
/// money the largest scale and the most integer digits.
#[derive(Clone, Copy, Debug)]
struct Survey {
    fits: bool,
    scale: u32,
    int_digits: u32,
}

/// Decimal digits of `m`'s absolute value (1 for 0).
fn digits(m: i128) -> u32 {
    m.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1)
}

fn micros(text: &[u8], zone: &BusinessCalendar) -> Option<i64> {
    let ts = values::timestamp(text, zone).ok()?;
    if ts.nanos % 1_000 != 0 {
        return None;
    }
    ts.secs
        .checked_mul(1_000_000)?
        .checked_add(i64::from(ts.nanos / 1_000))
}

fn epoch_days(text: &[u8]) -> Option<i32> {
    let date = values::date(text).ok()?;
    i32::try_from(crate::calendar::epoch_day(date)).ok()
}

impl Survey {
    fn see(&mut self, kind: Kind, raw: &[u8], zone: &BusinessCalendar) {
        if !self.fits || raw.is_empty() {
            return;
        }
        self.fits = match kind {
            Kind::Text => std::str::from_utf8(raw).is_ok(),
            Kind::Enum(parse) => parse(raw).is_some(),
            Kind::Instant => micros(raw, zone).is_some(),
            Kind::Date => epoch_days(raw).is_some(),
            Kind::Count => values::integer(raw).is_ok(),
            Kind::Bool => values::boolean(raw).is_ok(),
            Kind::Money => match values::decimal(raw) {
                Ok(d) => {
                    let int = digits(d.mantissa()).saturating_sub(d.scale());
                    self.scale = self.scale.max(d.scale());
                    self.int_digits = self.int_digits.max(int);
                    self.int_digits + self.scale <= 38
                }
                Err(_) => false,
            },
        };
    }

    fn out(self, kind: Kind, columns: Columns) -> Out {
        if columns == Columns::Text || !self.fits {
            return Out::Text;
        }
        match kind {
            Kind::Text => Out::Text,
            Kind::Enum(_) => Out::Enum,
            Kind::Instant => Out::Instant,
            Kind::Date => Out::Date,
            Kind::Money => Out::Money(self.scale),
            Kind::Count => Out::Count,
            Kind::Bool => Out::Bool,
        }
    }
}

impl Out {
    fn data_type(self) -> DataType {
        match self {
            Out::Text | Out::Enum => DataType::Utf8,
            Out::Instant => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Out::Date => DataType::Date32,
            // At most 28: a Decimal's scale.
            Out::Money(scale) => DataType::Decimal128(38, i8::try_from(scale).unwrap_or(28)),
            Out::Count => DataType::Int64,
            Out::Bool => DataType::Boolean,
        }
    }
}

/// A column being built.
enum Builder {
    Text(StringBuilder),
    Enum(StringBuilder, fn(&[u8]) -> Option<&'static str>),
    Instant(TimestampMicrosecondBuilder),
    Date(Date32Builder),
    Money(Decimal128Builder, u32),
    Count(Int64Builder),
    Bool(BooleanBuilder),
}

impl Builder {
    fn new(out: Out, kind: Kind) -> Builder {
        match (out, kind) {
            (Out::Enum, Kind::Enum(parse)) => Builder::Enum(StringBuilder::new(), parse),
            (Out::Instant, _) => {
                Builder::Instant(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            (Out::Date, _) => Builder::Date(Date32Builder::new()),
            (Out::Money(scale), _) => Builder::Money(
                Decimal128Builder::new().with_data_type(out.data_type()),
                scale,
            ),
            (Out::Count, _) => Builder::Count(Int64Builder::new()),
            (Out::Bool, _) => Builder::Bool(BooleanBuilder::new()),
            _ => Builder::Text(StringBuilder::new()),
        }
    }

    /// Appends a field; the first pass made sure it fits (else a null).
    fn push(&mut self, raw: &[u8], zone: &BusinessCalendar) {
        if raw.is_empty() {
            match self {
                Builder::Text(b) | Builder::Enum(b, _) => b.append_null(),
                Builder::Instant(b) => b.append_null(),
                Builder::Date(b) => b.append_null(),
                Builder::Money(b, _) => b.append_null(),
                Builder::Count(b) => b.append_null(),
                Builder::Bool(b) => b.append_null(),
            }
            return;
        }
        match self {
            Builder::Text(b) => b.append_value(String::from_utf8_lossy(raw)),
            Builder::Enum(b, parse) => b.append_option(parse(raw)),
            Builder::Instant(b) => b.append_option(micros(raw, zone)),
            Builder::Date(b) => b.append_option(epoch_days(raw)),
            Builder::Money(b, scale) => {
                let value = values::decimal(raw).ok().and_then(|d| {
                    let up = scale.checked_sub(d.scale())?;
                    d.mantissa().checked_mul(10i128.checked_pow(up)?)
                });
                b.append_option(value);
            }
            Builder::Count(b) => b.append_option(values::integer(raw).ok()),
            Builder::Bool(b) => b.append_option(values::boolean(raw).ok()),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) | Builder::Enum(b, _) => Arc::new(b.finish()),
            Builder::Instant(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Money(b, _) => Arc::new(b.finish()),
            Builder::Count(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
        }
    }
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// The error of a failed write of `path`.
fn write_io_error(path: &Path) -> impl Fn(io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_owned(),
        source,
    }
}

fn write_error(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |e| Error::Write {
        path: path.to_owned(),
        source: io::Error::other(e),
    }
}

/// Reads the records of a CSV file after its header: calls `each` with every record
/// that is kept. Returns the header's column map.
fn scan(
    path: &Path,
    table: Table,
    skip: &HashSet<u64>,
    mut each: impl FnMut(&Record, &[usize]),
) -> Result<Option<Vec<usize>>> {
    let file = open_regular(path)?;
    let mut reader = RecordReader::new(io::BufReader::new(file));
    let mut record = Record::default();
    let mut has_header = false;
    while reader.read_record(&mut record).map_err(io_error(path))? {
        if !record.is_blank() {
            has_header = true;
            break;
        }
    }
    if !has_header {
        return Ok(None);
    }
    let map = header_map(table, Some(&record))?;
    while reader.read_record(&mut record).map_err(io_error(path))? {
        if record.is_blank() || skip.contains(&record.line) {
            continue;
        }
        each(&record, &map);
    }
    Ok(Some(map))
}

/// Writes the CSV files of `csv_dir` (timestamps without an offset read in `zone`) as
/// `<table>.parquet` files in `out_dir` (created if missing). Missing optional CSV
/// files are left out, as is an empty one.
///
/// # Errors
/// * [`Error::MissingFile`] for a missing required CSV file; header errors as for
///   [`DatasetBuilder::read_csv_dir`](crate::DatasetBuilder::read_csv_dir).
/// * [`Error::Io`] when reading fails, [`Error::Write`] when writing does.
pub fn write_parquet_dir(
    csv_dir: &Path,
    out_dir: &Path,
    zone: &BusinessCalendar,
    rows: Rows<'_>,
    columns: Columns,
) -> Result<()> {
    std::fs::create_dir_all(out_dir).map_err(write_io_error(out_dir))?;
    for &table in &Table::ALL {
        let path = csv_path(csv_dir, table);
        if !path.exists() {
            if table.is_required() {
                return Err(Error::MissingFile {
                    table,
                    input: crate::InputKind::Csv,
                });
            }
            continue;
        }
        let skip: HashSet<u64> = match rows {
            Rows::All => HashSet::new(),
            Rows::Accepted(quality) => quality
                .rejections()
                .iter()
                .filter(|r| r.table == table && r.origin == Origin::CsvLine)
                .map(|r| r.line)
                .collect(),
        };
        write_table(
            table,
            &path,
            &table_path(out_dir, table),
            zone,
            &skip,
            columns,
        )?;
    }
    Ok(())
}

fn write_table(
    table: Table,
    path: &Path,
    out: &Path,
    zone: &BusinessCalendar,
    skip: &HashSet<u64>,
    columns: Columns,
) -> Result<()> {
    let kinds = kinds(table);
    let names = table.columns();
    let mut surveys = vec![
        Survey {
            fits: true,
            scale: 0,
            int_digits: 0,
        };
        names.len()
    ];
    let Some(map) = scan(path, table, skip, |record, map| {
        for (k, survey) in surveys.iter_mut().enumerate() {
            if map[k] != usize::MAX {
                survey.see(kinds[k], record.field(map[k]), zone);
            }
        }
    })?
    else {
        return Ok(()); // an empty file: no table
    };
    let present: Vec<usize> = (0..names.len()).filter(|&k| map[k] != usize::MAX).collect();
    let outs: Vec<Out> = present
        .iter()
        .map(|&k| surveys[k].out(kinds[k], columns))
        .collect();
    let schema = Arc::new(Schema::new(
        present
            .iter()
            .zip(&outs)
            .map(|(&k, out)| Field::new(names[k].name, out.data_type(), true))
            .collect::<Vec<_>>(),
    ));
    let file = File::create(out).map_err(write_io_error(out))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer =
        ArrowWriter::try_new(file, schema.clone(), Some(properties)).map_err(write_error(out))?;
    // `finish` empties a builder: the same builders serve every batch.
    let mut builders: Vec<Builder> = present
        .iter()
        .zip(&outs)
        .map(|(&k, &o)| Builder::new(o, kinds[k]))
        .collect();
    let mut pending = 0usize;
    let mut failed: Option<Error> = None;
    let flush = |builders: &mut Vec<Builder>, writer: &mut ArrowWriter<File>| -> Result<()> {
        let arrays: Vec<ArrayRef> = builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| Error::Write {
            path: out.to_owned(),
            source: io::Error::other(e),
        })?;
        writer.write(&batch).map_err(write_error(out))
    };
    scan(path, table, skip, |record, map| {
        if failed.is_some() {
            return;
        }
        for (builder, &k) in builders.iter_mut().zip(&present) {
            builder.push(record.field(map[k]), zone);
        }
        pending += 1;
        if pending == BATCH_ROWS {
            pending = 0;
            if let Err(e) = flush(&mut builders, &mut writer) {
                failed = Some(e);
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if pending > 0 {
        flush(&mut builders, &mut writer)?;
    }
    writer.close().map_err(write_error(out))?;
    Ok(())
}
