//! The report (docs/metrics.md#the-json-report): [`report()`] assembles the sections
//! into the [`Report`] with its JSON-only parts (`period`, `compare`, `data_quality`);
//! nothing in the crate imports this module. Sections own their own structs; the
//! options and the resolved [`Context`] live in [`crate::options`] (re-exported here).

mod beyond;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Compare, Period};
use crate::dataset::{DataQualitySection, Dataset};
use crate::error::Result;
use crate::fold::tally::TallyFold;
use crate::fold::{Fold, fold_customers};
pub use crate::options::{Context, ReportOptions};
use crate::{cohorts, customer_picture, customers, lifecycle, marketing, profile, rfm, social};

/// The report (docs/metrics.md#the-json-report). Keys serialize in the documented order;
/// it deserializes from that JSON again (a `"custom"` comparison takes its range from
/// `previous_period`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ReportJson")]
pub struct Report {
    /// `as_of` as UTC RFC 3339 with `Z` (docs/metrics.md#the-json-report).
    pub as_of: DateTime<Utc>,
    /// The time zone as given (`+07:00`, `Europe/Berlin`).
    pub time_zone: String,
    /// The period.
    pub period: Period,
    /// The comparison range (the previous period unless [`ReportOptions::compare`]
    /// says otherwise).
    pub previous_period: Period,
    /// The comparison mode's name: `previous_period`, `to_date`, `year_ago`, `custom`.
    #[serde(serialize_with = "crate::calendar::serialize_compare_name")]
    pub compare: Compare,
    /// The customer dashboard (docs/metrics.md#customers).
    pub customers: customers::CustomersSection,
    /// The marketing overview (docs/metrics.md#marketing).
    pub marketing: marketing::MarketingSection,
    /// The customer picture (docs/metrics.md#customer_picture).
    pub customer_picture: customer_picture::CustomerPictureSection,
    /// The social chat overview (docs/metrics.md#social).
    pub social: social::SocialSection,
    /// New, returning, resurrecting and dormant customers, and 12 months of them.
    pub lifecycle: lifecycle::LifecycleSection,
    /// Monthly acquisition cohorts and their retention, 12 rows.
    pub cohorts: Vec<cohorts::CohortRow>,
    /// Recency, frequency and monetary value: summary, segments, grid.
    pub rfm: rfm::RfmSection,
    /// The customer profile (docs/metrics.md#profile); only when [`ReportOptions::customer`] is set (absent from the JSON
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<profile::ProfileSection>,
    /// What validation accepted, rejected and warned about.
    pub data_quality: DataQualitySection,
}

/// [`Report`] as its JSON says it: the comparison mode by name only.
#[derive(Deserialize)]
struct ReportJson {
    as_of: DateTime<Utc>,
    time_zone: String,
    period: Period,
    previous_period: Period,
    compare: String,
    customers: customers::CustomersSection,
    marketing: marketing::MarketingSection,
    customer_picture: customer_picture::CustomerPictureSection,
    social: social::SocialSection,
    lifecycle: lifecycle::LifecycleSection,
    cohorts: Vec<cohorts::CohortRow>,
    rfm: rfm::RfmSection,
    #[serde(default)]
    profile: Option<profile::ProfileSection>,
    data_quality: DataQualitySection,
}

impl TryFrom<ReportJson> for Report {
    type Error = String;

    fn try_from(json: ReportJson) -> std::result::Result<Report, String> {
        let compare = match json.compare.as_str() {
            "custom" => Compare::Custom(json.previous_period),
            name => name
                .parse()
                .map_err(|_| format!("unknown comparison mode {name:?}"))?,
        };
        Ok(Report {
            as_of: json.as_of,
            time_zone: json.time_zone,
            period: json.period,
            previous_period: json.previous_period,
            compare,
            customers: json.customers,
            marketing: json.marketing,
            customer_picture: json.customer_picture,
            social: json.social,
            lifecycle: json.lifecycle,
            cohorts: json.cohorts,
            rfm: json.rfm,
            profile: json.profile,
            data_quality: json.data_quality,
        })
    }
}

/// The lifecycle, cohorts and RFM sections in one pass over the customers, sharing one
/// scan of each customer's purchases: what [`report`] computes for them. Equal to
/// calling [`lifecycle::section`], [`cohorts::section`] and [`rfm::section`].
///
/// # Errors
/// As those functions.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, report::lifecycle_cohorts_rfm, rfm, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(2).as_of(as_of).dataset()?;
/// let options = ReportOptions::new(as_of);
/// let (_, _, r) = lifecycle_cohorts_rfm(&dataset, &options)?;
/// assert_eq!(r, rfm::section(&dataset, &options)?);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn lifecycle_cohorts_rfm(
    dataset: &Dataset,
    options: &ReportOptions,
) -> Result<(
    lifecycle::LifecycleSection,
    Vec<cohorts::CohortRow>,
    rfm::RfmSection,
)> {
    beyond::sections(dataset, options)
}

/// Computes the report (docs/metrics.md#the-json-report) for `dataset` under `options`.
///
/// # Errors
/// * [`Error::Overflow`](crate::Error::Overflow) when a sum does not fit in a decimal;
/// * [`Error::DateOutOfRange`](crate::Error::DateOutOfRange) for a period out of range;
/// * [`Error::UnknownCustomer`](crate::Error::UnknownCustomer) when the profile's
///   customer has no accepted row or is created after `as_of`.
pub fn report(dataset: &Dataset, options: &ReportOptions) -> Result<Report> {
    assemble(dataset, options, true)
}

