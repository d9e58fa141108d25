//! The report of SPEC §8: options, the resolved [`Context`] every section computes in,
//! and the [`Report`] with its JSON-only parts (`period`, `data_quality`). Sections own
//! their own structs.

mod beyond;

use std::collections::BTreeSet;
use std::ops::Range;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::calendar::{
    BusinessCalendar, Compare, Period, PeriodSpec, Ts, comparison_range, epoch_day,
};
use crate::dataset::{DataQualitySection, Dataset};
use crate::error::Result;
use crate::fold::{CustomerFold, fold_customers};
use crate::{cohorts, customer_picture, customers, lifecycle, marketing, profile, rfm, social};

/// What a report covers: `as_of`, the calendar, the period and the filters (SPEC §8).
///
/// Set options by value:
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, calendar::Preset};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let options = ReportOptions::new(as_of)
///     .time_zone("Europe/Berlin".parse()?)
///     .period(Preset::LastMonth);
/// let context = options.resolve()?;
/// assert_eq!(context.period.start().to_string(), "2026-10-01");
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// The instant the report is computed at; later events are ignored (SPEC §1).
    pub as_of: DateTime<Utc>,
    /// Where days, weeks, months and hours are taken. Default `+07:00`.
    pub calendar: BusinessCalendar,
    /// The period. Default `this_month`.
    pub period: PeriodSpec,
    /// Marketing sources to keep (SPEC §5); empty = all.
    pub sources: BTreeSet<String>,
    /// Product types to keep (SPEC §5); empty = all.
    pub product_types: BTreeSet<String>,
    /// Fanpages to keep (SPEC §7); empty = all.
    pub fanpages: BTreeSet<String>,
    /// The customer whose profile to include (SPEC §4); `None` = no profile.
    pub customer: Option<String>,
    /// Report limit for `data_quality.rejected` (SPEC §8: 100).
    pub rejected_limit: usize,
    /// What the period is compared with. Default: the previous period.
    pub compare: Compare,
}

impl ReportOptions {
    /// Options at `as_of`, in `+07:00`, for `this_month`.
    pub fn new(as_of: DateTime<Utc>) -> ReportOptions {
        ReportOptions {
            as_of,
            calendar: BusinessCalendar::default(),
            period: PeriodSpec::default(),
            sources: BTreeSet::new(),
            product_types: BTreeSet::new(),
            fanpages: BTreeSet::new(),
            customer: None,
            rejected_limit: 100,
            compare: Compare::PreviousPeriod,
        }
    }

    /// Sets the comparison mode: what every `{current, previous, delta}` of the
    /// customers, marketing and social sections compares with.
    pub fn compare(mut self, compare: Compare) -> ReportOptions {
        self.compare = compare;
        self
    }

