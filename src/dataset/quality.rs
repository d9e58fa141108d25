//! [`DataQuality`]: what validation kept, rejected and warned about
//! (docs/input-format.md, "Rejections").

use std::fmt;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Reason, Rejection, Table, Warning};

/// Rows read, accepted and rejected in one table. Always `read == accepted + rejected`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCounts {
    /// Records read (docs/input-format.md#csv-layout: a blank line or a line of empty fields is not a record).
    pub read: u64,
    /// Rows kept.
    pub accepted: u64,
    /// Rows rejected, each with a [`Rejection`].
    pub rejected: u64,
}

/// The outcome of validating a dataset (docs/input-format.md "nothing is lost silently").
///
/// Validation ignores `as_of` (docs/input-format.md#rejections): rows dated after it are counted like the
/// others. Every rejection is kept, in the order of docs/metrics.md#data_quality (tables in the documented order,
/// then file order); [`DataQuality::section`] gives the report's `data_quality`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataQuality {
    pub(crate) tables: [TableCounts; 9],
    pub(crate) rejections: Vec<Rejection>,
    pub(crate) warnings: [u64; 3],
}

impl DataQuality {
    /// Counts for one table.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::model::{Customer, Order, OrderStatus, Source, Staff};
    /// use crm_metrics::{DatasetBuilder, Reason, Table, Warning};
    /// use rust_decimal::Decimal;
    ///
    /// let at = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
    /// let mut builder = DatasetBuilder::new();
    /// builder.push_customer(&Customer::new("KH1", at, Source::Manual));
    /// let order = |id| Order::new(id, "KH1", at, OrderStatus::Completed, Decimal::from(90_000));
    /// builder.push_order(&order("DH1").staff_id("NV9")); // no such staff: kept, warned
    /// builder.push_order(&order("DH1")); // the id is taken: rejected
    /// builder.push_staff(&Staff::new("NV1", "Lan"));
    /// let quality = builder.build()?.quality().clone();
    ///
    /// let orders = quality.table(Table::Orders);
    /// assert_eq!((orders.read, orders.accepted, orders.rejected), (2, 1, 1));
    /// assert_eq!(quality.rejected_by_reason(Reason::DuplicateId), 1);
    /// assert_eq!(quality.rejected_by_reason(Reason::UnknownCustomer), 0);
    /// assert_eq!(quality.warnings(Warning::UnknownStaff), 1);
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn table(&self, table: Table) -> &TableCounts {
        &self.tables[table.index()]
    }

    /// Every rejected row, in the order of docs/metrics.md#data_quality.
    pub fn rejections(&self) -> &[Rejection] {
        &self.rejections
    }

    /// How many rows were rejected for `reason`, in every table (see [`table`](Self::table)
    /// for an example).
    pub fn rejected_by_reason(&self, reason: Reason) -> u64 {
        self.rejections
            .iter()
            .filter(|r| r.reason == reason)
            .count() as u64
    }

    /// How many warnings of one kind accepted rows got (see [`table`](Self::table) for an
    /// example).
    pub fn warnings(&self, warning: Warning) -> u64 {
        self.warnings[warning as usize]
    }

    /// What was rejected, table by table, for a one-line warning
    /// (`3 of 5 customers and 8 of 9 orders were rejected: see data quality`); `None`
    /// when every row was accepted.
    pub fn rejection_summary(&self) -> Option<RejectionSummary> {
        TablesMap(self.tables).rejection_summary()
    }

    /// Whether every row of every table was accepted.
    pub fn is_clean(&self) -> bool {
        self.rejections.is_empty()
    }

