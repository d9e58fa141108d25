//! The business calendar of docs/metrics.md#conventions: a time zone with Monday weeks, in which "day",
//! "week", "month", "year" and "hour of day" are taken; periods, presets and month
//! arithmetic.
//!
//! Instants are UTC everywhere in the crate; the calendar is the one place that turns
//! them into local dates and hours, and local dates back into UTC ranges. A local day
//! is every instant whose local date is that day, so under DST it can be 23 or 25 hours
//! long, and where local midnight does not exist the day starts at its first existing
//! instant (docs/metrics.md#time).
//!
//! # Example: a DST day of 23 hours
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use crm_metrics::calendar::{BusinessCalendar, Period};
//!
//! let berlin: BusinessCalendar = "Europe/Berlin".parse()?;
//! let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(); // clocks go 02:00 -> 03:00
//! let range = berlin.range(Period::day(day));
//! assert_eq!(range.start, Utc.with_ymd_and_hms(2026, 3, 28, 23, 0, 0).unwrap());
//! assert_eq!((range.end - range.start).num_hours(), 23);
//! # Ok::<(), crm_metrics::Error>(())
//! ```

mod compare;
mod instant;
mod months;
mod period;
mod preset;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

pub(crate) use compare::serialize_name as serialize_compare_name;
pub use compare::{Compare, comparison_range};
pub(crate) use instant::{DAY, Ts};
pub use months::{add_months, first_of_month, last_of_month, sub_months};
pub use period::{MAX_PERIOD_DAYS, Period, parse_date};
pub use preset::{PeriodSpec, Preset};

use crate::error::{Error, Result};

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const CE_TO_EPOCH_DAYS: i64 = 719_163;

/// The earliest instant a report may use: 0001-01-01T00:00:00Z (seconds since the epoch).
const FIRST_SECS: i64 = (1 - CE_TO_EPOCH_DAYS) * DAY;
/// The end (exclusive) of the instants a report may use: 10000-01-01T00:00:00Z.
const END_SECS: i64 = (3_652_059 - CE_TO_EPOCH_DAYS + 1) * DAY;

/// Checks that `as_of` and the UTC instants of the report's periods (`ranges`, ends
/// exclusive) lie in the years 0001 to 9999, so that every instant a report prints is an
/// RFC 3339 timestamp (four-digit years). An `as_of` of `9999-12-31T23:59:59-12:00` is
/// 10000-01-01 in UTC, hence refused.
///
/// # Errors
/// [`Error::InvalidArgument`] naming `as_of` or the period that is out of range.
pub(crate) fn check_years<const N: usize>(
    as_of: Ts,
    ranges: [(&str, Period, &Range<Ts>); N],
) -> Result<()> {
    if as_of.secs < FIRST_SECS || as_of.secs >= END_SECS {
        return Err(Error::InvalidArgument(format!(
            "as_of {} is outside the years 0001 to 9999 in UTC",
            as_of
                .to_datetime()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )));
    }
    for (what, period, range) in ranges {
        if range.start.secs < FIRST_SECS || range.end.secs > END_SECS {
            return Err(Error::InvalidArgument(format!(
                "the {what} {period} reaches outside the years 0001 to 9999 in UTC"
            )));
        }
    }
    Ok(())
}

/// The local date of epoch day 0 is 1970-01-01; days are counted in `i64`.
pub(crate) fn epoch_day(date: NaiveDate) -> i64 {
    i64::from(chrono::Datelike::num_days_from_ce(&date)) - CE_TO_EPOCH_DAYS
}

