//! Reading the nine CSV files (docs/input-format.md) into a [`DatasetBuilder`].
//!
//! Any column order; header names matched ignoring ASCII case and surrounding spaces,
//! with an inner space or hyphen read as `_` (`Created At`, `customer-id`); unknown extra
//! columns ignored; an empty field is absent; RFC 4180 quoting (with exact physical line
//! numbers, a UTF-8 BOM and any line ends tolerated). A missing optional file is an
//! empty table; a missing required file or required column, a column given twice, or a
//! header that looks `;`- or tab-separated is an error naming the file. Each record's
//! fields are parsed with the value grammar in the documented column order, so a bad
//! row is a `parse_error` naming its first bad column.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::calendar::BusinessCalendar;
use crate::dataset::values;
use crate::dataset::{
    CostFields, CustomerFields, DatasetBuilder, DealFields, FieldError, InteractionFields,
    LineFields, OrderFields, Staged, StagedCampaign, StagedCost, StagedCustomer, StagedDeal,
    StagedFanpage, StagedInteraction, StagedLine, StagedOrder, StagedStaff, TableStage,
};
use crate::error::{Error, InputKind, Reason, Rejection, Result, Table};
use crate::io::records::{Record, RecordReader, View};
use crate::io::{MAX_FIELDS, MAX_RECORD_BYTES};
use crate::model::{Channel, Column, Direction, Gender, InteractionKind, OrderStatus, Source};

/// A row's values by documented column index `k`, as the row parsers read them: from a
/// CSV record ([`Fields`]) or from the columns of an Arrow record batch
/// (`io::arrow`). Every getter returns `None` for an absent value (an empty field, a
/// column not in the file, a null), and a [`FieldError`] naming the column for a value
/// that breaks the value grammar (docs/input-format.md#values).
pub(crate) trait RowFields<'a> {
    /// Column `k`'s name.
    fn name(&self, k: usize) -> &'static str;

    /// A text value (an id, a free text), borrowed.
    fn text(&self, k: usize) -> Result<Option<&'a str>, FieldError>;

    /// A text value from a field's bytes: empty is absent, bytes that are not UTF-8 are
    /// a [`FieldError`] naming column `k`.
    #[inline]
    fn text_from(&self, k: usize, raw: &'a [u8]) -> Result<Option<&'a str>, FieldError> {
        if raw.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(raw)
            .map(Some)
            .map_err(|_| FieldError::new(self.name(k), "invalid UTF-8", raw))
    }

    /// A value read from its bytes with `parse` (the enumerations, a count).
    fn parse<T>(
        &self,
        k: usize,
        parse: impl Fn(&[u8]) -> Result<T, &'static str>,
    ) -> Result<Option<T>, FieldError>;

    /// A timestamp (local in the business time zone when it has no offset).
    fn timestamp(&self, k: usize) -> Result<Option<crate::calendar::Ts>, FieldError>;

    /// A decimal ([`values::decimal`]).
    fn decimal(&self, k: usize) -> Result<Option<rust_decimal::Decimal>, FieldError> {
        self.parse(k, values::decimal)
    }

    /// A calendar date ([`values::date`]).
    fn date(&self, k: usize) -> Result<Option<chrono::NaiveDate>, FieldError> {
        self.parse(k, values::date)
    }

    /// An integer ([`values::integer`]).
    fn integer(&self, k: usize) -> Result<Option<i64>, FieldError> {
        self.parse(k, values::integer)
    }

    /// A boolean ([`values::boolean`]).
    fn boolean(&self, k: usize) -> Result<Option<bool>, FieldError> {
        self.parse(k, values::boolean)
    }

    /// `value` of column `k`, a missing required value when absent.
    #[inline]
    fn need<T>(&self, k: usize, value: Option<T>) -> Result<T, FieldError> {
        value.ok_or_else(|| FieldError::missing(self.name(k)))
    }

    #[inline]
    fn required_text(&self, k: usize) -> Result<&'a str, FieldError> {
        let value = self.text(k)?;
        self.need(k, value)
    }

    #[inline]
    fn required_timestamp(&self, k: usize) -> Result<crate::calendar::Ts, FieldError> {
        let value = self.timestamp(k)?;
        self.need(k, value)
    }

    #[inline]
    fn required<T>(
        &self,
        k: usize,
        parse: impl Fn(&[u8]) -> Result<T, &'static str>,
    ) -> Result<T, FieldError> {
        let value = self.parse(k, parse)?;
        self.need(k, value)
    }
}

/// A record seen through a table's header: field `k` of the table's column list.
pub(crate) struct Fields<'a> {
    /// The record, with its text when it is valid UTF-8.
    record: View<'a>,
    /// For each documented column, its position in the record (`usize::MAX`: not in the file).
    map: &'a [usize],
    names: &'static [Column],
    /// The business time zone, for timestamps without an offset.
    zone: &'a BusinessCalendar,
}

impl<'a> Fields<'a> {
    #[inline]
    fn raw(&self, k: usize) -> &'a [u8] {
        self.record.field(self.map[k])
    }

    /// [`RowFields::text`] of a record that is not valid UTF-8 as a whole: field by
    /// field (rare, so kept out of line).
    #[cold]
    #[inline(never)]
    fn text_of_record_not_utf8(&self, k: usize) -> Result<Option<&'a str>, FieldError> {
        self.text_from(k, self.raw(k))
    }
}

impl<'a> RowFields<'a> for Fields<'a> {
    #[inline]
    fn name(&self, k: usize) -> &'static str {
        self.names[k].name
    }

    #[inline(always)]
    fn text(&self, k: usize) -> Result<Option<&'a str>, FieldError> {
        if self.record.as_str().is_some() {
            return Ok(self.record.field_str(self.map[k]).filter(|s| !s.is_empty()));
        }
        self.text_of_record_not_utf8(k)
    }

    #[inline]
    fn parse<T>(
        &self,
        k: usize,
        parse: impl Fn(&[u8]) -> Result<T, &'static str>,
    ) -> Result<Option<T>, FieldError> {
        let raw = self.raw(k);
        if raw.is_empty() {
            return Ok(None);
        }
        parse(raw)
            .map(Some)
            .map_err(|problem| FieldError::new(self.name(k), problem, raw))
    }

    #[inline]
    fn timestamp(&self, k: usize) -> Result<Option<crate::calendar::Ts>, FieldError> {
        self.parse(k, |raw| values::timestamp(raw, self.zone))
    }
}

