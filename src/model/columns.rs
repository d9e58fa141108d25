//! The columns of the nine input files (docs/input-format.md).

use crate::error::Table;

/// A column of docs/input-format.md: its name, and whether its value is required (the others are
/// optional). A file must have every required column in its header; optional columns
/// may be left out of the header entirely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The header name.
    pub name: &'static str,
    /// Whether every row needs a value (and the header the column).
    pub required: bool,
}

const fn col(name: &'static str, required: bool) -> Column {
    Column { name, required }
}

const CUSTOMERS: &[Column] = &[
    col("id", true),
    col("created_at", true),
    col("source", true),
    col("name", false),
    col("phone", false),
    col("email", false),
    col("gender", false),
    col("birth_date", false),
    col("zalo_id", false),
    col("facebook_id", false),
    col("notes", false),
];
const ORDERS: &[Column] = &[
    col("id", true),
    col("customer_id", true),
    col("created_at", true),
    col("status", true),
    col("total", true),
    col("cost_of_goods", false),
    col("source", false),
    col("fanpage_id", false),
    col("staff_id", false),
    col("voucher_code", false),
];
const ORDER_LINES: &[Column] = &[
    col("order_id", true),
    col("product_id", true),
    col("product_name", false),
    col("product_type", false),
    col("quantity", true),
    col("unit_price", true),
];
const DEALS: &[Column] = &[
    col("id", true),
    col("customer_id", false),
    col("created_at", true),
    col("source", true),
    col("product_type", false),
    col("handed_over_at", false),
    col("opportunity_at", false),
    col("won_at", false),
    col("revenue", false),
];
const COSTS: &[Column] = &[
    col("date", true),
    col("source", true),
    col("product_type", false),
    col("amount", true),
];
const INTERACTIONS: &[Column] = &[
    col("id", true),
    col("customer_id", true),
    col("at", true),
    col("channel", true),
    col("kind", true),
    col("direction", true),
    col("fanpage_id", false),
    col("staff_id", false),
    col("automated", false),
    col("campaign_id", false),
    col("ref_id", false),
];
const CAMPAIGNS: &[Column] = &[col("id", true), col("name", true), col("channel", false)];
const STAFF: &[Column] = &[col("id", true), col("name", true)];
const FANPAGES: &[Column] = &[
    col("id", true),
    col("name", true),
    col("channel", false),
    col("activated", true),
    col("linked_accounts", true),
];

impl Table {
    /// docs/input-format.md's columns of this table's file, in the documented order (the order of
    /// `parse_error` precedence, docs/input-format.md#rejections).
    pub const fn columns(self) -> &'static [Column] {
        match self {
            Table::Customers => CUSTOMERS,
            Table::Orders => ORDERS,
            Table::OrderLines => ORDER_LINES,
            Table::Deals => DEALS,
            Table::Costs => COSTS,
            Table::Interactions => INTERACTIONS,
            Table::Campaigns => CAMPAIGNS,
            Table::Staff => STAFF,
            Table::Fanpages => FANPAGES,
        }
    }

    /// The header line of this table's file: every column, comma-separated.
    pub fn header(self) -> String {
        let names: Vec<&str> = self.columns().iter().map(|c| c.name).collect();
        names.join(",")
    }
}
