//! [`Period`]: an inclusive range of local dates.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The most days a [`Period`] may have: 36,525, that is 100 years of 365.25 days.
pub const MAX_PERIOD_DAYS: u32 = 36_525;

/// An inclusive range of local dates `[start, end]` (docs/metrics.md#conventions).
///
/// Invariant: `start <= end`, and at most [`MAX_PERIOD_DAYS`] days. In a [`BusinessCalendar`](super::BusinessCalendar) it
/// covers the instants `[start 00:00 local, (end + 1 day) 00:00 local)`
/// ([`BusinessCalendar::range`](super::BusinessCalendar::range)).
/// Serializes as `{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}`, and deserializes dates
/// written exactly so ([`parse_date`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawPeriod")]
pub struct Period {
    start: NaiveDate,
    end: NaiveDate,
}

#[derive(Deserialize)]
struct RawPeriod {
    #[serde(deserialize_with = "strict_date")]
    start: NaiveDate,
    #[serde(deserialize_with = "strict_date")]
    end: NaiveDate,
}

/// A date in JSON, as [`parse_date`] reads it.
fn strict_date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    parse_date(&text).map_err(serde::de::Error::custom)
}

/// Reads a date written exactly `YYYY-MM-DD`: four digits of year, two of month, two of
/// day, a real calendar date; nothing around it. The grammar of dates in the data files,
/// for dates typed by a person (a command line's custom period or comparison range) or
/// stored in a saved view, so that they accept what the data does. `2026-1-1`,
/// `+2026-01-01`, ` 2026-01-01` and `20260101` are refused (chrono's own parser takes
/// the first two).
///
/// # Errors
/// [`Error::InvalidArgument`] saying what is wrong with `text`.
///
/// # Example
/// ```
/// use chrono::NaiveDate;
/// use crm_metrics::calendar::parse_date;
///
/// assert_eq!(parse_date("2028-02-29")?, NaiveDate::from_ymd_opt(2028, 2, 29).unwrap());
/// assert!(parse_date("2026-1-1").is_err());
/// assert!(parse_date("2026-02-29").is_err()); // not a leap year
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn parse_date(text: &str) -> Result<NaiveDate> {
    let invalid = |problem: &str| {
        Error::InvalidArgument(format!(
            "{:?} is not a date YYYY-MM-DD: {problem}",
            crate::error::clip(text, 32).as_ref()
        ))
    };
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(invalid("expected four digits, two and two, joined by '-'"));
    }
    let number = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'))
    };
    // OK because four digits fit in i32.
    NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10))
        .ok_or_else(|| invalid("not a real calendar date"))
}

impl TryFrom<RawPeriod> for Period {
    type Error = Error;
    fn try_from(raw: RawPeriod) -> Result<Period> {
        Period::new(raw.start, raw.end)
    }
}

impl Period {
    /// The period `[start, end]`.
    ///
    /// # Errors
    /// [`Error::InvalidPeriod`] when `end < start`; [`Error::InvalidArgument`] when the
    /// period is longer than [`MAX_PERIOD_DAYS`] (100 years): a report has one row per day
    /// of its period, so a period of 50,000 years, typed or received in a saved view,
    /// would take gigabytes.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_metrics::calendar::Period;
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    /// let p = Period::new(d(9, 20), d(10, 10))?;
    /// assert_eq!(p.days(), 21);
    /// assert!(Period::new(d(10, 10), d(9, 20)).is_err());
    /// let long = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    /// assert!(Period::new(long, d(10, 10)).is_err()); // more than 100 years
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Period> {
        if end < start {
            return Err(Error::InvalidPeriod { start, end });
        }
        let days = (end - start).num_days().saturating_add(1);
        if days > i64::from(MAX_PERIOD_DAYS) {
            return Err(Error::InvalidArgument(format!(
                "period {start} .. {end} has {days} days: the longest period is {MAX_PERIOD_DAYS} days (100 years)"
            )));
        }
        Ok(Period { start, end })
    }

    /// A one-day period.
    pub fn day(date: NaiveDate) -> Period {
        Period {
            start: date,
            end: date,
        }
    }

    /// First day (inclusive).
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// Last day (inclusive).
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Number of days, at least 1.
    pub fn days(&self) -> u32 {
        // OK because start <= end, and chrono dates span fewer than 2^32 days.
        u32::try_from((self.end - self.start).num_days() + 1).unwrap_or(u32::MAX)
    }

    /// Whether `date` is in the period.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// Every date of the period, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start.iter_days().take_while(move |d| *d <= self.end)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} .. {}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_exactly_yyyy_mm_dd_as_in_the_data() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(parse_date("2028-02-29").unwrap(), d(2028, 2, 29));
        assert_eq!(parse_date("0001-01-01").unwrap(), d(1, 1, 1));
        assert_eq!(parse_date("9999-12-31").unwrap(), d(9999, 12, 31));
        for bad in [
            "2026-1-01",
            "2026-01-1",
            "+2026-01-01",
            " 2026-01-01",
            "2026-01-01 ",
            "20260101",
            "2026/01/01",
            "2026-01-0\u{661}", // an Arabic-Indic digit
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-32",
            "",
            "-001-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?}");
        }
        // A saved view or a report's JSON: the same grammar.
        let json = |start: &str| format!(r#"{{"start":"{start}","end":"2026-12-31"}}"#);
        let p: Period = serde_json::from_str(&json("2026-01-01")).unwrap();
        assert_eq!(p.start(), d(2026, 1, 1));
        for bad in ["2026-1-1", "+2026-01-01"] {
            let e = serde_json::from_str::<Period>(&json(bad)).unwrap_err();
            assert!(e.to_string().contains("is not a date YYYY-MM-DD"), "{e}");
        }
    }

    #[test]
    fn at_most_one_hundred_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        // 1926-01-01 .. 2025-12-31: 100 years with 25 leap days (1928 .. 2024, 2000
        // included) = 36,500 + 25 = 36,525 days, the limit.
        assert_eq!(
            Period::new(d(1926, 1, 1), d(2025, 12, 31)).unwrap().days(),
            36_525
        );
        // 36,525 days is the limit; 36,526 is one too many.
        let start = d(1926, 1, 1);
        let last = start + chrono::Days::new(u64::from(MAX_PERIOD_DAYS) - 1);
        assert_eq!(Period::new(start, last).unwrap().days(), MAX_PERIOD_DAYS);
        let err = Period::new(start, last + chrono::Days::new(1)).unwrap_err();
        assert!(
            err.to_string().contains("the longest period is 36525 days"),
            "{err}"
        );
        // Years 0001 to 9999, as a saved view could send (±50,000 years is not even
        // read: not YYYY-MM-DD).
        let json = r#"{"start": "0001-01-01", "end": "9999-12-31"}"#;
        let err = serde_json::from_str::<Period>(json).unwrap_err();
        assert!(err.to_string().contains("the longest period"), "{err}");
        let json = r#"{"start": "-50000-01-01", "end": "+50000-12-31"}"#;
        let err = serde_json::from_str::<Period>(json).unwrap_err();
        assert!(err.to_string().contains("is not a date"), "{err}");
    }

    #[test]
    fn serde_shape_and_invariant() {
        let p = Period::new(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        )
        .unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"start":"2026-11-01","end":"2026-11-30"}"#);
        assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), p);
        assert!(
            serde_json::from_str::<Period>(r#"{"start":"2026-11-02","end":"2026-11-01"}"#).is_err()
        );
        assert_eq!(p.dates().count(), 30);
        assert_eq!(p.days(), 30);
    }
}
