//! Arrow record batches into a [`DatasetBuilder`] (feature `arrow`).
//!
//! A batch holds rows of one table. Its columns are matched to the table's columns by
//! name with the rules of the CSV headers (ASCII case and surrounding blanks ignored,
//! an inner space or hyphen read as `_`); unknown columns are ignored; a missing
//! required column or a column given twice is an error, as for a CSV file.
//!
//! Every row is read by the CSV reader's row parsers, with exactly the value grammar of
//! the CSV files (docs/input-format.md#values), so a batch of text columns behaves
//! exactly like the CSV file, with the same rejections. A typed value reads as the text
//! a CSV field would hold for it:
//!
//! | Arrow type | read as |
//! | --- | --- |
//! | Utf8, LargeUtf8, Utf8View, a dictionary of any of them | the text itself |
//! | Timestamp (any unit) with a time zone | the instant (`…Z`) |
//! | Timestamp (any unit) without a time zone | a local time in the builder's zone |
//! | Date32, Date64 | the date `YYYY-MM-DD` |
//! | Decimal128, Decimal256 | the exact decimal (beyond `Decimal`'s range: `parse_error`) |
//! | Int8 … Int64, UInt8 … UInt64 | the integer |
//! | Boolean | `true` / `false` |
//! | Null | an empty value |
//!
//! A null is an empty value. A float column is an [`Error::ColumnType`]: money is
//! never a float, and a count or an id written as a float is not exact either. Other
//! types (binary, lists, structs, …) are [`Error::ColumnType`]s too.
//!
//! Rows are numbered by their position among the rows of their table (the rows pushed
//! before included); a rejection shows `orders row 7` rather than a CSV line.
//!
//! # Typed columns without text
//!
//! Where a column's type fits what the column holds, its values are converted directly,
//! never formatted and parsed again: a Timestamp column of an instant column, a Date32
//! or Date64 column of a date column, a Decimal128, Decimal256 or integer column of a
//! money column, an integer column of a count, a Boolean column of a boolean; strings
//! (and dictionaries of strings) are borrowed from the batch, without a copy. The result
//! is exactly what the text would give: the same value, the same rejection with the
//! same detail. Values whose text the grammar refuses (a decimal beyond `Decimal`'s
//! range or with more than 28 fractional digits, a date or instant outside the years
//! 0000-9999, an integer beyond `i64`) are the rare ones read through their text, so
//! that the rejection is word for word the text's. A typed column holding something
//! else (an id given as an integer, …) is written as text per row, as before. The
//! tests of this module push batches both ways and compare every staged row and
//! rejection.
//!
//! # Column by column
//!
//! The large tables (customers, orders, order lines, deals, costs, interactions) are
//! staged a chunk of rows at a time, column by column: each column of the chunk is
//! converted in one loop (its layout and type chosen once per column, not per value),
//! and the rows are then assembled from these converted columns. A row with anything
//! but plain values (a value the grammar refuses, a missing required value, a typed
//! value left to its text, a column of a type read through text) is handed whole to the
//! table's row parser, in its place among the rows, so that what it reads and rejects
//! is exactly the row parser's. The small tables are read row by row.

use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};

use crate::calendar::BusinessCalendar;
use crate::dataset::values;
use crate::dataset::{
    CostFields, CustomerFields, DatasetBuilder, DealFields, FieldError, InteractionFields,
    LineFields, OrderFields, Staged, StagedCost, StagedCustomer, StagedDeal, StagedInteraction,
    StagedLine, StagedOrder, TableStage,
};
use crate::error::{Error, InputKind, Result, Table};
use crate::io::csv::{self, RowFields, Slot, header_name};
use crate::io::records::Record;
use crate::model::{Channel, Direction, InteractionKind, OrderStatus};

/// The money columns: a float there is its own error.
const MONEY: &[&str] = &["total", "cost_of_goods", "unit_price", "revenue", "amount"];

/// For each of `table`'s columns (documented order), the index of the schema's field
/// holding it, if any.
///
/// # Errors
/// [`Error::DuplicateColumn`], [`Error::MissingColumn`], as for a CSV header, and
/// [`Error::ColumnType`] for a column of a type it cannot be read from.
pub(crate) fn map_schema(
    table: Table,
    schema: &Schema,
    input: InputKind,
) -> Result<Vec<Option<usize>>> {
    let names = table.columns();
    let mut map = vec![None; names.len()];
    for (i, field) in schema.fields().iter().enumerate() {
        let name = header_name(field.name().as_bytes());
        if let Some(k) = names.iter().position(|c| c.name == name) {
            if map[k].is_some() {
                return Err(Error::DuplicateColumn {
                    table,
                    column: names[k].name,
                    input,
                });
            }
            check_type(table, names[k].name, field.data_type())?;
            map[k] = Some(i);
        }
    }
    if let Some(k) = (0..names.len()).find(|&k| names[k].required && map[k].is_none()) {
        return Err(Error::MissingColumn {
            table,
            column: names[k].name,
            input,
        });
    }
    Ok(map)
}

/// Whether a column of type `data_type` can be read.
fn check_type(table: Table, column: &'static str, data_type: &DataType) -> Result<()> {
    let error = |reason: &'static str| Error::ColumnType {
        table,
        column,
        data_type: data_type.to_string(),
        reason,
    };
    match data_type {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            if MONEY.contains(&column) {
                Err(error(
                    "money is never a float (a float cannot hold most decimal amounts exactly): write it as a decimal or as text",
                ))
            } else {
                Err(error(
                    "a float is not exact: write it as an integer, a decimal or text",
                ))
            }
        }
        DataType::Dictionary(_, values) => match values.as_ref() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Ok(()),
            _ => Err(error(
                "a dictionary is read only with string values: write the column as text",
            )),
        },
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Null
        | DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(_, _)
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => Ok(()),
        _ => Err(error(
            "not a type this column can be read from (docs/input-format.md lists the accepted ones)",
        )),
    }
}

/// Writes value `i` of `array` as the text a CSV field would hold; `Ok(())` with
/// nothing written for a null. `Err` for a value that has no such text (a timestamp
/// out of chrono's range).
fn write_value(array: &dyn Array, i: usize, out: &mut Vec<u8>) -> Result<(), &'static str> {
    if array.is_null(i) {
        return Ok(());
    }
    // Writing into a Vec cannot fail.
    macro_rules! put {
        ($($arg:tt)*) => {{
            let _ = write!(out, $($arg)*);
        }};
    }
    match array.data_type() {
        DataType::Utf8 => out.extend_from_slice(array.as_string::<i32>().value(i).as_bytes()),
        DataType::LargeUtf8 => {
            out.extend_from_slice(array.as_string::<i64>().value(i).as_bytes());
        }
        DataType::Utf8View => out.extend_from_slice(array.as_string_view().value(i).as_bytes()),
        // Read through `Column`, which decodes the keys once per batch.
        DataType::Dictionary(_, _) => return Err("a dictionary read value by value"),
        DataType::Null => {}
        DataType::Boolean => {
            let v = array.as_boolean().value(i);
            out.extend_from_slice(if v { b"true" } else { b"false" });
        }
        DataType::Int8 => put!("{}", array.as_primitive::<Int8Type>().value(i)),
        DataType::Int16 => put!("{}", array.as_primitive::<Int16Type>().value(i)),
        DataType::Int32 => put!("{}", array.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => put!("{}", array.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => put!("{}", array.as_primitive::<UInt8Type>().value(i)),
        DataType::UInt16 => put!("{}", array.as_primitive::<UInt16Type>().value(i)),
        DataType::UInt32 => put!("{}", array.as_primitive::<UInt32Type>().value(i)),
        DataType::UInt64 => put!("{}", array.as_primitive::<UInt64Type>().value(i)),
        DataType::Decimal128(_, scale) => {
            let v = array.as_primitive::<Decimal128Type>().value(i);
            write_scaled(&v.to_string(), *scale, out);
        }
        DataType::Decimal256(_, scale) => {
            let v = array.as_primitive::<Decimal256Type>().value(i);
            write_scaled(&v.to_string(), *scale, out);
        }
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(i);
            let date = chrono::NaiveDate::from_yo_opt(1970, 1)
                .and_then(|d| d.checked_add_signed(chrono::TimeDelta::try_days(days.into())?))
                .ok_or("a date out of the range of dates")?;
            write_date(date, out);
        }
        DataType::Date64 => {
            let ms = array.as_primitive::<Date64Type>().value(i);
            let at = chrono::DateTime::from_timestamp_millis(ms)
                .ok_or("a date out of the range of dates")?;
            write_date(at.date_naive(), out);
        }
        DataType::Timestamp(unit, tz) => {
            let (secs, nanos) = match unit {
                TimeUnit::Second => {
                    let v = array.as_primitive::<TimestampSecondType>().value(i);
                    (v, 0)
                }
                TimeUnit::Millisecond => {
                    let v = array.as_primitive::<TimestampMillisecondType>().value(i);
                    (v.div_euclid(1_000), v.rem_euclid(1_000) * 1_000_000)
                }
                TimeUnit::Microsecond => {
                    let v = array.as_primitive::<TimestampMicrosecondType>().value(i);
                    (v.div_euclid(1_000_000), v.rem_euclid(1_000_000) * 1_000)
                }
                TimeUnit::Nanosecond => {
                    let v = array.as_primitive::<TimestampNanosecondType>().value(i);
                    (v.div_euclid(1_000_000_000), v.rem_euclid(1_000_000_000))
                }
            };
            let nanos = u32::try_from(nanos).map_err(|_| "a timestamp out of range")?;
            let at = chrono::DateTime::from_timestamp(secs, nanos)
                .ok_or("a timestamp out of the range of dates")?
                .naive_utc();
            write_date(at.date(), out);
            use chrono::Timelike;
            put!("T{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second());
            if nanos > 0 {
                put!(".{nanos:09}");
            }
            // With a time zone the value is an instant; without, a wall-clock time
            // (read in the builder's zone).
            if tz.is_some() {
                out.push(b'Z');
            }
        }
        // Refused by `check_type`.
        _ => return Err("not a type this column can be read from"),
    }
    Ok(())
}

fn write_date(date: chrono::NaiveDate, out: &mut Vec<u8>) {
    use chrono::Datelike;
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    );
}

