//! The typed tables: their Arrow schema (the one `--export-parquet` writes), a Parquet
//! writer for model rows ([`write_parquet_dir`]), and the reading of Arrow columns back
//! into model rows ([`RowReader`]).
//!
//! # The schema
//! One file per table, `<table>.parquet`, columns named exactly as the CSV headers of
//! docs/input-format.md:
//!
//! | values | Arrow type |
//! | --- | --- |
//! | ids, free text, enumerations (lower-case) | `Utf8` (`LargeUtf8` and `Utf8View` are read too) |
//! | instants (`created_at`, `at`, deal stages) | `Timestamp(Microsecond, "UTC")` (any unit and zone name is read; the instant counts) |
//! | calendar dates (`birth_date`, `costs.date`) | `Date32` |
//! | money | `Decimal128(38, S)`, `S` the largest scale in the column |
//! | counts (`quantity`, `linked_accounts`) | `Int64` |
//! | booleans (`automated`, `activated`) | `Boolean` |
//!
//! An empty optional value is a null.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use crm_metrics::chrono::{DateTime, NaiveDate, Utc};
use crm_metrics::model::{
    Campaign, Channel, Cost, Customer, Deal, Direction, Fanpage, Gender, Interaction,
    InteractionKind, Order, OrderLine, OrderStatus, Source, Staff,
};
use crm_metrics::rust_decimal::Decimal;
use crm_metrics::sample::SampleRows;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Decimal128Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Int64Type, Schema, SchemaRef, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use datafusion::common::{DataFusionError, Result};
use datafusion::parquet::arrow::ArrowWriter;

/// The kind of value a column holds, which fixes its Arrow type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Ids, free text and enumerations: `Utf8`.
    Text,
    /// An instant: `Timestamp(Microsecond, "UTC")`.
    Instant,
    /// A calendar date: `Date32`.
    Date,
    /// Money: `Decimal128(38, S)`.
    Money,
    /// A count: `Int64`.
    Count,
    /// A boolean.
    Flag,
}

impl Kind {
    /// The Arrow type written for this kind (money at scale `scale`).
    pub fn data_type(self, scale: i8) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Instant => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Date => DataType::Date32,
            Kind::Money => DataType::Decimal128(38, scale),
            Kind::Count => DataType::Int64,
            Kind::Flag => DataType::Boolean,
        }
    }
}

