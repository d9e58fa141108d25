//! The crate's one error type, and the plain data that validation produces:
//! [`Rejection`], [`Reason`], [`Warning`] and [`Table`].
//!
//! A rejected row is not an error: building a [`Dataset`](crate::Dataset) keeps going and
//! records a [`Rejection`] (docs/input-format.md, "nothing is lost silently"). It becomes an
//! [`Error::Rejected`] only in strict mode.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Everything that can go wrong in this crate.
///
/// Variants carry data rather than strings so that a service can react to them; the
/// `Display` form is one lower-case line meant for people, e.g.
/// `orders.csv line 7, column total: negative_amount: -5000`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Strict mode met a bad row (docs/input-format.md). The rejection names the table, the line and,
    /// when one column is at fault, the column. Fix that row or build without strict mode
    /// to get every bad row in `data_quality` instead.
    #[error("{0}")]
    Rejected(Box<Rejection>),
    /// A required input file (`customers.csv` or `orders.csv`, or their `.parquet`
    /// files) is not in the folder. Optional files may be missing; they are read as
    /// empty tables.
    #[error("{} is missing: it is a required file", .input.name(*.table))]
    MissingFile {
        /// The table whose file is missing.
        table: Table,
        /// The kind of folder read.
        input: InputKind,
    },
    /// A required column is not in a file's header (or an Arrow batch's schema). Add
    /// the column, even with empty values where the column is optional
    /// (docs/input-format.md lists the columns).
    #[error("{}: missing required column {column}", .input.name(*.table))]
    MissingColumn {
        /// The file's table.
        table: Table,
        /// The required column.
        column: &'static str,
        /// What the table was read from.
        input: InputKind,
    },
    /// A column of the table appears twice in a file's header (names are matched
    /// ignoring case, surrounding spaces, and hyphens or inner spaces read as `_`, so
    /// `Created At` and `created_at` are the same column), so it is ambiguous which to
    /// read. Rename or drop one of them. (Unknown extra columns may repeat freely.)
    #[error(
        "{}: column {column} appears more than once in the header (names are matched ignoring case, spaces and hyphens)",
        .input.name(*.table)
    )]
    DuplicateColumn {
        /// The file's table.
        table: Table,
        /// The repeated column.
        column: &'static str,
        /// What the table was read from.
        input: InputKind,
    },
    /// A file's header holds none of the table's required columns but contains a `;` or
    /// a tab: the file was saved with another separator (spreadsheets in many locales
    /// write `;`). Save it as comma-separated CSV.
    #[error(
        "{table}.csv looks {separator}-separated (its header has none of the required columns): the separator must be a comma; save the file as comma-separated CSV"
    )]
    WrongSeparator {
        /// The file's table.
        table: Table,
        /// `;` or `tab` (`;` when the header has both).
        separator: &'static str,
    },
    /// A sum or quotient does not fit in a [`rust_decimal::Decimal`] (about 7.9e28), or
    /// its exact value would need more than 28 fractional digits. The crate never wraps
    /// and never rounds a sum; the input's amounts are beyond what it can add exactly.
    #[error("overflow computing {what}: the exact result does not fit in a decimal")]
    Overflow {
        /// The metric or sum that overflowed, e.g. `customer_picture.total_spend`.
        what: &'static str,
    },
    /// Reading a file failed.
    #[error("reading {}: {source}", escape_path(path))]
    Io {
        /// The file or folder that could not be read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a file failed (a snapshot, a CSV or Parquet export): a full disk, a
    /// closed pipe, a folder that cannot be created. What was written may be partial.
    #[error("writing {}: {source}", escape_path(path))]
    Write {
        /// The file or folder that could not be written (`snapshot` for a writer
        /// given to [`Dataset::write_snapshot`](crate::Dataset::write_snapshot)).
        path: PathBuf,
        /// The operating system's error (or the encoder's, wrapped).
        #[source]
        source: std::io::Error,
    },
    /// A time zone is neither a `±hh:mm` offset nor an IANA name known to `chrono-tz`
    /// (the name is case-sensitive: `Asia/Ho_Chi_Minh`). Pass an offset such as `+07:00`
    /// or a name from the IANA time zone database.
    #[error(
        "unknown time zone {}: use an offset like +07:00 or an IANA name like Europe/Berlin",
        escape(&format!("{name:?}"))
    )]
    UnknownTimeZone {
        /// The text that was given.
        name: String,
    },
    /// A period name is not one of the presets (exact lower-case names, see
    /// [`Preset::ALL`](crate::calendar::Preset::ALL)). Use one of them, or a custom
    /// period of two dates.
    #[error(
        "unknown period {}: expected one of today, yesterday, this_week, last_week, \
         this_month, last_month, this_year, last_7_days, last_28_days, last_30_days, last_90_days",
        escape(&format!("{name:?}"))
    )]
    UnknownPeriod {
        /// The text that was given.
        name: String,
    },
    /// A custom period ends before it starts. Swap the two dates (a period of one day
    /// has `start == end`).
    #[error("period end {end} is before its start {start}")]
    InvalidPeriod {
        /// The first day given.
        start: NaiveDate,
        /// The last day given, earlier than `start`.
        end: NaiveDate,
    },
    /// A date the computation needs (a period, its previous period, the start of a week
    /// or year, one year before `as_of`) falls outside chrono's calendar, about 262,000
    /// years either side of year 0. Only an `as_of` or a period at those extremes does
    /// this: use dates inside the years your data covers.
    #[error("{what} is outside chrono's date range")]
    DateOutOfRange {
        /// What was being computed: a preset's name such as `last_7_days`, or words
        /// such as `the previous period of a custom period`.
        what: &'static str,
    },
    /// The spend-level edges of the customer picture are empty, not strictly increasing,
    /// or start above 0, so some spend would fall in no level. Sort them, drop repeats,
    /// and start the first level at 0.
    #[error(
        "spend level edges must be non-empty, strictly increasing and start at 0 or below: \
         {edges:?}"
    )]
    InvalidSpendLevels {
        /// The edges that were given.
        edges: Vec<Decimal>,
    },
    /// A table has 2^32 - 1 rows or more; rows are numbered with `u32` inside a dataset.
    /// Split the data into shards of customers, build one dataset per shard and merge
    /// the sections' partial states.
    #[error("{table} has {rows} rows: at most 4294967294 are supported")]
    TooManyRows {
        /// The table.
        table: Table,
        /// How many rows it had.
        rows: usize,
    },
    /// Any other invalid argument; the message says which. The crate's own functions
    /// return the typed variants above where a caller would match; this one carries
    /// limits and out-of-range checks whose message says what to change.
    #[error("{}", escape(.0))]
    InvalidArgument(String),
    /// A profile was asked for a customer id that has no accepted row, or whose customer
    /// is created after `as_of` (docs/metrics.md#profile).
    #[error(
        "unknown customer {}: no accepted customer row with this id exists at as_of",
        escape(&format!("{:?}", clip(id, ID_LIMIT)))
    )]
    UnknownCustomer {
        /// The id that was asked for.
        id: String,
    },
    /// An input path names something that is not a regular file: a FIFO, a device, a
    /// socket or a directory. Such inputs could block forever or never end, so they are
    /// refused before anything is read.
    #[error(
        "{}: not a regular file ({kind}): input files must be regular files",
        escape_path(path)
    )]
    NotARegularFile {
        /// The path that was to be read.
        path: PathBuf,
        /// What it is instead: `a FIFO`, `a character device`, `a directory`, ...
        kind: &'static str,
    },
    /// An input is longer than the documented limit for its kind (for example a CSV
    /// header longer than [`MAX_RECORD_BYTES`](crate::io::MAX_RECORD_BYTES)).
    #[error(
        "{}: {what} is longer than the limit of {limit} bytes",
        escape_path(path)
    )]
    InputTooLarge {
        /// The file (or source name) being read.
        path: PathBuf,
        /// What is too long, e.g. `the header record`.
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// An Arrow or Parquet column of the table has a type that cannot hold its values
    /// (feature `arrow`): a floating-point money column (money is never a float: write
    /// it as a decimal or as text), or a type the column cannot be read from (a list, a
    /// binary column, …). docs/input-format.md#arrow-and-parquet lists the types accepted.
    #[error("{table}: column {column} is of Arrow type {data_type}: {reason}")]
    ColumnType {
        /// The table.
        table: Table,
        /// The column (its documented name).
        column: &'static str,
        /// The column's Arrow data type, as Arrow displays it.
        data_type: String,
        /// Why it cannot be read.
        reason: &'static str,
    },
    /// A count (a number of items or accounts, a `u64`) overflowed while summing. The
    /// crate never wraps a count.
    #[error("overflow computing {what}: the count does not fit in a 64-bit unsigned integer")]
    CountOverflow {
        /// The count that overflowed, e.g. `social.linked_accounts`.
        what: &'static str,
    },
    /// A file given as a snapshot does not start with the snapshot magic bytes
    /// ([`dataset::snapshot::MAGIC`](crate::dataset::snapshot::MAGIC)): it is a CSV file,
    /// an image, an empty file or anything else. Pass a file written by
    /// [`Dataset::save`](crate::Dataset::save), or a folder of CSV files.
    #[error(
        "{}: not a crm-metrics snapshot (it does not start with the snapshot magic bytes)",
        escape_path(path)
    )]
    NotASnapshot {
        /// The file (or `snapshot` for a reader).
        path: PathBuf,
    },
    /// A snapshot was written in another format version than this build reads. Open
    /// it with the version of the crate that wrote it, or save it again from CSV.
    #[error(
        "{}: snapshot format version {found}, this build reads version {supported}: save it again from the CSV data",
        escape_path(path)
    )]
    SnapshotVersion {
        /// The file (or `snapshot` for a reader).
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// A snapshot ends before its header says it does (an interrupted copy or
    /// download). Copy or save it again.
    #[error(
        "{}: the snapshot is truncated: {actual} bytes of {expected}",
        escape_path(path)
    )]
    SnapshotTruncated {
        /// The file (or `snapshot` for a reader).
        path: PathBuf,
        /// The length its header gives (at least the header's own length).
        expected: u64,
        /// The bytes present.
        actual: u64,
    },
    /// A snapshot is damaged: a checksum does not match (some byte changed after it
    /// was written) or a value in it is invalid. Nothing of it is used. Save it again
    /// from the CSV data.
    #[error(
        "{}: the snapshot is damaged in section {section}: {problem}",
        escape_path(path)
    )]
    SnapshotCorrupt {
        /// The file (or `snapshot` for a reader).
        path: PathBuf,
        /// The damaged section (`header`, or a part of the dataset such as `orders`).
        section: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
}

