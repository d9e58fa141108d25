//! The marketing section's output: [`MarketingSection`] and its rows.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Comparison;

use super::formula::Funnel;

/// The `marketing` section (docs/metrics.md#marketing): the marketing overview. Keys serialize in
/// the documented order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingSection {
    /// Summed `revenue` of deals won in the period, against the previous period.
    pub revenue: Comparison<Decimal>,
    /// Summed `amount` of costs dated in the period (up to `today`), against the
    /// previous period.
    pub cost: Comparison<Decimal>,
    /// [`roi`](super::roi) of each period; the delta divides the two ratios
    /// (docs/metrics.md#money-and-ratios), and is `null` when either is `null`
    /// (docs/metrics.md#comparisons).
    pub roi: Comparison<Option<Decimal>>,
    /// The cohort funnel of the period.
    pub funnel: Funnel,
    /// `funnel.opportunity / funnel.created`; `null` with no deal created.
    pub opportunity_rate: Option<Decimal>,
    /// `funnel.won / funnel.created`; `null` with no deal created.
    pub order_rate: Option<Decimal>,
    /// Deals won in the period (whenever they were created).
    pub won_deals: u64,
    /// `revenue.current / won_deals` ([`aov`](super::aov)); `null` with no deal won.
    pub aov: Option<Decimal>,
    /// One row per local date of the period, in date order, zero-filled.
    pub activity_daily: Vec<ActivityDay>,
    /// Deals won in the period by product type (`""` for none), sorted by revenue
    /// descending, then product type ascending.
    pub revenue_by_product_type: Vec<ProductTypeRevenue>,
    /// Care and cost efficiency per source, sorted by source ascending.
    pub by_source: Vec<SourceRow>,
    /// Cost efficiency per product type (none left out), sorted ascending.
    pub by_product_type: Vec<ProductTypeRow>,
}

/// One row of `activity_daily`: deals whose stage timestamp falls on `date` (activity,
/// not cohort: a deal created on one day and won on another counts on both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityDay {
    /// The local date.
    pub date: NaiveDate,
    /// Deals created that day.
    pub created: u64,
    /// Deals handed over that day.
    pub handed_over: u64,
    /// Deals that became an opportunity that day.
    pub opportunity: u64,
    /// Deals won that day.
    pub won: u64,
}

/// One row of `revenue_by_product_type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductTypeRevenue {
    /// The product type; `""` for deals without one.
    pub product_type: String,
    /// Summed revenue of its deals won in the period.
    pub revenue: Decimal,
    /// Its deals won in the period (at least 1).
    pub won_deals: u64,
}

/// One row of `by_source`: a source with deals created or won, or costs, in the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRow {
    /// The marketing source.
    pub source: String,
    /// Cohort funnel of the source: deals created in the period.
    pub created: u64,
    /// Of those, handed over in the period.
    pub handed_over: u64,
    /// Of those, an opportunity in the period.
    pub opportunity: u64,
    /// Of those, won in the period.
    pub won: u64,
    /// Deals of the source won in the period (whenever created).
    pub won_deals: u64,
    /// Their summed revenue.
    pub revenue: Decimal,
    /// The source's costs dated in the period (up to `today`).
    pub cost: Decimal,
    /// `(revenue - cost) / cost`; `null` when `cost` is 0.
    pub roi: Option<Decimal>,
    /// `opportunity / created`; `null` when `created` is 0.
    pub opportunity_rate: Option<Decimal>,
    /// `won / created`; `null` when `created` is 0.
    pub order_rate: Option<Decimal>,
    /// `cost / created` (docs/metrics.md#marketing); `null` when `created` is 0.
    pub cost_per_deal: Option<Decimal>,
    /// `cost / won_deals`; `null` when `won_deals` is 0.
    pub cost_per_won: Option<Decimal>,
}

impl SourceRow {
    /// The source's cohort funnel.
    pub fn funnel(&self) -> Funnel {
        Funnel {
            created: self.created,
            handed_over: self.handed_over,
            opportunity: self.opportunity,
            won: self.won,
        }
    }
}

/// One row of `by_product_type`: a product type with deals won or costs in the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductTypeRow {
    /// The product type (never `""`: deals and costs without one are left out).
    pub product_type: String,
    /// Its deals won in the period.
    pub won_deals: u64,
    /// Their summed revenue.
    pub revenue: Decimal,
    /// Its costs dated in the period (up to `today`).
    pub cost: Decimal,
    /// `(revenue - cost) / cost`; `null` when `cost` is 0.
    pub roi: Option<Decimal>,
}