/// An enumerated value; the error lists every allowed value (`expected`).
fn enumeration<T>(
    from: fn(&[u8]) -> Option<T>,
    expected: fn() -> &'static str,
) -> impl Fn(&[u8]) -> Result<T, &'static str> {
    move |raw| from(raw).ok_or_else(expected)
}

pub(crate) fn customer<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedCustomer>,
) -> Result<(), FieldError> {
    let fields = CustomerFields {
        id: f.required_text(0)?,
        created_at: f.required_timestamp(1)?,
        source: f.required(2, enumeration(Source::from_bytes, Source::expected))?,
        text: [f.text(3)?, f.text(4)?, f.text(5)?, None, None, None],
        gender: f.parse(6, enumeration(Gender::from_bytes, Gender::expected))?,
        birth_date: f.date(7)?,
    };
    let text = [
        fields.text[0],
        fields.text[1],
        fields.text[2],
        f.text(8)?,
        f.text(9)?,
        f.text(10)?,
    ];
    stage.push(line, CustomerFields { text, ..fields });
    Ok(())
}

pub(crate) fn order<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedOrder>,
) -> Result<(), FieldError> {
    let fields = OrderFields {
        id: f.required_text(0)?,
        customer_id: f.required_text(1)?,
        created_at: f.required_timestamp(2)?,
        status: f.required(
            3,
            enumeration(OrderStatus::from_bytes, OrderStatus::expected),
        )?,
        total: f.need(4, f.decimal(4)?)?,
        cost_of_goods: f.decimal(5)?,
        fanpage_id: {
            f.text(6)?; // source: free text, checked for UTF-8, not used by any metric
            f.text(7)?
        },
        staff_id: f.text(8)?,
        has_voucher: f.text(9)?.is_some(),
    };
    stage.push(line, fields);
    Ok(())
}

pub(crate) fn order_line<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedLine>,
) -> Result<(), FieldError> {
    let order_id = f.required_text(0)?;
    let product_id = f.required_text(1)?;
    f.text(2)?; // product_name and product_type: checked for UTF-8, not used by any metric
    f.text(3)?;
    let fields = LineFields {
        order_id,
        product_id,
        quantity: f.need(4, f.integer(4)?)?,
        unit_price: f.need(5, f.decimal(5)?)?,
    };
    stage.push(line, fields);
    Ok(())
}

pub(crate) fn deal<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedDeal>,
) -> Result<(), FieldError> {
    let fields = DealFields {
        id: f.required_text(0)?,
        customer_id: f.text(1)?,
        created_at: f.required_timestamp(2)?,
        source: f.required_text(3)?,
        product_type: f.text(4)?,
        handed_over_at: f.timestamp(5)?,
        opportunity_at: f.timestamp(6)?,
        won_at: f.timestamp(7)?,
        revenue: f.decimal(8)?,
    };
    stage.push(line, fields);
    Ok(())
}

pub(crate) fn cost<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedCost>,
) -> Result<(), FieldError> {
    let fields = CostFields {
        date: f.need(0, f.date(0)?)?,
        source: f.required_text(1)?,
        product_type: f.text(2)?,
        amount: f.need(3, f.decimal(3)?)?,
    };
    stage.push(line, fields);
    Ok(())
}

pub(crate) fn interaction<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedInteraction>,
) -> Result<(), FieldError> {
    let fields = InteractionFields {
        id: f.required_text(0)?,
        customer_id: f.required_text(1)?,
        at: f.required_timestamp(2)?,
        channel: f.required(3, enumeration(Channel::from_bytes, Channel::expected))?,
        kind: f.required(
            4,
            enumeration(InteractionKind::from_bytes, InteractionKind::expected),
        )?,
        direction: f.required(5, enumeration(Direction::from_bytes, Direction::expected))?,
        fanpage_id: f.text(6)?,
        staff_id: f.text(7)?,
        automated: f.boolean(8)?.unwrap_or(false),
        campaign_id: f.text(9)?,
        ref_id: f.text(10)?,
    };
    stage.push(line, fields);
    Ok(())
}

pub(crate) fn campaign<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedCampaign>,
) -> Result<(), FieldError> {
    let id = f.required_text(0)?;
    let name = f.required_text(1)?;
    let channel = f.parse(2, enumeration(Channel::from_bytes, Channel::expected))?;
    stage.push(line, id, name, channel);
    Ok(())
}

pub(crate) fn staff<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedStaff>,
) -> Result<(), FieldError> {
    let id = f.required_text(0)?;
    let name = f.required_text(1)?;
    stage.push(line, id, name);
    Ok(())
}

fn linked_accounts(raw: &[u8]) -> Result<u64, &'static str> {
    let n = values::integer(raw)?;
    u64::try_from(n).map_err(|_| "a count cannot be negative")
}

pub(crate) fn fanpage<'a>(
    f: &impl RowFields<'a>,
    line: u64,
    stage: &mut TableStage<StagedFanpage>,
) -> Result<(), FieldError> {
    let id = f.required_text(0)?;
    let name = f.required_text(1)?;
    let channel = f.parse(2, enumeration(Channel::from_bytes, Channel::expected))?;
    let activated = f.need(3, f.boolean(3)?)?;
    let linked = f.required(4, linked_accounts)?;
    stage.push(line, (id, name), channel, activated, linked);
    Ok(())
}