/// An unscaled integer's digits (`-123`) with `scale` fractional digits (`-1.23` for
/// 2); a negative scale appends zeros.
fn write_scaled(digits: &str, scale: i8, out: &mut Vec<u8>) {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    out.extend_from_slice(sign.as_bytes());
    if scale <= 0 {
        out.extend_from_slice(digits.as_bytes());
        out.extend(std::iter::repeat_n(b'0', usize::from(scale.unsigned_abs())));
        return;
    }
    let scale = usize::from(scale.unsigned_abs());
    if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int.as_bytes());
        out.push(b'.');
        out.extend_from_slice(frac.as_bytes());
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
        out.extend_from_slice(digits.as_bytes());
    }
}

/// A column of a batch, a dictionary's keys decoded once.
struct Column<'a> {
    array: &'a dyn Array,
    /// A dictionary's keys as indices into its values, and the values.
    dictionary: Option<(Vec<usize>, &'a dyn Array)>,
}

impl<'a> Column<'a> {
    fn new(array: &'a dyn Array) -> Column<'a> {
        let dictionary = array
            .as_any_dictionary_opt()
            .map(|d| (d.normalized_keys(), d.values().as_ref()));
        Column { array, dictionary }
    }

    /// Value `i` as the text of a CSV field (see [`write_value`]).
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<(), &'static str> {
        match &self.dictionary {
            Some(_) if self.array.is_null(i) => Ok(()),
            Some((keys, values)) => match keys.get(i) {
                Some(&key) => write_value(*values, key, out),
                None => Ok(()),
            },
            None => write_value(self.array, i, out),
        }
    }
}

/// What a column of a table holds, in the documented order: which typed Arrow columns
/// are read natively (without going through text) depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An id, a free text or an enumeration: read from text.
    Text,
    Instant,
    Date,
    Money,
    Count,
    Bool,
}

/// The kinds of `table`'s columns, in the documented order.
fn kinds(table: Table) -> &'static [Kind] {
    use Kind::{Bool, Count, Date, Instant, Money, Text};
    match table {
        Table::Customers => &[
            Text, Instant, Text, Text, Text, Text, Text, Date, Text, Text, Text,
        ],
        Table::Orders => &[
            Text, Text, Instant, Text, Money, Money, Text, Text, Text, Text,
        ],
        Table::OrderLines => &[Text, Text, Text, Text, Count, Money],
        Table::Deals => &[
            Text, Text, Instant, Text, Text, Instant, Instant, Instant, Money,
        ],
        Table::Costs => &[Date, Text, Text, Money],
        Table::Interactions => &[
            Text, Text, Instant, Text, Text, Text, Text, Text, Bool, Text, Text,
        ],
        Table::Campaigns => &[Text, Text, Text],
        Table::Staff => &[Text, Text],
        Table::Fanpages => &[Text, Text, Text, Bool, Count],
    }
}

/// A string column, whichever of Arrow's string layouts it has.
#[derive(Clone, Copy)]
enum Strings<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Strings<'a> {
    fn new(array: &'a dyn Array) -> Option<Strings<'a>> {
        match array.data_type() {
            DataType::Utf8 => Some(Strings::Utf8(array.as_string::<i32>())),
            DataType::LargeUtf8 => Some(Strings::Large(array.as_string::<i64>())),
            DataType::Utf8View => Some(Strings::View(array.as_string_view())),
            _ => None,
        }
    }

    /// Value `i` (not null).
    #[inline]
    fn value(self, i: usize) -> &'a str {
        match self {
            Strings::Utf8(a) => a.value(i),
            Strings::Large(a) => a.value(i),
            Strings::View(a) => a.value(i),
        }
    }

    #[inline]
    fn is_null(self, i: usize) -> bool {
        match self {
            Strings::Utf8(a) => a.is_null(i),
            Strings::Large(a) => a.is_null(i),
            Strings::View(a) => a.is_null(i),
        }
    }
}

/// An integer column of any width and sign.
#[derive(Clone, Copy)]
enum Integers<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
}

impl<'a> Integers<'a> {
    fn new(array: &'a dyn Array) -> Option<Integers<'a>> {
        Some(match array.data_type() {
            DataType::Int8 => Integers::I8(array.as_primitive::<Int8Type>().values()),
            DataType::Int16 => Integers::I16(array.as_primitive::<Int16Type>().values()),
            DataType::Int32 => Integers::I32(array.as_primitive::<Int32Type>().values()),
            DataType::Int64 => Integers::I64(array.as_primitive::<Int64Type>().values()),
            DataType::UInt8 => Integers::U8(array.as_primitive::<UInt8Type>().values()),
            DataType::UInt16 => Integers::U16(array.as_primitive::<UInt16Type>().values()),
            DataType::UInt32 => Integers::U32(array.as_primitive::<UInt32Type>().values()),
            DataType::UInt64 => Integers::U64(array.as_primitive::<UInt64Type>().values()),
            _ => return None,
        })
    }

    /// Value `i` (not null); every width fits an `i128`.
    #[inline]
    fn value(self, i: usize) -> i128 {
        match self {
            Integers::I8(v) => v[i].into(),
            Integers::I16(v) => v[i].into(),
            Integers::I32(v) => v[i].into(),
            Integers::I64(v) => v[i].into(),
            Integers::U8(v) => v[i].into(),
            Integers::U16(v) => v[i].into(),
            Integers::U32(v) => v[i].into(),
            Integers::U64(v) => v[i].into(),
        }
    }
}

/// How a column's values are read.
enum Source<'a> {
    /// Not in the batch, or Arrow's Null type: every value is absent.
    Absent,
    /// Text, read with the value grammar from the string itself.
    Strings(Strings<'a>),
    /// A dictionary of strings (its keys are the column's).
    Dictionary(Strings<'a>),
    /// A typed column read natively (its kind and type fit, see [`Batch::new`]).
    Timestamp {
        values: &'a [i64],
        unit: TimeUnit,
        /// Without a time zone: a wall-clock time in the builder's zone.
        local: bool,
    },
    Date32(&'a [i32]),
    Date64(&'a [i64]),
    Decimal128(&'a [i128], i8),
    Decimal256(&'a arrow_array::Decimal256Array, i8),
    Integers(Integers<'a>),
    Boolean(&'a arrow_array::BooleanArray),
    /// A typed column of another kind (an id given as an integer, …): each value is
    /// written as the text of a CSV field first (the row's scratch record).
    Written,
}

/// One column of a batch, as read.
struct Col<'a> {
    /// The batch's column (its values through text, for the unusual ones); `None`
    /// when the batch lacks it.
    column: Option<Column<'a>>,
    source: Source<'a>,
}

impl Col<'_> {
    #[inline]
    fn is_null(&self, i: usize) -> bool {
        self.column.as_ref().is_none_or(|c| c.array.is_null(i))
    }
}

/// Seconds since 1970 of 0000-01-01T00:00:00 and of 9999-12-31T23:59:59: the instants
/// whose text has four-digit years (outside them, the text path's grammar decides).
const FIRST_SECOND: i64 = -62_167_219_200;
const LAST_SECOND: i64 = 253_402_300_799;

/// A timestamp of `unit`s since 1970 as seconds and nanoseconds (0 ≤ nanos < 10⁹).
#[inline]
fn split(unit: TimeUnit, v: i64) -> (i64, i64) {
    match unit {
        TimeUnit::Second => (v, 0),
        TimeUnit::Millisecond => (v.div_euclid(1_000), v.rem_euclid(1_000) * 1_000_000),
        TimeUnit::Microsecond => (v.div_euclid(1_000_000), v.rem_euclid(1_000_000) * 1_000),
        TimeUnit::Nanosecond => (v.div_euclid(1_000_000_000), v.rem_euclid(1_000_000_000)),
    }
}

/// The instant of a timestamp split by [`split`], a wall-clock time in `zone` when
/// `local`; `None` outside the years 0000-9999 (the text path's grammar decides those).
#[inline]
fn instant(
    (secs, nanos): (i64, i64),
    local: bool,
    zone: &BusinessCalendar,
) -> Option<crate::calendar::Ts> {
    if !(FIRST_SECOND..=LAST_SECOND).contains(&secs) {
        return None;
    }
    // OK because 0 <= nanos < 10^9.
    let nanos = nanos as u32;
    let secs = if local {
        zone.local_to_utc_secs(secs)
    } else {
        secs
    };
    Some(crate::calendar::Ts { secs, nanos })
}

/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01, plus one.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

/// The date of a Date32 value, `None` outside the years 0000-9999 (left to the text).
#[inline]
fn date32(days: i32) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    days.checked_add(UNIX_EPOCH_FROM_CE)
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .filter(|d| (0..=9999).contains(&d.year()))
}

/// The date of a Date64 value, `None` outside the years 0000-9999 (left to the text).
#[inline]
fn date64(ms: i64) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|at| at.date_naive())
        .filter(|d| (0..=9999).contains(&d.year()))
}

/// 2^96: a `Decimal`'s mantissa is below it.
const MANTISSA_LIMIT: u128 = 1 << 96;

/// An unscaled decimal `v` with `scale` fractional digits as the `Decimal` the value
/// grammar reads from its text, when that is simple to tell (`None`: read the text).
/// Trailing fractional zeros carry no value; more than 28 fractional digits left, a
/// mantissa of 2^96 or more, or a negative scale are left to the text.
#[inline]
fn decimal_of(mut v: i128, scale: i8) -> Option<rust_decimal::Decimal> {
    let mut scale = u32::try_from(scale).ok()?;
    // Money fits an i64 almost always: 64-bit divisions are many times cheaper.
    if let Ok(mut small) = i64::try_from(v) {
        while scale > 0 && small % 10 == 0 {
            small /= 10;
            scale -= 1;
        }
        // |small| < 2^63 < 2^96; a zero has scale 0 here, so it is never -0.
        return if scale > 28 {
            None
        } else {
            rust_decimal::Decimal::try_new(small, scale).ok()
        };
    }
    while scale > 0 && v % 10 == 0 {
        v /= 10;
        scale -= 1;
    }
    if scale > 28 || v.unsigned_abs() >= MANTISSA_LIMIT {
        return None;
    }
    let d = rust_decimal::Decimal::try_from_i128_with_scale(v, scale).ok()?;
    Some(if d.is_zero() {
        rust_decimal::Decimal::ZERO
    } else {
        d
    })
}

/// The columns of a batch in the table's documented order, read natively where their
/// kind and type fit, and through text otherwise.
struct Batch<'a> {
    cols: Vec<Col<'a>>,
    names: &'static [crate::model::Column],
    zone: &'a BusinessCalendar,
    /// Some column is [`Source::Written`]: each row's scratch record is filled first.
    written: bool,
}

impl<'a> Batch<'a> {
    fn new(
        table: Table,
        batch: &'a RecordBatch,
        map: &[Option<usize>],
        zone: &'a BusinessCalendar,
    ) -> Batch<'a> {
        let kinds = kinds(table);
        let cols: Vec<Col<'a>> = map
            .iter()
            .zip(kinds)
            .map(|(index, &kind)| {
                let Some(index) = *index else {
                    return Col {
                        column: None,
                        source: Source::Absent,
                    };
                };
                let array = batch.column(index).as_ref();
                let column = Column::new(array);
                let source = Self::source(kind, array, &column);
                Col {
                    column: Some(column),
                    source,
                }
            })
            .collect();
        let written = cols.iter().any(|c| matches!(c.source, Source::Written));
        Batch {
            cols,
            names: table.columns(),
            zone,
            written,
        }
    }

    /// How a column of kind `kind` held in `array` is read.
    fn source(kind: Kind, array: &'a dyn Array, column: &Column<'a>) -> Source<'a> {
        if let Some(strings) = Strings::new(array) {
            return Source::Strings(strings);
        }
        if let Some((_, values)) = &column.dictionary {
            return match Strings::new(*values) {
                Some(strings) => Source::Dictionary(strings),
                None => Source::Written,
            };
        }
        match (kind, array.data_type()) {
            (_, DataType::Null) => Source::Absent,
            (Kind::Instant, DataType::Timestamp(unit, tz)) => {
                let values: &'a [i64] = match unit {
                    TimeUnit::Second => array.as_primitive::<TimestampSecondType>().values(),
                    TimeUnit::Millisecond => {
                        array.as_primitive::<TimestampMillisecondType>().values()
                    }
                    TimeUnit::Microsecond => {
                        array.as_primitive::<TimestampMicrosecondType>().values()
                    }
                    TimeUnit::Nanosecond => {
                        array.as_primitive::<TimestampNanosecondType>().values()
                    }
                };
                Source::Timestamp {
                    values,
                    unit: *unit,
                    local: tz.is_none(),
                }
            }
            (Kind::Date, DataType::Date32) => {
                Source::Date32(array.as_primitive::<Date32Type>().values())
            }
            (Kind::Date, DataType::Date64) => {
                Source::Date64(array.as_primitive::<Date64Type>().values())
            }
            (Kind::Money, DataType::Decimal128(_, scale)) => {
                Source::Decimal128(array.as_primitive::<Decimal128Type>().values(), *scale)
            }
            (Kind::Money, DataType::Decimal256(_, scale)) => {
                Source::Decimal256(array.as_primitive::<Decimal256Type>(), *scale)
            }
            (Kind::Money | Kind::Count, _) if Integers::new(array).is_some() => {
                Integers::new(array).map_or(Source::Written, Source::Integers)
            }
            (Kind::Bool, DataType::Boolean) => Source::Boolean(array.as_boolean()),
            _ => Source::Written,
        }
    }

    /// Writes the [`Source::Written`] values of row `i` into `scratch` (one field per
    /// documented column, empty for the others); for each, whether it could not be
    /// written and why.
    fn write_row(&self, i: usize, scratch: &mut Record, failed: &mut [Option<&'static str>]) {
        scratch.start(0);
        let mut value = Vec::new();
        for (col, failed) in self.cols.iter().zip(failed.iter_mut()) {
            *failed = None;
            value.clear();
            if matches!(col.source, Source::Written)
                && let Some(column) = &col.column
                && let Err(problem) = column.write(i, &mut value)
            {
                value.clear();
                *failed = Some(problem);
            }
            scratch.push_field(&value);
        }
    }
}