impl Error {
    #[cold]
    #[inline(never)]
    pub(crate) fn overflow(what: &'static str) -> Error {
        Error::Overflow { what }
    }

    /// A `u64` count that overflowed (not a decimal sum).
    #[cold]
    #[inline(never)]
    pub(crate) fn count_overflow(what: &'static str) -> Error {
        Error::CountOverflow { what }
    }
}

/// Escapes what could break a one-line message or disguise it: control characters
/// (C0 and C1, including newline, carriage return, tab and ESC, and DEL), the Unicode
/// line and paragraph separators, and the bidirectional marks, embeddings, overrides and
/// isolates (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
///
/// `\n`, `\r` and `\t` are written as those two-character escapes; every other such
/// character as `\u{hex}` (`\u{1b}` for ESC, `\u{202e}` for a right-to-left override).
/// Everything else, backslashes included, is kept as it is, so a clean text is returned
/// unchanged (and borrowed). Every message of [`Error`] and [`Rejection`] goes through
/// it wherever text from the data or a path is shown; a program printing data in its
/// own messages or text output can use it too.
///
/// # Example
/// ```
/// use crm_metrics::error::escape;
///
/// assert_eq!(escape("KH1"), "KH1");
/// assert_eq!(escape("KH\n1\u{1b}[31m"), "KH\\n1\\u{1b}[31m");
/// assert_eq!(escape("abc\u{202e}def"), "abc\\u{202e}def");
/// ```
pub fn escape(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(needs_escape) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                use fmt::Write;
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// A path for a message: [`escape`]d, lossy for names that are not UTF-8.
pub(crate) fn escape_path(path: &Path) -> String {
    escape(&path.display().to_string()).into_owned()
}

/// The longest id, in characters, that a [`Rejection`] keeps: a longer one is cut (see
/// [`clip`]).
pub const ID_LIMIT: usize = 256;

/// The longest detail, in characters, that a [`Rejection`] keeps: a longer one is cut
/// (see [`clip`]).
pub const DETAIL_LIMIT: usize = 1024;

/// `text` cut to its first `limit` characters, followed by `…(N bytes)` giving the
/// original length in bytes, when it has more than `limit` characters; else unchanged.
/// This is how a [`Rejection`] bounds what it echoes from the input, so that a report
/// about a 300 MB record is not itself 300 MB.
///
/// # Example
/// ```
/// use crm_metrics::error::clip;
///
/// assert_eq!(clip("KH1", 5), "KH1");
/// assert_eq!(clip("abcdefgh", 3), "abc…(8 bytes)");
/// ```
pub fn clip(text: &str, limit: usize) -> Cow<'_, str> {
    match text.char_indices().nth(limit) {
        None => Cow::Borrowed(text),
        Some((at, _)) => Cow::Owned(format!("{}…({} bytes)", &text[..at], text.len())),
    }
}

