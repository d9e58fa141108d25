//! The crate's one error type, and the plain data that validation produces:
//! [`Rejection`], [`Reason`], [`Warning`] and [`Table`].
//!
//! A rejected row is not an error: building a [`Dataset`](crate::Dataset) keeps going and
//! records a [`Rejection`] (docs/input-format.md, "nothing is lost silently"). It becomes an
//! [`Error::Rejected`] only in strict mode.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

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
    /// A required input file (`customers.csv` or `orders.csv`) is not in the folder.
    /// Optional files may be missing; they are read as empty tables.
    #[error("{table}.csv is missing: it is a required file")]
    MissingFile {
        /// The table whose file is missing.
        table: Table,
    },
    /// A required column is not in a file's header. Add the column, even with empty
    /// values where the column is optional (docs/input-format.md lists the columns).
    #[error("{table}.csv: missing required column {column}")]
    MissingColumn {
        /// The file's table.
        table: Table,
        /// The required column.
        column: &'static str,
    },
    /// A column of the table appears twice in a file's header (names are matched
    /// ignoring case, surrounding spaces, and hyphens or inner spaces read as `_`, so
    /// `Created At` and `created_at` are the same column), so it is ambiguous which to
    /// read. Rename or drop one of them. (Unknown extra columns may repeat freely.)
    #[error(
        "{table}.csv: column {column} appears more than once in the header (names are matched ignoring case, spaces and hyphens)"
    )]
    DuplicateColumn {
        /// The file's table.
        table: Table,
        /// The repeated column.
        column: &'static str,
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
    #[error("reading {path}: {source}")]
    Io {
        /// The file or folder that could not be read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A time zone is neither a `±hh:mm` offset nor an IANA name known to `chrono-tz`.
    #[error(
        "unknown time zone {0:?}: use an offset like +07:00 or an IANA name like Europe/Berlin"
    )]
    InvalidTimeZone(String),
    /// A period or option is not valid, e.g. a custom range whose end is before its
    /// start, or a preset name that does not exist (docs/metrics.md#presets). The message says which.
    #[error("{0}")]
    InvalidArgument(String),
    /// A profile was asked for a customer id that has no accepted row, or whose customer
    /// is created after `as_of` (docs/metrics.md#profile).
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

/// One of the nine input tables of docs/input-format.md, in the documented order (which is also the order of
/// `data_quality.rejected`, docs/metrics.md#data_quality).
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

/// A rejected input row: plain data, so tests can compare it exactly.
///
/// `line` is 1-based. For CSV input it is the physical line where the record starts, the
/// header being line 1. For rows pushed into a
/// [`DatasetBuilder`](crate::DatasetBuilder) it is the row's 1-based position among the
/// rows pushed into that table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The row's table.
    pub table: Table,
    /// Where the row starts (see above).
    pub line: u64,
    /// The row's raw id text; `None` for tables without an id or when the id is empty.
    pub id: Option<String>,
    /// The column at fault, when one is (always for `parse_error` on a field).
    pub column: Option<&'static str>,
    /// Why the row was rejected.
    pub reason: Reason,
    /// Free text for people: the offending value or reference.
    pub detail: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.csv line {}", self.table, self.line)?;
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
        };
        assert_eq!(
            r.to_string(),
            "orders.csv line 7, column total: negative_amount: -5000"
        );
        assert_eq!(
            Error::Rejected(Box::new(r)).to_string(),
            "orders.csv line 7, column total: negative_amount: -5000"
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