/// Row `i` of a [`Batch`], read by the CSV reader's row parsers.
struct Row<'r> {
    batch: &'r Batch<'r>,
    i: usize,
    /// The written values of this row ([`Source::Written`] columns only).
    scratch: &'r Record,
    failed: &'r [Option<&'static str>],
}

impl<'r> Row<'r> {
    /// Value `k` through its text, as a CSV field holding that text would read:
    /// for a written column, the scratch record's field; for a typed one whose value
    /// is unusual (beyond a type's range), the text written now.
    #[cold]
    #[inline(never)]
    fn through_text<T>(
        &self,
        k: usize,
        parse: &dyn Fn(&[u8]) -> Result<T, &'static str>,
    ) -> Result<Option<T>, FieldError> {
        let name = self.name(k);
        if let Some(problem) = self.failed[k] {
            return Err(FieldError::new(name, problem, &[]));
        }
        let mut owned = Vec::new();
        let col = &self.batch.cols[k];
        let raw: &[u8] = match &col.column {
            None => return Ok(None),
            Some(_) if matches!(col.source, Source::Written) => self.scratch.field(k),
            Some(column) => {
                if let Err(problem) = column.write(self.i, &mut owned) {
                    return Err(FieldError::new(name, problem, &[]));
                }
                &owned
            }
        };
        if raw.is_empty() {
            return Ok(None);
        }
        parse(raw)
            .map(Some)
            .map_err(|problem| FieldError::new(name, problem, raw))
    }

    /// Value `k` as a string, when its column holds strings (`None` for a null).
    #[inline]
    fn string(&self, k: usize) -> Option<Option<&'r str>> {
        let col = &self.batch.cols[k];
        match &col.source {
            Source::Strings(strings) => {
                Some((!strings.is_null(self.i)).then(|| strings.value(self.i)))
            }
            Source::Dictionary(strings) => Some(if col.is_null(self.i) {
                None
            } else {
                let keys = col.column.as_ref().and_then(|c| c.dictionary.as_ref());
                let key = keys.and_then(|(keys, _)| keys.get(self.i)).copied();
                key.filter(|&key| !strings.is_null(key))
                    .map(|key| strings.value(key))
            }),
            _ => None,
        }
    }

    /// Column `k`'s value from a typed column: a string column through `grammar`, an
    /// absent column or a null as `None`, then `fast` (the typed value of row `i`, `None`
    /// when the column's type has no direct reading or the value is outside what the
    /// text would allow), else the text path, so that a typed value is judged exactly as
    /// its text would be.
    #[inline]
    fn typed<T>(
        &self,
        k: usize,
        grammar: impl Fn(&[u8]) -> Result<T, &'static str>,
        fast: impl FnOnce(&Source<'_>, usize) -> Option<T>,
    ) -> Result<Option<T>, FieldError> {
        if let Some(value) = self.read_string(k, &grammar) {
            return value;
        }
        let col = &self.batch.cols[k];
        if matches!(col.source, Source::Absent) || col.is_null(self.i) {
            return Ok(None);
        }
        match fast(&col.source, self.i) {
            Some(value) => Ok(Some(value)),
            None => self.through_text(k, &grammar),
        }
    }

    /// Value `k` read from its string (`Some`) with `parse`, as from a CSV field.
    #[inline]
    fn read_string<T>(
        &self,
        k: usize,
        parse: impl Fn(&[u8]) -> Result<T, &'static str>,
    ) -> Option<Result<Option<T>, FieldError>> {
        let value = self.string(k)?;
        Some(match value {
            None | Some("") => Ok(None),
            Some(text) => parse(text.as_bytes())
                .map(Some)
                .map_err(|problem| FieldError::new(self.name(k), problem, text.as_bytes())),
        })
    }

    /// The row's id (column 0) as a rejection shows it, as the text path shows it.
    fn id(&self) -> Option<std::borrow::Cow<'r, str>> {
        let value = match self.string(0) {
            Some(text) => text.map(std::borrow::Cow::Borrowed),
            None if self.failed[0].is_some() => {
                Some(String::from_utf8_lossy(PLACEHOLDER).into_owned().into())
            }
            None => Some(String::from_utf8_lossy(self.scratch.field(0))),
        };
        value.filter(|id| !id.is_empty())
    }
}

/// A value that could not be written as text shows as this in a rejection's id: the
/// text path's placeholder, which is not UTF-8.
const PLACEHOLDER: &[u8] = b"\xFF";

