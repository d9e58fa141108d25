//! The `marketing` section (docs/metrics.md#marketing), the marketing overview (S2, MISA
//! aiMarketing "Overview dashboard"): which marketing sources and product types pay off. Revenue,
//! cost and ROI against the previous period, the deal funnel of the period's cohort with its rates
//! and AOV, daily activity, revenue by product type, and care and cost efficiency by source and by
//! product type.
//!
//! # Formula index
//! | field (docs/metrics.md#marketing) | item |
//! | --- | --- |
//! | `revenue`, `cost`, `roi` (cmp) | [`MarketingSection`], [`roi`], [`money::Comparison`](crate::money::Comparison) |
//! | `funnel`, `opportunity_rate`, `order_rate` | [`funnel`], [`Funnel`] |
//! | `won_deals`, `aov` | [`aov`] |
//! | `activity_daily` | [`ActivityDay`] |
//! | `revenue_by_product_type` | [`ProductTypeRevenue`] |
//! | `by_source` (`cost_per_deal`, `cost_per_won`) | [`SourceRow`], [`cost_per`] |
//! | `by_product_type` | [`ProductTypeRow`] |
//! | filters, saved views | [`Filter`], [`SavedView`] |
//! | shards and merging | [`Scope`], [`Partial`] |
//!
//! # What counts where
//! Every event is "in the period" when its instant is in the period's local days and
//! not after `as_of` (docs/metrics.md#conventions). Filters (period, sources, product types) apply
//! to deals and costs alike, combined with AND.
//! * **Revenue and won deals** follow `won_at`: a deal won in the period counts whenever
//!   it was created. A deal won after `as_of` is not won (docs/metrics.md#marketing).
//! * **The funnel** is a cohort: the deals *created* in the period, and of those, the
//!   ones handed over in it, of those the opportunities in it, of those the ones won in
//!   it. A deal created before the period and won in it is in `revenue`, not in the
//!   funnel; a deal created in it and won after it stops at its last stage inside.
//! * **`activity_daily`** is activity, not cohort: each stage counts on the local date
//!   of its own timestamp, one row per date of the period (zero-filled, dates after
//!   `today` included, docs/metrics.md#periods).
//! * **Cost** follows the cost row's `date` (a local date): in the period and not after
//!   `today`.
//!
//! **Decision** (docs/metrics.md#marketing, docs/metrics.md#which-rows-count): `by_source` has a
//! row for every source with a deal created or won in the period or a cost row dated in it, even a
//! cost of amount `0`; `by_product_type` likewise for product types, and leaves out deals and costs
//! with no product type (they still count in the totals); `revenue_by_product_type` groups them
//! under `""`. `opportunity_rate`, `order_rate` and `cost_per_deal` of a source with
//! costs but no deal created are `null`, as is its `cost_per_won` with no deal won.
//!
//! **Decision**: a filter name that no deal or cost carries matches nothing; it is not
//! an error.
//!
//! # Example
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_metrics::{ReportOptions, calendar::Preset, marketing, sample::SampleOptions};
//!
//! let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
//! let dataset = SampleOptions::new(500).seed(7).as_of(as_of).dataset()?;
//! let context = ReportOptions::new(as_of).period(Preset::Last28Days).resolve()?;
//!
//! let all = marketing::section(&dataset, &context)?;
//! let view = marketing::Filter::new(Preset::Last28Days).sources(["facebook_ads"]);
//! let facebook = marketing::section_with_filter(&dataset, &context, &view)?;
//! assert!(facebook.revenue.current <= all.revenue.current);
//! assert_eq!(all.activity_daily.len(), 28);
//! # Ok::<(), crm_metrics::Error>(())
//! ```

mod filter;
mod formula;
mod output;
mod partial;
mod scope;

pub use filter::{Filter, SavedView};
pub use formula::{Funnel, aov, cost_per, funnel, roi};
pub use output::{ActivityDay, MarketingSection, ProductTypeRevenue, ProductTypeRow, SourceRow};
pub use partial::Partial;
pub use scope::Scope;