    /// The report's `data_quality` section, listing the first `limit` rejected rows
    /// (docs/metrics.md#the-json-report uses 100).
    pub fn section(&self, limit: usize) -> DataQualitySection {
        let mut by_reason = [0u64; 9];
        for r in &self.rejections {
            by_reason[r.reason as usize] += 1;
        }
        DataQualitySection {
            tables: TablesMap(self.tables),
            rejected_by_reason: NonZero {
                names: Reason::ALL.map(Reason::name).to_vec(),
                counts: by_reason.to_vec(),
            },
            rejected: self
                .rejections
                .iter()
                .take(limit)
                .map(RejectedRow::from)
                .collect(),
            warnings_by_reason: NonZero {
                names: Warning::ALL.map(Warning::name).to_vec(),
                counts: self.warnings.to_vec(),
            },
        }
    }
}

/// The report's `data_quality` section (docs/metrics.md#data_quality).
///
/// Read it by table, reason and warning with [`table`](Self::table),
/// [`rejected_by_reason`](Self::rejected_by_reason) and [`warnings`](Self::warnings);
/// the fields are what the JSON writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataQualitySection {
    /// `{table: {read, accepted, rejected}}` for all nine tables, in the documented order.
    pub tables: TablesMap,
    /// Rejected rows per reason; only non-zero reasons, in the documented order.
    #[serde(deserialize_with = "NonZero::deserialize_reasons")]
    pub rejected_by_reason: NonZero,
    /// The first rejected rows (docs/metrics.md#data_quality order).
    pub rejected: Vec<RejectedRow>,
    /// Warnings per kind; only non-zero ones.
    #[serde(deserialize_with = "NonZero::deserialize_warnings")]
    pub warnings_by_reason: NonZero,
}

impl DataQualitySection {
    /// Counts for one table.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::{ReportOptions, Reason, Table, Warning, sample::SampleOptions};
    ///
    /// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    /// let dataset = SampleOptions::new(200).seed(7).as_of(as_of).dataset()?;
    /// let report = crm_metrics::report(&dataset, &ReportOptions::new(as_of))?;
    /// let quality = &report.data_quality;
    /// assert_eq!(quality.table(Table::Customers).read, 200);
    /// // The generated sample is clean.
    /// assert_eq!(quality.rejected_by_reason(Reason::ParseError), 0);
    /// assert_eq!(quality.warnings(Warning::UnknownStaff), 0);
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn table(&self, table: Table) -> &TableCounts {
        self.tables.get(table)
    }

    /// How many rows were rejected for `reason`, in every table.
    pub fn rejected_by_reason(&self, reason: Reason) -> u64 {
        self.rejected_by_reason.get(reason.name())
    }

    /// How many warnings of one kind accepted rows got.
    pub fn warnings(&self, warning: Warning) -> u64 {
        self.warnings_by_reason.get(warning.name())
    }
}

/// The nine tables' counts, serialized as an object keyed by table name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TablesMap(pub [TableCounts; 9]);

impl TablesMap {
    /// Counts for one table.
    pub fn get(&self, table: Table) -> &TableCounts {
        &self.0[table.index()]
    }

    /// What was rejected, table by table, for a one-line warning; `None` when every row
    /// was accepted.
    pub fn rejection_summary(&self) -> Option<RejectionSummary> {
        let tables: Vec<(Table, TableCounts)> = Table::ALL
            .iter()
            .map(|&t| (t, self.0[t.index()]))
            .filter(|(_, c)| c.rejected > 0)
            .collect();
        (!tables.is_empty()).then_some(RejectionSummary { tables })
    }
}

/// The tables that had rows rejected, with their counts: what a report says first when
/// rows were dropped. Its `Display` is one line,
/// `3 of 5 customers and 8 of 9 orders were rejected: see data quality`.
///
/// # Example
/// ```
/// use crm_metrics::{TableCounts, TablesMap, Table};
///
/// let mut counts = [TableCounts::default(); 9];
/// counts[0] = TableCounts { read: 5, accepted: 2, rejected: 3 };
/// counts[1] = TableCounts { read: 1, accepted: 0, rejected: 1 };
/// let summary = TablesMap(counts).rejection_summary().unwrap();
/// assert_eq!(summary.tables[0].0, Table::Customers);
/// assert_eq!(
///     summary.to_string(),
///     "3 of 5 customers and 1 of 1 order were rejected: see data quality"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectionSummary {
    /// Each table with at least one rejected row, in the documented table order.
    pub tables: Vec<(Table, TableCounts)>,
}

