use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A marketing cost (`costs.csv`, docs/input-format.md). Costs have no id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// The local date the money was spent on (in the report's time zone). Required.
    pub date: NaiveDate,
    /// Marketing source, free text, matched against deals' sources. Required.
    pub source: String,
    /// Product type, free text; a cost without one is dropped by a product-type filter.
    pub product_type: Option<String>,
    /// Amount spent, `>= 0`. Required.
    pub amount: Decimal,
}
