//! What a report is computed in: the [`ReportOptions`] a caller sets, and the resolved
//! [`Context`] every section reads.
//!
//! This module sits below the sections: every section, the fold machinery and the
//! report read it; it reads none of them.

use std::collections::BTreeSet;
use std::ops::Range;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::{
    BusinessCalendar, Compare, Period, PeriodSpec, Ts, comparison_range, epoch_day,
};
use crate::error::{Error, Result};

/// What a report covers: `as_of`, the calendar, the period and the filters
/// (docs/metrics.md#the-json-report).
///
/// Set options by value; a time zone may be given as text:
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, calendar::Preset};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let options = ReportOptions::new(as_of)
///     .time_zone("Europe/Berlin")
///     .period(Preset::LastMonth);
/// let context = options.resolve()?;
/// assert_eq!(context.period.start().to_string(), "2026-10-01");
///
/// // An unknown zone is an error when the options are resolved (or at once with
/// // `try_time_zone`).
/// assert!(ReportOptions::new(as_of).time_zone("Mars/Olympus").resolve().is_err());
/// assert!(ReportOptions::new(as_of).try_time_zone("Mars/Olympus").is_err());
/// # Ok::<(), crm_metrics::Error>(())
/// ```
///
/// # Serde
/// Options serialize and deserialize (the calendar as its name under `time_zone`); every
/// field but `as_of` may be left out of the input and takes its default:
/// ```
/// use crm_metrics::ReportOptions;
///
/// let options: ReportOptions = serde_json::from_str(
///     r#"{"as_of": "2026-11-15T03:00:00Z", "time_zone": "Asia/Ho_Chi_Minh", "period": {"preset": "last_month"}}"#,
/// ).unwrap();
/// assert_eq!(options.calendar.name(), "Asia/Ho_Chi_Minh");
/// let again: ReportOptions = serde_json::from_str(&serde_json::to_string(&options).unwrap()).unwrap();
/// assert_eq!(again, options);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportOptions {
    /// The instant the report is computed at; later events are ignored
    /// (docs/metrics.md#conventions).
    pub as_of: DateTime<Utc>,
    /// Where days, weeks, months and hours are taken. Default `+07:00`. Written
    /// `time_zone` in JSON, as its name.
    #[serde(rename = "time_zone", default)]
    pub calendar: BusinessCalendar,
    /// The period. Default `this_month`.
    #[serde(default)]
    pub period: PeriodSpec,
    /// Marketing sources to keep (docs/metrics.md#marketing); empty = all.
    #[serde(default)]
    pub sources: BTreeSet<String>,
    /// Product types to keep (docs/metrics.md#marketing); empty = all.
    #[serde(default)]
    pub product_types: BTreeSet<String>,
    /// Fanpages to keep (docs/metrics.md#social); empty = all.
    #[serde(default)]
    pub fanpages: BTreeSet<String>,
    /// The customer whose profile to include (docs/metrics.md#profile); `None` = no profile.
    #[serde(default)]
    pub customer: Option<String>,
    /// Report limit for `data_quality.rejected` (100 in the report, docs/metrics.md#data_quality).
    #[serde(default = "default_rejected_limit")]
    pub rejected_limit: usize,
    /// What the period is compared with (docs/metrics.md#comparison-modes). Default: the
    /// previous period.
    #[serde(default)]
    pub compare: Compare,
    /// A time zone given as text that did not parse: [`resolve`](ReportOptions::resolve)
    /// reports it.
    #[serde(skip)]
    bad_time_zone: Option<String>,
}

fn default_rejected_limit() -> usize {
    100
}

/// A time zone as [`ReportOptions::time_zone`] takes it: a parsed [`BusinessCalendar`],
/// a chrono-tz zone, a fixed offset, or text (`"+07:00"`, `"Asia/Ho_Chi_Minh"`) parsed
/// by [`BusinessCalendar`]'s `FromStr`.
#[derive(Clone, Debug)]
pub enum TimeZoneInput {
    /// Already parsed.
    Calendar(BusinessCalendar),
    /// Text, parsed when the options are set; an unknown zone is reported by
    /// [`ReportOptions::resolve`].
    Text(String),
}

impl From<BusinessCalendar> for TimeZoneInput {
    fn from(calendar: BusinessCalendar) -> TimeZoneInput {
        TimeZoneInput::Calendar(calendar)
    }
}

impl From<&BusinessCalendar> for TimeZoneInput {
    fn from(calendar: &BusinessCalendar) -> TimeZoneInput {
        TimeZoneInput::Calendar(calendar.clone())
    }
}