/// The crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One of the nine input tables of docs/input-format.md, in the documented order (which is also the order of
/// `data_quality.rejected`, docs/metrics.md#data_quality).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// `customers.csv` (required).
    Customers,
    /// `orders.csv` (required).
    Orders,
    /// `order_lines.csv`.
    OrderLines,
    /// `deals.csv`.
    Deals,
    /// `costs.csv`.
    Costs,
    /// `interactions.csv`.
    Interactions,
    /// `campaigns.csv`.
    Campaigns,
    /// `staff.csv`.
    Staff,
    /// `fanpages.csv`.
    Fanpages,
}

impl Table {
    /// All nine tables in the documented order.
    pub const ALL: [Table; 9] = [
        Table::Customers,
        Table::Orders,
        Table::OrderLines,
        Table::Deals,
        Table::Costs,
        Table::Interactions,
        Table::Campaigns,
        Table::Staff,
        Table::Fanpages,
    ];

    /// The snake_case name, which is also the file stem (`order_lines` for `order_lines.csv`).
    pub const fn name(self) -> &'static str {
        match self {
            Table::Customers => "customers",
            Table::Orders => "orders",
            Table::OrderLines => "order_lines",
            Table::Deals => "deals",
            Table::Costs => "costs",
            Table::Interactions => "interactions",
            Table::Campaigns => "campaigns",
            Table::Staff => "staff",
            Table::Fanpages => "fanpages",
        }
    }

    /// Whether a folder must contain this table's file (docs/input-format.md).
    pub const fn is_required(self) -> bool {
        matches!(self, Table::Customers | Table::Orders)
    }

    /// Whether rows of this table have an `id` column.
    pub const fn has_id(self) -> bool {
        !matches!(self, Table::OrderLines | Table::Costs)
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a row was rejected (docs/input-format.md#rejections). The declaration order is
/// the precedence: when a row has several problems it gets the first reason that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A bad date, number or enumeration value, a missing required field, or a record
    /// whose number of fields differs from the header's. The rejection names the column.
    ParseError,
    /// An earlier row (file order) that parsed already claimed this id (docs/input-format.md#rejections).
    DuplicateId,
    /// An order, interaction or deal names a customer with no accepted row (docs/input-format.md#rejections).
    UnknownCustomer,
    /// An order line names an order with no accepted row (docs/input-format.md#rejections).
    UnknownOrder,
    /// A total, cost of goods, cost amount, unit price or revenue is below zero.
    NegativeAmount,
    /// An order line's quantity is zero or negative.
    InvalidQuantity,
    /// A deal stage timestamp is earlier than an earlier stage's (docs/input-format.md#dealscsv).
    StageOutOfOrder,
    /// A deal has a later stage set while an earlier one is empty.
    StageSkipped,
    /// A won deal has no revenue, or a deal has revenue but no `won_at`.
    MissingRevenue,
}

impl Reason {
    /// All reasons in the documented order.
    pub const ALL: [Reason; 9] = [
        Reason::ParseError,
        Reason::DuplicateId,
        Reason::UnknownCustomer,
        Reason::UnknownOrder,
        Reason::NegativeAmount,
        Reason::InvalidQuantity,
        Reason::StageOutOfOrder,
        Reason::StageSkipped,
        Reason::MissingRevenue,
    ];

    /// The snake_case name used in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Reason::ParseError => "parse_error",
            Reason::DuplicateId => "duplicate_id",
            Reason::UnknownCustomer => "unknown_customer",
            Reason::UnknownOrder => "unknown_order",
            Reason::NegativeAmount => "negative_amount",
            Reason::InvalidQuantity => "invalid_quantity",
            Reason::StageOutOfOrder => "stage_out_of_order",
            Reason::StageSkipped => "stage_skipped",
            Reason::MissingRevenue => "missing_revenue",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A problem that keeps the row (docs/input-format.md): a reference to a staff member, fanpage or
/// campaign with no accepted row. Counted once per (row, column), on accepted rows only
/// (docs/input-format.md#rejections).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// `staff_id` names no accepted staff row.
    UnknownStaff,
    /// `fanpage_id` names no accepted fanpage row.
    UnknownFanpage,
    /// `campaign_id` names no accepted campaign row.
    UnknownCampaign,
}

impl Warning {
    /// All warnings in the documented order.
    pub const ALL: [Warning; 3] = [
        Warning::UnknownStaff,
        Warning::UnknownFanpage,
        Warning::UnknownCampaign,
    ];

    /// The snake_case name used in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Warning::UnknownStaff => "unknown_staff",
            Warning::UnknownFanpage => "unknown_fanpage",
            Warning::UnknownCampaign => "unknown_campaign",
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a table was read from, so that an error names it as the user knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputKind {
    /// A CSV file, `<table>.csv`.
    Csv,
    /// A Parquet file, `<table>.parquet` (feature `parquet`).
    Parquet,
    /// Arrow record batches given to the builder (feature `arrow`).
    ArrowBatch,
}

impl InputKind {
    /// The table's input as a message names it: `orders.csv`, `orders.parquet` or
    /// `the orders batch`.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::{InputKind, Table};
    ///
    /// assert_eq!(InputKind::Parquet.name(Table::Orders), "orders.parquet");
    /// ```
    pub fn name(self, table: Table) -> String {
        match self {
            InputKind::Csv => format!("{table}.csv"),
            InputKind::Parquet => format!("{table}.parquet"),
            InputKind::ArrowBatch => format!("the {table} batch"),
        }
    }
}

/// Where a row came from, which says what a [`Rejection`]'s `line` counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A record of a CSV file: `line` is the physical line where the record starts, the
    /// header being line 1. Displayed as `orders.csv line 7`.
    #[default]
    CsvLine,
    /// A model struct pushed into a [`DatasetBuilder`](crate::DatasetBuilder), or a row
    /// of an Arrow record batch or Parquet file (features `arrow`, `parquet`): `line` is
    /// the row's 1-based position among the rows of its table. Displayed as
    /// `orders row 7`.
    PushedRow,
}

/// A rejected input row: plain data, so tests can compare it exactly.
///
/// `line` is 1-based; what it counts depends on the row's [`Origin`]: the physical line
/// of a CSV record (the header being line 1), or the position of a struct pushed into a
/// [`DatasetBuilder`](crate::DatasetBuilder) among the rows of its table.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, Origin, Reason};
/// use rust_decimal::Decimal;
///
/// let at = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
/// let mut builder = DatasetBuilder::new();
/// builder.push_customer(&Customer::new("KH1", at, Source::Manual));
/// builder.push_order(&Order::new("DH1", "KH1", at, OrderStatus::Completed, Decimal::from(-5)));
/// let dataset = builder.build()?;
/// let rejected = &dataset.quality().rejections()[0];
/// assert_eq!((rejected.origin, rejected.line), (Origin::PushedRow, 1));
/// assert_eq!(rejected.reason, Reason::NegativeAmount);
/// assert_eq!(rejected.to_string(), "orders row 1, column total: negative_amount: -5");
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The row's table.
    pub table: Table,
    /// Where the row starts, counted as its `origin` says.
    pub line: u64,
    /// The row's raw id text; `None` for tables without an id or when the id is empty.
    pub id: Option<String>,
    /// The column at fault, when one is (always for `parse_error` on a field).
    pub column: Option<&'static str>,
    /// Why the row was rejected.
    pub reason: Reason,
    /// Free text for people: the offending value or reference.
    pub detail: String,
    /// A CSV record or a pushed struct: what `line` counts.
    pub origin: Origin,
}