/// Typical bytes per row of each table's file, to size tables from a file's length.
fn bytes_per_row(table: Table) -> u64 {
    match table {
        Table::Customers => 110,
        Table::Orders => 90,
        Table::OrderLines => 55,
        Table::Deals => 120,
        Table::Costs => 35,
        Table::Interactions => 80,
        Table::Campaigns | Table::Staff | Table::Fanpages => 30,
    }
}

/// Sizing a table's storage from its file's size without trusting that size: a file may
/// claim 64 GB (a sparse file) and hold no row. The first reservation covers at most
/// [`Reserve::AHEAD`] bytes of the file; later ones, made as reading goes on, at most
/// double the rows actually staged. So what is reserved stays within twice the rows
/// kept, whatever the file's declared size.
struct Reserve {
    per_row: u64,
    /// The file's declared size in bytes (0 when unknown).
    bytes: u64,
    /// Rows reserved so far (total, not additional).
    rows: usize,
}

impl Reserve {
    /// At most this many bytes' worth of rows are reserved before any is read.
    const AHEAD: u64 = 64 << 20;

    fn new(table: Table, bytes: u64) -> Reserve {
        Reserve {
            per_row: bytes_per_row(table),
            bytes,
            rows: 0,
        }
    }

    fn first<T: Staged>(&mut self, stage: &mut TableStage<T>) {
        let rows = usize::try_from(self.bytes.min(Self::AHEAD) / self.per_row).unwrap_or(0);
        stage.reserve(rows);
        self.rows = rows;
    }

    /// After `read` bytes: when the staged rows come close to what is reserved, reserve
    /// the rows the rest of the file should hold at the rate seen so far, at most as many
    /// again as are staged.
    fn more<T: Staged>(&mut self, stage: &mut TableStage<T>, read: u64) {
        let staged = stage.rows.len();
        if staged < self.rows - self.rows / 4 || read == 0 {
            return;
        }
        let left = self.bytes.saturating_sub(read);
        let expected = u128::from(left) * staged as u128 / u128::from(read);
        let more = usize::try_from(expected).unwrap_or(usize::MAX).min(staged);
        let target = staged.saturating_add(more);
        if target > self.rows {
            stage.reserve(more);
            self.rows = target;
        }
    }
}

/// A header name as it is matched: the ASCII spaces and tabs around it dropped (and a
/// byte order mark), ASCII letters lower-cased, and each inner space or hyphen read as
/// `_` (`Created At` and `created-at` are `created_at`; `Created  At` is `created__at`).
pub(crate) fn header_name(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_start_matches('\u{feff}');
    let text = text.trim_matches([' ', '\t']);
    text.chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Maps a header to the table's columns (names matched by [`header_name`]). Errors on a
/// header that looks `;`- or tab-separated, a missing required column, or a column given
/// twice.
pub(crate) fn header_map(table: Table, header: Option<&Record>) -> Result<Vec<usize>> {
    let names = table.columns();
    let mut map = vec![usize::MAX; names.len()];
    if let Some(header) = header {
        for i in 0..header.len() {
            let name = header_name(header.field(i));
            if let Some(k) = names.iter().position(|c| c.name == name) {
                if map[k] != usize::MAX {
                    return Err(Error::DuplicateColumn {
                        table,
                        column: names[k].name,
                        input: InputKind::Csv,
                    });
                }
                map[k] = i;
            }
        }
        let none_required = names
            .iter()
            .zip(&map)
            .all(|(c, &i)| !c.required || i == usize::MAX);
        if none_required {
            let fields = || (0..header.len()).map(|i| header.field(i));
            let separator = if fields().any(|f| f.contains(&b';')) {
                Some(";")
            } else if fields().any(|f| f.contains(&b'\t')) {
                Some("tab")
            } else {
                None
            };
            if let Some(separator) = separator {
                return Err(Error::WrongSeparator { table, separator });
            }
        }
    }
    if let Some(k) = (0..names.len()).find(|&k| names[k].required && map[k] == usize::MAX) {
        return Err(Error::MissingColumn {
            table,
            column: names[k].name,
            input: InputKind::Csv,
        });
    }
    Ok(map)
}

/// How far reading a folder has come: called now and then while a file is read, and
/// once when it is done. With the `parallel` feature files are read concurrently, so
/// calls for different tables may interleave and come from several threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The file's table.
    pub table: Table,
    /// Bytes of the file read so far.
    pub bytes_read: u64,
    /// The file's size in bytes (0 when unknown).
    pub bytes_total: u64,
}

/// A progress callback; [`DatasetBuilder::read_csv_dir_with_progress`] takes one.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// Reports progress after this many bytes.
const PROGRESS_STEP: u64 = 4 << 20;