impl From<chrono_tz::Tz> for TimeZoneInput {
    fn from(tz: chrono_tz::Tz) -> TimeZoneInput {
        TimeZoneInput::Calendar(BusinessCalendar::iana(tz))
    }
}

impl From<FixedOffset> for TimeZoneInput {
    fn from(offset: FixedOffset) -> TimeZoneInput {
        TimeZoneInput::Calendar(BusinessCalendar::fixed(offset))
    }
}

impl From<&str> for TimeZoneInput {
    fn from(text: &str) -> TimeZoneInput {
        TimeZoneInput::Text(text.to_owned())
    }
}

impl From<String> for TimeZoneInput {
    fn from(text: String) -> TimeZoneInput {
        TimeZoneInput::Text(text)
    }
}

impl From<&String> for TimeZoneInput {
    fn from(text: &String) -> TimeZoneInput {
        TimeZoneInput::Text(text.clone())
    }
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
            rejected_limit: default_rejected_limit(),
            compare: Compare::PreviousPeriod,
            bad_time_zone: None,
        }
    }

    /// Sets the comparison mode: what every `{current, previous, delta}` of the
    /// customers, marketing and social sections compares with (the previous period, the
    /// same days of it, 52 weeks earlier, or a custom range). The lifecycle section, the
    /// customer picture and the profile keep their own fixed comparisons.
    pub fn compare(mut self, compare: Compare) -> ReportOptions {
        self.compare = compare;
        self
    }

    /// Keeps only these marketing sources (docs/metrics.md#marketing); none = all.
    pub fn sources<S: Into<String>>(
        mut self,
        sources: impl IntoIterator<Item = S>,
    ) -> ReportOptions {
        self.sources = sources.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps only these product types (docs/metrics.md#marketing); none = all.
    pub fn product_types<S: Into<String>>(
        mut self,
        types: impl IntoIterator<Item = S>,
    ) -> ReportOptions {
        self.product_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps only these fanpages in the social section (docs/metrics.md#social); none = all.
    pub fn fanpages<S: Into<String>>(
        mut self,
        fanpages: impl IntoIterator<Item = S>,
    ) -> ReportOptions {
        self.fanpages = fanpages.into_iter().map(Into::into).collect();
        self
    }

    /// Includes the profile of this customer (docs/metrics.md#profile).
    pub fn customer(mut self, id: impl Into<String>) -> ReportOptions {
        self.customer = Some(id.into());
        self
    }

    /// Sets the time zone: text such as `"Asia/Ho_Chi_Minh"` or `"+07:00"`, or a parsed
    /// [`BusinessCalendar`], chrono-tz zone or fixed offset.
    ///
    /// Text that names no zone is kept as an error that [`resolve`](ReportOptions::resolve)
    /// returns ([`Error::UnknownTimeZone`]); [`try_time_zone`](ReportOptions::try_time_zone)
    /// reports it at once.
    pub fn time_zone(mut self, zone: impl Into<TimeZoneInput>) -> ReportOptions {
        match zone.into() {
            TimeZoneInput::Calendar(calendar) => {
                self.calendar = calendar;
                self.bad_time_zone = None;
            }
            TimeZoneInput::Text(text) => match text.parse::<BusinessCalendar>() {
                Ok(calendar) => {
                    self.calendar = calendar;
                    self.bad_time_zone = None;
                }
                Err(_) => self.bad_time_zone = Some(text),
            },
        }
        self
    }

    /// Sets the time zone from text, failing at once on an unknown zone.
    ///
    /// # Errors
    /// [`Error::UnknownTimeZone`] when `zone` is neither `±hh:mm` nor an IANA name.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::ReportOptions;
    ///
    /// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    /// let options = ReportOptions::new(as_of).try_time_zone("Asia/Ho_Chi_Minh")?;
    /// assert_eq!(options.calendar.name(), "Asia/Ho_Chi_Minh");
    /// assert!(ReportOptions::new(as_of).try_time_zone("Asia/Nowhere").is_err());
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn try_time_zone(mut self, zone: &str) -> Result<ReportOptions> {
        self.calendar = zone.parse()?;
        self.bad_time_zone = None;
        Ok(self)
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
    /// * [`Error::UnknownTimeZone`] when [`time_zone`](ReportOptions::time_zone) was
    ///   given text that names no zone;
    /// * [`Error::InvalidArgument`] when `as_of`, the period or the previous period
    ///   reaches outside the years 0001 to 9999 in UTC (so every instant a report prints
    ///   is RFC 3339), or a period is longer than the limit.
    pub fn resolve(&self) -> Result<Context> {
        if let Some(text) = &self.bad_time_zone {
            return Err(Error::UnknownTimeZone { name: text.clone() });
        }
        let today = self.calendar.local_date(self.as_of);
        let (period, base_previous) = self.period.resolve(today)?;
        let previous = comparison_range(period, base_previous, today, self.compare)?;
        let (current, prior) = (
            self.calendar.range_ts(period),
            self.calendar.range_ts(previous),
        );
        crate::calendar::check_years(
            Ts::from_datetime(self.as_of),
            [
                ("period", period, &current),
                ("comparison range", previous, &prior),
                (
                    "previous period",
                    base_previous,
                    &self.calendar.range_ts(base_previous),
                ),
            ],
        )?;
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
            options: self.clone(),
            as_of_ts: Ts::from_datetime(self.as_of),
            current,
            prior,
            first_day: epoch_day(period.start()),
        })
    }
}

/// [`ReportOptions`] resolved: what every section computes in.
///
/// Serializes as the options it was resolved from, and deserializes by resolving them
/// again: partial states carry their context this way.
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
    /// The plain previous period of `period`, whatever the comparison mode (the
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
    /// The options this context was resolved from.
    pub(crate) options: ReportOptions,
    pub(crate) as_of_ts: Ts,
    /// UTC instants of `period`: `[start 00:00 local, (end + 1) 00:00 local)`.
    pub(crate) current: Range<Ts>,
    /// UTC instants of `previous` (the comparison range).
    pub(crate) prior: Range<Ts>,
    /// `period.start()` as an epoch day.
    pub(crate) first_day: i64,
}

impl Context {
    /// The options this context was resolved from.
    pub fn options(&self) -> &ReportOptions {
        &self.options
    }

    /// Whether two contexts compute the same numbers: the same `as_of`, time zone,
    /// periods and filters (the profile's customer and the rejection limit aside).
    /// Partial states made in different contexts do not merge.
    pub fn same_report(&self, other: &Context) -> bool {
        self.as_of == other.as_of
            && self.calendar == other.calendar
            && self.period == other.period
            && self.previous == other.previous
            && self.base_previous == other.base_previous
            && self.sources == other.sources
            && self.product_types == other.product_types
            && self.fanpages == other.fanpages
    }

    /// `Ok` when [`same_report`](Context::same_report), else the error a merge returns.
    pub(crate) fn check_same(&self, other: &Context, section: &'static str) -> Result<()> {
        if self.same_report(other) {
            Ok(())
        } else {
            Err(mismatch(section))
        }
    }

    /// Whether a customer row created at `created_at` exists at `as_of`.
    #[inline]
    pub(crate) fn exists(&self, created_at: Ts) -> bool {
        created_at <= self.as_of_ts
    }

    /// Whether an instant is in the period and not after `as_of` (docs/metrics.md#conventions).
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

#[cold]
#[inline(never)]
fn mismatch(section: &'static str) -> Error {
    Error::InvalidArgument(format!(
        "cannot merge {section} partial states made for different report options"
    ))
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.options.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Context, D::Error> {
        let options = ReportOptions::deserialize(deserializer)?;
        options.resolve().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn as_of() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap()
    }

    #[test]
    fn time_zone_as_text_or_calendar() {
        let text = ReportOptions::new(as_of()).time_zone("Asia/Ho_Chi_Minh");
        let parsed = ReportOptions::new(as_of())
            .time_zone("Asia/Ho_Chi_Minh".parse::<BusinessCalendar>().unwrap());
        assert_eq!(text, parsed);
        assert_eq!(text.resolve().unwrap().calendar.name(), "Asia/Ho_Chi_Minh");
        let bad = ReportOptions::new(as_of()).time_zone("Nowhere/Land");
        assert!(
            matches!(bad.resolve(), Err(Error::UnknownTimeZone { name }) if name == "Nowhere/Land")
        );
        // A later good zone replaces the bad one.
        assert!(bad.time_zone("+07:00").resolve().is_ok());
    }

    #[test]
    fn context_round_trips_through_its_options() {
        let options = ReportOptions::new(as_of())
            .time_zone("Europe/Berlin")
            .sources(["facebook_ads"]);
        let context = options.resolve().unwrap();
        let json = serde_json::to_string(&context).unwrap();
        let back: Context = serde_json::from_str(&json).unwrap();
        assert!(back.same_report(&context));
        assert_eq!(back.options(), &options);
        let other = ReportOptions::new(as_of()).resolve().unwrap();
        assert!(!other.same_report(&context));
        assert!(other.check_same(&context, "customers").is_err());
    }
}