impl Rejection {
    /// A rejection, with `id` and `detail` cut to [`ID_LIMIT`] and [`DETAIL_LIMIT`]
    /// characters (see [`clip`]); an empty id is `None`.
    pub(crate) fn bounded(
        table: Table,
        line: u64,
        id: Option<&str>,
        column: Option<&'static str>,
        reason: Reason,
        detail: String,
        origin: Origin,
    ) -> Rejection {
        let detail = match clip(&detail, DETAIL_LIMIT) {
            Cow::Borrowed(_) => detail,
            Cow::Owned(cut) => cut,
        };
        Rejection {
            table,
            line,
            id: id
                .filter(|s| !s.is_empty())
                .map(|id| clip(id, ID_LIMIT).into_owned()),
            column,
            reason,
            detail,
            origin,
        }
    }
}

/// One line: the detail is [`escape`]d.
impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.origin {
            Origin::CsvLine => write!(f, "{}.csv line {}", self.table, self.line)?,
            Origin::PushedRow => write!(f, "{} row {}", self.table, self.line)?,
        }
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.reason)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", escape(&self.detail))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_display_reads_like_csv() {
        let r = Rejection {
            table: Table::Orders,
            line: 7,
            id: Some("DH1".into()),
            column: Some("total"),
            reason: Reason::NegativeAmount,
            detail: "-5000".into(),
            origin: Origin::CsvLine,
        };
        assert_eq!(
            r.to_string(),
            "orders.csv line 7, column total: negative_amount: -5000"
        );
        assert_eq!(
            Error::Rejected(Box::new(r.clone())).to_string(),
            "orders.csv line 7, column total: negative_amount: -5000"
        );
        // The same row pushed as a struct: its position, not a file line.
        let pushed = Rejection {
            origin: Origin::PushedRow,
            ..r
        };
        assert_eq!(
            pushed.to_string(),
            "orders row 7, column total: negative_amount: -5000"
        );
    }

    #[test]
    fn argument_errors_are_typed() {
        use crate::calendar::{BusinessCalendar, Period, Preset};
        use chrono::NaiveDate;

        let error = "next_week".parse::<Preset>().unwrap_err();
        assert!(matches!(&error, Error::UnknownPeriod { name } if name == "next_week"));
        // The message lists every preset by name.
        let message = error.to_string();
        for preset in Preset::ALL {
            assert!(message.contains(preset.name()), "{message} lacks {preset}");
        }
        let error = "Asia/Saigon_".parse::<BusinessCalendar>().unwrap_err();
        assert!(matches!(&error, Error::UnknownTimeZone { name } if name == "Asia/Saigon_"));
        let (start, end) = (
            NaiveDate::from_ymd_opt(2026, 10, 10).unwrap(),
            NaiveDate::from_ymd_opt(2026, 9, 20).unwrap(),
        );
        let error = Period::new(start, end).unwrap_err();
        assert!(
            matches!(error, Error::InvalidPeriod { start: s, end: e } if (s, e) == (start, end))
        );
        assert_eq!(
            error.to_string(),
            "period end 2026-09-20 is before its start 2026-10-10"
        );
        // Today in chrono's first year: the previous period does not exist.
        let error = Preset::ThisYear.resolve(NaiveDate::MIN).unwrap_err();
        assert!(matches!(error, Error::DateOutOfRange { what: "this_year" }));
    }

    #[test]
    fn escape_keeps_messages_on_one_line() {
        assert!(matches!(escape("Nguyễn Văn An"), Cow::Borrowed(_)));
        assert_eq!(escape("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(escape("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(escape("\u{7f}\u{85}\u{2028}"), "\\u{7f}\\u{85}\\u{2028}");
        for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
            assert_eq!(escape(&c.to_string()), format!("\\u{{{:x}}}", c as u32));
        }
        // A backslash is kept as it is.
        assert_eq!(escape("C:\\data"), "C:\\data");
    }

    #[test]
    fn clip_cuts_with_the_original_length() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc…(4 bytes)");
        // Characters, not bytes: ễ is 3 bytes.
        assert_eq!(clip("ễễễễ", 2), "ễễ…(12 bytes)");
    }

    #[test]
    fn a_rejection_echoes_a_bounded_id_and_detail_on_one_line() {
        let id = "K\n".repeat(1000);
        let r = Rejection::bounded(
            Table::Customers,
            2,
            Some(&id),
            Some("id"),
            Reason::DuplicateId,
            "x\u{202e}".repeat(5000),
            Origin::CsvLine,
        );
        let shown = r.id.as_deref().unwrap();
        assert!(shown.ends_with("…(2000 bytes)"), "{shown}");
        assert_eq!(
            shown.chars().count(),
            ID_LIMIT + "…(2000 bytes)".chars().count()
        );
        assert!(r.detail.ends_with("…(20000 bytes)"));
        let line = r.to_string();
        assert!(!line.contains('\n') && !line.contains('\u{202e}'), "{line}");
        assert!(line.contains("x\\u{202e}x"));
        assert!(
            Rejection::bounded(
                Table::Orders,
                1,
                Some(""),
                None,
                Reason::ParseError,
                String::new(),
                Origin::CsvLine,
            )
            .id
            .is_none()
        );
    }

    #[test]
    fn messages_naming_paths_and_values_are_one_line() {
        let e = Error::Io {
            path: PathBuf::from("data\n/\u{1b}[2Jcustomers.csv"),
            source: std::io::Error::other("boom"),
        };
        assert_eq!(
            e.to_string(),
            "reading data\\n/\\u{1b}[2Jcustomers.csv: boom"
        );
        let e = Error::Write {
            path: PathBuf::from("out\n.crmsnap"),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(e.to_string(), "writing out\\n.crmsnap: disk full");
        let e = Error::InvalidArgument("bad\nvalue".into());
        assert_eq!(e.to_string(), "bad\\nvalue");
        let e = Error::UnknownCustomer {
            id: "KH\u{202e}1".into(),
        };
        assert!(!e.to_string().contains('\u{202e}'), "{e}");
        let e = Error::CountOverflow {
            what: "social.linked_accounts",
        };
        assert_eq!(
            e.to_string(),
            "overflow computing social.linked_accounts: the count does not fit in a 64-bit unsigned integer"
        );
    }

    #[test]
    fn reason_order_is_spec_precedence() {
        let mut sorted = Reason::ALL;
        sorted.sort();
        assert_eq!(sorted, Reason::ALL);
        assert!(Reason::ParseError < Reason::DuplicateId);
        assert!(Reason::StageOutOfOrder < Reason::StageSkipped);
    }

    #[test]
    fn names_match_serde() {
        for r in Reason::ALL {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.name())
            );
        }
        for w in Warning::ALL {
            assert_eq!(
                serde_json::to_string(&w).unwrap(),
                format!("\"{}\"", w.name())
            );
        }
        for t in Table::ALL {
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.name())
            );
        }
    }
}