/// The date of an epoch day, `None` beyond chrono's range.
pub(crate) fn date_of_epoch_day(day: i64) -> Option<NaiveDate> {
    i32::try_from(day + CE_TO_EPOCH_DAYS)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// The year, month (1 to 12) and day (1 to 31) of an epoch day in the proleptic
/// Gregorian calendar, as chrono counts them, by integer arithmetic alone (H. Hinnant's
/// `civil_from_days`: 400-year eras of 146,097 days, years starting in March so that
/// February's leap day comes last). [`date_of_epoch_day`] goes through chrono's
/// year-cycle tables; this is for loops that need a month per row.
pub(crate) fn civil_of_epoch_day(day: i64) -> (i64, u32, u32) {
    // Days from 0000-03-01, the start of an era.
    let z = day.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // 0..=146_096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365, from March 1
    let mp = (5 * doy + 2) / 153; // 0..=11, March = 0
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    // OK because m is in 1..=12 and d in 1..=31.
    (yoe + era * 400 + i64::from(m <= 2), m as u32, d as u32)
}

/// The month of an epoch day: its number (`year * 12 + month0`), its first epoch day and
/// the first epoch day of the next month.
pub(crate) fn month_of_epoch_day(day: i64) -> (i64, i64, i64) {
    let (year, month, d) = civil_of_epoch_day(day);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let length = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let start = day - i64::from(d - 1);
    (year * 12 + i64::from(month - 1), start, start + length)
}

/// A time zone with Monday weeks: where local dates, hours and weekdays are taken.
///
/// Either a fixed offset (`+07:00`, the default: Vietnam) or an IANA zone with DST
/// (`Europe/Berlin`). Cheap to clone. Build one with [`str::parse`],
/// [`BusinessCalendar::fixed`] or [`BusinessCalendar::iana`].
///
/// **Decision**: The specification allows "any `chrono::TimeZone`"; the calendar is an enum of the
/// two kinds that exist in practice rather than a generic parameter, so that every report
/// type stays non-generic and an IANA zone can use a precomputed offset table (one array
/// read per instant instead of chrono-tz's binary search).
#[derive(Clone)]
pub struct BusinessCalendar {
    zone: Zone,
    name: Arc<str>,
}

#[derive(Clone)]
enum Zone {
    Fixed(i32),
    Iana {
        tz: Tz,
        table: Arc<OnceLock<DayTable>>,
    },
}

impl Default for BusinessCalendar {
    /// `+07:00`, the default.
    fn default() -> BusinessCalendar {
        BusinessCalendar {
            zone: Zone::Fixed(7 * 3600),
            name: Arc::from("+07:00"),
        }
    }
}

impl fmt::Debug for BusinessCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BusinessCalendar").field(&self.name).finish()
    }
}

