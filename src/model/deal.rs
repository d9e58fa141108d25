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

impl Deal {
    /// A deal with its required fields; set the optional ones by name.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::model::Deal;
    /// use rust_decimal::Decimal;
    ///
    /// let at = |day| Utc.with_ymd_and_hms(2026, 11, day, 3, 0, 0).unwrap();
    /// // Created, handed over, won: a won deal names its revenue.
    /// let deal = Deal::new("D1", at(2), "facebook_ads")
    ///     .customer_id("KH1")
    ///     .handed_over_at(at(3))
    ///     .opportunity_at(at(5))
    ///     .won_at(at(9))
    ///     .revenue(Decimal::from(3_000_000));
    /// assert_eq!(deal.revenue, Some(Decimal::from(3_000_000)));
    /// ```
    pub fn new(
        id: impl Into<String>,
        created_at: DateTime<Utc>,
        source: impl Into<String>,
    ) -> Deal {
        Deal {
            id: id.into(),
            customer_id: None,
            created_at,
            source: source.into(),
            product_type: None,
            handed_over_at: None,
            opportunity_at: None,
            won_at: None,
            revenue: None,
        }
    }

    /// Sets the customer.
    #[must_use]
    pub fn customer_id(mut self, customer_id: impl Into<String>) -> Deal {
        self.customer_id = Some(customer_id.into());
        self
    }

    /// Sets the product type (free text).
    #[must_use]
    pub fn product_type(mut self, product_type: impl Into<String>) -> Deal {
        self.product_type = Some(product_type.into());
        self
    }

    /// Sets when the deal was handed over to a salesperson.
    #[must_use]
    pub fn handed_over_at(mut self, handed_over_at: DateTime<Utc>) -> Deal {
        self.handed_over_at = Some(handed_over_at);
        self
    }

    /// Sets when the deal became an opportunity.
    #[must_use]
    pub fn opportunity_at(mut self, opportunity_at: DateTime<Utc>) -> Deal {
        self.opportunity_at = Some(opportunity_at);
        self
    }

    /// Sets when the deal was won (a won deal needs a [`revenue`](Deal::revenue) too).
    #[must_use]
    pub fn won_at(mut self, won_at: DateTime<Utc>) -> Deal {
        self.won_at = Some(won_at);
        self
    }

    /// Sets the revenue of a won deal.
    #[must_use]
    pub fn revenue(mut self, revenue: Decimal) -> Deal {
        self.revenue = Some(revenue);
        self
    }
}
