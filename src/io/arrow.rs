//! Arrow record batches into a [`DatasetBuilder`] (feature `arrow`).
//!
//! A batch holds rows of one table. Its columns are matched to the table's columns by
//! name with the rules of the CSV headers (ASCII case and surrounding blanks ignored,
//! an inner space or hyphen read as `_`); unknown columns are ignored; a missing
//! required column or a column given twice is an error, as for a CSV file.
//!
//! Every row is read with exactly the value grammar of the CSV files
//! (docs/input-format.md#values): each value is handed to the CSV reader's row parser as
//! the text a CSV field would hold, so a batch of text columns behaves exactly like the
//! CSV file, with the same rejections. Typed columns are written as that text first:
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

use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};

use crate::dataset::{DatasetBuilder, FieldError};
use crate::error::{Error, Result, Table};
use crate::io::csv::header_name;
use crate::io::records::Record;

/// The money columns: a float there is its own error.
const MONEY: &[&str] = &["total", "cost_of_goods", "unit_price", "revenue", "amount"];

/// For each of `table`'s columns (documented order), the index of the schema's field
/// holding it, if any.
///
/// # Errors
/// [`Error::DuplicateColumn`], [`Error::MissingColumn`], as for a CSV header, and
/// [`Error::ColumnType`] for a column of a type it cannot be read from.
pub(crate) fn map_schema(table: Table, schema: &Schema) -> Result<Vec<Option<usize>>> {
    let names = table.columns();
    let mut map = vec![None; names.len()];
    for (i, field) in schema.fields().iter().enumerate() {
        let name = header_name(field.name().as_bytes());
        if let Some(k) = names.iter().position(|c| c.name == name) {
            if map[k].is_some() {
                return Err(Error::DuplicateColumn {
                    table,
                    column: names[k].name,
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

/// A placeholder for a value that could not be written: not UTF-8, so every column's
/// grammar rejects it.
const PLACEHOLDER: &[u8] = b"\xFF";

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
        let map = map_schema(table, &batch.schema())?;
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
}