impl PartialEq for BusinessCalendar {
    fn eq(&self, other: &BusinessCalendar) -> bool {
        match (&self.zone, &other.zone) {
            (Zone::Fixed(a), Zone::Fixed(b)) => a == b,
            (Zone::Iana { tz: a, .. }, Zone::Iana { tz: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for BusinessCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl FromStr for BusinessCalendar {
    type Err = Error;

    /// `±hh:mm` (hours below 24) or an IANA name known to chrono-tz. The text is kept as
    /// the calendar's [`name`](BusinessCalendar::name), which the report echoes.
    fn from_str(s: &str) -> Result<BusinessCalendar> {
        if let Some(offset) = parse_offset(s) {
            return Ok(BusinessCalendar {
                zone: Zone::Fixed(offset),
                name: Arc::from(s),
            });
        }
        let tz: Tz = s
            .parse()
            .map_err(|_| Error::UnknownTimeZone { name: s.to_owned() })?;
        Ok(BusinessCalendar {
            zone: Zone::Iana {
                tz,
                table: Arc::default(),
            },
            name: Arc::from(s),
        })
    }
}

impl serde::Serialize for BusinessCalendar {
    /// As its [`name`](BusinessCalendar::name).
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

impl<'de> serde::Deserialize<'de> for BusinessCalendar {
    /// From its name, as [`FromStr`] parses it; an unknown zone is an error.
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<BusinessCalendar, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// `±hh:mm` in seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let two = |i: usize| -> Option<i32> {
        let (x, y) = (b[i], b[i + 1]);
        (x.is_ascii_digit() && y.is_ascii_digit())
            .then(|| i32::from(x - b'0') * 10 + i32::from(y - b'0'))
    };
    let (hours, minutes) = (two(1)?, two(4)?);
    (hours < 24 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

impl BusinessCalendar {
    /// A calendar at a fixed offset, named like `+07:00`.
    pub fn fixed(offset: FixedOffset) -> BusinessCalendar {
        let secs = offset.local_minus_utc();
        let (sign, abs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
        BusinessCalendar {
            zone: Zone::Fixed(secs),
            name: Arc::from(format!("{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60)),
        }
    }

    /// A calendar in an IANA zone, named by the zone (`Europe/Berlin`).
    pub fn iana(tz: Tz) -> BusinessCalendar {
        BusinessCalendar {
            zone: Zone::Iana {
                tz,
                table: Arc::default(),
            },
            name: Arc::from(tz.name()),
        }
    }

    /// The zone as given: `+07:00` or `Europe/Berlin` (docs/metrics.md#the-json-report `time_zone`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The UTC offset in force at `at`.
    pub fn offset_at(&self, at: DateTime<Utc>) -> FixedOffset {
        // OK because chrono-tz and parse_offset only produce offsets below 24 hours.
        FixedOffset::east_opt(self.offset_secs(at.timestamp())).unwrap_or_else(|| Utc.fix())
    }

    /// The local date of an instant.
    ///
    /// # Example: just after local midnight
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use crm_metrics::calendar::BusinessCalendar;
    ///
    /// let vn = BusinessCalendar::default(); // +07:00
    /// let at = Utc.with_ymd_and_hms(2026, 10, 31, 17, 0, 0).unwrap(); // 00:00 local
    /// assert_eq!(vn.local_date(at), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    /// ```
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        let day = self.local_day(Ts::from_datetime(at));
        // OK because a DateTime<Utc> plus an offset under 24 h stays in chrono's range.
        date_of_epoch_day(day).unwrap_or_else(|| at.date_naive())
    }

    /// The local hour of day (0..=23) of an instant.
    pub fn local_hour(&self, at: DateTime<Utc>) -> u32 {
        self.local_day_hour(Ts::from_datetime(at)).1
    }

    /// The local weekday of an instant.
    pub fn weekday(&self, at: DateTime<Utc>) -> Weekday {
        weekday_of_epoch_day(self.local_day(Ts::from_datetime(at)))
    }

    /// The first instant of a local date: local midnight, or where midnight falls in a
    /// DST gap, the first instant that exists on that date; where midnight happens twice,
    /// the earlier one (docs/metrics.md#time).
    pub fn day_start(&self, date: NaiveDate) -> DateTime<Utc> {
        self.day_start_ts(date).to_datetime()
    }

    /// The UTC instants of a period: `[start 00:00 local, (end + 1 day) 00:00 local)`.
    pub fn range(&self, period: Period) -> Range<DateTime<Utc>> {
        let r = self.range_ts(period);
        r.start.to_datetime()..r.end.to_datetime()
    }

    pub(crate) fn range_ts(&self, period: Period) -> Range<Ts> {
        self.day_start_ts(period.start())..self.day_start_ts_after(period.end())
    }

    /// The start of the day after `date` (the end of `date`'s range).
    pub(crate) fn day_start_ts_after(&self, date: NaiveDate) -> Ts {
        match date.succ_opt() {
            Some(next) => self.day_start_ts(next),
            None => Ts {
                secs: i64::MAX,
                nanos: 0,
            },
        }
    }

    pub(crate) fn day_start_ts(&self, date: NaiveDate) -> Ts {
        let day = epoch_day(date);
        match &self.zone {
            Zone::Fixed(offset) => Ts::from_secs(day * DAY - i64::from(*offset)),
            Zone::Iana { tz, .. } => {
                let midnight = date.and_time(NaiveTime::MIN);
                match tz.from_local_datetime(&midnight) {
                    LocalResult::Single(at) => Ts::from_datetime(at.with_timezone(&Utc)),
                    LocalResult::Ambiguous(a, b) => Ts::from_datetime(a.min(b).with_timezone(&Utc)),
                    LocalResult::None => {
                        // Midnight is in a DST gap: bisect for the first second whose local
                        // date is `date`. The gap is shorter than a day.
                        let (mut lo, mut hi) = (day * DAY - 2 * DAY, day * DAY + 2 * DAY);
                        while lo < hi {
                            let mid = lo + (hi - lo) / 2;
                            if self.local_day(Ts::from_secs(mid)) >= day {
                                hi = mid;
                            } else {
                                lo = mid + 1;
                            }
                        }
                        Ts::from_secs(lo)
                    }
                }
            }
        }
    }

    /// The UTC instant (Unix seconds) of a local wall-clock time given as seconds since
    /// 1970-01-01 00:00 local. In a DST gap (a wall time that does not exist) the offset
    /// in force before the gap applies, so the time moves forward by the gap: Berlin
    /// 2026-03-29 02:30 is 01:30 UTC. In an overlap (a wall time that happens twice) the
    /// earlier instant: Berlin 2026-10-25 02:30 is 00:30 UTC. This is Python's
    /// `zoneinfo` with `fold=0` and Temporal's "compatible" disambiguation.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn local_to_utc_secs(&self, local: i64) -> i64 {
        match &self.zone {
            Zone::Fixed(offset) => local - i64::from(*offset),
            Zone::Iana { .. } => {
                // The offsets a day before and a day after: zones change at most once
                // in two days, so these are the only candidates.
                let before = i64::from(self.offset_secs(local.saturating_sub(DAY)));
                let after = i64::from(self.offset_secs(local.saturating_add(DAY)));
                let fits = |offset: i64| {
                    let utc = local - offset;
                    (i64::from(self.offset_secs(utc)) == offset).then_some(utc)
                };
                match (fits(before), fits(after)) {
                    (Some(a), Some(b)) => a.min(b),
                    (Some(a), None) | (None, Some(a)) => a,
                    // A gap: the offset in force before it.
                    (None, None) => local - before,
                }
            }
        }
    }

    /// Seconds east of UTC in force at `secs` (Unix seconds).
    #[inline]
    pub(crate) fn offset_secs(&self, secs: i64) -> i32 {
        match &self.zone {
            Zone::Fixed(offset) => *offset,
            Zone::Iana { tz, table } => table
                .get_or_init(|| DayTable::new(*tz))
                .offset(secs)
                .unwrap_or_else(|| tz_offset(*tz, secs)),
        }
    }

    /// The local date of an instant as an epoch day (days since 1970-01-01).
    #[inline]
    pub(crate) fn local_day(&self, at: Ts) -> i64 {
        (at.secs.saturating_add(i64::from(self.offset_secs(at.secs)))).div_euclid(DAY)
    }

    /// The local epoch day and hour of an instant.
    #[inline]
    pub(crate) fn local_day_hour(&self, at: Ts) -> (i64, u32) {
        let local = at.secs.saturating_add(i64::from(self.offset_secs(at.secs)));
        // OK because rem_euclid(DAY) / 3600 is in 0..24.
        (local.div_euclid(DAY), (local.rem_euclid(DAY) / 3600) as u32)
    }

    /// Whether this calendar has a fixed offset (no DST).
    pub fn is_fixed(&self) -> bool {
        matches!(self.zone, Zone::Fixed(_))
    }
}

/// Monday = 0 .. Sunday = 6 of an epoch day (1970-01-01 was a Thursday).
#[inline]
pub(crate) fn weekday_index(day: i64) -> usize {
    // OK because rem_euclid(7) is in 0..7.
    (day + 3).rem_euclid(7) as usize
}

fn weekday_of_epoch_day(day: i64) -> Weekday {
    match weekday_index(day) {
        0 => Weekday::Mon,
        1 => Weekday::Tue,
        2 => Weekday::Wed,
        3 => Weekday::Thu,
        4 => Weekday::Fri,
        5 => Weekday::Sat,
        _ => Weekday::Sun,
    }
}

fn tz_offset(tz: Tz, secs: i64) -> i32 {
    match DateTime::from_timestamp(secs, 0) {
        Some(at) => tz
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc(),
        None => 0,
    }
}

/// The offsets of an IANA zone per UTC day over 1900..2100, so that finding the offset of
/// an instant is one array read (two on the rare day with a change).
///
/// Built once per calendar (and shared by its clones) from 73,000 chrono-tz look-ups, in
/// about two milliseconds; 300 KB. Assumes at most one offset change per UTC day, true of
/// every zone in the tz database since 1900. Instants outside the window use chrono-tz
/// directly.
struct DayTable {
    first_day: i64,
    /// Offset at the start of each UTC day, one more entry than days.
    offsets: Vec<i32>,
    /// Instants (Unix seconds) where the offset changes, with the offset from then on.
    changes: Vec<(i64, i32)>,
}

impl DayTable {
    const FIRST_YEAR_DAY: i64 = -25_567; // 1900-01-01
    const END_DAY: i64 = 47_482; // 2100-01-01

    fn new(tz: Tz) -> DayTable {
        let first_day = DayTable::FIRST_YEAR_DAY;
        let offsets: Vec<i32> = (first_day..=DayTable::END_DAY)
            .map(|day| tz_offset(tz, day * DAY))
            .collect();
        let mut changes = Vec::new();
        for (i, pair) in offsets.windows(2).enumerate() {
            if pair[0] != pair[1] {
                // Bisect the day for the first second with the new offset.
                let day_start = (first_day + i as i64) * DAY;
                let (mut lo, mut hi) = (day_start, day_start + DAY);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if tz_offset(tz, mid) == pair[1] {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                changes.push((lo, pair[1]));
            }
        }
        DayTable {
            first_day,
            offsets,
            changes,
        }
    }

    #[inline]
    fn offset(&self, secs: i64) -> Option<i32> {
        let index = usize::try_from(secs.div_euclid(DAY) - self.first_day).ok()?;
        let (&before, &after) = (self.offsets.get(index)?, self.offsets.get(index + 1)?);
        if before == after {
            return Some(before);
        }
        let i = self.changes.partition_point(|c| c.0 <= secs);
        let day_start = secs.div_euclid(DAY) * DAY;
        Some(match i.checked_sub(1).map(|j| self.changes[j]) {
            Some((at, offset)) if at >= day_start => offset,
            _ => before,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_instants_lie_in_the_years_0001_to_9999() {
        let at = |text: &str| Ts::from_datetime(DateTime::parse_from_rfc3339(text).unwrap().into());
        assert_eq!(Ts::from_secs(FIRST_SECS), at("0001-01-01T00:00:00Z"));
        assert_eq!(Ts::from_secs(END_SECS - 1), at("9999-12-31T23:59:59Z"));
        let p = Period::day(NaiveDate::from_ymd_opt(2026, 11, 15).unwrap());
        let r = Ts::from_secs(0)..Ts::from_secs(DAY);
        let ok =
            |as_of: &str| check_years(at(as_of), [("period", p, &r), ("previous period", p, &r)]);
        assert!(ok("0001-01-01T00:00:00Z").is_ok());
        assert!(ok("9999-12-31T23:59:59.999999999Z").is_ok());
        // 9999-12-31T23:59:59-12:00 is 10000-01-01T11:59:59Z.
        let err = ok("9999-12-31T23:59:59-12:00").unwrap_err().to_string();
        assert_eq!(
            err,
            "as_of +10000-01-01T11:59:59Z is outside the years 0001 to 9999 in UTC"
        );
        assert!(ok("0000-12-31T23:59:59Z").is_err());
        // A period whose last day ends after 10000-01-01T00:00:00Z.
        let late = Ts::from_secs(0)..Ts::from_secs(END_SECS + 1);
        let err = check_years(
            at("2026-01-01T00:00:00Z"),
            [("period", p, &r), ("previous period", p, &late)],
        );
        assert!(
            err.unwrap_err()
                .to_string()
                .starts_with("the previous period 2026-11-15 .. 2026-11-15 reaches outside")
        );
    }

    use chrono::Timelike;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, s).unwrap()
    }

    fn berlin() -> BusinessCalendar {
        "Europe/Berlin".parse().unwrap()
    }

    #[test]
    fn parse_zones() {
        let vn: BusinessCalendar = "+07:00".parse().unwrap();
        assert_eq!(vn, BusinessCalendar::default());
        assert_eq!(vn.name(), "+07:00");
        let ist: BusinessCalendar = "+05:30".parse().unwrap();
        assert_eq!(ist.offset_secs(0), 19_800);
        let west: BusinessCalendar = "-03:00".parse().unwrap();
        assert_eq!(west.offset_secs(0), -10_800);
        assert_eq!(berlin().name(), "Europe/Berlin");
        for bad in ["+7:00", "+24:00", "07:00", "+07:60", "Mars/Olympus", ""] {
            assert!(bad.parse::<BusinessCalendar>().is_err(), "{bad}");
        }
        assert_eq!(
            BusinessCalendar::fixed(FixedOffset::west_opt(5 * 3600 + 1800).unwrap()).name(),
            "-05:30"
        );
    }

    #[test]
    fn local_dates_at_the_edges() {
        let vn = BusinessCalendar::default();
        // (instant, local date, hour): worked out as UTC + 7 h.
        let cases = [
            (utc(2026, 10, 31, 17, 0, 0), d(2026, 11, 1), 0), // just after local midnight
            (utc(2026, 10, 31, 16, 59, 59), d(2026, 10, 31), 23), // just before
            (utc(2026, 1, 31, 17, 0, 0), d(2026, 2, 1), 0),   // month end
            (utc(2028, 2, 28, 17, 0, 0), d(2028, 2, 29), 0),  // Feb 29
            (utc(2026, 12, 31, 17, 0, 0), d(2027, 1, 1), 0),  // year end
        ];
        for (at, date, hour) in cases {
            assert_eq!(vn.local_date(at), date, "{at}");
            assert_eq!(vn.local_hour(at), hour, "{at}");
        }
        // 2026-11-15 03:00Z is 10:00 on Sunday in Vietnam.
        assert_eq!(vn.weekday(utc(2026, 11, 15, 3, 0, 0)), Weekday::Sun);
        assert_eq!(vn.weekday(utc(2026, 11, 15, 17, 0, 0)), Weekday::Mon);
    }

    #[test]
    fn berlin_days_of_23_and_25_hours() {
        let b = berlin();
        // Spring: 2026-03-29, 02:00 CET -> 03:00 CEST. Starts 23:00Z the day before.
        let spring = b.range(Period::day(d(2026, 3, 29)));
        assert_eq!(spring.start, utc(2026, 3, 28, 23, 0, 0));
        assert_eq!(spring.end, utc(2026, 3, 29, 22, 0, 0));
        assert_eq!((spring.end - spring.start).num_hours(), 23);
        // Autumn: 2026-10-25, 03:00 CEST -> 02:00 CET. 22:00Z the day before to 23:00Z.
        let autumn = b.range(Period::day(d(2026, 10, 25)));
        assert_eq!(autumn.start, utc(2026, 10, 24, 22, 0, 0));
        assert_eq!(autumn.end, utc(2026, 10, 25, 23, 0, 0));
        assert_eq!((autumn.end - autumn.start).num_hours(), 25);
        // The whole of October 2026: 31 days plus the extra hour.
        let october = b.range(Period::new(d(2026, 10, 1), d(2026, 10, 31)).unwrap());
        assert_eq!((october.end - october.start).num_hours(), 31 * 24 + 1);
        // Hours around the change: 00:59:59Z is 02:59:59 CEST, 01:00Z is 02:00 CET.
        assert_eq!(b.local_hour(utc(2026, 10, 25, 0, 59, 59)), 2);
        assert_eq!(b.local_hour(utc(2026, 10, 25, 1, 0, 0)), 2);
        assert_eq!(b.local_hour(utc(2026, 10, 25, 2, 0, 0)), 3);
        assert_eq!(b.local_hour(utc(2026, 3, 29, 1, 0, 0)), 3); // 02:00 local never happens
        // Sunday 23:30 local on the autumn change day is 22:30Z.
        let late = utc(2026, 10, 25, 22, 30, 0);
        assert_eq!(
            (b.local_date(late), b.local_hour(late), b.weekday(late)),
            (d(2026, 10, 25), 23, Weekday::Sun)
        );
    }

    #[test]
    fn table_agrees_with_chrono_tz() {
        // Every 7 hours and 13 seconds over 2020-2030, and around every change.
        let b = berlin();
        let Zone::Iana { tz, .. } = b.zone else {
            unreachable!()
        };
        let mut secs = utc(2020, 1, 1, 0, 0, 0).timestamp();
        let end = utc(2030, 1, 1, 0, 0, 0).timestamp();
        while secs < end {
            assert_eq!(b.offset_secs(secs), tz_offset(tz, secs), "{secs}");
            secs += 7 * 3600 + 13;
        }
        let table = DayTable::new(tz);
        for &(at, offset) in table.changes.iter().filter(|c| c.0 > 0 && c.0 < end) {
            assert_eq!(b.offset_secs(at), offset);
            assert_eq!(b.offset_secs(at - 1), tz_offset(tz, at - 1));
        }
        // Outside the table's window chrono-tz answers.
        let far = utc(2150, 7, 1, 0, 0, 0).timestamp();
        assert_eq!(b.offset_secs(far), tz_offset(tz, far));
    }

    #[test]
    fn midnight_in_a_dst_gap() {
        // America/Santiago moved 2022-09-11 00:00 -> 01:00 (-04:00 -> -03:00): the day
        // starts at 01:00 local = 04:00Z, and is 23 hours long.
        let cl: BusinessCalendar = "America/Santiago".parse().unwrap();
        let r = cl.range(Period::day(d(2022, 9, 11)));
        assert_eq!(r.start, utc(2022, 9, 11, 4, 0, 0));
        assert_eq!((r.end - r.start).num_hours(), 23);
        assert_eq!(cl.local_date(r.start), d(2022, 9, 11));
        assert_eq!(
            cl.local_date(r.start - chrono::Duration::seconds(1)),
            d(2022, 9, 10)
        );
        assert_eq!(cl.day_start(d(2022, 9, 11)).hour(), 4);
    }

    #[test]
    fn civil_and_month_of_epoch_day_agree_with_chrono() {
        use chrono::Datelike;
        let check = |day: i64| {
            let date = date_of_epoch_day(day).unwrap();
            let (year, month, d) = civil_of_epoch_day(day);
            assert_eq!(
                (year, month, d),
                (i64::from(date.year()), date.month(), date.day()),
                "day {day}"
            );
            let start = first_of_month(date);
            let next = add_months(start, 1).unwrap();
            assert_eq!(
                month_of_epoch_day(day),
                (
                    i64::from(date.year()) * 12 + i64::from(date.month0()),
                    epoch_day(start),
                    epoch_day(next)
                ),
                "day {day}"
            );
        };
        // Every day of the years 0001 to 9999 (the instants a dataset holds), and a
        // stretch before and after.
        for day in epoch_day(d(1, 1, 1)) - 800..=epoch_day(d(9999, 12, 31)) + 800 {
            check(day);
        }
        // Far out, both ways, where 400-year eras and negative years take over.
        for day in (-90_000_000i64..90_000_000).step_by(9_973) {
            check(day);
        }
        assert_eq!(civil_of_epoch_day(0), (1970, 1, 1));
        assert_eq!(
            month_of_epoch_day(epoch_day(d(2028, 2, 29))).2,
            epoch_day(d(2028, 3, 1))
        );
    }

    #[test]
    fn epoch_days() {
        assert_eq!(epoch_day(d(1970, 1, 1)), 0);
        assert_eq!(epoch_day(d(1900, 1, 1)), DayTable::FIRST_YEAR_DAY);
        assert_eq!(epoch_day(d(2100, 1, 1)), DayTable::END_DAY);
        assert_eq!(
            date_of_epoch_day(epoch_day(d(2028, 2, 29))),
            Some(d(2028, 2, 29))
        );
        assert_eq!(weekday_index(epoch_day(d(2026, 11, 16))), 0); // a Monday
        assert_eq!(
            weekday_of_epoch_day(epoch_day(d(2026, 11, 15))),
            Weekday::Sun
        );
    }
}
