//! Reading the nine CSV files of SPEC §2 into a [`DatasetBuilder`].
//!
//! Any column order; unknown extra columns ignored; an empty field is absent; RFC 4180
//! quoting (with exact physical line numbers, a UTF-8 BOM and any line ends tolerated). A
//! missing optional file is an empty table; a missing required file or required column
//! is an error naming it. Each record's fields are parsed with SPEC §9.9's grammar in
//! SPEC §2's column order, so a bad row is a `parse_error` naming its first bad column.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::dataset::values;
use crate::dataset::{
    CostFields, CustomerFields, DatasetBuilder, DealFields, FieldError, InteractionFields,
    LineFields, OrderFields, Staged, StagedCampaign, StagedCost, StagedCustomer, StagedDeal,
    StagedFanpage, StagedInteraction, StagedLine, StagedOrder, StagedStaff, TableStage,
};
use crate::error::{Error, Reason, Rejection, Result, Table};
use crate::io::records::{Record, RecordReader};
use crate::model::{Channel, Column, Direction, Gender, InteractionKind, OrderStatus, Source};

/// A record seen through a table's header: field `k` of SPEC's column list.
struct Fields<'a> {
    record: &'a Record,
    /// The whole record as text, when it is valid UTF-8.
    text: Option<&'a str>,
    /// For each SPEC column, its position in the record (`usize::MAX`: not in the file).
    map: &'a [usize],
    names: &'static [Column],
}

impl<'a> Fields<'a> {
    #[inline]
    fn raw(&self, k: usize) -> &'a [u8] {
        self.record.field(self.map[k])
    }

    #[inline]
    fn name(&self, k: usize) -> &'static str {
        self.names[k].name
    }

    #[inline]
    fn text(&self, k: usize) -> Result<Option<&'a str>, FieldError> {
        if let Some(text) = self.text {
            return Ok(self
                .record
                .field_str(text, self.map[k])
                .filter(|s| !s.is_empty()));
        }
        let raw = self.raw(k);
        if raw.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(raw)
            .map(Some)
            .map_err(|_| FieldError::new(self.name(k), "invalid UTF-8", raw))
    }

    #[inline]
    fn required_text(&self, k: usize) -> Result<&'a str, FieldError> {
        self.text(k)?
            .ok_or_else(|| FieldError::missing(self.name(k)))
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
    fn required<T>(
        &self,
        k: usize,
        parse: impl Fn(&[u8]) -> Result<T, &'static str>,
    ) -> Result<T, FieldError> {
        self.parse(k, parse)?
            .ok_or_else(|| FieldError::missing(self.name(k)))
    }
}

fn enumeration<T>(
    from: fn(&[u8]) -> Option<T>,
    what: &'static str,
) -> impl Fn(&[u8]) -> Result<T, &'static str> {
    move |raw| from(raw).ok_or(what)
}