/// Reads one table's records into its stage with `parse`.
fn read_table<R: Read, T: Staged>(
    source: R,
    (path, bytes, progress, zone): (&Path, u64, ProgressFn<'_>, &BusinessCalendar),
    stage: &mut TableStage<T>,
    parse: impl Fn(&Fields<'_>, u64, &mut TableStage<T>) -> Result<(), FieldError>,
) -> Result<()> {
    let table = T::TABLE;
    let mut reserve = Reserve::new(table, bytes);
    reserve.first(stage);
    let io_error = |source: io::Error| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut reader = RecordReader::new(source);
    let mut record = Record::default();
    // Header: the first record that is not blank.
    let mut has_header = false;
    while reader.read_record(&mut record).map_err(io_error)? {
        if !record.is_blank() {
            has_header = true;
            break;
        }
    }
    if !has_header && !table.is_required() {
        return Ok(()); // an empty (0-byte) optional file is an empty table
    }
    if record.too_long {
        return Err(Error::InputTooLarge {
            path: path.to_owned(),
            what: "the header record",
            limit: MAX_RECORD_BYTES as u64,
        });
    }
    let map = header_map(table, has_header.then_some(&record))?;
    let width = record.len();
    let names = table.columns();
    let id_column = table.has_id().then_some(map[0]);
    let mut reported = 0;
    let each = |record: View<'_>, bytes_read: u64| {
        if bytes_read >= reported + PROGRESS_STEP {
            reported = bytes_read;
            reserve.more(stage, reported);
            progress(Progress {
                table,
                bytes_read: reported,
                bytes_total: bytes,
            });
        }
        if record.is_blank() {
            return;
        }
        let line = record.line;
        let fields = Fields {
            record,
            map: &map,
            names,
            zone,
        };
        // Borrowed when the id is UTF-8 (no copy, however long: the rejection keeps
        // its first characters only, with the original length).
        let id = || {
            id_column
                .map(|i| String::from_utf8_lossy(record.field(i)))
                .filter(|id| !id.is_empty())
        };
        if record.too_long || record.len() != width || record.unclosed_quote {
            let column = shape_column(&record, width, &map, names);
            stage.reject_record(shape_rejection(table, &record, width, column, id()));
        } else if let Err(e) = parse(&fields, line, stage) {
            stage.reject(table, line, id().as_deref(), e);
        }
    };
    reader
        .for_each_record(&mut record, each)
        .map_err(io_error)?;
    progress(Progress {
        table,
        bytes_read: reader.bytes_read(),
        bytes_total: bytes,
    });
    Ok(())
}

/// The column to name for a record of the wrong shape: the column whose field opened
/// a quote that is never closed, or, for a record with fewer fields than the header, the
/// first column in the documented order that the record lacks. `None` when that
/// field is not a known column, and for a record with more fields than the header (no
/// header column is at fault then).
#[cold]
fn shape_column(
    record: &View<'_>,
    width: usize,
    map: &[usize],
    names: &'static [Column],
) -> Option<&'static str> {
    let named = |k: usize| names.get(k).map(|c| c.name);
    if record.too_long {
        // The first documented column whose field was not kept whole.
        return map
            .iter()
            .position(|&i| i != usize::MAX && i >= record.len())
            .and_then(named);
    }
    if record.unclosed_quote {
        let opened = record.len().checked_sub(1)?;
        return map.iter().position(|&i| i == opened).and_then(named);
    }
    if record.len() < width {
        return map
            .iter()
            .position(|&i| i != usize::MAX && i >= record.len())
            .and_then(named);
    }
    None
}

#[cold]
fn shape_rejection(
    table: Table,
    record: &View<'_>,
    width: usize,
    column: Option<&'static str>,
    id: Option<std::borrow::Cow<'_, str>>,
) -> Rejection {
    let detail = if record.too_long {
        format!(
            "the record is longer than the limit of {MAX_RECORD_BYTES} bytes or {MAX_FIELDS} fields; it was skipped up to the next line"
        )
    } else if record.unclosed_quote {
        "a quoted field is never closed before the end of the file".to_owned()
    } else {
        let extra = if record.len() > width {
            // No header column is at fault: say where the fields without one start.
            let first = width + 1;
            let fields = if record.len() == first {
                format!("field {first} has")
            } else {
                format!("fields {first} to {} have", record.len())
            };
            format!(
                ": {fields} no column (an unquoted comma inside a value splits it: \
                 write numbers in plain digits, 1250000 not 1,250,000, and quote a text \
                 that holds a comma)"
            )
        } else {
            String::new()
        };
        format!(
            "the record has {} fields, the header has {width}{extra}",
            record.len()
        )
    };
    Rejection::bounded(
        table,
        record.line,
        id.as_deref(),
        column,
        Reason::ParseError,
        detail,
        crate::error::Origin::CsvLine,
    )
}

impl DatasetBuilder {
    /// Adds the rows of one table read as CSV from `source` (the layout of
    /// docs/input-format.md, with a header). `path` names the source in errors.
    /// Timestamps without an offset are local times in the builder's
    /// [`time_zone`](DatasetBuilder::time_zone), so set it before reading.
    ///
    /// # Errors
    /// * [`Error::MissingColumn`] / [`Error::DuplicateColumn`] /
    ///   [`Error::WrongSeparator`] for a bad header; a required table with an empty
    ///   source has no header, hence a missing column.
    /// * [`Error::Io`] when reading fails.
    ///
    /// Bad rows are not errors: they are rejected at [`build`](DatasetBuilder::build).
    pub fn read_csv<R: Read>(
        &mut self,
        table: Table,
        source: R,
        path: impl AsRef<Path>,
    ) -> Result<()> {
        self.read_csv_sized(table, source, path.as_ref(), 0)
    }

    /// [`read_csv`](DatasetBuilder::read_csv) with the source's size in bytes, used to
    /// size the tables once instead of growing them.
    fn read_csv_sized<R: Read>(
        &mut self,
        table: Table,
        source: R,
        path: &Path,
        bytes: u64,
    ) -> Result<()> {
        match self.stage.slots([table]).pop() {
            Some(slot) => slot.read(source, path, bytes, &|_| {}, &self.zone),
            None => Ok(()),
        }
    }

    /// Adds the rows of the nine files `<table>.csv` in `dir` (docs/input-format.md).
    /// Optional files may be missing. Timestamps without an offset are local times in
    /// the builder's [`time_zone`](DatasetBuilder::time_zone), so set it before reading.
    ///
    /// # Errors
    /// * [`Error::MissingFile`] when `customers.csv` or `orders.csv` is missing.
    /// * [`Error::MissingColumn`], [`Error::DuplicateColumn`], [`Error::Io`] as for
    ///   [`read_csv`](DatasetBuilder::read_csv).
    ///
    /// # Example
    /// ```no_run
    /// use crm_metrics::DatasetBuilder;
    ///
    /// let mut builder = DatasetBuilder::new();
    /// builder.read_csv_dir("data/")?;
    /// let dataset = builder.build()?;
    /// println!("{} customers", dataset.customer_count());
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn read_csv_dir(&mut self, dir: impl AsRef<Path>) -> Result<()> {
        self.read_csv_dir_with_progress(dir, &|_| {})
    }

