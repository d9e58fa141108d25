//! The crate's one error type, and the plain data that validation produces:
//! [`Rejection`], [`Reason`], [`Warning`] and [`Table`].
//!
//! A rejected row is not an error: building a [`Dataset`](crate::Dataset) keeps going and
//! records a [`Rejection`] (SPEC §2, "nothing is lost silently"). It becomes an
//! [`Error::Rejected`] only in strict mode.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// Everything that can go wrong in this crate.
///
/// Variants carry data rather than strings so that a service can react to them; the
/// `Display` form is one lower-case line meant for people, e.g.
/// `orders.csv line 7, column total: negative_amount: -5000`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Strict mode met a bad row (SPEC §2). The rejection names the table, the line and,
    /// when one column is at fault, the column. Fix that row or build without strict mode
    /// to get every bad row in `data_quality` instead.
    #[error("{0}")]
    Rejected(Box<Rejection>),
    /// A required input file (`customers.csv` or `orders.csv`) is not in the folder.
    /// Optional files may be missing; they are read as empty tables.
    #[error("{table}.csv is missing: it is a required file")]
    MissingFile {
        /// The table whose file is missing.
        table: Table,
    },
    /// A required column is not in a file's header (SPEC §9.8). Add the column, even
    /// with empty values where the column is optional.
    #[error("{table}.csv: missing required column {column}")]
    MissingColumn {
        /// The file's table.
        table: Table,
        /// The column SPEC §2 requires.
        column: &'static str,
    },
    /// A column of SPEC §2 appears twice in a file's header, so it is ambiguous which to
    /// read. Rename or drop one of them. (Unknown extra columns may repeat freely.)
    #[error("{table}.csv: column {column} appears more than once in the header")]
    DuplicateColumn {
        /// The file's table.
        table: Table,
        /// The repeated column.
        column: &'static str,
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
    #[error("reading {path}: {source}")]
    Io {
        /// The file or folder that could not be read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A time zone is neither a `±hh:mm` offset nor an IANA name known to `chrono-tz`
    /// (the name is case-sensitive: `Asia/Ho_Chi_Minh`). Pass an offset such as `+07:00`
    /// or a name from the IANA time zone database.
    #[error(
        "unknown time zone {name:?}: use an offset like +07:00 or an IANA name like Europe/Berlin"
    )]
    UnknownTimeZone {
        /// The text that was given.
        name: String,
    },
    /// A period name is not one of the presets (exact lower-case names, see
    /// [`Preset::ALL`](crate::calendar::Preset::ALL)). Use one of them, or a custom
    /// period of two dates.
    #[error(
        "unknown period {name:?}: expected one of today, yesterday, this_week, last_week, \
         this_month, last_month, this_year, last_7_days, last_28_days, last_30_days, last_90_days"
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
    /// return the typed variants above: match on those.
    #[error("{0}")]
    InvalidArgument(String),
    /// A profile was asked for a customer id that has no accepted row, or whose customer
    /// is created after `as_of` (SPEC §9.16, §9.20).
    #[error("unknown customer {id:?}: no accepted customer row with this id exists at as_of")]
    UnknownCustomer {
        /// The id that was asked for.
        id: String,
    },
}

impl Error {
    #[cold]
    #[inline(never)]
    pub(crate) fn overflow(what: &'static str) -> Error {
        Error::Overflow { what }
    }
}

/// The crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One of the nine input tables of SPEC §2, in SPEC's order (which is also the order of
/// `data_quality.rejected`, SPEC §9.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
    /// All nine tables in SPEC §2's order.
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

    /// Whether a folder must contain this table's file (SPEC §2).
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

/// Why a row was rejected (SPEC §2). The declaration order is the precedence of SPEC
/// §9.3: when a row has several problems it gets the first reason that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A bad date, number or enumeration value, a missing required field, or a record
    /// whose number of fields differs from the header's. The rejection names the column.
    ParseError,
    /// An earlier row (file order) that parsed already claimed this id (SPEC §9.4).
    DuplicateId,
    /// An order, interaction or deal names a customer with no accepted row (SPEC §9.5).
    UnknownCustomer,
    /// An order line names an order with no accepted row (SPEC §9.5).
    UnknownOrder,
    /// A total, cost of goods, cost amount, unit price or revenue is below zero.
    NegativeAmount,
    /// An order line's quantity is zero or negative.
    InvalidQuantity,
    /// A deal stage timestamp is earlier than an earlier stage's (SPEC §9.11).
    StageOutOfOrder,
    /// A deal has a later stage set while an earlier one is empty.
    StageSkipped,
    /// A won deal has no revenue, or a deal has revenue but no `won_at`.
    MissingRevenue,
}

impl Reason {
    /// All reasons in SPEC §2's order.
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

/// A problem that keeps the row (SPEC §2): a reference to a staff member, fanpage or
/// campaign with no accepted row. Counted once per (row, column), on accepted rows only
/// (SPEC §9.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
    /// All warnings in SPEC §2's order.
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

/// Where a row came from, which says what a [`Rejection`]'s `line` counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A record of a CSV file: `line` is the physical line where the record starts, the
    /// header being line 1. Displayed as `orders.csv line 7`.
    #[default]
    CsvLine,
    /// A model struct pushed into a [`DatasetBuilder`](crate::DatasetBuilder): `line` is
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
            write!(f, ": {}", self.detail)?;
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
