//! The accepted rows of a CSV folder as model structs: what a Parquet export of the
//! folder holds ([`crate::tables::write_parquet_dir`]), so that the DataFusion path can
//! be checked against the in-process report on the same rows.
//!
//! The folder is read twice: once by the crate's own reader (its
//! [`DatasetBuilder::read_csv_dir`]), which decides which records are rejected and why,
//! and once here, record by record, keeping only the records that the crate accepted
//! (by their physical line). The kept values were all accepted by the crate's value
//! grammar, so they are read with simple parsers; a value these cannot read is an error,
//! never a silently different row. At the end the rows are pushed into a new build, which
//! must accept every one of them, with the same accepted counts as the CSV build.

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;

use crm_metrics::calendar::BusinessCalendar;
use crm_metrics::chrono::NaiveDate;
use crm_metrics::io::csv::parse_timestamp;
use crm_metrics::model::{
    Campaign, Cost, Customer, Deal, Fanpage, Interaction, Order, OrderLine, Staff,
};
use crm_metrics::rust_decimal::Decimal;
use crm_metrics::sample::SampleRows;
use crm_metrics::{Dataset, DatasetBuilder, Origin, Table};

/// An error reading the folder, with what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AcceptedError {
    /// The crate's own build failed.
    #[error(transparent)]
    Build(#[from] crm_metrics::Error),
    /// A file could not be read.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// An accepted value that this reader cannot read, or counts that differ.
    #[error("{0}")]
    Mismatch(String),
}

/// The rows of `dir` that the crate's CSV build accepts, as model structs, and the
/// dataset that build made (the reference of the in-process report). Timestamps without
/// an offset are read in `zone`, as the build does.
///
/// # Errors
/// See [`AcceptedError`].
pub fn accepted_rows(
    dir: &Path,
    zone: &BusinessCalendar,
) -> Result<(SampleRows, Dataset), AcceptedError> {
    let mut builder = DatasetBuilder::new().time_zone(zone.clone());
    builder.read_csv_dir(dir)?;
    let dataset = builder.build()?;
    let mut rows = SampleRows::default();
    for table in Table::ALL.iter() {
        let rejected: HashSet<u64> = dataset
            .quality()
            .rejections()
            .iter()
            .filter(|r| r.table == *table && r.origin == Origin::CsvLine)
            .map(|r| r.line)
            .collect();
        let path = crm_metrics::io::csv::table_path(dir, *table);
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(AcceptedError::Io(path.display().to_string(), e)),
        };
        let mut records = records(text.trim_start_matches('\u{feff}'));
        let Some((_, header)) = records.first().cloned() else {
            continue;
        };
        let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        for (line, fields) in records.drain(1..) {
            if rejected.contains(&line) || fields.iter().all(|f| f.is_empty()) {
                continue;
            }
            let get = |name: &str| -> Option<&str> {
                header
                    .iter()
                    .position(|h| h == name)
                    .and_then(|i| fields.get(i))
                    .map(String::as_str)
                    .filter(|v| !v.is_empty())
            };
            let row = Row {
                get: &get,
                table: *table,
                line,
                zone,
            };
            push(&mut rows, &row)?;
        }
    }
    // The rows must be exactly the accepted ones.
    let mut again = DatasetBuilder::new().time_zone(zone.clone());
    rows.push_into(&mut again);
    let check = again.build()?;
    for table in Table::ALL.iter() {
        let (a, b) = (
            dataset.quality().table(*table).accepted,
            check.quality().table(*table).accepted,
        );
        let rejected = check.quality().table(*table).rejected;
        if a != b || rejected != 0 {
            return Err(AcceptedError::Mismatch(format!(
                "{table}: the CSV build accepted {a} rows, the rows read here build to {b} \
                 accepted and {rejected} rejected"
            )));
        }
    }
    Ok((rows, dataset))
}

/// One kept record, with typed getters.
struct Row<'a> {
    get: &'a dyn Fn(&str) -> Option<&'a str>,
    table: Table,
    line: u64,
    zone: &'a BusinessCalendar,
}