use rust_decimal::Decimal;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::money::Comparison;
use crate::options::Context;

/// Computes the section for a report: the context's period, sources and product types.
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum does not fit in a decimal.
pub fn section(dataset: &Dataset, context: &Context) -> Result<MarketingSection> {
    Scope::new(dataset, context).section()
}

/// Computes the section with an explicit [`Filter`] (a [`SavedView`]'s, say) in place
/// of the context's period, sources and product types; the calendar and `as_of` are
/// the context's.
///
/// # Errors
/// * [`Error::Overflow`](crate::Error::Overflow) when a sum does not fit in a decimal;
/// * [`Error::DateOutOfRange`](crate::Error::DateOutOfRange) when the filter's period
///   cannot be resolved (only at the edges of chrono's date range).
pub fn section_with_filter(
    dataset: &Dataset,
    context: &Context,
    filter: &Filter,
) -> Result<MarketingSection> {
    Scope::with_filter(dataset, context, filter)?.section()
}

// ---------------------------------------------------------------------------------------
// One metric at a time
// ---------------------------------------------------------------------------------------

/// Revenue of the deals won in the period (by `won_at`), against the previous period. Field `marketing.revenue`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Edge cases
/// * A deal won after `as_of` is not won.
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::revenue(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.revenue);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn revenue(dataset: &Dataset, context: &Context) -> Result<Comparison<Decimal>> {
    Ok(section(dataset, context)?.revenue)
}

/// Sum of the cost rows dated in the period (up to `today`), against the previous period. Field `marketing.cost`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::cost(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.cost);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn cost(dataset: &Dataset, context: &Context) -> Result<Comparison<Decimal>> {
    Ok(section(dataset, context)?.cost)
}

/// [`roi`] of the period against the previous period's. Field `marketing.roi`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Edge cases
/// * A period with cost 0 has ROI `None`, and so has the delta.
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::roi_change(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.roi);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn roi_change(dataset: &Dataset, context: &Context) -> Result<Comparison<Option<Decimal>>> {
    Ok(section(dataset, context)?.roi)
}

/// The cohort funnel of the period (deals created in it, and of those the ones handed over, turned opportunity and won in it); [`funnel`] computes it from deal structs. Field `marketing.funnel`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Edge cases
/// * A deal created before the period is not in the cohort.
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::cohort_funnel(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.funnel);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn cohort_funnel(dataset: &Dataset, context: &Context) -> Result<Funnel> {
    Ok(section(dataset, context)?.funnel)
}

/// Deals won in the period. Field `marketing.won_deals`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::won_deals(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.won_deals);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn won_deals(dataset: &Dataset, context: &Context) -> Result<u64> {
    Ok(section(dataset, context)?.won_deals)
}

/// Deals created, handed over, turned opportunity and won per local day of the period, each stage on the date of its own timestamp. Field `marketing.activity_daily`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Edge cases
/// * One row per date of the period; dates after `today` are rows of zero.
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::activity_daily(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.activity_daily);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn activity_daily(dataset: &Dataset, context: &Context) -> Result<Vec<ActivityDay>> {
    Ok(section(dataset, context)?.activity_daily)
}

/// Revenue and won deals of the period per product type, by revenue (descending) then name; deals without a product type under `""`. Field `marketing.revenue_by_product_type`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::revenue_by_product_type(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.revenue_by_product_type);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn revenue_by_product_type(
    dataset: &Dataset,
    context: &Context,
) -> Result<Vec<ProductTypeRevenue>> {
    Ok(section(dataset, context)?.revenue_by_product_type)
}

/// Per marketing source: its cohort funnel, won deals, revenue, cost, ROI, rates and cost per deal, sorted by source. Field `marketing.by_source`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Edge cases
/// * A source with costs but no deal created has `null` rates and `cost_per_deal`.
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::by_source(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.by_source);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn by_source(dataset: &Dataset, context: &Context) -> Result<Vec<SourceRow>> {
    Ok(section(dataset, context)?.by_source)
}