impl RejectionSummary {
    /// The counts in words, without a pointer to where the details are:
    /// `3 of 5 customers and 8 of 9 orders were rejected` (`1 of 9 orders was rejected`).
    pub fn describe(&self) -> String {
        let n = self.tables.len();
        let mut out = String::new();
        for (i, (table, c)) in self.tables.iter().enumerate() {
            if i > 0 {
                out.push_str(if i + 1 == n { " and " } else { ", " });
            }
            let (one, many) = row_noun(*table);
            let noun = if c.read == 1 { one } else { many };
            out.push_str(&format!(
                "{} of {} {noun}",
                grouped(c.rejected),
                grouped(c.read)
            ));
        }
        let one_row = n == 1 && self.tables.first().is_some_and(|(_, c)| c.rejected == 1);
        out.push_str(if one_row {
            " was rejected"
        } else {
            " were rejected"
        });
        out
    }

    /// Rejected rows over all tables.
    pub fn rejected(&self) -> u64 {
        self.tables.iter().map(|(_, c)| c.rejected).sum()
    }
}

/// `1812` as `1,812`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What one row of a table is called, singular and plural.
fn row_noun(table: Table) -> (&'static str, &'static str) {
    match table {
        Table::Customers => ("customer", "customers"),
        Table::Orders => ("order", "orders"),
        Table::OrderLines => ("order line", "order lines"),
        Table::Deals => ("deal", "deals"),
        Table::Costs => ("cost row", "cost rows"),
        Table::Interactions => ("interaction", "interactions"),
        Table::Campaigns => ("campaign", "campaigns"),
        Table::Staff => ("staff member", "staff members"),
        Table::Fanpages => ("fanpage", "fanpages"),
    }
}

impl fmt::Display for RejectionSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: see data quality", self.describe())
    }
}

/// Reads `{table: {read, accepted, rejected}}`; a table left out counts zeros, an
/// unknown table name is an error.
impl<'de> Deserialize<'de> for TablesMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TablesMap, D::Error> {
        let given = std::collections::BTreeMap::<Table, TableCounts>::deserialize(deserializer)?;
        let mut counts = [TableCounts::default(); 9];
        for (table, c) in given {
            counts[table.index()] = c;
        }
        Ok(TablesMap(counts))
    }
}

impl Serialize for TablesMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(9))?;
        for table in Table::ALL {
            map.serialize_entry(table.name(), &self.0[table.index()])?;
        }
        map.end()
    }
}

/// Counts by name, serialized as an object of the non-zero ones, in a fixed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonZero {
    names: Vec<&'static str>,
    counts: Vec<u64>,
}

impl NonZero {
    /// The count for `name` (0 when absent).
    pub fn get(&self, name: &str) -> u64 {
        self.names
            .iter()
            .position(|n| *n == name)
            .map_or(0, |i| self.counts[i])
    }
}

impl NonZero {
    /// Reads `{name: count}` whose names are among `names` (absent = 0); an unknown name
    /// is an error naming it.
    fn deserialize_named<'de, D: Deserializer<'de>>(
        deserializer: D,
        names: Vec<&'static str>,
    ) -> Result<NonZero, D::Error> {
        let given = std::collections::BTreeMap::<String, u64>::deserialize(deserializer)?;
        let mut counts = vec![0; names.len()];
        for (name, count) in given {
            let Some(i) = names.iter().position(|n| *n == name) else {
                return Err(serde::de::Error::unknown_variant(&name, &[]));
            };
            counts[i] = count;
        }
        Ok(NonZero { names, counts })
    }

    fn deserialize_reasons<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<NonZero, D::Error> {
        NonZero::deserialize_named(deserializer, Reason::ALL.map(Reason::name).to_vec())
    }

    fn deserialize_warnings<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<NonZero, D::Error> {
        NonZero::deserialize_named(deserializer, Warning::ALL.map(Warning::name).to_vec())
    }
}

