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

impl Cost {
    /// A cost with its required fields; set the product type by name.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_metrics::model::Cost;
    /// use rust_decimal::Decimal;
    ///
    /// let date = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    /// let cost = Cost::new(date, "facebook_ads", Decimal::from(500_000)).product_type("drinks");
    /// assert_eq!(cost.product_type.as_deref(), Some("drinks"));
    /// ```
    pub fn new(date: NaiveDate, source: impl Into<String>, amount: Decimal) -> Cost {
        Cost {
            date,
            source: source.into(),
            product_type: None,
            amount,
        }
    }

    /// Sets the product type (free text).
    #[must_use]
    pub fn product_type(mut self, product_type: impl Into<String>) -> Cost {
        self.product_type = Some(product_type.into());
        self
    }
}
