//! The report of SPEC §8: options, the resolved [`Context`] every section computes in,
//! and the [`Report`] with its JSON-only parts (`period`, `data_quality`). Sections own
//! their own structs.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::calendar::{BusinessCalendar, Period, PeriodSpec, Ts};
use crate::dataset::{DataQualitySection, Dataset};
use crate::error::Result;

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
    /// Report limit for `data_quality.rejected` (SPEC §8: 100).
    pub rejected_limit: usize,
}

impl ReportOptions {
    /// Options at `as_of`, in `+07:00`, for `this_month`.
    pub fn new(as_of: DateTime<Utc>) -> ReportOptions {
        ReportOptions {
            as_of,
            calendar: BusinessCalendar::default(),
            period: PeriodSpec::default(),
            rejected_limit: 100,
        }
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
        let (period, previous) = self.period.resolve(today)?;
        Ok(Context {
            as_of: self.as_of,
            calendar: self.calendar.clone(),
            today,
            period,
            previous,
            as_of_ts: Ts::from_datetime(self.as_of),
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
    /// The previous period.
    pub previous: Period,
    pub(crate) as_of_ts: Ts,
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
    /// The previous period.
    pub previous_period: Period,
    /// What validation accepted, rejected and warned about.
    pub data_quality: DataQualitySection,
}

/// Computes the report of SPEC §8 for `dataset` under `options`.
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) when a sum does not fit in a decimal;
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a period out of range.
pub fn report(dataset: &Dataset, options: &ReportOptions) -> Result<Report> {
    let context = options.resolve()?;
    Ok(Report {
        as_of: context.as_of,
        time_zone: context.calendar.name().to_owned(),
        period: context.period,
        previous_period: context.previous,
        data_quality: dataset.quality().section(options.rejected_limit),
    })
}