    /// [`read_csv_dir`](DatasetBuilder::read_csv_dir), calling `progress` every few
    /// megabytes of each file and when each file is done (for a progress bar).
    ///
    /// # Errors
    /// As [`read_csv_dir`](DatasetBuilder::read_csv_dir).
    pub fn read_csv_dir_with_progress(
        &mut self,
        dir: impl AsRef<Path>,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        let dir = dir.as_ref();
        // Open every file first; then parse them (concurrently with `parallel`: tables
        // are staged independently). Errors are reported in table order either way, as
        // a sequential read would meet them.
        let opened: Vec<Result<Option<OpenFile>>> = Table::ALL
            .iter()
            .map(|&table| {
                let path = table_path(dir, table);
                Ok(
                    super::open_table_file(dir, table, &path, InputKind::Csv)?.map(|file| {
                        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
                        (file, path, bytes)
                    }),
                )
            })
            .collect();
        let zone = &self.zone;
        let slots = self.stage.slots(Table::ALL);
        let jobs: Vec<_> = slots.into_iter().zip(opened).collect();
        let read = |(slot, opened): Job<'_>| match opened? {
            Some((file, path, bytes)) => slot.read(file, &path, bytes, progress, zone),
            None => Ok(()),
        };
        let size = |job: &Job<'_>| match &job.1 {
            Ok(Some((_, _, bytes))) => *bytes,
            _ => 0,
        };
        let results = super::run_largest_first(jobs, size, read);
        results.into_iter().collect()
    }
}

/// An opened input file: the file, its path and its length in bytes.
type OpenFile = (std::fs::File, PathBuf, u64);

/// A table to read: its stage and its opened file (or why it could not be opened).
type Job<'a> = (Slot<'a>, Result<Option<OpenFile>>);