/// The report without the lifecycle, cohorts and RFM sections, which come out as for a
/// shop without purchasers: what the report cost before those sections existed, so that
/// a benchmark can compare the two in one run (`benches/report.rs`). Every other
/// section equals [`report`]'s.
///
/// # Errors
/// As [`report`].
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, report, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(2).as_of(as_of).dataset()?;
/// let options = ReportOptions::new(as_of);
/// let (full, five) = (report::report(&dataset, &options)?, report::without_beyond(&dataset, &options)?);
/// assert_eq!((five.customers, five.social), (full.customers, full.social));
/// assert_eq!(five.rfm.customers, 0);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn without_beyond(dataset: &Dataset, options: &ReportOptions) -> Result<Report> {
    assemble(dataset, options, false)
}

/// [`report`], with or without the lifecycle, cohorts and RFM sections.
fn assemble(dataset: &Dataset, options: &ReportOptions, with_beyond: bool) -> Result<Report> {
    let context = options.resolve()?;
    let profile = match &context.customer {
        Some(id) => Some(profile::section(dataset, &context, id)?),
        None => None,
    };
    // The customer-based sections in one pass over the customers: each customer's
    // row, purchase totals, orders and interactions are read from memory once, its
    // purchases summarized once for both the customers and the customer picture
    // sections, and its purchase-day facts read for lifecycle, cohorts and RFM; those
    // facts also give the purchase summary of a customer with no purchase in the
    // period or after `as_of`, whose orders are then not read at all. Equal to calling
    // each section's `section` (tested).
    let existing = dataset.existing(context.as_of_ts);
    let empty = CustomerSections::new(dataset, &context, options, with_beyond)?;
    let (customers, customer_picture, social, beyond) =
        fold_customers(dataset, 0..existing, || empty.fresh())?.finish()?;
    let (lifecycle, cohorts, rfm) = match beyond {
        Some(sections) => sections,
        None => beyond::Beyond::with_options(options)?.finish()?,
    };
    Ok(Report {
        as_of: context.as_of,
        time_zone: context.calendar.name().to_owned(),
        period: context.period,
        previous_period: context.previous,
        compare: context.compare,
        customers,
        marketing: marketing::section(dataset, &context)?,
        customer_picture,
        social,
        lifecycle,
        cohorts,
        rfm,
        profile,
        data_quality: dataset.quality().section(options.rejected_limit),
    })
}

/// The fused fold of the customer sections: `customers` and `customer_picture` share
/// one purchase scan per customer, `social` reads the same customer's rows while they
/// are in cache, and lifecycle, cohorts and RFM (when asked for) its purchase-day facts.
#[derive(Debug)]
struct CustomerSections {
    purchases: TallyFold<(customers::CustomersTally, customer_picture::PictureTally)>,
    social: social::Partial,
    beyond: Option<beyond::Beyond>,
}

impl CustomerSections {
    fn new(
        dataset: &Dataset,
        context: &Context,
        options: &ReportOptions,
        with_beyond: bool,
    ) -> Result<CustomerSections> {
        let picture = customer_picture::PictureTally::new(
            context,
            &customer_picture::PictureOptions::default(),
        )?;
        let mut social = social::Partial::with_context(context);
        social.add_pages(dataset);
        let mut purchases =
            TallyFold::new(context, (customers::CustomersTally::new(context), picture));
        let beyond = if with_beyond {
            let mut beyond = beyond::Beyond::with_options(options)?;
            beyond.fetch_zone(dataset);
            // The purchase-day facts lifecycle, cohorts and RFM read also give most
            // customers' purchase summaries without reading their orders.
            purchases.read_days();
            Some(beyond)
        } else {
            None
        };
        Ok(CustomerSections {
            purchases,
            social,
            beyond,
        })
    }

    /// A copy of an empty state, for another shard.
    fn fresh(&self) -> CustomerSections {
        CustomerSections {
            purchases: self.purchases.clone(),
            social: self.social.clone(),
            beyond: self.beyond.as_ref().map(beyond::Beyond::fresh),
        }
    }
}

impl Fold for CustomerSections {
    type Output = (
        customers::CustomersSection,
        customer_picture::CustomerPictureSection,
        social::SocialSection,
        Option<<beyond::Beyond as Fold>::Output>,
    );

    fn new(options: &ReportOptions) -> Result<CustomerSections> {
        let context = options.resolve()?;
        let picture = customer_picture::PictureTally::new(
            &context,
            &customer_picture::PictureOptions::default(),
        )?;
        let mut purchases = TallyFold::new(
            &context,
            (customers::CustomersTally::new(&context), picture),
        );
        purchases.read_days();
        Ok(CustomerSections {
            purchases,
            social: social::Partial::with_context(&context),
            beyond: Some(beyond::Beyond::with_options(options)?),
        })
    }

    #[inline]
    fn add_customer(&mut self, dataset: &Dataset, customer: crate::CustomerIdx) {
        self.purchases.add_customer(dataset, customer);
        // Right after the purchase scan, while the customer's row and purchase totals
        // are still in cache (the social section reads other tables).
        if let Some(beyond) = &mut self.beyond {
            beyond.add_customer(dataset, customer);
        }
        self.social.add_customer(dataset, customer);
    }

    fn merge(&mut self, other: CustomerSections) -> Result<()> {
        self.purchases.merge(other.purchases, "customers")?;
        self.social.merge(other.social)?;
        match (&mut self.beyond, other.beyond) {
            (Some(a), Some(b)) => a.merge(b),
            (None, None) => Ok(()),
            _ => Err(crate::Error::InvalidArgument(
                "cannot merge report states with and without the lifecycle, cohorts and rfm sections".into(),
            )),
        }
    }

    fn finish(self) -> Result<Self::Output> {
        let (customers, picture) = self.purchases.finish()?;
        let beyond = self.beyond.map(Fold::finish).transpose()?;
        Ok((customers, picture, self.social.finish()?, beyond))
    }
}