fn customer(
    f: &Fields<'_>,
    line: u64,
    stage: &mut TableStage<StagedCustomer>,
) -> Result<(), FieldError> {
    let fields = CustomerFields {
        id: f.required_text(0)?,
        created_at: f.required(1, values::timestamp)?,
        source: f.required(
            2,
            enumeration(Source::from_bytes, "not a customer source of SPEC §2"),
        )?,
        text: [f.text(3)?, f.text(4)?, f.text(5)?, None, None, None],
        gender: f.parse(
            6,
            enumeration(
                Gender::from_bytes,
                "not a gender (male, female, other or empty)",
            ),
        )?,
        birth_date: f.parse(7, values::date)?,
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

fn order(f: &Fields<'_>, line: u64, stage: &mut TableStage<StagedOrder>) -> Result<(), FieldError> {
    let fields = OrderFields {
        id: f.required_text(0)?,
        customer_id: f.required_text(1)?,
        created_at: f.required(2, values::timestamp)?,
        status: f.required(
            3,
            enumeration(OrderStatus::from_bytes, "not an order status"),
        )?,
        total: f.required(4, values::decimal)?,
        cost_of_goods: f.parse(5, values::decimal)?,
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

fn order_line(
    f: &Fields<'_>,
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
        quantity: f.required(4, values::integer)?,
        unit_price: f.required(5, values::decimal)?,
    };
    stage.push(line, fields);
    Ok(())
}

fn deal(f: &Fields<'_>, line: u64, stage: &mut TableStage<StagedDeal>) -> Result<(), FieldError> {
    let fields = DealFields {
        id: f.required_text(0)?,
        customer_id: f.text(1)?,
        created_at: f.required(2, values::timestamp)?,
        source: f.required_text(3)?,
        product_type: f.text(4)?,
        handed_over_at: f.parse(5, values::timestamp)?,
        opportunity_at: f.parse(6, values::timestamp)?,
        won_at: f.parse(7, values::timestamp)?,
        revenue: f.parse(8, values::decimal)?,
    };
    stage.push(line, fields);
    Ok(())
}

fn cost(f: &Fields<'_>, line: u64, stage: &mut TableStage<StagedCost>) -> Result<(), FieldError> {
    let fields = CostFields {
        date: f.required(0, values::date)?,
        source: f.required_text(1)?,
        product_type: f.text(2)?,
        amount: f.required(3, values::decimal)?,
    };
    stage.push(line, fields);
    Ok(())
}

fn interaction(
    f: &Fields<'_>,
    line: u64,
    stage: &mut TableStage<StagedInteraction>,
) -> Result<(), FieldError> {
    let fields = InteractionFields {
        id: f.required_text(0)?,
        customer_id: f.required_text(1)?,
        at: f.required(2, values::timestamp)?,
        channel: f.required(3, enumeration(Channel::from_bytes, "not a channel"))?,
        kind: f.required(
            4,
            enumeration(InteractionKind::from_bytes, "not an interaction kind"),
        )?,
        direction: f.required(
            5,
            enumeration(
                Direction::from_bytes,
                "not a direction (inbound or outbound)",
            ),
        )?,
        fanpage_id: f.text(6)?,
        staff_id: f.text(7)?,
        automated: f.parse(8, values::boolean)?.unwrap_or(false),
        campaign_id: f.text(9)?,
        ref_id: f.text(10)?,
    };
    stage.push(line, fields);
    Ok(())
}

fn campaign(
    f: &Fields<'_>,
    line: u64,
    stage: &mut TableStage<StagedCampaign>,
) -> Result<(), FieldError> {
    let id = f.required_text(0)?;
    let name = f.required_text(1)?;
    let channel = f.parse(2, enumeration(Channel::from_bytes, "not a channel"))?;
    stage.push(line, id, name, channel);
    Ok(())
}

fn staff(f: &Fields<'_>, line: u64, stage: &mut TableStage<StagedStaff>) -> Result<(), FieldError> {
    let id = f.required_text(0)?;
    let name = f.required_text(1)?;
    stage.push(line, id, name);
    Ok(())
}

fn linked_accounts(raw: &[u8]) -> Result<u64, &'static str> {
    let n = values::integer(raw)?;
    u64::try_from(n).map_err(|_| "a count cannot be negative")
}

fn fanpage(
    f: &Fields<'_>,
    line: u64,
    stage: &mut TableStage<StagedFanpage>,
) -> Result<(), FieldError> {
    let id = f.required_text(0)?;
    let name = f.required_text(1)?;
    let channel = f.parse(2, enumeration(Channel::from_bytes, "not a channel"))?;
    let activated = f.required(3, values::boolean)?;
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

/// Maps a header to SPEC's columns. Errors on a missing required column or a repeated
/// SPEC column.
fn header_map(table: Table, header: Option<&Record>) -> Result<Vec<usize>> {
    let names = table.columns();
    let mut map = vec![usize::MAX; names.len()];
    if let Some(header) = header {
        for i in 0..header.len() {
            let name = String::from_utf8_lossy(header.field(i));
            let name = name.trim().trim_start_matches('\u{feff}');
            if let Some(k) = names.iter().position(|c| c.name == name) {
                if map[k] != usize::MAX {
                    return Err(Error::DuplicateColumn {
                        table,
                        column: names[k].name,
                    });
                }
                map[k] = i;
            }
        }
    }
    if let Some(k) = (0..names.len()).find(|&k| names[k].required && map[k] == usize::MAX) {
        return Err(Error::MissingColumn {
            table,
            column: names[k].name,
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
    (path, bytes, progress): (&Path, u64, ProgressFn<'_>),
    rows: usize,
    stage: &mut TableStage<T>,
    parse: fn(&Fields<'_>, u64, &mut TableStage<T>) -> Result<(), FieldError>,
) -> Result<()> {
    let table = T::TABLE;
    stage.reserve(rows);
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
        return Ok(()); // an empty (0-byte) optional file is an empty table (SPEC §9.20)
    }
    let map = header_map(table, has_header.then_some(&record))?;
    let width = record.len();
    let names = table.columns();
    let id_column = table.has_id().then_some(map[0]);
    let mut reported = 0;
    while reader.read_record(&mut record).map_err(io_error)? {
        if reader.bytes_read() >= reported + PROGRESS_STEP {
            reported = reader.bytes_read();
            progress(Progress {
                table,
                bytes_read: reported,
                bytes_total: bytes,
            });
        }
        if record.is_blank() {
            continue;
        }
        let line = record.line;
        let fields = Fields {
            text: record.as_str(),
            record: &record,
            map: &map,
            names,
        };
        let id = || {
            id_column
                .map(|i| String::from_utf8_lossy(record.field(i)).into_owned())
                .filter(|id| !id.is_empty())
        };
        if record.len() != width || record.unclosed_quote {
            let column = shape_column(&record, width, &map, names);
            stage.reject_record(shape_rejection(table, &record, width, column, id()));
        } else if let Err(e) = parse(&fields, line, stage) {
            stage.reject(table, line, id().as_deref(), e);
        }
    }
    progress(Progress {
        table,
        bytes_read: reader.bytes_read(),
        bytes_total: bytes,
    });
    Ok(())
}

/// The SPEC column to name for a record of the wrong shape: the column whose field opened
/// a quote that is never closed, or, for a record with fewer fields than the header, the
/// first column in SPEC §2's order that the record lacks (SPEC §9.3). `None` when that
/// field is not a SPEC column, and for a record with more fields than the header (no
/// header column is at fault then).
#[cold]
fn shape_column(
    record: &Record,
    width: usize,
    map: &[usize],
    names: &'static [Column],
) -> Option<&'static str> {
    let named = |k: usize| names.get(k).map(|c| c.name);
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
    record: &Record,
    width: usize,
    column: Option<&'static str>,
    id: Option<String>,
) -> Rejection {
    let detail = if record.unclosed_quote {
        "a quoted field is never closed before the end of the file".to_owned()
    } else {
        format!(
            "the record has {} fields, the header has {width}",
            record.len()
        )
    };
    Rejection {
        table,
        line: record.line,
        id,
        column,
        reason: Reason::ParseError,
        detail,
        origin: crate::error::Origin::CsvLine,
    }
}

impl DatasetBuilder {
    /// Adds the rows of one table read as CSV from `source` (SPEC §2's layout, with a
    /// header). `path` names the source in errors.
    ///
    /// # Errors
    /// * [`Error::MissingColumn`] / [`Error::DuplicateColumn`] for a bad header; a
    ///   required table with an empty source has no header, hence a missing column.
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
            Some(slot) => slot.read(source, path, bytes, &|_| {}),
            None => Ok(()),
        }
    }

    /// Adds the rows of the nine files `<table>.csv` in `dir` (SPEC §2). Optional files
    /// may be missing.
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
                match File::open(&path) {
                    Ok(file) => {
                        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
                        Ok(Some((file, path, bytes)))
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        if !table.is_required() {
                            Ok(None)
                        } else if !dir.is_dir() {
                            Err(Error::Io {
                                path: dir.to_owned(),
                                source: e,
                            })
                        } else {
                            Err(Error::MissingFile { table })
                        }
                    }
                    Err(source) => Err(Error::Io { path, source }),
                }
            })
            .collect();
        let slots = self.stage.slots(Table::ALL);
        let jobs: Vec<_> = slots.into_iter().zip(opened).collect();
        let read = |(slot, opened): Job<'_>| match opened? {
            Some((file, path, bytes)) => slot.read(file, &path, bytes, progress),
            None => Ok(()),
        };
        #[cfg(feature = "parallel")]
        let results: Vec<Result<()>> = {
            // Longest file first: each worker takes the largest file left, which keeps
            // two cores busy until the end (a tree split of the table list would give
            // one core customers, orders and order lines: 60 % of the bytes).
            let mut jobs: Vec<(usize, Job<'_>)> = jobs.into_iter().enumerate().collect();
            let size = |job: &(usize, Job<'_>)| match &job.1.1 {
                Ok(Some((_, _, bytes))) => *bytes,
                _ => 0,
            };
            jobs.sort_by_key(size);
            let queue = std::sync::Mutex::new(jobs);
            let done = std::sync::Mutex::new(Vec::with_capacity(Table::ALL.len()));
            rayon::scope(|scope| {
                for _ in 0..rayon::current_num_threads().min(Table::ALL.len()) {
                    scope.spawn(|_| {
                        loop {
                            let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                            let Some((i, job)) = next else { break };
                            let result = read(job);
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
        };
        #[cfg(not(feature = "parallel"))]
        let results: Vec<Result<()>> = jobs.into_iter().map(read).collect();
        results.into_iter().collect()
    }
}

/// An opened input file: the file, its path and its length in bytes.
type OpenFile = (File, PathBuf, u64);

/// A table to read: its stage and its opened file (or why it could not be opened).
type Job<'a> = (Slot<'a>, Result<Option<OpenFile>>);

/// One table's stage, borrowed on its own so that tables can be read concurrently.
enum Slot<'a> {
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
    ) -> Result<()> {
        let rows = |table| usize::try_from(bytes / bytes_per_row(table)).unwrap_or(0);
        let path = (path, bytes, progress);
        match self {
            Slot::Customers(s) => read_table(source, path, rows(Table::Customers), s, customer),
            Slot::Orders(s) => read_table(source, path, rows(Table::Orders), s, order),
            Slot::OrderLines(s) => read_table(source, path, rows(Table::OrderLines), s, order_line),
            Slot::Deals(s) => read_table(source, path, rows(Table::Deals), s, deal),
            Slot::Costs(s) => read_table(source, path, rows(Table::Costs), s, cost),
            Slot::Interactions(s) => {
                read_table(source, path, rows(Table::Interactions), s, interaction)
            }
            Slot::Campaigns(s) => read_table(source, path, rows(Table::Campaigns), s, campaign),
            Slot::Staff(s) => read_table(source, path, rows(Table::Staff), s, staff),
            Slot::Fanpages(s) => read_table(source, path, rows(Table::Fanpages), s, fanpage),
        }
    }
}

impl crate::dataset::Stage {
    /// The stages of `tables` (distinct tables; a repeated table is borrowed once).
    fn slots<const N: usize>(&mut self, tables: [Table; N]) -> Vec<Slot<'_>> {
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
    fn any_column_order_and_extra_columns() {
        let b = load(Table::Staff, "extra,name,id\nx,Lan,NV1\n").unwrap();
        let s = &b.stage.staff;
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.ids.resolve(0), "NV1");
        assert_eq!(s.rows[0].name, "Lan");
    }

    #[test]
    fn first_bad_column_in_spec_order() {
        // created_at and source are both bad; created_at comes first in SPEC §2.
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
                // too few fields: the first missing SPEC column is named
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