    /// Keeps only these marketing sources (SPEC §5); none = all.
    pub fn sources<S: Into<String>>(
        mut self,
        sources: impl IntoIterator<Item = S>,
    ) -> ReportOptions {
        self.sources = sources.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps only these product types (SPEC §5); none = all.
    pub fn product_types<S: Into<String>>(
        mut self,
        types: impl IntoIterator<Item = S>,
    ) -> ReportOptions {
        self.product_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps only these fanpages in the social section (SPEC §7); none = all.
    pub fn fanpages<S: Into<String>>(
        mut self,
        fanpages: impl IntoIterator<Item = S>,
    ) -> ReportOptions {
        self.fanpages = fanpages.into_iter().map(Into::into).collect();
        self
    }

    /// Includes the profile of this customer (SPEC §4).
    pub fn customer(mut self, id: impl Into<String>) -> ReportOptions {
        self.customer = Some(id.into());
        self
    }

    /// Sets the business calendar (time zone).
    pub fn time_zone(mut self, calendar: BusinessCalendar) -> ReportOptions {
        self.calendar = calendar;
        self
    }

    /// Sets the period: a [`Preset`](crate::calendar::Preset) or a custom
    /// [`Period`].
    pub fn period(mut self, period: impl Into<PeriodSpec>) -> ReportOptions {
        self.period = period.into();
        self
    }

    /// Resolves `today`, the period and the previous period, and their UTC ranges.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) only at the edges of
    /// chrono's date range.
    pub fn resolve(&self) -> Result<Context> {
        let today = self.calendar.local_date(self.as_of);
        let (period, base_previous) = self.period.resolve(today)?;
        let previous = comparison_range(period, base_previous, today, self.compare)?;
        Ok(Context {
            as_of: self.as_of,
            calendar: self.calendar.clone(),
            today,
            period,
            previous,
            base_previous,
            compare: self.compare,
            sources: self.sources.clone(),
            product_types: self.product_types.clone(),
            fanpages: self.fanpages.clone(),
            customer: self.customer.clone(),
            as_of_ts: Ts::from_datetime(self.as_of),
            current: self.calendar.range_ts(period),
            prior: self.calendar.range_ts(previous),
            first_day: epoch_day(period.start()),
        })
    }
}

/// [`ReportOptions`] resolved: what every section computes in.
#[derive(Clone, Debug)]
pub struct Context {
    /// The instant of the report.
    pub as_of: DateTime<Utc>,
    /// The business calendar.
    pub calendar: BusinessCalendar,
    /// The local date of `as_of`.
    pub today: NaiveDate,
    /// The period.
    pub period: Period,
    /// The comparison range: the previous period, or what [`ReportOptions::compare`]
    /// chose instead. Every comparison of the customers, marketing and social sections
    /// uses it.
    pub previous: Period,
    /// The plain previous period of `period` whatever the comparison mode (the
    /// lifecycle section's).
    pub base_previous: Period,
    /// The comparison mode `previous` comes from.
    pub compare: Compare,
    /// Marketing sources to keep; empty = all.
    pub sources: BTreeSet<String>,
    /// Product types to keep; empty = all.
    pub product_types: BTreeSet<String>,
    /// Fanpages to keep; empty = all.
    pub fanpages: BTreeSet<String>,
    /// The customer whose profile to include.
    pub customer: Option<String>,
    pub(crate) as_of_ts: Ts,
    /// UTC instants of `period`: `[start 00:00 local, (end + 1) 00:00 local)`.
    pub(crate) current: Range<Ts>,
    /// UTC instants of `previous` (the comparison range).
    pub(crate) prior: Range<Ts>,
    /// `period.start()` as an epoch day.
    pub(crate) first_day: i64,
}

impl Context {
    /// Whether an instant is in the period and not after `as_of` (SPEC §1).
    #[inline]
    pub(crate) fn in_current(&self, at: Ts) -> bool {
        self.current.start <= at && at < self.current.end && at <= self.as_of_ts
    }

    /// Whether an instant is in the previous period and not after `as_of`.
    #[inline]
    pub(crate) fn in_previous(&self, at: Ts) -> bool {
        self.prior.start <= at && at < self.prior.end && at <= self.as_of_ts
    }

    /// The row of a daily list (0 = `period.start()`) of an instant in the period and
    /// not after `as_of`; `None` otherwise.
    #[inline]
    pub(crate) fn period_day(&self, at: Ts) -> Option<usize> {
        if !self.in_current(at) {
            return None;
        }
        usize::try_from(self.calendar.local_day(at) - self.first_day).ok()
    }

    /// Number of days (rows of a daily list) of the period.
    pub(crate) fn period_days(&self) -> usize {
        self.period.days() as usize
    }

    /// The instant each local day of the period ends (the next day's start), in order:
    /// an instant in the period belongs to the first day whose end is after it. A daily
    /// list over events sorted by time walks these instead of dating every event.
    pub(crate) fn day_ends(&self) -> Vec<Ts> {
        self.period
            .dates()
            .map(|date| self.calendar.day_start_ts_after(date))
            .collect()
    }
}

/// The report of SPEC §8. Keys serialize in SPEC's order.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `as_of` as UTC RFC 3339 with `Z` (SPEC §9.2).
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
    /// SPEC §3.
    pub customers: customers::CustomersSection,
    /// SPEC §5.
    pub marketing: marketing::MarketingSection,
    /// SPEC §6.
    pub customer_picture: customer_picture::CustomerPictureSection,
    /// SPEC §7.
    pub social: social::SocialSection,
    /// New, returning, resurrecting and dormant customers, and 12 months of them.
    pub lifecycle: lifecycle::LifecycleSection,
    /// Monthly acquisition cohorts and their retention, 12 rows.
    pub cohorts: Vec<cohorts::CohortRow>,
    /// Recency, frequency and monetary value: summary, segments, grid.
    pub rfm: rfm::RfmSection,
    /// SPEC §4; only when [`ReportOptions::customer`] is set (absent from the JSON
    /// otherwise, SPEC §9.21).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<profile::ProfileSection>,
    /// What validation accepted, rejected and warned about.
    pub data_quality: DataQualitySection,
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

/// Computes the report of SPEC §8 for `dataset` under `options`.
///
/// # Errors
/// * [`Error::Overflow`](crate::Error::Overflow) when a sum does not fit in a decimal;
/// * [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a period out of range;
/// * [`Error::UnknownCustomer`](crate::Error::UnknownCustomer) when the profile's
///   customer has no accepted row or is created after `as_of`.
pub fn report(dataset: &Dataset, options: &ReportOptions) -> Result<Report> {
    let context = options.resolve()?;
    let profile = match &context.customer {
        Some(id) => Some(profile::section(dataset, &context, id)?),
        None => None,
    };
    // The three customer-based sections in one pass over the customers: each customer's
    // orders and interactions are read from memory once, and its purchases scanned once
    // for both §3 and §6. Equal to calling each section's `section` (tested).
    let existing = dataset.existing(context.as_of_ts);
    let picture = customer_picture::PictureTally::new(
        &context,
        &customer_picture::PictureOptions::default(),
    )?;
    let purchases = customers::TallyFold::new(
        &context,
        (customers::CustomersTally::new(&context), picture),
    );
    let make = || {
        (
            purchases.clone(),
            social::SocialFold::new(dataset, &context),
        )
    };
    let ((customers, customer_picture), social) =
        fold_customers(dataset, 0..existing, make).finish(dataset)?;
    // Lifecycle, cohorts and RFM in a pass of their own, sharing one scan of each
    // customer's purchases. (Folding `beyond::Beyond` into the pass above as a third
    // element of the tuple measured no faster at 100k customers.)
    let (lifecycle, cohorts, rfm) = lifecycle_cohorts_rfm(dataset, options)?;
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