impl<'r> RowFields<'r> for Row<'r> {
    #[inline]
    fn name(&self, k: usize) -> &'static str {
        self.batch.names[k].name
    }

    #[inline]
    fn text(&self, k: usize) -> Result<Option<&'r str>, FieldError> {
        if let Some(value) = self.string(k) {
            return Ok(value.filter(|s| !s.is_empty()));
        }
        match self.batch.cols[k].source {
            Source::Absent => Ok(None),
            _ => {
                if let Some(problem) = self.failed[k] {
                    return Err(FieldError::new(self.name(k), problem, &[]));
                }
                // Text columns of other types are written (see `Batch::source`); their
                // text is ASCII.
                self.text_from(k, self.scratch.field(k))
            }
        }
    }

    #[inline]
    fn parse<T>(
        &self,
        k: usize,
        parse: impl Fn(&[u8]) -> Result<T, &'static str>,
    ) -> Result<Option<T>, FieldError> {
        if let Some(value) = self.read_string(k, &parse) {
            return value;
        }
        match self.batch.cols[k].source {
            Source::Absent => Ok(None),
            _ => self.through_text(k, &parse),
        }
    }

    #[inline]
    fn timestamp(&self, k: usize) -> Result<Option<crate::calendar::Ts>, FieldError> {
        let zone = self.batch.zone;
        let grammar = |raw: &[u8]| values::timestamp(raw, zone);
        if let Some(value) = self.read_string(k, grammar) {
            return value;
        }
        let col = &self.batch.cols[k];
        match col.source {
            Source::Absent => Ok(None),
            Source::Timestamp {
                values,
                unit,
                local,
            } => {
                if col.is_null(self.i) {
                    return Ok(None);
                }
                match instant(split(unit, values[self.i]), local, zone) {
                    Some(ts) => Ok(Some(ts)),
                    None => self.through_text(k, &grammar),
                }
            }
            _ => self.through_text(k, &grammar),
        }
    }

    #[inline]
    fn decimal(&self, k: usize) -> Result<Option<rust_decimal::Decimal>, FieldError> {
        self.typed(k, values::decimal, |source, i| match *source {
            Source::Decimal128(values, scale) => decimal_of(values[i], scale),
            Source::Decimal256(array, scale) => {
                array.value(i).to_i128().and_then(|v| decimal_of(v, scale))
            }
            Source::Integers(ints) => decimal_of(ints.value(i), 0),
            _ => None,
        })
    }

    #[inline]
    fn date(&self, k: usize) -> Result<Option<chrono::NaiveDate>, FieldError> {
        self.typed(k, values::date, |source, i| match *source {
            Source::Date32(days) => date32(days[i]),
            Source::Date64(ms) => date64(ms[i]),
            _ => None,
        })
    }

    #[inline]
    fn integer(&self, k: usize) -> Result<Option<i64>, FieldError> {
        self.typed(k, values::integer, |source, i| match *source {
            Source::Integers(ints) => i64::try_from(ints.value(i)).ok(),
            _ => None,
        })
    }

    #[inline]
    fn boolean(&self, k: usize) -> Result<Option<bool>, FieldError> {
        self.typed(k, values::boolean, |source, i| match *source {
            Source::Boolean(array) => Some(array.value(i)),
            _ => None,
        })
    }
}

/// Stages the rows of `batch`, rows numbered on from the table's; their rejections are
/// [`Origin::PushedRow`](crate::Origin::PushedRow)s. With `columnar`, runs of rows are
/// staged column by column (see [`Chunk`]), and only the rows it hands back are read by
/// the table's row parser `parse`; without it (or when some column is written as text
/// per row) every row is.
fn push_rows<T: Staged>(
    stage: &mut TableStage<T>,
    batch: &Batch<'_>,
    rows: usize,
    parse: impl for<'r> Fn(&Row<'r>, u64, &mut TableStage<T>) -> Result<(), FieldError>,
    columnar: Option<Columnar<T>>,
) {
    let table = T::TABLE;
    let mut scratch = Record::default();
    let mut failed = vec![None; batch.cols.len()];
    // Empty fields unless some column is written per row.
    batch.write_row(0, &mut scratch, &mut failed);
    stage.reserve(rows);
    let (staged, rejected) = (stage.rows.len(), stage.rejections.len());
    let mut by_row = |stage: &mut TableStage<T>, i: usize| {
        if batch.written {
            batch.write_row(i, &mut scratch, &mut failed);
        }
        let row = Row {
            batch,
            i,
            scratch: &scratch,
            failed: &failed,
        };
        let line = stage.next_line();
        if let Err(e) = parse(&row, line, stage) {
            let id = if table.has_id() { row.id() } else { None };
            stage.reject(table, line, id.as_deref(), e);
        }
    };
    match columnar {
        Some(columnar) if !batch.written => columnar(stage, batch, rows, &mut by_row),
        _ => (0..rows).for_each(|i| by_row(stage, i)),
    }
    // The batch's rows are pushed rows: its rejections, now (staging) and later
    // (validation), and the range of its staged rows.
    for rejection in stage.rejections.iter_mut().skip(rejected) {
        rejection.origin = crate::error::Origin::PushedRow;
    }
    let end = stage.rows.len();
    if end > staged {
        match stage.pushed.last_mut() {
            Some((_, last)) if *last == staged => *last = end,
            _ => stage.pushed.push((staged, end)),
        }
    }
}