/// One column of a table: its name (the CSV header), kind and whether it may be null.
pub type ColumnSpec = (&'static str, Kind, bool);

use Kind::{Count, Date, Flag, Instant, Money, Text};

/// The columns of each table, in the order of docs/input-format.md.
pub const TABLES: [(&str, &[ColumnSpec]); 9] = [
    (
        "customers",
        &[
            ("id", Text, false),
            ("created_at", Instant, false),
            ("source", Text, false),
            ("name", Text, true),
            ("phone", Text, true),
            ("email", Text, true),
            ("gender", Text, true),
            ("birth_date", Date, true),
            ("zalo_id", Text, true),
            ("facebook_id", Text, true),
            ("notes", Text, true),
        ],
    ),
    (
        "orders",
        &[
            ("id", Text, false),
            ("customer_id", Text, false),
            ("created_at", Instant, false),
            ("status", Text, false),
            ("total", Money, false),
            ("cost_of_goods", Money, true),
            ("source", Text, true),
            ("fanpage_id", Text, true),
            ("staff_id", Text, true),
            ("voucher_code", Text, true),
        ],
    ),
    (
        "order_lines",
        &[
            ("order_id", Text, false),
            ("product_id", Text, false),
            ("product_name", Text, true),
            ("product_type", Text, true),
            ("quantity", Count, false),
            ("unit_price", Money, false),
        ],
    ),
    (
        "deals",
        &[
            ("id", Text, false),
            ("customer_id", Text, true),
            ("created_at", Instant, false),
            ("source", Text, false),
            ("product_type", Text, true),
            ("handed_over_at", Instant, true),
            ("opportunity_at", Instant, true),
            ("won_at", Instant, true),
            ("revenue", Money, true),
        ],
    ),
    (
        "costs",
        &[
            ("date", Date, false),
            ("source", Text, false),
            ("product_type", Text, true),
            ("amount", Money, false),
        ],
    ),
    (
        "interactions",
        &[
            ("id", Text, false),
            ("customer_id", Text, false),
            ("at", Instant, false),
            ("channel", Text, false),
            ("kind", Text, false),
            ("direction", Text, false),
            ("fanpage_id", Text, true),
            ("staff_id", Text, true),
            ("automated", Flag, true),
            ("campaign_id", Text, true),
            ("ref_id", Text, true),
        ],
    ),
    (
        "campaigns",
        &[
            ("id", Text, false),
            ("name", Text, false),
            ("channel", Text, true),
        ],
    ),
    ("staff", &[("id", Text, false), ("name", Text, false)]),
    (
        "fanpages",
        &[
            ("id", Text, false),
            ("name", Text, false),
            ("channel", Text, true),
            ("activated", Flag, false),
            ("linked_accounts", Count, false),
        ],
    ),
];

/// The columns of table `name`; `None` for a name that is not one of the nine tables.
pub fn columns(name: &str) -> Option<&'static [ColumnSpec]> {
    TABLES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

fn err(message: impl Into<String>) -> DataFusionError {
    DataFusionError::Execution(message.into())
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/// One column's values while a batch is built.
enum Values {
    Text(Vec<Option<String>>),
    Instant(Vec<Option<DateTime<Utc>>>),
    Date(Vec<Option<NaiveDate>>),
    Money(Vec<Option<Decimal>>),
    Count(Vec<Option<i64>>),
    Flag(Vec<Option<bool>>),
}

/// A cell of a model row, as [`Values`] takes it.
enum Cell {
    Text(Option<String>),
    Instant(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Money(Option<Decimal>),
    Count(Option<i64>),
    Flag(Option<bool>),
}

fn t(s: &str) -> Cell {
    Cell::Text(Some(s.to_owned()))
}
fn ot(s: &Option<String>) -> Cell {
    Cell::Text(s.clone())
}

fn customer_cells(c: &Customer) -> Vec<Cell> {
    vec![
        t(&c.id),
        Cell::Instant(Some(c.created_at)),
        t(c.source.name()),
        ot(&c.name),
        ot(&c.phone),
        ot(&c.email),
        Cell::Text(c.gender.map(|g| g.name().to_owned())),
        Cell::Date(c.birth_date),
        ot(&c.zalo_id),
        ot(&c.facebook_id),
        ot(&c.notes),
    ]
}

fn order_cells(o: &Order) -> Vec<Cell> {
    vec![
        t(&o.id),
        t(&o.customer_id),
        Cell::Instant(Some(o.created_at)),
        t(o.status.name()),
        Cell::Money(Some(o.total)),
        Cell::Money(o.cost_of_goods),
        ot(&o.source),
        ot(&o.fanpage_id),
        ot(&o.staff_id),
        ot(&o.voucher_code),
    ]
}

fn line_cells(l: &OrderLine) -> Vec<Cell> {
    vec![
        t(&l.order_id),
        t(&l.product_id),
        ot(&l.product_name),
        ot(&l.product_type),
        Cell::Count(Some(l.quantity)),
        Cell::Money(Some(l.unit_price)),
    ]
}

fn deal_cells(d: &Deal) -> Vec<Cell> {
    vec![
        t(&d.id),
        ot(&d.customer_id),
        Cell::Instant(Some(d.created_at)),
        t(&d.source),
        ot(&d.product_type),
        Cell::Instant(d.handed_over_at),
        Cell::Instant(d.opportunity_at),
        Cell::Instant(d.won_at),
        Cell::Money(d.revenue),
    ]
}

fn cost_cells(c: &Cost) -> Vec<Cell> {
    vec![
        Cell::Date(Some(c.date)),
        t(&c.source),
        ot(&c.product_type),
        Cell::Money(Some(c.amount)),
    ]
}

fn interaction_cells(i: &Interaction) -> Vec<Cell> {
    vec![
        t(&i.id),
        t(&i.customer_id),
        Cell::Instant(Some(i.at)),
        t(i.channel.name()),
        t(i.kind.name()),
        t(i.direction.name()),
        ot(&i.fanpage_id),
        ot(&i.staff_id),
        Cell::Flag(Some(i.automated)),
        ot(&i.campaign_id),
        ot(&i.ref_id),
    ]
}

fn campaign_cells(c: &Campaign) -> Vec<Cell> {
    vec![
        t(&c.id),
        t(&c.name),
        Cell::Text(c.channel.map(|x| x.name().to_owned())),
    ]
}

fn staff_cells(s: &Staff) -> Vec<Cell> {
    vec![t(&s.id), t(&s.name)]
}

fn fanpage_cells(f: &Fanpage) -> Vec<Cell> {
    vec![
        t(&f.id),
        t(&f.name),
        Cell::Text(f.channel.map(|x| x.name().to_owned())),
        Cell::Flag(Some(f.activated)),
        Cell::Count(i64::try_from(f.linked_accounts).ok()),
    ]
}

/// A record batch of table `table` from its rows' cells, typed as [`TABLES`] says.
fn batch(table: &str, rows: impl Iterator<Item = Vec<Cell>>) -> Result<RecordBatch> {
    let specs = columns(table).ok_or_else(|| err(format!("no table {table}")))?;
    let mut values: Vec<Values> = specs
        .iter()
        .map(|(_, kind, _)| match kind {
            Text => Values::Text(Vec::new()),
            Instant => Values::Instant(Vec::new()),
            Date => Values::Date(Vec::new()),
            Money => Values::Money(Vec::new()),
            Count => Values::Count(Vec::new()),
            Flag => Values::Flag(Vec::new()),
        })
        .collect();
    for row in rows {
        for (cell, column) in row.into_iter().zip(values.iter_mut()) {
            match (cell, column) {
                (Cell::Text(v), Values::Text(c)) => c.push(v),
                (Cell::Instant(v), Values::Instant(c)) => c.push(v),
                (Cell::Date(v), Values::Date(c)) => c.push(v),
                (Cell::Money(v), Values::Money(c)) => c.push(v),
                (Cell::Count(v), Values::Count(c)) => c.push(v),
                (Cell::Flag(v), Values::Flag(c)) => c.push(v),
                _ => return Err(err(format!("{table}: a cell of the wrong kind"))),
            }
        }
    }
    let mut fields = Vec::with_capacity(specs.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(specs.len());
    for ((name, kind, nullable), column) in specs.iter().zip(values) {
        let (array, scale): (ArrayRef, i8) = match column {
            Values::Text(v) => (Arc::new(StringArray::from(v)), 0),
            Values::Instant(v) => (
                Arc::new(
                    TimestampMicrosecondArray::from(
                        v.iter()
                            .map(|x| x.map(|at| at.timestamp_micros()))
                            .collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                0,
            ),
            Values::Date(v) => (
                Arc::new(Date32Array::from(
                    v.iter()
                        .map(|x| x.map(Date32Type::from_naive_date))
                        .collect::<Vec<_>>(),
                )),
                0,
            ),
            Values::Money(v) => {
                let scale = v.iter().flatten().map(|d| d.scale()).max().unwrap_or(0);
                let scaled = v
                    .iter()
                    .map(|x| x.map(|d| rescaled_mantissa(d, scale)))
                    .collect::<Vec<_>>();
                let scale = i8::try_from(scale).map_err(|_| err("scale out of range"))?;
                let array = Decimal128Array::from(scaled)
                    .with_precision_and_scale(38, scale)
                    .map_err(|e| err(e.to_string()))?;
                (Arc::new(array), scale)
            }
            Values::Count(v) => (Arc::new(Int64Array::from(v)), 0),
            Values::Flag(v) => (Arc::new(BooleanArray::from(v)), 0),
        };
        fields.push(Field::new(*name, kind.data_type(scale), *nullable));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| err(e.to_string()))
}

/// The mantissa of `d` at `scale` (≥ its own scale): exact, since a Decimal's mantissa
/// has 96 bits and 10^28 · 2^96 fits in an i128.
fn rescaled_mantissa(d: Decimal, scale: u32) -> i128 {
    let mut m = d.mantissa();
    for _ in d.scale()..scale {
        m *= 10;
    }
    m
}

/// The nine tables of `rows` as record batches, by table name (tables with no row are
/// included, empty).
///
/// # Errors
/// Only on an internal inconsistency (a model value that does not fit its column).
pub fn batches(rows: &SampleRows) -> Result<Vec<(&'static str, RecordBatch)>> {
    Ok(vec![
        (
            "customers",
            batch("customers", rows.customers.iter().map(customer_cells))?,
        ),
        (
            "orders",
            batch("orders", rows.orders.iter().map(order_cells))?,
        ),
        (
            "order_lines",
            batch("order_lines", rows.order_lines.iter().map(line_cells))?,
        ),
        ("deals", batch("deals", rows.deals.iter().map(deal_cells))?),
        ("costs", batch("costs", rows.costs.iter().map(cost_cells))?),
        (
            "interactions",
            batch(
                "interactions",
                rows.interactions.iter().map(interaction_cells),
            )?,
        ),
        (
            "campaigns",
            batch("campaigns", rows.campaigns.iter().map(campaign_cells))?,
        ),
        ("staff", batch("staff", rows.staff.iter().map(staff_cells))?),
        (
            "fanpages",
            batch("fanpages", rows.fanpages.iter().map(fanpage_cells))?,
        ),
    ])
}

/// Writes the nine tables of `rows` as typed Parquet files `<dir>/<table>.parquet` (the
/// schema of this module), creating `dir`. `rows` should be rows a Dataset build accepts
/// (see [`crate::accepted_rows`]): the report path assumes it.
///
/// # Errors
/// On I/O or Parquet errors.
pub fn write_parquet_dir(rows: &SampleRows, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for (table, batch) in batches(rows)? {
        let file = File::create(dir.join(format!("{table}.parquet")))?;
        let mut writer = ArrowWriter::try_new(file, batch.schema(), None)?;
        writer.write(&batch)?;
        writer.close()?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/// Reads model rows from Arrow columns typed as the schema says, one column at a time by
/// position. Every accessor checks the column's type and fails with an error naming the
/// column, never panics.
pub struct RowReader<'a> {
    columns: &'a [ArrayRef],
    names: &'a [String],
}

impl<'a> RowReader<'a> {
    /// Columns and their names (for error messages), in the same order.
    pub fn new(columns: &'a [ArrayRef], names: &'a [String]) -> RowReader<'a> {
        RowReader { columns, names }
    }

    fn column(&self, i: usize) -> Result<&'a ArrayRef> {
        self.columns
            .get(i)
            .ok_or_else(|| err(format!("missing column #{i}")))
    }

    fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or("?", String::as_str)
    }

    /// Whether column `i` is null at `row`.
    pub fn is_null(&self, i: usize, row: usize) -> Result<bool> {
        Ok(self.column(i)?.is_null(row))
    }

    /// Text of column `i` at `row`, `None` when null.
    pub fn text(&self, i: usize, row: usize) -> Result<Option<&'a str>> {
        let c = self.column(i)?;
        if c.is_null(row) {
            return Ok(None);
        }
        Ok(Some(match c.data_type() {
            DataType::Utf8 => c.as_string::<i32>().value(row),
            DataType::LargeUtf8 => c.as_string::<i64>().value(row),
            DataType::Utf8View => c.as_string_view().value(row),
            other => return Err(self.wrong(i, other)),
        }))
    }

    /// Required text.
    pub fn req_text(&self, i: usize, row: usize) -> Result<&'a str> {
        self.text(i, row)?.ok_or_else(|| self.null(i))
    }

    /// An instant, from a timestamp of any unit (its time-zone name does not change the
    /// instant).
    pub fn instant(&self, i: usize, row: usize) -> Result<Option<DateTime<Utc>>> {
        let c = self.column(i)?;
        if c.is_null(row) {
            return Ok(None);
        }
        let at = match c.data_type() {
            DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => DateTime::from_timestamp_micros(
                c.as_primitive::<TimestampMicrosecondType>().value(row),
            ),
            DataType::Timestamp(TimeUnit::Millisecond, Some(_)) => DateTime::from_timestamp_millis(
                c.as_primitive::<TimestampMillisecondType>().value(row),
            ),
            DataType::Timestamp(TimeUnit::Second, Some(_)) => {
                DateTime::from_timestamp(c.as_primitive::<TimestampSecondType>().value(row), 0)
            }
            DataType::Timestamp(TimeUnit::Nanosecond, Some(_)) => {
                Some(DateTime::from_timestamp_nanos(
                    c.as_primitive::<TimestampNanosecondType>().value(row),
                ))
            }
            other => return Err(self.wrong(i, other)),
        };
        at.map(Some)
            .ok_or_else(|| err(format!("column {}: instant out of range", self.name(i))))
    }

    /// A required instant.
    pub fn req_instant(&self, i: usize, row: usize) -> Result<DateTime<Utc>> {
        self.instant(i, row)?.ok_or_else(|| self.null(i))
    }

    /// A calendar date (Date32).
    pub fn date(&self, i: usize, row: usize) -> Result<Option<NaiveDate>> {
        let c = self.column(i)?;
        if c.is_null(row) {
            return Ok(None);
        }
        match c.data_type() {
            DataType::Date32 => {
                Date32Type::to_naive_date_opt(c.as_primitive::<Date32Type>().value(row))
                    .map(Some)
                    .ok_or_else(|| err(format!("column {}: date out of range", self.name(i))))
            }
            other => Err(self.wrong(i, other)),
        }
    }

    /// An exact decimal from a Decimal128 of any scale ≤ 28 whose mantissa fits.
    pub fn money(&self, i: usize, row: usize) -> Result<Option<Decimal>> {
        let c = self.column(i)?;
        if c.is_null(row) {
            return Ok(None);
        }
        match c.data_type() {
            DataType::Decimal128(_, scale) => {
                let m = c.as_primitive::<Decimal128Type>().value(row);
                let scale = u32::try_from(*scale)
                    .map_err(|_| err(format!("column {}: negative scale", self.name(i))))?;
                Decimal::try_from_i128_with_scale(m, scale)
                    .map(Some)
                    .map_err(|_| {
                        err(format!(
                            "column {}: {m}e-{scale} does not fit an exact decimal",
                            self.name(i)
                        ))
                    })
            }
            other => Err(self.wrong(i, other)),
        }
    }

    /// Required money.
    pub fn req_money(&self, i: usize, row: usize) -> Result<Decimal> {
        self.money(i, row)?.ok_or_else(|| self.null(i))
    }

    /// An Int64 count.
    pub fn count(&self, i: usize, row: usize) -> Result<Option<i64>> {
        let c = self.column(i)?;
        if c.is_null(row) {
            return Ok(None);
        }
        match c.data_type() {
            DataType::Int64 => Ok(Some(c.as_primitive::<Int64Type>().value(row))),
            other => Err(self.wrong(i, other)),
        }
    }

    /// A boolean.
    pub fn flag(&self, i: usize, row: usize) -> Result<Option<bool>> {
        let c = self.column(i)?;
        if c.is_null(row) {
            return Ok(None);
        }
        match c.data_type() {
            DataType::Boolean => Ok(Some(c.as_boolean().value(row))),
            other => Err(self.wrong(i, other)),
        }
    }

    /// An enumeration value, read with the crate's rule (any ASCII case, blanks around).
    pub fn enumeration<E: std::str::FromStr>(&self, i: usize, row: usize) -> Result<Option<E>> {
        match self.text(i, row)? {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                err(format!(
                    "column {}: {text:?} is not one of its values",
                    self.name(i)
                ))
            }),
        }
    }

    /// A required enumeration value.
    pub fn req_enumeration<E: std::str::FromStr>(&self, i: usize, row: usize) -> Result<E> {
        self.enumeration(i, row)?.ok_or_else(|| self.null(i))
    }

    fn wrong(&self, i: usize, found: &DataType) -> DataFusionError {
        err(format!(
            "column {} has Arrow type {found}, not the type of the shared schema",
            self.name(i)
        ))
    }

    fn null(&self, i: usize) -> DataFusionError {
        err(format!("column {}: a required value is null", self.name(i)))
    }

    /// The customer at `row`, columns from `at` on in the order of [`TABLES`].
    pub fn customer(&self, at: usize, row: usize) -> Result<Customer> {
        let text =
            |k: usize| -> Result<Option<String>> { Ok(self.text(at + k, row)?.map(str::to_owned)) };
        Ok(Customer {
            id: self.req_text(at, row)?.to_owned(),
            created_at: self.req_instant(at + 1, row)?,
            source: self.req_enumeration::<Source>(at + 2, row)?,
            name: text(3)?,
            phone: text(4)?,
            email: text(5)?,
            gender: self.enumeration::<Gender>(at + 6, row)?,
            birth_date: self.date(at + 7, row)?,
            zalo_id: text(8)?,
            facebook_id: text(9)?,
            notes: text(10)?,
        })
    }

    /// The order at `row`, columns from `at` on.
    pub fn order(&self, at: usize, row: usize) -> Result<Order> {
        let text =
            |k: usize| -> Result<Option<String>> { Ok(self.text(at + k, row)?.map(str::to_owned)) };
        Ok(Order {
            id: self.req_text(at, row)?.to_owned(),
            customer_id: self.req_text(at + 1, row)?.to_owned(),
            created_at: self.req_instant(at + 2, row)?,
            status: self.req_enumeration::<OrderStatus>(at + 3, row)?,
            total: self.req_money(at + 4, row)?,
            cost_of_goods: self.money(at + 5, row)?,
            source: text(6)?,
            fanpage_id: text(7)?,
            staff_id: text(8)?,
            voucher_code: text(9)?,
        })
    }

    /// The order line at `row`, columns from `at` on.
    pub fn order_line(&self, at: usize, row: usize) -> Result<OrderLine> {
        Ok(OrderLine {
            order_id: self.req_text(at, row)?.to_owned(),
            product_id: self.req_text(at + 1, row)?.to_owned(),
            product_name: self.text(at + 2, row)?.map(str::to_owned),
            product_type: self.text(at + 3, row)?.map(str::to_owned),
            quantity: self.count(at + 4, row)?.ok_or_else(|| self.null(at + 4))?,
            unit_price: self.req_money(at + 5, row)?,
        })
    }

    /// The deal at `row`, columns from `at` on.
    pub fn deal(&self, at: usize, row: usize) -> Result<Deal> {
        Ok(Deal {
            id: self.req_text(at, row)?.to_owned(),
            customer_id: self.text(at + 1, row)?.map(str::to_owned),
            created_at: self.req_instant(at + 2, row)?,
            source: self.req_text(at + 3, row)?.to_owned(),
            product_type: self.text(at + 4, row)?.map(str::to_owned),
            handed_over_at: self.instant(at + 5, row)?,
            opportunity_at: self.instant(at + 6, row)?,
            won_at: self.instant(at + 7, row)?,
            revenue: self.money(at + 8, row)?,
        })
    }

    /// The cost at `row`, columns from `at` on.
    pub fn cost(&self, at: usize, row: usize) -> Result<Cost> {
        Ok(Cost {
            date: self.date(at, row)?.ok_or_else(|| self.null(at))?,
            source: self.req_text(at + 1, row)?.to_owned(),
            product_type: self.text(at + 2, row)?.map(str::to_owned),
            amount: self.req_money(at + 3, row)?,
        })
    }

    /// The interaction at `row`, columns from `at` on.
    pub fn interaction(&self, at: usize, row: usize) -> Result<Interaction> {
        let text =
            |k: usize| -> Result<Option<String>> { Ok(self.text(at + k, row)?.map(str::to_owned)) };
        Ok(Interaction {
            id: self.req_text(at, row)?.to_owned(),
            customer_id: self.req_text(at + 1, row)?.to_owned(),
            at: self.req_instant(at + 2, row)?,
            channel: self.req_enumeration::<Channel>(at + 3, row)?,
            kind: self.req_enumeration::<InteractionKind>(at + 4, row)?,
            direction: self.req_enumeration::<Direction>(at + 5, row)?,
            fanpage_id: text(6)?,
            staff_id: text(7)?,
            automated: self.flag(at + 8, row)?.unwrap_or(false),
            campaign_id: text(9)?,
            ref_id: text(10)?,
        })
    }

    /// The campaign at `row`, columns from `at` on.
    pub fn campaign(&self, at: usize, row: usize) -> Result<Campaign> {
        Ok(Campaign {
            id: self.req_text(at, row)?.to_owned(),
            name: self.req_text(at + 1, row)?.to_owned(),
            channel: self.enumeration::<Channel>(at + 2, row)?,
        })
    }

    /// The staff member at `row`, columns from `at` on.
    pub fn staff(&self, at: usize, row: usize) -> Result<Staff> {
        Ok(Staff {
            id: self.req_text(at, row)?.to_owned(),
            name: self.req_text(at + 1, row)?.to_owned(),
        })
    }

    /// The fanpage at `row`, columns from `at` on.
    pub fn fanpage(&self, at: usize, row: usize) -> Result<Fanpage> {
        let linked = self.count(at + 4, row)?.ok_or_else(|| self.null(at + 4))?;
        Ok(Fanpage {
            id: self.req_text(at, row)?.to_owned(),
            name: self.req_text(at + 1, row)?.to_owned(),
            channel: self.enumeration::<Channel>(at + 2, row)?,
            activated: self.flag(at + 3, row)?.ok_or_else(|| self.null(at + 3))?,
            linked_accounts: u64::try_from(linked)
                .map_err(|_| err(format!("column {}: negative", self.name(at + 4))))?,
        })
    }
}

/// The schema of table `table` with money at scale 0 (for empty tables); `None` for
/// another name.
pub fn schema(table: &str) -> Option<SchemaRef> {
    columns(table).map(|specs| {
        Arc::new(Schema::new(
            specs
                .iter()
                .map(|(name, kind, nullable)| Field::new(*name, kind.data_type(0), *nullable))
                .collect::<Vec<_>>(),
        ))
    })
}