/// Per product type: won deals, revenue, cost and ROI of the period, sorted by product type; deals and costs without one are left out. Field `marketing.by_product_type`.
///
/// Equal to [`section`]'s field, at the same cost (the dataset's deal and cost indexes).
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum or ratio of the section does
/// not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = marketing::by_product_type(&dataset, &context)?;
/// assert_eq!(value, marketing::section(&dataset, &context)?.by_product_type);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn by_product_type(dataset: &Dataset, context: &Context) -> Result<Vec<ProductTypeRow>> {
    Ok(section(dataset, context)?.by_product_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Period, Preset};
    use crate::dataset::DatasetBuilder;
    use crate::model::{Cost, Deal};
    use crate::money::Comparison;
    use crate::options::ReportOptions;
    use chrono::{DateTime, NaiveDate, Utc};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// `2026-MM-DD` at 10:00 local (+07:00), or an RFC 3339 instant as given.
    fn at(s: &str) -> DateTime<Utc> {
        let text = if s.len() == 5 {
            format!("2026-{s}T10:00:00+07:00")
        } else {
            s.to_owned()
        };
        DateTime::parse_from_rfc3339(&text)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// A deal: `stages` = created, then handed over, opportunity, won (as far as given).
    fn deal(source: &str, product_type: Option<&str>, stages: &[&str], revenue: i64) -> Deal {
        let stage = |i: usize| stages.get(i).map(|s| at(s));
        Deal {
            id: format!("DL-{source}-{}", stages.join("-")),
            customer_id: None,
            created_at: at(stages[0]),
            source: source.into(),
            product_type: product_type.map(Into::into),
            handed_over_at: stage(1),
            opportunity_at: stage(2),
            won_at: stage(3),
            revenue: stage(3).map(|_| Decimal::from(revenue)),
        }
    }

    fn cost(day: &str, source: &str, product_type: Option<&str>, amount: i64) -> Cost {
        Cost {
            date: date(&format!("2026-{day}")),
            source: source.into(),
            product_type: product_type.map(Into::into),
            amount: Decimal::from(amount),
        }
    }

    fn dataset(deals: &[Deal], costs: &[Cost]) -> Dataset {
        let mut builder = DatasetBuilder::new();
        for deal in deals {
            builder.push_deal(deal);
        }
        for cost in costs {
            builder.push_cost(cost);
        }
        let dataset = builder.build().unwrap();
        assert!(dataset.quality().is_clean(), "{:?}", dataset.quality());
        dataset
    }

    /// as_of 2026-11-15 10:00 +07:00 (today = Nov 15), this_month: Nov 1-30 against
    /// Oct 1-31, every source and product type.
    fn options() -> ReportOptions {
        ReportOptions::new(at("11-15")).period(Preset::ThisMonth)
    }

    fn compute(dataset: &Dataset, options: &ReportOptions) -> MarketingSection {
        let context = options.resolve().unwrap();
        let fast = section(dataset, &context).unwrap();
        // Every hand-made case also checks the indexed path against the plain fold.
        use crate::fold::Fold;
        let mut fold = Partial::with_context(&context);
        fold.add_deals(dataset, 0..dataset.deal_count());
        fold.add_costs(dataset, 0..dataset.cost_count());
        assert_eq!(fold.finish().unwrap(), fast);
        fast
    }

    fn source<'s>(section: &'s MarketingSection, name: &str) -> &'s SourceRow {
        section.by_source.iter().find(|r| r.source == name).unwrap()
    }

    #[test]
    fn roi_is_null_when_cost_is_zero() {
        let data = dataset(
            &[deal(
                "google_ads",
                Some("course"),
                &["11-02", "11-03", "11-04", "11-05"],
                100,
            )],
            &[],
        );
        let s = compute(&data, &options());
        assert_eq!(s.revenue.current, d("100"));
        assert_eq!(s.cost.current, Decimal::ZERO);
        // (100 - 0) / 0: undefined, and so is its delta
        assert_eq!(
            s.roi,
            Comparison {
                current: None,
                previous: None,
                delta: None
            }
        );
        let google = source(&s, "google_ads");
        assert_eq!(google.roi, None);
        // cost 0 / 1 created = 0; 0 / 1 won = 0
        assert_eq!(google.cost_per_deal, Some(Decimal::ZERO));
        assert_eq!(google.cost_per_won, Some(Decimal::ZERO));
        assert_eq!(s.by_product_type[0].roi, None);
    }

    #[test]
    fn negative_roi_and_its_delta() {
        let data = dataset(
            &[
                deal(
                    "facebook_ads",
                    Some("course"),
                    &["11-02", "11-03", "11-04", "11-05"],
                    50_000,
                ),
                deal(
                    "facebook_ads",
                    Some("course"),
                    &["10-02", "10-03", "10-04", "10-12"],
                    300_000,
                ),
            ],
            &[
                cost("11-03", "facebook_ads", Some("course"), 200_000),
                cost("10-10", "facebook_ads", Some("course"), 100_000),
            ],
        );
        let s = compute(&data, &options());
        // November: (50000 - 200000) / 200000 = -0.75
        assert_eq!(s.roi.current, Some(d("-0.75")));
        // October: (300000 - 100000) / 100000 = 2
        assert_eq!(s.roi.previous, Some(d("2")));
        // delta of the ratios: (-0.75 - 2) / |2| = -1.375
        assert_eq!(s.roi.delta, Some(d("-1.375")));
        // revenue delta: (50000 - 300000) / 300000 = -0.8333…
        assert_eq!(s.revenue.delta, Some(d("-250000") / d("300000")));
        // cost delta: (200000 - 100000) / 100000 = 1
        assert_eq!(s.cost.delta, Some(d("1")));
        assert_eq!(source(&s, "facebook_ads").roi, Some(d("-0.75")));
        assert_eq!(s.by_product_type[0].roi, Some(d("-0.75")));
    }

    #[test]
    fn deal_created_in_the_period_but_won_after_it() {
        let data = dataset(
            &[
                // Won on Nov 12: after the custom period Nov 1-10, before as_of.
                deal(
                    "zalo_ads",
                    None,
                    &["11-02", "11-03", "11-05", "11-12"],
                    9_000,
                ),
            ],
            &[],
        );
        let first_ten = Period::new(date("2026-11-01"), date("2026-11-10")).unwrap();
        let s = compute(&data, &options().period(first_ten));
        // In the cohort up to its last stage inside the period, not won.
        assert_eq!(
            s.funnel,
            Funnel {
                created: 1,
                handed_over: 1,
                opportunity: 1,
                won: 0
            }
        );
        assert_eq!((s.won_deals, s.revenue.current), (0, Decimal::ZERO));
        // opportunity 1 / created 1 = 1; won 0 / created 1 = 0
        assert_eq!(s.opportunity_rate, Some(d("1")));
        assert_eq!(s.order_rate, Some(Decimal::ZERO));
        assert_eq!(s.aov, None);
        assert_eq!(s.activity_daily.len(), 10);
        assert!(s.revenue_by_product_type.is_empty());
    }

    #[test]
    fn deal_won_after_as_of_is_not_won() {
        // A deal won after as_of is not won: won on Nov 20, as_of is Nov 15; the period
        // (this month) holds both.
        let data = dataset(
            &[deal(
                "zalo_ads",
                Some("course"),
                &["11-02", "11-03", "11-05", "11-20"],
                9_000,
            )],
            &[],
        );
        let s = compute(&data, &options());
        assert_eq!(s.funnel.opportunity, 1);
        assert_eq!(s.funnel.won, 0);
        assert_eq!(s.won_deals, 0);
        assert_eq!(s.revenue.current, Decimal::ZERO);
        // Nov 20 is row 19, zero-filled like every day after today.
        assert_eq!(s.activity_daily[19].date, date("2026-11-20"));
        assert_eq!(s.activity_daily[19].won, 0);
        assert!(s.by_product_type.is_empty());
    }

    #[test]
    fn deal_won_in_the_period_but_created_before_it() {
        let data = dataset(
            &[deal(
                "referral",
                Some("software"),
                &["10-20", "10-21", "10-25", "11-03"],
                700,
            )],
            &[],
        );
        let s = compute(&data, &options());
        // Counts in revenue and won_deals...
        assert_eq!(s.revenue.current, d("700"));
        assert_eq!(s.won_deals, 1);
        assert_eq!(s.aov, Some(d("700"))); // 700 / 1
        // ...but not in the cohort funnel of November.
        assert_eq!(s.funnel, Funnel::default());
        assert_eq!((s.opportunity_rate, s.order_rate), (None, None));
        // Activity: only the win falls in November, on Nov 3 (row 2).
        let won_days: Vec<_> = s.activity_daily.iter().filter(|a| a.won > 0).collect();
        assert_eq!(won_days.len(), 1);
        assert_eq!(
            *won_days[0],
            ActivityDay {
                date: date("2026-11-03"),
                created: 0,
                handed_over: 0,
                opportunity: 0,
                won: 1
            }
        );
        let referral = source(&s, "referral");
        assert_eq!(
            (referral.created, referral.won, referral.won_deals),
            (0, 0, 1)
        );
        assert_eq!(referral.cost_per_deal, None); // no deal created
        // In October it was created, handed over and an opportunity, not won.
        let october = Period::new(date("2026-10-01"), date("2026-10-31")).unwrap();
        let s = compute(&data, &options().period(october));
        assert_eq!(
            s.funnel,
            Funnel {
                created: 1,
                handed_over: 1,
                opportunity: 1,
                won: 0
            }
        );
        assert_eq!(s.won_deals, 0);
    }

    #[test]
    fn cost_without_product_type_under_a_product_type_filter() {
        let data = dataset(
            &[],
            &[
                cost("11-02", "facebook_ads", None, 1_000),
                cost("11-02", "facebook_ads", Some("course"), 300),
                cost("11-04", "facebook_ads", Some("software"), 40),
            ],
        );
        // No filter: 1000 + 300 + 40 = 1340 in the totals and for the source...
        let s = compute(&data, &options());
        assert_eq!(s.cost.current, d("1340"));
        assert_eq!(source(&s, "facebook_ads").cost, d("1340"));
        // ...but by_product_type has no "" row: course 300, software 40.
        let types: Vec<_> = s
            .by_product_type
            .iter()
            .map(|r| (r.product_type.as_str(), r.cost))
            .collect();
        assert_eq!(types, [("course", d("300")), ("software", d("40"))]);
        // Filtering on course drops the cost without a product type: 300 only.
        let s = compute(&data, &options().product_types(["course"]));
        assert_eq!(s.cost.current, d("300"));
        assert_eq!(source(&s, "facebook_ads").cost, d("300"));
        assert_eq!(s.by_product_type.len(), 1);
    }

    #[test]
    fn source_with_costs_but_no_deals() {
        let data = dataset(
            &[deal(
                "google_ads",
                Some("course"),
                &["11-02", "11-03", "11-04", "11-05"],
                1_000,
            )],
            &[
                cost("11-05", "seo", Some("software"), 5_000),
                // A cost of 0 still gives its source a row (docs/metrics.md#which-rows-count).
                cost("11-06", "event", None, 0),
            ],
        );
        let s = compute(&data, &options());
        let names: Vec<_> = s.by_source.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(names, ["event", "google_ads", "seo"]); // sorted by source
        assert_eq!(
            *source(&s, "seo"),
            SourceRow {
                source: "seo".into(),
                created: 0,
                handed_over: 0,
                opportunity: 0,
                won: 0,
                won_deals: 0,
                revenue: Decimal::ZERO,
                cost: d("5000"),
                roi: Some(d("-1")), // (0 - 5000) / 5000
                opportunity_rate: None,
                order_rate: None,
                cost_per_deal: None,
                cost_per_won: None,
            }
        );
        let event = source(&s, "event");
        assert_eq!((event.cost, event.roi), (Decimal::ZERO, None));
        // Totals: revenue 1000, cost 5000 + 0 = 5000, ROI (1000 - 5000) / 5000 = -0.8
        assert_eq!(s.roi.current, Some(d("-0.8")));
        // by_product_type: software has the seo cost, course the won deal.
        let types: Vec<_> = s
            .by_product_type
            .iter()
            .map(|r| (r.product_type.as_str(), r.won_deals, r.revenue, r.cost))
            .collect();
        assert_eq!(
            types,
            [
                ("course", 1, d("1000"), Decimal::ZERO),
                ("software", 0, Decimal::ZERO, d("5000"))
            ]
        );
    }

    #[test]
    fn costs_after_today_and_outside_the_period_do_not_count() {
        let data = dataset(
            &[],
            &[
                cost("10-31", "seo", None, 1),    // previous period
                cost("11-01", "seo", None, 10),   // first day
                cost("11-15", "seo", None, 100),  // today
                cost("11-16", "seo", None, 1000), // after today: not yet spent
            ],
        );
        let s = compute(&data, &options());
        // 10 + 100 = 110 against 1; delta (110 - 1) / 1 = 109
        assert_eq!(s.cost.current, d("110"));
        assert_eq!(s.cost.previous, d("1"));
        assert_eq!(s.cost.delta, Some(d("109")));
    }

    #[test]
    fn activity_follows_each_stage_timestamp_and_is_zero_filled() {
        let data = dataset(
            &[
                // Created in October, handed over at exactly local midnight of Nov 1
                // (belongs to Nov 1: an event at local midnight starts the day), opportunity
                // Nov 2, won Nov 4.
                deal(
                    "seo",
                    Some("course"),
                    &[
                        "10-30",
                        "2026-11-01T00:00:00+07:00",
                        "11-02",
                        "2026-11-04T23:59:59+07:00",
                    ],
                    5,
                ),
                // One second before local midnight: still October 31.
                deal("seo", None, &["2026-10-31T23:59:59+07:00"], 0),
                deal("seo", None, &["11-02"], 0),
            ],
            &[],
        );
        let s = compute(&data, &options());
        assert_eq!(s.activity_daily.len(), 30); // Nov 1-30, days after today included
        assert_eq!(s.activity_daily[0].date, date("2026-11-01"));
        assert_eq!(s.activity_daily[29].date, date("2026-11-30"));
        let rows: Vec<_> = s
            .activity_daily
            .iter()
            .map(|a| [a.created, a.handed_over, a.opportunity, a.won])
            .collect();
        assert_eq!(rows[0], [0, 1, 0, 0]); // Nov 1: the hand-over at midnight
        assert_eq!(rows[1], [1, 0, 1, 0]); // Nov 2: a creation and an opportunity
        assert_eq!(rows[3], [0, 0, 0, 1]); // Nov 4, 23:59:59 local
        let total: u64 = rows.iter().flatten().sum();
        assert_eq!(total, 4);
        // The cohort has only the deal created on Nov 2.
        assert_eq!(s.funnel.created, 1);
    }

    #[test]
    fn revenue_by_product_type_sorted_with_an_empty_group() {
        let won = |product_type, day: &'static str, revenue| {
            deal(
                "facebook_ads",
                product_type,
                &["11-01", "11-01", "11-01", day],
                revenue,
            )
        };
        let data = dataset(
            &[
                won(Some("software"), "11-02", 500),
                won(Some("course"), "11-03", 200),
                won(Some("course"), "11-04", 300),
                won(None, "11-05", 800),
                won(Some("membership"), "11-06", 0),
            ],
            &[],
        );
        let s = compute(&data, &options());
        let rows: Vec<_> = s
            .revenue_by_product_type
            .iter()
            .map(|r| (r.product_type.as_str(), r.revenue, r.won_deals))
            .collect();
        // revenue desc (800, 500, 500, 0), ties by product type asc (course < software)
        assert_eq!(
            rows,
            [
                ("", d("800"), 1),
                ("course", d("500"), 2), // 200 + 300
                ("software", d("500"), 1),
                ("membership", Decimal::ZERO, 1),
            ]
        );
        // by_product_type leaves out "" but the totals keep it: 800 + 500 + 500 = 1800
        assert_eq!(s.by_product_type.len(), 3);
        assert_eq!(s.revenue.current, d("1800"));
        assert_eq!(s.won_deals, 5);
        assert_eq!(s.aov, Some(d("360"))); // 1800 / 5
        // all five created Nov 1 and won in November
        assert_eq!(s.funnel.won, 5);
        assert_eq!(s.order_rate, Some(d("1")));
    }

    #[test]
    fn filters_by_source_and_unknown_names() {
        let data = dataset(
            &[
                deal("a", Some("x"), &["11-02", "11-03", "11-04", "11-05"], 10),
                deal("b", Some("x"), &["11-02", "11-03", "11-04", "11-05"], 20),
            ],
            &[
                cost("11-02", "a", Some("x"), 5),
                cost("11-02", "b", None, 7),
            ],
        );
        let s = compute(&data, &options().sources(["b"]));
        assert_eq!((s.revenue.current, s.cost.current), (d("20"), d("7")));
        assert_eq!(s.by_source.len(), 1);
        // AND of both filters: source b, product type x: the deal, not the untyped cost.
        let s = compute(&data, &options().sources(["b"]).product_types(["x"]));
        assert_eq!(
            (s.revenue.current, s.cost.current),
            (d("20"), Decimal::ZERO)
        );
        // A name nobody carries matches nothing.
        let s = compute(&data, &options().sources(["nobody"]));
        assert_eq!(s.funnel, Funnel::default());
        assert!(s.by_source.is_empty());
        assert_eq!(s.roi.current, None);
    }

    #[test]
    fn explicit_filter_equals_the_same_options() {
        let data = dataset(
            &[deal("a", Some("x"), &["11-02", "11-03"], 0)],
            &[cost("10-02", "a", Some("x"), 5)],
        );
        let filter = Filter::new(Preset::Last7Days).sources(["a"]);
        let context = options().resolve().unwrap();
        let via_filter = section_with_filter(&data, &context, &filter).unwrap();
        let via_options = compute(&data, &filter.apply(options()));
        assert_eq!(via_filter, via_options);
        assert_eq!(via_filter.activity_daily.len(), 7);
        // Nov 9-15 against Nov 2-8: the deal created on Nov 2 is before the period.
        assert_eq!(via_filter.funnel.created, 0);
    }

    #[test]
    fn json_shape_and_key_order() {
        let data = dataset(
            &[deal(
                "a",
                Some("x"),
                &["11-02", "11-03", "11-04", "11-05"],
                3,
            )],
            &[cost("11-02", "a", Some("x"), 2)],
        );
        let one_day = Period::day(date("2026-11-05"));
        let s = compute(&data, &options().period(one_day));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"revenue":{"current":"3","previous":"0","delta":null},"#,
                r#""cost":{"current":"0","previous":"0","delta":null},"#,
                r#""roi":{"current":null,"previous":null,"delta":null},"#,
                r#""funnel":{"created":0,"handed_over":0,"opportunity":0,"won":0},"#,
                r#""opportunity_rate":null,"order_rate":null,"won_deals":1,"aov":"3","#,
                r#""activity_daily":[{"date":"2026-11-05","created":0,"handed_over":0,"opportunity":0,"won":1}],"#,
                r#""revenue_by_product_type":[{"product_type":"x","revenue":"3","won_deals":1}],"#,
                r#""by_source":[{"source":"a","created":0,"handed_over":0,"opportunity":0,"won":0,"#,
                r#""won_deals":1,"revenue":"3","cost":"0","roi":null,"opportunity_rate":null,"#,
                r#""order_rate":null,"cost_per_deal":null,"cost_per_won":"0"}],"#,
                r#""by_product_type":[{"product_type":"x","won_deals":1,"revenue":"3","cost":"0","roi":null}]}"#,
            )
        );
    }
}