/// A table's columnar staging: stages rows `0..rows` of a batch in order, handing each
/// row it does not stage itself to the row parser (the last argument, with the row's
/// index).
type Columnar<T> =
    fn(&mut TableStage<T>, &Batch<'_>, usize, &mut dyn FnMut(&mut TableStage<T>, usize));

/// Rows read column by column at a time: the columns of a chunk fit in the caches.
const CHUNK: usize = 1024;

/// The rows `range` of a batch, read column by column: each column's values are
/// converted in one loop over the column (the column's layout chosen once, not per
/// value) into a vector of the chunk, and the table's staging then assembles each row
/// from these vectors. Only values that are plainly fine are converted here: a row with
/// any value the conversion does not take as it is (a value the grammar refuses, a
/// missing required value, a typed value beyond what its text would allow, a column of
/// a type that is read through text) is marked `slow` and read, whole, by the table's
/// row parser, so that its reading, its rejection and their order are exactly the row
/// parser's.
struct Chunk<'b, 'a> {
    batch: &'b Batch<'a>,
    range: std::ops::Range<usize>,
    /// Rows (from `range.start`) to read with the row parser.
    slow: Vec<bool>,
}

/// Calls `f(r, text)` for each row `range.start + r` of `range` of a column held as
/// strings (`""` for a null, or for a column not in the batch); `false`, calling
/// nothing, for a column of another type.
#[inline]
fn strings_each<'a>(
    col: &Col<'a>,
    range: std::ops::Range<usize>,
    mut f: impl FnMut(usize, &'a str),
) -> bool {
    match col.source {
        Source::Absent => (0..range.len()).for_each(|r| f(r, "")),
        Source::Strings(Strings::Utf8(a)) => {
            each_string(
                range,
                a.null_count() > 0,
                |i| a.is_valid(i),
                |i| a.value(i),
                f,
            );
        }
        Source::Strings(Strings::Large(a)) => {
            each_string(
                range,
                a.null_count() > 0,
                |i| a.is_valid(i),
                |i| a.value(i),
                f,
            );
        }
        Source::Strings(Strings::View(a)) => {
            each_string(
                range,
                a.null_count() > 0,
                |i| a.is_valid(i),
                |i| a.value(i),
                f,
            );
        }
        Source::Dictionary(values) => {
            let Some(Column {
                array,
                dictionary: Some((keys, _)),
            }) = &col.column
            else {
                return false;
            };
            let nulls = array.nulls();
            for (r, i) in range.enumerate() {
                let text = match keys.get(i) {
                    Some(&key) if nulls.is_none_or(|n| n.is_valid(i)) && !values.is_null(key) => {
                        values.value(key)
                    }
                    _ => "",
                };
                f(r, text);
            }
        }
        _ => return false,
    }
    true
}

/// [`strings_each`] for one string layout: `valid(i)` only when `nulls`.
#[inline]
fn each_string<'a>(
    range: std::ops::Range<usize>,
    nulls: bool,
    valid: impl Fn(usize) -> bool,
    value: impl Fn(usize) -> &'a str,
    mut f: impl FnMut(usize, &'a str),
) {
    if nulls {
        range
            .enumerate()
            .for_each(|(r, i)| f(r, if valid(i) { value(i) } else { "" }));
    } else {
        range.enumerate().for_each(|(r, i)| f(r, value(i)));
    }
}

impl<'b, 'a> Chunk<'b, 'a> {
    fn new(batch: &'b Batch<'a>) -> Chunk<'b, 'a> {
        Chunk {
            batch,
            range: 0..0,
            slow: Vec::with_capacity(CHUNK),
        }
    }

    /// The chunks of `rows` rows, each read by `f`.
    fn each(&mut self, rows: usize, mut f: impl FnMut(&mut Chunk<'b, 'a>)) {
        for start in (0..rows).step_by(CHUNK) {
            self.range = start..rows.min(start + CHUNK);
            self.slow.clear();
            self.slow.resize(self.range.len(), false);
            f(self);
        }
    }

    /// Column `k`'s texts (`""` when absent; a required one absent is slow).
    fn texts(&mut self, k: usize, required: bool, out: &mut Vec<&'a str>) {
        out.clear();
        let col = &self.batch.cols[k];
        if !strings_each(col, self.range.clone(), |_, text| out.push(text)) {
            out.resize(self.range.len(), "");
            self.slow.fill(true);
        } else if required {
            for (slow, text) in self.slow.iter_mut().zip(out.iter()) {
                *slow |= text.is_empty();
            }
        }
    }

    /// Column `k`'s values read from strings by `grammar` (`None` when absent; a value
    /// the grammar refuses is slow); `false` for a column not held as strings.
    fn parsed<T>(
        &mut self,
        k: usize,
        grammar: impl Fn(&[u8]) -> Option<T>,
        out: &mut Vec<Option<T>>,
    ) -> bool {
        let slow = &mut self.slow;
        strings_each(&self.batch.cols[k], self.range.clone(), |r, text| {
            if text.is_empty() {
                out.push(None);
            } else {
                let value = grammar(text.as_bytes());
                slow[r] |= value.is_none();
                out.push(value);
            }
        })
    }

    /// Column `k`'s typed values: `value(i)` of each row `i` that is not null (`None`:
    /// slow).
    fn typed<T>(&mut self, k: usize, out: &mut Vec<Option<T>>, value: impl Fn(usize) -> Option<T>) {
        let nulls = self.batch.cols[k]
            .column
            .as_ref()
            .and_then(|c| c.array.nulls())
            .filter(|n| n.null_count() > 0);
        let slow = &mut self.slow;
        for (r, i) in self.range.clone().enumerate() {
            if nulls.is_some_and(|n| n.is_null(i)) {
                out.push(None);
            } else {
                let v = value(i);
                slow[r] |= v.is_none();
                out.push(v);
            }
        }
    }

    /// After a column's values: all slow when `read` is `false` (a column of a type read
    /// through text), else a required value that is absent is slow.
    fn settle<T>(&mut self, read: bool, required: bool, out: &mut Vec<Option<T>>) {
        if !read {
            out.clear();
            out.resize_with(self.range.len(), || None);
            self.slow.fill(true);
        } else if required {
            for (slow, value) in self.slow.iter_mut().zip(out.iter()) {
                *slow |= value.is_none();
            }
        }
    }

    /// Column `k`'s enumeration values.
    fn enums<T>(
        &mut self,
        k: usize,
        required: bool,
        from: fn(&[u8]) -> Option<T>,
        out: &mut Vec<Option<T>>,
    ) {
        out.clear();
        let read = self.parsed(k, from, out);
        self.settle(read, required, out);
    }

    /// Column `k`'s instants.
    fn instants(&mut self, k: usize, required: bool, out: &mut Vec<Option<crate::calendar::Ts>>) {
        out.clear();
        let zone = self.batch.zone;
        let read = match self.batch.cols[k].source {
            Source::Timestamp {
                values,
                unit,
                local,
            } => {
                match unit {
                    TimeUnit::Second => {
                        self.typed(k, out, |i| instant((values[i], 0), local, zone))
                    }
                    TimeUnit::Millisecond => self.typed(k, out, |i| {
                        instant(split(TimeUnit::Millisecond, values[i]), local, zone)
                    }),
                    TimeUnit::Microsecond => self.typed(k, out, |i| {
                        instant(split(TimeUnit::Microsecond, values[i]), local, zone)
                    }),
                    TimeUnit::Nanosecond => self.typed(k, out, |i| {
                        instant(split(TimeUnit::Nanosecond, values[i]), local, zone)
                    }),
                }
                true
            }
            _ => self.parsed(k, |raw| values::timestamp(raw, zone).ok(), out),
        };
        self.settle(read, required, out);
    }

    /// Column `k`'s decimals.
    fn decimals(&mut self, k: usize, required: bool, out: &mut Vec<Option<rust_decimal::Decimal>>) {
        out.clear();
        let read = match self.batch.cols[k].source {
            Source::Decimal128(values, scale) => {
                self.typed(k, out, |i| decimal_of(values[i], scale));
                true
            }
            Source::Decimal256(array, scale) => {
                self.typed(k, out, |i| {
                    array.value(i).to_i128().and_then(|v| decimal_of(v, scale))
                });
                true
            }
            Source::Integers(ints) => {
                self.typed(k, out, |i| decimal_of(ints.value(i), 0));
                true
            }
            _ => self.parsed(k, |raw| values::decimal(raw).ok(), out),
        };
        self.settle(read, required, out);
    }

    /// Column `k`'s integers.
    fn integers(&mut self, k: usize, required: bool, out: &mut Vec<Option<i64>>) {
        out.clear();
        let read = match self.batch.cols[k].source {
            Source::Integers(Integers::I64(values)) => {
                self.typed(k, out, |i| Some(values[i]));
                true
            }
            Source::Integers(ints) => {
                self.typed(k, out, |i| i64::try_from(ints.value(i)).ok());
                true
            }
            _ => self.parsed(k, |raw| values::integer(raw).ok(), out),
        };
        self.settle(read, required, out);
    }

    /// Column `k`'s dates.
    fn dates(&mut self, k: usize, required: bool, out: &mut Vec<Option<chrono::NaiveDate>>) {
        out.clear();
        let read = match self.batch.cols[k].source {
            Source::Date32(days) => {
                self.typed(k, out, |i| date32(days[i]));
                true
            }
            Source::Date64(ms) => {
                self.typed(k, out, |i| date64(ms[i]));
                true
            }
            _ => self.parsed(k, |raw| values::date(raw).ok(), out),
        };
        self.settle(read, required, out);
    }

    /// Column `k`'s booleans.
    fn booleans(&mut self, k: usize, required: bool, out: &mut Vec<Option<bool>>) {
        out.clear();
        let read = match self.batch.cols[k].source {
            Source::Boolean(array) => {
                self.typed(k, out, |i| Some(array.value(i)));
                true
            }
            _ => self.parsed(k, |raw| values::boolean(raw).ok(), out),
        };
        self.settle(read, required, out);
    }
}

/// An optional text: `""` is absent.
#[inline]
fn some(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// A row of a chunk for the row parser: marked slow, or (never, but a staging must not
/// rely on the chunk's bookkeeping) a required value missing.
macro_rules! fields {
    ($chunk:ident, $r:ident, $by_row:ident, $stage:ident, ($($value:expr),*) => $($pat:pat),* ) => {
        let (false, $($pat),*) = ($chunk.slow[$r], $($value),*) else {
            $by_row($stage, $chunk.range.start + $r);
            continue;
        };
    };
}

fn columnar_customers(
    stage: &mut TableStage<StagedCustomer>,
    batch: &Batch<'_>,
    rows: usize,
    by_row: &mut dyn FnMut(&mut TableStage<StagedCustomer>, usize),
) {
    let mut text: [Vec<&str>; 7] = Default::default();
    let (mut created, mut source, mut gender, mut birth) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    Chunk::new(batch).each(rows, |c| {
        c.texts(0, true, &mut text[0]);
        c.instants(1, true, &mut created);
        c.enums(2, true, crate::model::Source::from_bytes, &mut source);
        c.texts(3, false, &mut text[1]);
        c.texts(4, false, &mut text[2]);
        c.texts(5, false, &mut text[3]);
        c.enums(6, false, crate::model::Gender::from_bytes, &mut gender);
        c.dates(7, false, &mut birth);
        c.texts(8, false, &mut text[4]);
        c.texts(9, false, &mut text[5]);
        c.texts(10, false, &mut text[6]);
        for r in 0..c.range.len() {
            fields!(c, r, by_row, stage, (created[r], source[r]) => Some(created_at), Some(source));
            let line = stage.next_line();
            let fields = CustomerFields {
                id: text[0][r],
                created_at,
                source,
                gender: gender[r],
                birth_date: birth[r],
                text: [1, 2, 3, 4, 5, 6].map(|t| some(text[t][r])),
            };
            stage.push(line, fields);
        }
    });
}

fn columnar_orders(
    stage: &mut TableStage<StagedOrder>,
    batch: &Batch<'_>,
    rows: usize,
    by_row: &mut dyn FnMut(&mut TableStage<StagedOrder>, usize),
) {
    let mut text: [Vec<&str>; 6] = Default::default();
    let (mut created, mut status, mut total, mut cost) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    Chunk::new(batch).each(rows, |c| {
        c.texts(0, true, &mut text[0]);
        c.texts(1, true, &mut text[1]);
        c.instants(2, true, &mut created);
        c.enums(3, true, OrderStatus::from_bytes, &mut status);
        c.decimals(4, true, &mut total);
        c.decimals(5, false, &mut cost);
        // The source: a free text, checked, not kept.
        c.texts(6, false, &mut text[2]);
        c.texts(7, false, &mut text[3]);
        c.texts(8, false, &mut text[4]);
        c.texts(9, false, &mut text[5]);
        for r in 0..c.range.len() {
            fields!(c, r, by_row, stage,
                (created[r], status[r], total[r]) => Some(created_at), Some(status), Some(total));
            let line = stage.next_line();
            let fields = OrderFields {
                id: text[0][r],
                customer_id: text[1][r],
                created_at,
                status,
                total,
                cost_of_goods: cost[r],
                fanpage_id: some(text[3][r]),
                staff_id: some(text[4][r]),
                has_voucher: !text[5][r].is_empty(),
            };
            stage.push(line, fields);
        }
    });
}

fn columnar_order_lines(
    stage: &mut TableStage<StagedLine>,
    batch: &Batch<'_>,
    rows: usize,
    by_row: &mut dyn FnMut(&mut TableStage<StagedLine>, usize),
) {
    let mut text: [Vec<&str>; 4] = Default::default();
    let (mut quantity, mut price) = (Vec::new(), Vec::new());
    Chunk::new(batch).each(rows, |c| {
        c.texts(0, true, &mut text[0]);
        c.texts(1, true, &mut text[1]);
        // The product's name and type: free texts, checked, not kept.
        c.texts(2, false, &mut text[2]);
        c.texts(3, false, &mut text[3]);
        c.integers(4, true, &mut quantity);
        c.decimals(5, true, &mut price);
        for r in 0..c.range.len() {
            fields!(c, r, by_row, stage, (quantity[r], price[r]) => Some(quantity), Some(unit_price));
            let line = stage.next_line();
            let fields = LineFields {
                order_id: text[0][r],
                product_id: text[1][r],
                quantity,
                unit_price,
            };
            stage.push(line, fields);
        }
    });
}

fn columnar_deals(
    stage: &mut TableStage<StagedDeal>,
    batch: &Batch<'_>,
    rows: usize,
    by_row: &mut dyn FnMut(&mut TableStage<StagedDeal>, usize),
) {
    let mut text: [Vec<&str>; 4] = Default::default();
    let mut at: [Vec<Option<crate::calendar::Ts>>; 4] = Default::default();
    let mut revenue = Vec::new();
    Chunk::new(batch).each(rows, |c| {
        c.texts(0, true, &mut text[0]);
        c.texts(1, false, &mut text[1]);
        c.instants(2, true, &mut at[0]);
        c.texts(3, true, &mut text[2]);
        c.texts(4, false, &mut text[3]);
        c.instants(5, false, &mut at[1]);
        c.instants(6, false, &mut at[2]);
        c.instants(7, false, &mut at[3]);
        c.decimals(8, false, &mut revenue);
        for r in 0..c.range.len() {
            fields!(c, r, by_row, stage, (at[0][r]) => Some(created_at));
            let line = stage.next_line();
            let fields = DealFields {
                id: text[0][r],
                customer_id: some(text[1][r]),
                created_at,
                source: text[2][r],
                product_type: some(text[3][r]),
                handed_over_at: at[1][r],
                opportunity_at: at[2][r],
                won_at: at[3][r],
                revenue: revenue[r],
            };
            stage.push(line, fields);
        }
    });
}

fn columnar_costs(
    stage: &mut TableStage<StagedCost>,
    batch: &Batch<'_>,
    rows: usize,
    by_row: &mut dyn FnMut(&mut TableStage<StagedCost>, usize),
) {
    let mut text: [Vec<&str>; 2] = Default::default();
    let (mut date, mut amount) = (Vec::new(), Vec::new());
    Chunk::new(batch).each(rows, |c| {
        c.dates(0, true, &mut date);
        c.texts(1, true, &mut text[0]);
        c.texts(2, false, &mut text[1]);
        c.decimals(3, true, &mut amount);
        for r in 0..c.range.len() {
            fields!(c, r, by_row, stage, (date[r], amount[r]) => Some(date), Some(amount));
            let line = stage.next_line();
            let fields = CostFields {
                date,
                source: text[0][r],
                product_type: some(text[1][r]),
                amount,
            };
            stage.push(line, fields);
        }
    });
}

fn columnar_interactions(
    stage: &mut TableStage<StagedInteraction>,
    batch: &Batch<'_>,
    rows: usize,
    by_row: &mut dyn FnMut(&mut TableStage<StagedInteraction>, usize),
) {
    let mut text: [Vec<&str>; 6] = Default::default();
    let (mut at, mut channel, mut kind, mut direction, mut automated) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    Chunk::new(batch).each(rows, |c| {
        c.texts(0, true, &mut text[0]);
        c.texts(1, true, &mut text[1]);
        c.instants(2, true, &mut at);
        c.enums(3, true, Channel::from_bytes, &mut channel);
        c.enums(4, true, InteractionKind::from_bytes, &mut kind);
        c.enums(5, true, Direction::from_bytes, &mut direction);
        c.texts(6, false, &mut text[2]);
        c.texts(7, false, &mut text[3]);
        c.booleans(8, false, &mut automated);
        c.texts(9, false, &mut text[4]);
        c.texts(10, false, &mut text[5]);
        for r in 0..c.range.len() {
            fields!(c, r, by_row, stage,
                (at[r], channel[r], kind[r], direction[r])
                    => Some(at), Some(channel), Some(kind), Some(direction));
            let line = stage.next_line();
            let fields = InteractionFields {
                id: text[0][r],
                customer_id: text[1][r],
                at,
                channel,
                kind,
                direction,
                fanpage_id: some(text[2][r]),
                staff_id: some(text[3][r]),
                automated: automated[r].unwrap_or(false),
                campaign_id: some(text[4][r]),
                ref_id: some(text[5][r]),
            };
            stage.push(line, fields);
        }
    });
}

/// Stages a batch into one table's stage.
pub(crate) fn push_batch_into(
    slot: &mut Slot<'_>,
    table: Table,
    batch: &RecordBatch,
    zone: &BusinessCalendar,
) -> Result<()> {
    let map = map_schema(table, &batch.schema(), InputKind::ArrowBatch)?;
    let view = Batch::new(table, batch, &map, zone);
    let rows = batch.num_rows();
    match slot {
        Slot::Customers(s) => push_rows(
            s,
            &view,
            rows,
            |f, l, s| csv::customer(f, l, s),
            Some(columnar_customers),
        ),
        Slot::Orders(s) => push_rows(
            s,
            &view,
            rows,
            |f, l, s| csv::order(f, l, s),
            Some(columnar_orders),
        ),
        Slot::OrderLines(s) => push_rows(
            s,
            &view,
            rows,
            |f, l, s| csv::order_line(f, l, s),
            Some(columnar_order_lines),
        ),
        Slot::Deals(s) => push_rows(
            s,
            &view,
            rows,
            |f, l, s| csv::deal(f, l, s),
            Some(columnar_deals),
        ),
        Slot::Costs(s) => push_rows(
            s,
            &view,
            rows,
            |f, l, s| csv::cost(f, l, s),
            Some(columnar_costs),
        ),
        Slot::Interactions(s) => push_rows(
            s,
            &view,
            rows,
            |f, l, s| csv::interaction(f, l, s),
            Some(columnar_interactions),
        ),
        // Small tables: row by row.
        Slot::Campaigns(s) => push_rows(s, &view, rows, |f, l, s| csv::campaign(f, l, s), None),
        Slot::Staff(s) => push_rows(s, &view, rows, |f, l, s| csv::staff(f, l, s), None),
        Slot::Fanpages(s) => push_rows(s, &view, rows, |f, l, s| csv::fanpage(f, l, s), None),
    }
    Ok(())
}

impl DatasetBuilder {
    /// Adds the rows of one table given as an Arrow record batch (feature `arrow`).
    ///
    /// Columns are matched by name as CSV headers are (docs/input-format.md); each value
    /// is read with the CSV value grammar, from text or from a typed column (the module
    /// docs of `crm_metrics::io::arrow` list the accepted types). Timestamps without a
    /// time zone, and text timestamps without an offset, are local times in the
    /// builder's [`time_zone`](DatasetBuilder::time_zone), so set it first. A rejected
    /// row is numbered by its position among the rows of its table
    /// ([`Origin::PushedRow`](crate::Origin::PushedRow)).
    ///
    /// # Errors
    /// * [`Error::MissingColumn`] / [`Error::DuplicateColumn`] as for a CSV header.
    /// * [`Error::ColumnType`] for a float column (money is never a float) or a column
    ///   of a type that cannot hold the column's values.
    ///
    /// Bad rows are not errors: they are rejected at [`build`](DatasetBuilder::build).
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray};
    /// use crm_metrics::{DatasetBuilder, Table};
    ///
    /// let column = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as _;
    /// let customers = RecordBatch::try_from_iter([
    ///     ("id", column(&["KH1"])),
    ///     ("created_at", column(&["2026-11-02 10:00"])),
    ///     ("source", column(&["shopee"])),
    /// ])
    /// .unwrap();
    /// let mut builder = DatasetBuilder::new();
    /// builder.push_batch(Table::Customers, &customers)?;
    /// assert_eq!(builder.build()?.customer_count(), 1);
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn push_batch(&mut self, table: Table, batch: &RecordBatch) -> Result<()> {
        match self.stage.slots([table]).pop() {
            Some(mut slot) => push_batch_into(&mut slot, table, batch, &self.zone),
            None => Ok(()),
        }
    }

    /// [`push_batch`](DatasetBuilder::push_batch) the old way, every value written as
    /// text and read by the CSV row parser: the reference the typed reading is
    /// compared with in tests.
    #[cfg(test)]
    pub(crate) fn push_batch_as_text(&mut self, table: Table, batch: &RecordBatch) -> Result<()> {
        let map = map_schema(table, &batch.schema(), InputKind::ArrowBatch)?;
        let columns: Vec<Option<Column<'_>>> = map
            .iter()
            .map(|i| i.map(|i| Column::new(batch.column(i).as_ref())))
            .collect();
        let mut value = Vec::new();
        let mut fill = |i: usize, record: &mut Record| {
            let mut bad = None;
            for (k, column) in columns.iter().enumerate() {
                value.clear();
                if let Some(column) = column
                    && let Err(problem) = column.write(i, &mut value)
                {
                    value.clear();
                    value.extend_from_slice(PLACEHOLDER);
                    if bad.is_none() {
                        let name = table.columns()[k].name;
                        bad = Some((k, FieldError::new(name, problem, &[])));
                    }
                }
                record.push_field(&value);
            }
            bad
        };
        if let Some(slot) = self.stage.slots([table]).pop() {
            slot.push_rows(batch.num_rows(), &self.zone, &mut fill);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::types::Int32Type;
    use arrow_array::{
        ArrayRef, BooleanArray, Date32Array, Date64Array, Decimal128Array, Decimal256Array,
        DictionaryArray, Int8Array, Int64Array, LargeStringArray, NullArray, StringArray,
        StringViewArray, TimestampMicrosecondArray, TimestampMillisecondArray,
        TimestampNanosecondArray, TimestampSecondArray, UInt32Array, UInt64Array,
    };
    type I256 = <Decimal256Type as arrow_array::ArrowPrimitiveType>::Native;

    #[test]
    fn scaled_decimals() {
        let s = |d: &str, scale: i8| {
            let mut out = Vec::new();
            write_scaled(d, scale, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(s("12345", 2), "123.45");
        assert_eq!(s("-5", 3), "-0.005");
        assert_eq!(s("-500", 3), "-0.500");
        assert_eq!(s("7", 0), "7");
        assert_eq!(s("7", -2), "700");
        assert_eq!(s("0", 2), "0.00");
    }

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn text(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    /// `n` copies of `value`.
    fn texts(n: usize, value: &str) -> ArrayRef {
        Arc::new(StringArray::from(vec![value; n]))
    }

    /// Ids `prefix0`, `prefix1`, …
    fn ids(n: usize, prefix: &str) -> ArrayRef {
        Arc::new(StringArray::from(
            (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>(),
        ))
    }

    /// Pushes the batches both ways, typed and as text, into builders in `zone`, and
    /// asserts the built datasets are the same: every staged row and key (the snapshot
    /// holds every field of a dataset) and every rejection, with its row number, id,
    /// column, reason and detail.
    fn same(zone: &str, batches: &[(Table, RecordBatch)]) -> Dataset {
        let zone: BusinessCalendar = zone.parse().unwrap();
        let mut typed = DatasetBuilder::new().time_zone(zone.clone());
        let mut as_text = DatasetBuilder::new().time_zone(zone);
        for (table, batch) in batches {
            typed.push_batch(*table, batch).unwrap();
            as_text.push_batch_as_text(*table, batch).unwrap();
        }
        let (typed, as_text) = (typed.build().unwrap(), as_text.build().unwrap());
        assert_eq!(typed.quality(), as_text.quality());
        let rejections = |d: &Dataset| {
            d.quality()
                .rejections()
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(rejections(&typed), rejections(&as_text));
        let snapshot = |d: &Dataset| {
            let mut bytes = Vec::new();
            d.write_snapshot(&mut bytes).unwrap();
            bytes
        };
        assert!(snapshot(&typed) == snapshot(&as_text), "snapshots differ");
        typed
    }

    use crate::Dataset;

    /// A small deterministic generator (no dependency): xorshift.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        /// Mostly ordinary values, sometimes extreme ones.
        fn i64(&mut self, ordinary: i64) -> i64 {
            match self.next() % 8 {
                0 => self.next() as i64,
                1 => [i64::MIN, i64::MAX, 0, -1, 1][(self.next() % 5) as usize],
                _ => (self.next() % (2 * ordinary as u64)) as i64 - ordinary,
            }
        }
        fn null(&mut self) -> bool {
            self.next().is_multiple_of(10)
        }
    }

    fn customers(n: usize) -> RecordBatch {
        batch(vec![
            ("id", ids(n, "KH")),
            ("created_at", texts(n, "2020-01-01 00:00")),
            ("source", texts(n, "pos")),
        ])
    }

    /// Timestamps of every unit, with and without a zone, random and at the edges of
    /// the four-digit years, with nulls, in a zone with DST.
    #[test]
    fn typed_timestamps_read_as_their_text() {
        const N: usize = 3000;
        for zone in ["+07:00", "Europe/Berlin", "-05:30"] {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            // Seconds around now ±200 years, and the edges of years 0000 and 9999.
            let edges = [
                -62_167_219_200i64,
                -62_167_219_201,
                253_402_300_799,
                253_402_300_800,
                // The Berlin DST gap and overlap of 2026, as wall-clock times.
                1_774_747_800, // 2026-03-29 01:30
                1_774_744_200, // 2026-03-29 00:30
                1_774_751_400, // 2026-03-29 02:30 (in the gap)
                1_792_895_400, // 2026-10-25 02:30 (in the overlap)
                1_792_891_800, // 2026-10-25 01:30
                1_792_899_000, // 2026-10-25 03:30
            ];
            let mut secs: Vec<Option<i64>> = (0..N)
                .map(|i| {
                    if rng.null() {
                        None
                    } else if i < edges.len() {
                        Some(edges[i])
                    } else {
                        Some(rng.i64(6_400_000_000))
                    }
                })
                .collect();
            secs[N - 1] = Some(i64::MIN);
            let frac = |rng: &mut Rng, per: i64| (rng.next() % per as u64) as i64;
            let scaled = |rng: &mut Rng, per: i64| -> Vec<Option<i64>> {
                secs.iter()
                    .map(|s| s.map(|s| s.saturating_mul(per).saturating_add(frac(rng, per))))
                    .collect()
            };
            let ms = scaled(&mut rng, 1_000);
            let us = scaled(&mut rng, 1_000_000);
            let ns = scaled(&mut rng, 1_000_000_000);
            for tz in [None, Some("UTC"), Some("+07:00")] {
                let with = |a: ArrayRef| -> ArrayRef {
                    match tz {
                        None => a,
                        Some(tz) => arrow_cast_tz(a, tz),
                    }
                };
                let columns: [ArrayRef; 4] = [
                    with(Arc::new(TimestampSecondArray::from(secs.clone()))),
                    with(Arc::new(TimestampMillisecondArray::from(ms.clone()))),
                    with(Arc::new(TimestampMicrosecondArray::from(us.clone()))),
                    with(Arc::new(TimestampNanosecondArray::from(ns.clone()))),
                ];
                for at in columns {
                    let deals = batch(vec![
                        ("id", ids(N, "D")),
                        ("created_at", texts(N, "2026-01-01 00:00")),
                        ("source", texts(N, "ads")),
                        // Optional and required timestamps.
                        ("won_at", at.clone()),
                    ]);
                    let interactions = batch(vec![
                        ("id", ids(N, "T")),
                        ("customer_id", texts(N, "KH0")),
                        ("at", at),
                        ("channel", texts(N, "zalo")),
                        ("kind", texts(N, "message")),
                        ("direction", texts(N, "inbound")),
                    ]);
                    let d = same(
                        zone,
                        &[
                            (Table::Customers, customers(1)),
                            (Table::Deals, deals),
                            (Table::Interactions, interactions),
                        ],
                    );
                    // Most rows are accepted: the comparison is not all rejections.
                    let accepted = d.quality().table(Table::Interactions).accepted;
                    assert!(
                        accepted > N as u64 / 2,
                        "{:?}",
                        d.quality().table(Table::Interactions)
                    );
                }
            }
        }
    }

    /// A timestamp array with a time zone.
    fn arrow_cast_tz(a: ArrayRef, tz: &str) -> ArrayRef {
        match a.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => Arc::new(
                a.as_primitive::<TimestampSecondType>()
                    .clone()
                    .with_timezone(tz),
            ),
            DataType::Timestamp(TimeUnit::Millisecond, _) => Arc::new(
                a.as_primitive::<TimestampMillisecondType>()
                    .clone()
                    .with_timezone(tz),
            ),
            DataType::Timestamp(TimeUnit::Microsecond, _) => Arc::new(
                a.as_primitive::<TimestampMicrosecondType>()
                    .clone()
                    .with_timezone(tz),
            ),
            _ => Arc::new(
                a.as_primitive::<TimestampNanosecondType>()
                    .clone()
                    .with_timezone(tz),
            ),
        }
    }

    /// Decimal128 and Decimal256 of many scales (negative, zero, beyond 28, 38),
    /// integers of every width for money and counts, with nulls and extremes.
    #[test]
    fn typed_numbers_read_as_their_text() {
        const N: usize = 2000;
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mantissas: Vec<Option<i128>> = (0..N)
            .map(|i| {
                if rng.null() {
                    return None;
                }
                let edges = [
                    0i128,
                    -0,
                    (1 << 96) - 1,
                    1 << 96,
                    -((1 << 96) - 1),
                    -(1 << 96),
                    10i128.pow(38) - 1,
                    -(10i128.pow(38) - 1),
                    12_345_000,
                    -500,
                    7_000_000_000_000_000_000_000_000_000,
                ];
                Some(match i {
                    i if i < edges.len() => edges[i],
                    _ => match rng.next() % 4 {
                        0 => (i128::from(rng.next()) << 40) ^ i128::from(rng.next()),
                        1 => i128::from(rng.next() as i64) * 1000,
                        _ => i128::from(rng.i64(1_000_000_000)),
                    },
                })
            })
            .collect();
        for scale in [0i8, 2, 5, 18, 28, 29, 30, 38, -3] {
            let precision = 38;
            let totals: ArrayRef = Arc::new(
                Decimal128Array::from(mantissas.clone())
                    .with_precision_and_scale(precision, scale)
                    .unwrap(),
            );
            let wide: Vec<Option<I256>> = mantissas
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    m.map(|m| {
                        let m = I256::from_i128(m);
                        if i % 7 == 3 {
                            m.wrapping_mul(I256::from_i128(10i128.pow(20)))
                        } else {
                            m
                        }
                    })
                })
                .collect();
            let costs: ArrayRef = Arc::new(
                Decimal256Array::from(wide)
                    .with_precision_and_scale(76, scale)
                    .unwrap(),
            );
            let orders = batch(vec![
                ("id", ids(N, "DH")),
                ("customer_id", texts(N, "KH0")),
                ("created_at", texts(N, "2026-01-01 00:00")),
                ("status", texts(N, "completed")),
                ("total", totals),
                ("cost_of_goods", costs),
            ]);
            same(
                "+07:00",
                &[(Table::Customers, customers(1)), (Table::Orders, orders)],
            );
        }
        // Integers of every width as money and counts.
        let wide: Vec<Option<i64>> = (0..N)
            .map(|_| (!rng.null()).then(|| rng.i64(1_000_000)))
            .collect();
        let unsigned: Vec<Option<u64>> = wide.iter().map(|v| v.map(|v| v as u64)).collect();
        let small: Vec<Option<i8>> = wide.iter().map(|v| v.map(|v| v as i8)).collect();
        let medium: Vec<Option<u32>> = wide.iter().map(|v| v.map(|v| v as u32)).collect();
        let columns: [(ArrayRef, ArrayRef); 3] = [
            (
                Arc::new(Int64Array::from(wide.clone())),
                Arc::new(UInt64Array::from(unsigned.clone())),
            ),
            (
                Arc::new(UInt64Array::from(unsigned)),
                Arc::new(Int8Array::from(small)),
            ),
            (
                Arc::new(UInt32Array::from(medium)),
                Arc::new(Int64Array::from(wide)),
            ),
        ];
        for (quantity, price) in columns {
            let lines = batch(vec![
                ("order_id", texts(N, "DH0")),
                ("product_id", ids(N, "SP")),
                ("quantity", quantity.clone()),
                ("unit_price", price),
            ]);
            let fanpages = batch(vec![
                ("id", ids(N, "FP")),
                ("name", texts(N, "Page")),
                ("activated", Arc::new(BooleanArray::from(vec![true; N]))),
                ("linked_accounts", quantity),
            ]);
            same(
                "+07:00",
                &[
                    (Table::Customers, customers(1)),
                    (Table::OrderLines, lines),
                    (Table::Fanpages, fanpages),
                ],
            );
        }
    }

    /// Dates of both types, random and at the edges of the four-digit years and of
    /// chrono's range, with nulls; a Date64 that is not midnight.
    #[test]
    fn typed_dates_read_as_their_text() {
        const N: usize = 2000;
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let edges = [
            0i32,
            -719_528,
            -719_529,
            2_932_896,
            2_932_897,
            i32::MAX,
            i32::MIN,
            -1,
        ];
        let days: Vec<Option<i32>> = (0..N)
            .map(|i| {
                if rng.null() {
                    None
                } else if i < edges.len() {
                    Some(edges[i])
                } else if rng.next().is_multiple_of(8) {
                    Some(rng.next() as i32)
                } else {
                    Some((rng.next() % 200_000) as i32 - 100_000)
                }
            })
            .collect();
        let ms: Vec<Option<i64>> = days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                d.map(|d| {
                    let base = i64::from(d) * 86_400_000;
                    match i % 5 {
                        0 => base + 3_600_000,
                        1 => base - 1,
                        2 => rng.next() as i64,
                        _ => base,
                    }
                })
            })
            .collect();
        let dates: [ArrayRef; 2] = [
            Arc::new(Date32Array::from(days)),
            Arc::new(Date64Array::from(ms)),
        ];
        for date in dates {
            let costs = batch(vec![
                ("date", date.clone()),
                ("source", texts(N, "ads")),
                ("amount", texts(N, "5")),
            ]);
            let customers = batch(vec![
                ("id", ids(N, "KH")),
                ("created_at", texts(N, "2020-01-01 00:00")),
                ("source", texts(N, "pos")),
                ("birth_date", date),
            ]);
            same(
                "+07:00",
                &[(Table::Customers, customers), (Table::Costs, costs)],
            );
        }
    }

    /// Booleans with nulls, string layouts and dictionaries (capitals, null keys and
    /// null values), a Null column, and typed columns that hold text (ids as integers,
    /// a status as a date, an id as a timestamp beyond chrono's range): all as text.
    #[test]
    fn strings_booleans_and_written_columns_read_as_their_text() {
        let automated = Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
            None,
        ])) as ArrayRef;
        let keys = arrow_array::Int32Array::from(vec![Some(0), Some(1), None, Some(2), Some(3)]);
        let values = StringArray::from(vec![Some("Zalo"), Some(" FACEBOOK "), None, Some("fax")]);
        let channel: ArrayRef =
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).unwrap());
        let interactions = batch(vec![
            (
                "id",
                Arc::new(UInt32Array::from(vec![
                    Some(1),
                    Some(2),
                    Some(3),
                    None,
                    Some(1),
                ])),
            ),
            (
                "customer_id",
                Arc::new(LargeStringArray::from(vec!["KH0", "KH0", "", "KH9", "KH0"])),
            ),
            ("at", texts(5, "2026-01-01 10:00")),
            ("channel", channel),
            ("kind", texts(5, "message")),
            (
                "direction",
                Arc::new(StringViewArray::from(vec![
                    Some("Inbound"),
                    Some("outbound"),
                    None,
                    Some("in"),
                    Some("inbound"),
                ])),
            ),
            ("automated", automated),
            ("fanpage_id", Arc::new(NullArray::new(5))),
            (
                "staff_id",
                Arc::new(Date32Array::from(vec![
                    Some(1),
                    None,
                    Some(-800_000),
                    Some(3),
                    Some(4),
                ])),
            ),
            (
                "campaign_id",
                Arc::new(BooleanArray::from(vec![
                    Some(true),
                    None,
                    Some(false),
                    None,
                    None,
                ])),
            ),
        ]);
        let orders = batch(vec![
            (
                "id",
                Arc::new(
                    TimestampSecondArray::from(vec![Some(0), Some(i64::MAX), None, Some(5)])
                        .with_timezone("UTC"),
                ),
            ),
            ("customer_id", Arc::new(Int64Array::from(vec![0, 0, 0, -3]))),
            ("created_at", texts(4, "2026-01-01 10:00")),
            (
                "status",
                Arc::new(Date32Array::from(vec![Some(0), Some(1), None, Some(2)])),
            ),
            (
                "total",
                Arc::new(BooleanArray::from(vec![
                    Some(true),
                    None,
                    Some(false),
                    None,
                ])),
            ),
            (
                "voucher_code",
                Arc::new(Decimal128Array::from(vec![
                    Some(1),
                    None,
                    Some(0),
                    Some(-5),
                ])),
            ),
        ]);
        let fanpages = batch(vec![
            ("id", texts(3, "FP1")),
            ("name", text(&[Some("A"), None, Some("")])),
            (
                "activated",
                Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
            ),
            (
                "linked_accounts",
                Arc::new(Int64Array::from(vec![-1, 2, 3])),
            ),
        ]);
        let customers = batch(vec![
            ("id", Arc::new(Int64Array::from(vec![0, 1, 2]))),
            ("created_at", texts(3, "2020-01-01 00:00")),
            ("source", texts(3, "pos")),
            (
                "gender",
                Arc::new(
                    vec![Some("Female"), None, Some("x")]
                        .into_iter()
                        .collect::<DictionaryArray<Int32Type>>(),
                ),
            ),
        ]);
        let d = same(
            "Europe/Berlin",
            &[
                (Table::Customers, customers),
                (Table::Interactions, interactions),
                (Table::Orders, orders),
                (Table::Fanpages, fanpages),
            ],
        );
        assert!(!d.quality().is_clean());
    }

    /// The columnar staging against the row parser, on text columns of every table it
    /// serves, over several chunks and batches: good values mixed with bad ones (the
    /// grammar refuses them), missing required values, duplicate ids, nulls and
    /// dictionaries, so that rows staged column by column and rows handed to the row
    /// parser interleave; every staged row and rejection must be the row parser's.
    #[test]
    fn columnar_staging_reads_as_the_row_parser() {
        const N: usize = 2600;
        let mut rng = Rng(0xA076_1D64_78BD_642F);
        // Mostly `good`, sometimes one of `bad`, sometimes empty or null.
        let mut column = |good: &dyn Fn(usize) -> String, bad: &[&str]| -> ArrayRef {
            let values: Vec<Option<String>> = (0..N)
                .map(|i| match rng.next() % 40 {
                    0 => None,
                    1 => Some(String::new()),
                    2 if !bad.is_empty() => {
                        Some(bad[(rng.next() % bad.len() as u64) as usize].into())
                    }
                    _ => Some(good(i)),
                })
                .collect();
            Arc::new(StringArray::from(values))
        };
        let id = |p: &'static str| move |i: usize| format!("{p}{}", i % (N - 40));
        let at = |i: usize| format!("2026-0{}-1{} 10:{:02}", 1 + i % 9, i % 10, i % 60);
        let instants = ["2026-13-01 00:00", "yesterday", "2026-02-30"];
        let money = ["12,5", "1e3", "abc", "99999999999999999999999999999999"];
        let customers = batch(vec![
            ("id", column(&id("KH"), &[])),
            ("created_at", column(&at, &instants)),
            (
                "source",
                column(&|i| ["pos", "Shopee", " zalo "][i % 3].into(), &["fax"]),
            ),
            ("name", column(&|i| format!("Name {i}"), &[])),
            (
                "gender",
                column(&|i| ["female", "MALE"][i % 2].into(), &["x"]),
            ),
            (
                "birth_date",
                column(&|i| format!("19{:02}-01-02", i % 100), &["1990-02-31"]),
            ),
            ("notes", column(&|_| "n".into(), &[])),
        ]);
        let orders = batch(vec![
            ("id", column(&id("DH"), &[])),
            ("customer_id", column(&id("KH"), &[])),
            ("created_at", column(&at, &instants)),
            (
                "status",
                column(&|i| ["completed", "Cancelled"][i % 2].into(), &["lost"]),
            ),
            ("total", column(&|i| format!("{i}.50"), &money)),
            ("cost_of_goods", column(&|i| format!("{i}"), &money)),
            ("fanpage_id", column(&id("FP"), &[])),
            ("voucher_code", column(&|_| "V".into(), &[])),
        ]);
        let lines = batch(vec![
            ("order_id", column(&id("DH"), &[])),
            ("product_id", column(&id("SP"), &[])),
            ("product_name", column(&|_| "p".into(), &[])),
            ("quantity", column(&|i| format!("{}", i % 7), &["1.5", "x"])),
            ("unit_price", column(&|i| format!("{i}"), &money)),
        ]);
        let deals = batch(vec![
            ("id", column(&id("D"), &[])),
            ("customer_id", column(&id("KH"), &[])),
            ("created_at", column(&at, &instants)),
            ("source", column(&|_| "ads".into(), &[])),
            ("product_type", column(&|_| "t".into(), &[])),
            ("handed_over_at", column(&at, &instants)),
        ]);
        let costs = batch(vec![
            (
                "date",
                column(&|i| format!("2026-01-{:02}", 1 + i % 28), &["2026-01-32"]),
            ),
            ("source", column(&|_| "ads".into(), &[])),
            ("amount", column(&|i| format!("{i}"), &money)),
        ]);
        let keys: Vec<Option<i32>> = (0..N)
            .map(|i| (i % 50 != 7).then_some((i % 4) as i32))
            .collect();
        let values = StringArray::from(vec![Some("Zalo"), Some("facebook"), None, Some("fax")]);
        let channel: ArrayRef =
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys.into(), Arc::new(values)).unwrap());
        let interactions = batch(vec![
            ("id", column(&id("T"), &[])),
            ("customer_id", column(&id("KH"), &[])),
            ("at", column(&at, &instants)),
            ("channel", channel),
            ("kind", column(&|_| "message".into(), &["mail"])),
            (
                "direction",
                column(&|i| ["inbound", "Outbound"][i % 2].into(), &["up"]),
            ),
            (
                "automated",
                column(&|i| ["true", "false"][i % 2].into(), &["yes?"]),
            ),
            ("staff_id", column(&id("NV"), &[])),
        ]);
        let d = same(
            "Europe/Berlin",
            &[
                (Table::Customers, customers.slice(0, 1500)),
                (Table::Customers, customers.slice(1500, N - 1500)),
                (Table::Orders, orders.slice(0, 2000)),
                (Table::Orders, orders.slice(2000, N - 2000)),
                (Table::OrderLines, lines),
                (Table::Deals, deals),
                (Table::Costs, costs),
                (Table::Interactions, interactions.slice(0, 1100)),
                (Table::Interactions, interactions.slice(1100, N - 1100)),
            ],
        );
        // Both kinds of rows occur in every table.
        for table in [
            Table::Customers,
            Table::Orders,
            Table::OrderLines,
            Table::Deals,
            Table::Costs,
            Table::Interactions,
        ] {
            let q = d.quality().table(table);
            assert!(
                q.accepted > N as u64 / 8 && q.rejected > 20,
                "{table:?}: {q:?}"
            );
        }
    }
}
