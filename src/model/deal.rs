use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A sales deal (`deals.csv`, docs/input-format.md): created, handed over to a salesperson,
/// turned into an opportunity, won.
///
/// Present stages must be non-decreasing (`created_at <= handed_over_at <=
/// opportunity_at <= won_at`, equal allowed), no stage may be set while an earlier one
/// is empty, and `revenue` is present exactly when `won_at` is (docs/input-format.md#dealscsv).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deal {
    /// Unique id. Required.
    pub id: String,
    /// The customer, if known; when present it must name an accepted customer.
    pub customer_id: Option<String>,
    /// When the deal was created. Required.
    pub created_at: DateTime<Utc>,
    /// Marketing source, free text (e.g. `facebook_ads`). Required.
    pub source: String,
    /// Product type, free text.
    pub product_type: Option<String>,
    /// When it was handed over to a salesperson.
    pub handed_over_at: Option<DateTime<Utc>>,
    /// When it became an opportunity.
    pub opportunity_at: Option<DateTime<Utc>>,
    /// When it was won.
    pub won_at: Option<DateTime<Utc>>,
    /// Revenue of a won deal, `>= 0` (`0` is fine).
    pub revenue: Option<Decimal>,
}