/// One table's stage, borrowed on its own so that tables can be read concurrently.
pub(crate) enum Slot<'a> {
    Customers(&'a mut TableStage<StagedCustomer>),
    Orders(&'a mut TableStage<StagedOrder>),
    OrderLines(&'a mut TableStage<StagedLine>),
    Deals(&'a mut TableStage<StagedDeal>),
    Costs(&'a mut TableStage<StagedCost>),
    Interactions(&'a mut TableStage<StagedInteraction>),
    Campaigns(&'a mut TableStage<StagedCampaign>),
    Staff(&'a mut TableStage<StagedStaff>),
    Fanpages(&'a mut TableStage<StagedFanpage>),
}

impl Slot<'_> {
    fn read<R: Read>(
        self,
        source: R,
        path: &Path,
        bytes: u64,
        progress: ProgressFn<'_>,
        zone: &BusinessCalendar,
    ) -> Result<()> {
        let path = (path, bytes, progress, zone);
        match self {
            Slot::Customers(s) => read_table(source, path, s, |f, l, s| customer(f, l, s)),
            Slot::Orders(s) => read_table(source, path, s, |f, l, s| order(f, l, s)),
            Slot::OrderLines(s) => read_table(source, path, s, |f, l, s| order_line(f, l, s)),
            Slot::Deals(s) => read_table(source, path, s, |f, l, s| deal(f, l, s)),
            Slot::Costs(s) => read_table(source, path, s, |f, l, s| cost(f, l, s)),
            Slot::Interactions(s) => read_table(source, path, s, |f, l, s| interaction(f, l, s)),
            Slot::Campaigns(s) => read_table(source, path, s, |f, l, s| campaign(f, l, s)),
            Slot::Staff(s) => read_table(source, path, s, |f, l, s| staff(f, l, s)),
            Slot::Fanpages(s) => read_table(source, path, s, |f, l, s| fanpage(f, l, s)),
        }
    }
}

/// Fills a record with one row's fields, in the table's documented column order (an
/// absent column or a null value as an empty field). Returns the first value that could
/// not be written as text (its column's index and why), with a placeholder in its field
/// that the value grammar rejects.
#[cfg(all(test, feature = "arrow"))]
pub(crate) type FillRow<'a> = &'a mut dyn FnMut(usize, &mut Record) -> Option<(usize, FieldError)>;

#[cfg(all(test, feature = "arrow"))]
impl Slot<'_> {
    /// Stages `rows` rows given field by field as CSV text (the reference Arrow input
    /// is compared with in tests, src/io/arrow.rs)
    /// with exactly the value grammar of the CSV files. Row numbers continue the
    /// table's: each row is numbered by its position among the rows of its table, and
    /// its rejections are [`Origin::PushedRow`](crate::Origin::PushedRow)s.
    pub(crate) fn push_rows(self, rows: usize, zone: &BusinessCalendar, fill: FillRow<'_>) {
        match self {
            Slot::Customers(s) => push_rows(s, rows, zone, fill, |f, l, s| customer(f, l, s)),
            Slot::Orders(s) => push_rows(s, rows, zone, fill, |f, l, s| order(f, l, s)),
            Slot::OrderLines(s) => push_rows(s, rows, zone, fill, |f, l, s| order_line(f, l, s)),
            Slot::Deals(s) => push_rows(s, rows, zone, fill, |f, l, s| deal(f, l, s)),
            Slot::Costs(s) => push_rows(s, rows, zone, fill, |f, l, s| cost(f, l, s)),
            Slot::Interactions(s) => push_rows(s, rows, zone, fill, |f, l, s| interaction(f, l, s)),
            Slot::Campaigns(s) => push_rows(s, rows, zone, fill, |f, l, s| campaign(f, l, s)),
            Slot::Staff(s) => push_rows(s, rows, zone, fill, |f, l, s| staff(f, l, s)),
            Slot::Fanpages(s) => push_rows(s, rows, zone, fill, |f, l, s| fanpage(f, l, s)),
        }
    }
}

#[cfg(all(test, feature = "arrow"))]
fn push_rows<T: Staged>(
    stage: &mut TableStage<T>,
    rows: usize,
    zone: &BusinessCalendar,
    fill: FillRow<'_>,
    parse: impl Fn(&Fields<'_>, u64, &mut TableStage<T>) -> Result<(), FieldError>,
) {
    let table = T::TABLE;
    let names = table.columns();
    let map: Vec<usize> = (0..names.len()).collect();
    let mut record = Record::default();
    stage.reserve(rows);
    for i in 0..rows {
        let line = stage.next_line();
        let (row, rejected) = (stage.rows.len(), stage.rejections.len());
        record.start(line);
        let bad = fill(i, &mut record);
        let fields = Fields {
            record: record.view(),
            map: &map,
            names,
            zone,
        };
        if let Err(mut e) = parse(&fields, line, stage) {
            // The placeholder of a value that could not be written is rejected at its
            // column (unless an earlier column is bad): say what was wrong with it.
            if let Some((k, typed)) = bad
                && names[k].name == e.column
            {
                e = typed;
            }
            let id = table
                .has_id()
                .then(|| String::from_utf8_lossy(record.field(0)))
                .filter(|id| !id.is_empty());
            stage.reject(table, line, id.as_deref(), e);
        }
        for rejection in stage.rejections.iter_mut().skip(rejected) {
            rejection.origin = crate::error::Origin::PushedRow;
        }
        if stage.rows.len() > row {
            match stage.pushed.last_mut() {
                Some((_, end)) if *end == row => *end = row + 1,
                _ => stage.pushed.push((row, row + 1)),
            }
        }
    }
}

impl crate::dataset::Stage {
    /// The stages of `tables` (distinct tables; a repeated table is borrowed once).
    pub(crate) fn slots<const N: usize>(&mut self, tables: [Table; N]) -> Vec<Slot<'_>> {
        let mut all = [
            Some(Slot::Customers(&mut self.customers)),
            Some(Slot::Orders(&mut self.orders)),
            Some(Slot::OrderLines(&mut self.order_lines)),
            Some(Slot::Deals(&mut self.deals)),
            Some(Slot::Costs(&mut self.costs)),
            Some(Slot::Interactions(&mut self.interactions)),
            Some(Slot::Campaigns(&mut self.campaigns)),
            Some(Slot::Staff(&mut self.staff)),
            Some(Slot::Fanpages(&mut self.fanpages)),
        ];
        tables
            .iter()
            .filter_map(|t| all[t.index()].take())
            .collect()
    }
}

/// Parses an instant with the grammar of the timestamps in the CSV files: RFC 3339 with
/// an offset (`2026-11-15T10:00:00+07:00`, `...Z`), or a local time without an offset
/// (`2026-11-15 10:00`) read in `zone` (see docs/input-format.md#timestamps); no leap
/// second (second 60 is refused), at most nanoseconds. For a command line's `--as-of`,
/// so that it accepts exactly what the data does.
///
/// # Errors
/// [`Error::InvalidArgument`] saying what is wrong with `text`.
///
/// # Example
/// ```
/// use crm_metrics::calendar::BusinessCalendar;
/// use crm_metrics::io::csv::parse_timestamp;
///
/// let zone: BusinessCalendar = "+07:00".parse()?;
/// let at = parse_timestamp("2026-11-15T10:00:00+07:00", &zone)?;
/// assert_eq!(at.to_rfc3339(), "2026-11-15T03:00:00+00:00");
/// assert_eq!(parse_timestamp("2026-11-15 10:00", &zone)?, at);
/// assert!(parse_timestamp("2026-11-15T23:59:60Z", &zone).is_err());
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn parse_timestamp(
    text: &str,
    zone: &BusinessCalendar,
) -> Result<chrono::DateTime<chrono::Utc>> {
    let invalid = |problem: &str| {
        Error::InvalidArgument(format!(
            "{:?}: {problem}",
            crate::error::clip(text, 64).as_ref()
        ))
    };
    let ts = values::timestamp(text.as_bytes(), zone).map_err(invalid)?;
    chrono::DateTime::from_timestamp(ts.secs, ts.nanos)
        .ok_or_else(|| invalid("out of the range of dates"))
}

/// `<dir>/<table>.csv`.
pub fn table_path(dir: &Path, table: Table) -> PathBuf {
    dir.join(format!("{}.csv", table.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(table: Table, csv: &str) -> crate::Result<DatasetBuilder> {
        let mut b = DatasetBuilder::new();
        b.read_csv(table, csv.as_bytes(), "test.csv")?;
        Ok(b)
    }

    #[test]
    fn header_errors_name_file_and_column() {
        let err = load(Table::Orders, "id,customer_id,created_at,status\n")
            .err()
            .unwrap();
        assert_eq!(err.to_string(), "orders.csv: missing required column total");
        let err = load(Table::Staff, "id,name,id\n").err().unwrap();
        assert!(matches!(err, Error::DuplicateColumn { column: "id", .. }));
        // A repeated unknown column is fine.
        assert!(load(Table::Staff, "id,name,x,x\nNV1,Lan,1,2\n").is_ok());
        // An empty required file has no header.
        assert!(matches!(
            load(Table::Customers, "").err().unwrap(),
            Error::MissingColumn { .. }
        ));
        // An empty optional file is an empty table.
        assert_eq!(load(Table::Deals, "").unwrap().stage.deals.read, 0);
    }

    #[test]
    fn header_names_ignore_case_blanks_and_hyphens() {
        assert_eq!(header_name(b" Created At "), "created_at");
        assert_eq!(header_name(b"customer-id"), "customer_id");
        assert_eq!(header_name(b"\xEF\xBB\xBFID"), "id");
        assert_eq!(header_name(b"Created  At"), "created__at"); // two spaces: unknown
        let b = load(
            Table::Customers,
            "\u{feff}ID, Created At ,SOURCE,Birth-Date\r\nKH1,2026-11-03 10:00,Shopee,1990-01-02\r\n",
        )
        .unwrap();
        assert_eq!(b.stage.customers.rows.len(), 1);
        // `Created  At` reads as the unknown created__at: created_at is missing.
        let err = load(Table::Customers, "id,Created  At,source\n")
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "customers.csv: missing required column created_at"
        );
        // Two spellings of one column are a duplicate.
        let err = load(Table::Staff, "id,Name,NAME\n").err().unwrap();
        assert!(matches!(err, Error::DuplicateColumn { column: "name", .. }));
        let err = load(Table::Customers, "id,created_at,Created-At,source\n")
            .err()
            .unwrap();
        assert!(
            err.to_string().starts_with(
                "customers.csv: column created_at appears more than once in the header"
            )
        );
    }

    #[test]
    fn semicolon_or_tab_headers_are_their_own_error() {
        let err = load(
            Table::Customers,
            "id;created_at;source\nKH1;2026-01-01;pos\n",
        )
        .err()
        .unwrap();
        assert!(matches!(err, Error::WrongSeparator { separator: ";", .. }));
        assert_eq!(
            err.to_string(),
            "customers.csv looks ;-separated (its header has none of the required columns): the separator must be a comma; save the file as comma-separated CSV"
        );
        let err = load(Table::Orders, "id\tcustomer_id\tcreated_at\n")
            .err()
            .unwrap();
        assert!(matches!(
            err,
            Error::WrongSeparator {
                separator: "tab",
                ..
            }
        ));
        // Both: `;` is named.
        let err = load(Table::Staff, "id;x\tname\n").err().unwrap();
        assert!(matches!(err, Error::WrongSeparator { separator: ";", .. }));
        // A header with a required column and a `;` elsewhere is a normal header.
        let err = load(Table::Staff, "id,na;me\n").err().unwrap();
        assert!(matches!(err, Error::MissingColumn { column: "name", .. }));
    }

    #[test]
    fn enums_fold_case_and_blanks_but_ids_and_numbers_are_never_trimmed() {
        let csv = "id,customer_id,created_at,status,total\n\
                   DH1,KH1,2026-11-03 10:00, Completed ,125000\n\
                   \x20DH2,KH1,2026-11-03T10:00:00Z,PENDING,1\n\
                   DH3,KH1,2026-11-03T10:00:00Z,completed, 5\n\
                   DH4,KH1,2026-11-03T10:00:00Z,   ,5\n\
                   DH5,KH1,2026-11-03T10:00:00Z,done,1,250,000\n";
        let b = load(Table::Orders, csv).unwrap();
        let s = &b.stage.orders;
        // DH1 (trimmed, folded status) and " DH2" (an id with its space kept).
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.ids.resolve(1), " DH2");
        let got: Vec<_> = s
            .rejections
            .iter()
            .map(|r| (r.line, r.column, r.detail.as_str()))
            .collect();
        let status = OrderStatus::expected();
        assert_eq!(
            got[..2],
            [
                (
                    4,
                    Some("total"),
                    &*format!("{}: \" 5\"", values_problem(b" 5"))
                ),
                (5, Some("status"), &*format!("{status}: \"   \"")),
            ]
        );
        // DH5 has too many fields (the thousands separators split the total).
        assert_eq!(got[2].0, 6);
        // A blanks-only optional enum is present and bad.
        let b = load(
            Table::Customers,
            "id,created_at,source,gender\nKH1,2026-11-03 10:00,pos,\t\n",
        )
        .unwrap();
        let r = &b.stage.customers.rejections[0];
        assert_eq!(r.column, Some("gender"));
        assert!(
            r.detail
                .starts_with("not a gender (allowed: male, female, other; any case)")
        );
    }

    fn values_problem(raw: &[u8]) -> &'static str {
        values::decimal(raw).unwrap_err()
    }

    /// Strict mode reads spreadsheet values the same way, and still stops at a bad one.
    #[test]
    fn strict_mode_follows_the_same_rules() {
        let good = "ID,Created At,Source,Gender\nKH1,2026-11-03 10:00,Shopee, FEMALE \n";
        let mut b = DatasetBuilder::new().strict(true);
        b.read_csv(Table::Customers, good.as_bytes(), "customers.csv")
            .unwrap();
        let mut o = "id,customer-id,created_at,STATUS,total\n".to_owned();
        o.push_str("DH1,KH1,2026-11-03T11:00,Completed,1\n");
        b.read_csv(Table::Orders, o.as_bytes(), "orders.csv")
            .unwrap();
        let d = b.build().unwrap();
        assert_eq!((d.customer_count(), d.order_count()), (1, 1));

        let bad = "id,created_at,source\nKH1,2026-11-03 24:00,pos\n";
        let mut b = DatasetBuilder::new().strict(true);
        b.read_csv(Table::Customers, bad.as_bytes(), "customers.csv")
            .unwrap();
        let err = b.build().unwrap_err().to_string();
        assert!(
            err.starts_with(
                "customers.csv line 2, column created_at: parse_error: time of day out of range"
            ),
            "{err}"
        );
    }

    #[test]
    fn naive_timestamps_use_the_builder_time_zone() {
        let csv = "id,created_at,source\nKH1,2026-10-25 02:30,pos\nKH2,2026-03-29 02:30:00,pos\n";
        let berlin: BusinessCalendar = "Europe/Berlin".parse().unwrap();
        let mut b = DatasetBuilder::new().time_zone(berlin);
        b.read_csv(Table::Customers, csv.as_bytes(), "customers.csv")
            .unwrap();
        let at: Vec<_> = b
            .stage
            .customers
            .rows
            .iter()
            .map(|r| r.created_at.to_datetime().to_rfc3339())
            .collect();
        // Overlap: the earlier 00:30Z; gap: the offset before it, 01:30Z.
        assert_eq!(
            at,
            ["2026-10-25T00:30:00+00:00", "2026-03-29T01:30:00+00:00"]
        );
        // The default zone is +07:00: 02:30 local is 19:30Z the day before.
        let b = load(Table::Customers, csv).unwrap();
        assert_eq!(
            b.stage.customers.rows[0]
                .created_at
                .to_datetime()
                .to_rfc3339(),
            "2026-10-24T19:30:00+00:00"
        );
    }

    #[test]
    fn any_column_order_and_extra_columns() {
        let b = load(Table::Staff, "extra,name,id\nx,Lan,NV1\n").unwrap();
        let s = &b.stage.staff;
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.ids.resolve(0), "NV1");
        assert_eq!(s.rows[0].name, "Lan");
    }

    #[test]
    fn first_bad_column_in_spec_order() {
        // created_at and source are both bad; created_at comes first in the column order.
        let b = load(
            Table::Customers,
            "source,created_at,id\nfacebook,yesterday,KH1\n",
        )
        .unwrap();
        let r = &b.stage.customers.rejections[0];
        assert_eq!(
            (r.line, r.column, r.reason),
            (2, Some("created_at"), Reason::ParseError)
        );
        assert_eq!(r.id.as_deref(), Some("KH1"));
    }

    #[test]
    fn wrong_field_counts_and_blank_lines() {
        let csv = "id,name\nNV1,Lan\n\n,\nNV2\nNV3,A,B\nNV4,\"x\n";
        let b = load(Table::Staff, csv).unwrap();
        let s = &b.stage.staff;
        assert_eq!(s.read, 4); // lines 2, 5, 6, 7; lines 3 and 4 are not records
        assert_eq!(s.rows.len(), 1);
        let lines: Vec<_> = s
            .rejections
            .iter()
            .map(|r| (r.line, r.id.clone(), r.column))
            .collect();
        assert_eq!(
            lines,
            vec![
                // too few fields: the first missing column is named
                (5, Some("NV2".into()), Some("name")),
                // too many: no header column is at fault
                (6, Some("NV3".into()), None),
                // the quote opened in the name field is never closed
                (7, Some("NV4".into()), Some("name"))
            ]
        );
    }

    #[test]
    fn optional_columns_may_be_missing() {
        let b = load(Table::Interactions, "id,customer_id,at,channel,kind,direction\nT1,KH1,2026-01-01T00:00:00Z,zalo,follow,inbound\n").unwrap();
        let i = &b.stage.interactions.rows[0];
        assert!(!i.automated);
        assert!(i.fanpage.get().is_none());
    }

    #[test]
    fn a_record_past_the_limit_is_a_parse_error_and_later_rows_are_read() {
        let mut csv = b"id,created_at,source\nKH1,2026-01-01T00:00:00Z,pos\n".to_vec();
        csv.extend_from_slice(b"KH2,");
        csv.resize(csv.len() + MAX_RECORD_BYTES + 1, b'9');
        csv.extend_from_slice(b",pos\nKH3,2026-01-01T00:00:00Z,pos\n");
        let mut b = DatasetBuilder::new();
        b.read_csv(Table::Customers, &csv[..], "customers.csv")
            .unwrap();
        let s = &b.stage.customers;
        assert_eq!((s.read, s.rows.len()), (3, 2));
        let r = &s.rejections[0];
        assert_eq!(
            (r.line, r.id.as_deref(), r.column),
            (3, Some("KH2"), Some("created_at"))
        );
        assert_eq!(r.reason, Reason::ParseError);
        assert!(r.detail.contains("limit of 16777216 bytes"), "{}", r.detail);
        // A header past the limit is an error naming the file.
        let mut csv = vec![b'h'; MAX_RECORD_BYTES + 1];
        csv.push(b'\n');
        let err = DatasetBuilder::new()
            .read_csv(Table::Staff, &csv[..], "staff.csv")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "staff.csv: the header record is longer than the limit of 16777216 bytes"
        );
    }

    #[test]
    fn a_file_claiming_a_huge_size_reserves_only_what_it_holds() {
        let mut b = DatasetBuilder::new();
        let csv = "id,name\nNV1,Lan\n";
        // 64 GB claimed: at most AHEAD bytes' worth of rows are reserved up front.
        b.read_csv_sized(
            Table::Staff,
            csv.as_bytes(),
            Path::new("staff.csv"),
            64 << 30,
        )
        .unwrap();
        let cap = b.stage.staff.rows.capacity() as u64;
        assert!(
            cap <= Reserve::AHEAD / bytes_per_row(Table::Staff) + 1,
            "{cap}"
        );
    }

    #[test]
    fn as_of_has_the_data_grammar() {
        assert_eq!(
            parse_timestamp("2026-11-15T10:00:00+07:00", &BusinessCalendar::default())
                .unwrap()
                .to_rfc3339(),
            "2026-11-15T03:00:00+00:00"
        );
        let err = parse_timestamp("2026-11-15T23:59:60Z", &BusinessCalendar::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "\"2026-11-15T23:59:60Z\": second out of range (a leap second is not allowed)"
        );
        assert!(parse_timestamp("2026-11-15", &BusinessCalendar::default()).is_err());
        let err = parse_timestamp("x\ny", &BusinessCalendar::default())
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn negative_linked_accounts_is_a_parse_error() {
        let b = load(
            Table::Fanpages,
            "id,name,activated,linked_accounts\nFP1,Page,true,-1\n",
        )
        .unwrap();
        assert_eq!(
            b.stage.fanpages.rejections[0].column,
            Some("linked_accounts")
        );
    }
}

#[cfg(test)]
mod progress_tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn progress_reports_every_file_once_done() {
        let dir = std::env::temp_dir().join(format!("crm-progress-{}", std::process::id()));
        let summary = crate::sample::SampleOptions::new(60)
            .write_csv(&dir)
            .unwrap();
        let seen = Mutex::new(Vec::new());
        let mut b = DatasetBuilder::new();
        b.read_csv_dir_with_progress(&dir, &|p| seen.lock().unwrap().push(p))
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let seen = seen.into_inner().unwrap();
        for table in Table::ALL {
            let last = seen.iter().rev().find(|p| p.table == table).unwrap();
            assert_eq!(last.bytes_read, summary.bytes[table.index()], "{table}");
            assert_eq!(last.bytes_total, last.bytes_read);
        }
    }
}