impl Row<'_> {
    fn bad(&self, column: &str, value: &str) -> AcceptedError {
        AcceptedError::Mismatch(format!(
            "{} line {}: accepted value {value:?} of column {column} not read here",
            self.table, self.line
        ))
    }
    fn text(&self, c: &str) -> Option<String> {
        (self.get)(c).map(str::to_owned)
    }
    fn req(&self, c: &str) -> Result<String, AcceptedError> {
        self.text(c).ok_or_else(|| self.bad(c, ""))
    }
    fn parse<T: FromStr>(&self, c: &str) -> Result<Option<T>, AcceptedError> {
        match (self.get)(c) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| self.bad(c, v)),
        }
    }
    fn req_parse<T: FromStr>(&self, c: &str) -> Result<T, AcceptedError> {
        self.parse(c)?.ok_or_else(|| self.bad(c, ""))
    }
    fn instant(
        &self,
        c: &str,
    ) -> Result<Option<crm_metrics::chrono::DateTime<crm_metrics::chrono::Utc>>, AcceptedError>
    {
        match (self.get)(c) {
            None => Ok(None),
            Some(v) => parse_timestamp(v, self.zone)
                .map(Some)
                .map_err(|_| self.bad(c, v)),
        }
    }
    fn req_instant(
        &self,
        c: &str,
    ) -> Result<crm_metrics::chrono::DateTime<crm_metrics::chrono::Utc>, AcceptedError> {
        self.instant(c)?.ok_or_else(|| self.bad(c, ""))
    }
    fn date(&self, c: &str) -> Result<Option<NaiveDate>, AcceptedError> {
        match (self.get)(c) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| self.bad(c, v)),
        }
    }
    fn money(&self, c: &str) -> Result<Option<Decimal>, AcceptedError> {
        match (self.get)(c) {
            None => Ok(None),
            Some(v) => Decimal::from_str_exact(v)
                .map(|d| Some(if d.is_zero() { Decimal::ZERO } else { d }))
                .map_err(|_| self.bad(c, v)),
        }
    }
    fn flag(&self, c: &str) -> Result<Option<bool>, AcceptedError> {
        match (self.get)(c) {
            None => Ok(None),
            Some(v) => match v.trim_matches([' ', '\t']).to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(self.bad(c, v)),
            },
        }
    }
}

fn push(rows: &mut SampleRows, r: &Row<'_>) -> Result<(), AcceptedError> {
    match r.table {
        Table::Customers => rows.customers.push(Customer {
            id: r.req("id")?,
            created_at: r.req_instant("created_at")?,
            source: r.req_parse("source")?,
            name: r.text("name"),
            phone: r.text("phone"),
            email: r.text("email"),
            gender: r.parse("gender")?,
            birth_date: r.date("birth_date")?,
            zalo_id: r.text("zalo_id"),
            facebook_id: r.text("facebook_id"),
            notes: r.text("notes"),
        }),
        Table::Orders => rows.orders.push(Order {
            id: r.req("id")?,
            customer_id: r.req("customer_id")?,
            created_at: r.req_instant("created_at")?,
            status: r.req_parse("status")?,
            total: r.money("total")?.ok_or_else(|| r.bad("total", ""))?,
            cost_of_goods: r.money("cost_of_goods")?,
            source: r.text("source"),
            fanpage_id: r.text("fanpage_id"),
            staff_id: r.text("staff_id"),
            voucher_code: r.text("voucher_code"),
        }),
        Table::OrderLines => rows.order_lines.push(OrderLine {
            order_id: r.req("order_id")?,
            product_id: r.req("product_id")?,
            product_name: r.text("product_name"),
            product_type: r.text("product_type"),
            quantity: r.req_parse("quantity")?,
            unit_price: r
                .money("unit_price")?
                .ok_or_else(|| r.bad("unit_price", ""))?,
        }),
        Table::Deals => rows.deals.push(Deal {
            id: r.req("id")?,
            customer_id: r.text("customer_id"),
            created_at: r.req_instant("created_at")?,
            source: r.req("source")?,
            product_type: r.text("product_type"),
            handed_over_at: r.instant("handed_over_at")?,
            opportunity_at: r.instant("opportunity_at")?,
            won_at: r.instant("won_at")?,
            revenue: r.money("revenue")?,
        }),
        Table::Costs => rows.costs.push(Cost {
            date: r.date("date")?.ok_or_else(|| r.bad("date", ""))?,
            source: r.req("source")?,
            product_type: r.text("product_type"),
            amount: r.money("amount")?.ok_or_else(|| r.bad("amount", ""))?,
        }),
        Table::Interactions => rows.interactions.push(Interaction {
            id: r.req("id")?,
            customer_id: r.req("customer_id")?,
            at: r.req_instant("at")?,
            channel: r.req_parse("channel")?,
            kind: r.req_parse("kind")?,
            direction: r.req_parse("direction")?,
            fanpage_id: r.text("fanpage_id"),
            staff_id: r.text("staff_id"),
            automated: r.flag("automated")?.unwrap_or(false),
            campaign_id: r.text("campaign_id"),
            ref_id: r.text("ref_id"),
        }),
        Table::Campaigns => rows.campaigns.push(Campaign {
            id: r.req("id")?,
            name: r.req("name")?,
            channel: r.parse("channel")?,
        }),
        Table::Staff => rows.staff.push(Staff {
            id: r.req("id")?,
            name: r.req("name")?,
        }),
        Table::Fanpages => rows.fanpages.push(Fanpage {
            id: r.req("id")?,
            name: r.req("name")?,
            channel: r.parse("channel")?,
            activated: r.flag("activated")?.ok_or_else(|| r.bad("activated", ""))?,
            linked_accounts: r.req_parse("linked_accounts")?,
        }),
    }
    Ok(())
}

/// RFC 4180 records with the physical line each starts on (header = line 1; CRLF, LF
/// or CR line ends; quoted fields may hold separators, quotes doubled, and line ends).
fn records(text: &str) -> Vec<(u64, Vec<String>)> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1u64;
    let mut start = 1u64;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                '\r' => {
                    if chars.peek() != Some(&'\n') {
                        line += 1;
                    }
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
                any = false;
            }
            _ => field.push(c),
        }
    }
    if any {
        fields.push(field);
        out.push((start, fields));
    }
    out
}