impl Serialize for NonZero {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, count) in self.names.iter().zip(&self.counts) {
            if *count > 0 {
                map.serialize_entry(name, count)?;
            }
        }
        map.end()
    }
}

/// One entry of `data_quality.rejected`: its five keys. The column at fault is
/// written at the start of `detail`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// The row's table.
    pub table: Table,
    /// The line where the record starts.
    pub line: u64,
    /// The raw id text; null for tables without an id or an empty id.
    pub id: Option<String>,
    /// Why.
    pub reason: Reason,
    /// Free text for people.
    pub detail: String,
    /// What `line` counts: a CSV file's physical line, or a row's position among the
    /// rows of its table (Parquet, Arrow, pushed structs). Not written to the JSON,
    /// whose `line` is the number alone; read back from JSON it is
    /// [`Origin::CsvLine`](crate::Origin::CsvLine).
    #[serde(skip)]
    pub origin: crate::Origin,
}

impl From<&Rejection> for RejectedRow {
    fn from(r: &Rejection) -> RejectedRow {
        let detail = match r.column {
            Some(column) => format!("column {column}: {}", r.detail),
            None => r.detail.clone(),
        };
        RejectedRow {
            table: r.table,
            line: r.line,
            id: r.id.clone(),
            reason: r.reason,
            detail,
            origin: r.origin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(read: u64, rejected: u64) -> TableCounts {
        TableCounts {
            read,
            accepted: read - rejected,
            rejected,
        }
    }

    #[test]
    fn rejection_summary_names_every_table_with_plurals() {
        let mut t = [TableCounts::default(); 9];
        assert_eq!(TablesMap(t).rejection_summary(), None);
        t[Table::Orders.index()] = counts(9, 1);
        assert_eq!(
            TablesMap(t).rejection_summary().unwrap().to_string(),
            "1 of 9 orders was rejected: see data quality"
        );
        t[Table::Customers.index()] = counts(5, 3);
        t[Table::OrderLines.index()] = counts(1812, 104);
        t[Table::Staff.index()] = counts(1, 1);
        let summary = TablesMap(t).rejection_summary().unwrap();
        assert_eq!(summary.rejected(), 109); // 3 + 1 + 104 + 1
        assert_eq!(
            summary.to_string(),
            "3 of 5 customers, 1 of 9 orders, 104 of 1,812 order lines and 1 of 1 staff member were rejected: see data quality"
        );
    }

    #[test]
    fn section_shape() {
        let mut q = DataQuality::default();
        q.tables[Table::Orders.index()] = TableCounts {
            read: 3,
            accepted: 2,
            rejected: 1,
        };
        q.rejections.push(Rejection {
            table: Table::Orders,
            line: 3,
            id: Some("DH1".into()),
            column: Some("total"),
            reason: Reason::NegativeAmount,
            detail: "-5".into(),
            origin: crate::error::Origin::CsvLine,
        });
        q.warnings[Warning::UnknownStaff as usize] = 2;
        let json = serde_json::to_value(q.section(100)).unwrap();
        assert_eq!(
            json["tables"]["orders"],
            serde_json::json!({"read": 3, "accepted": 2, "rejected": 1})
        );
        assert_eq!(
            json["tables"]["fanpages"],
            serde_json::json!({"read": 0, "accepted": 0, "rejected": 0})
        );
        assert_eq!(json["tables"].as_object().unwrap().len(), 9);
        assert_eq!(
            json["rejected_by_reason"],
            serde_json::json!({"negative_amount": 1})
        );
        assert_eq!(
            json["warnings_by_reason"],
            serde_json::json!({"unknown_staff": 2})
        );
        assert_eq!(
            json["rejected"][0],
            serde_json::json!({"table": "orders", "line": 3, "id": "DH1", "reason": "negative_amount", "detail": "column total: -5"})
        );
        assert_eq!(q.section(0).rejected.len(), 0);
    }
}
