//! Comparison modes: which range of dates a period's figures are compared with.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize, Serializer};

use super::period::Period;
use crate::error::{Error, Result};

/// What a report compares its period with: the range behind every `{current, previous,
/// delta}` comparison of the customers, marketing and social sections, and the report's
/// `previous_period`.
///
/// The lifecycle section always compares with the plain previous period, and the
/// customer picture and profile keep their own fixed comparisons, whatever the mode.
///
/// Serializes with snake_case names: `"previous_period"`, `"to_date"`, `"year_ago"`,
/// `{"custom": {"start", "end"}}`; [`Compare::name`] gives the name alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Compare {
    /// The previous period of the period (the default): the previous calendar unit for
    /// calendar presets, the same number of days before for the others.
    #[default]
    PreviousPeriod,
    /// Like for like, by whole days: while the period is under way, the same number of
    /// days from the start of the previous period (this month on the 6th against the
    /// 1st..6th of last month); otherwise the previous period.
    ToDate,
    /// The period moved back 364 days (52 weeks), so that weekdays line up.
    YearAgo,
    /// A given range of dates, of any length.
    Custom(Period),
}

impl Compare {
    /// The mode's name as written in the report: `previous_period`, `to_date`,
    /// `year_ago` or `custom`.
    pub fn name(&self) -> &'static str {
        match self {
            Compare::PreviousPeriod => "previous_period",
            Compare::ToDate => "to_date",
            Compare::YearAgo => "year_ago",
            Compare::Custom(_) => "custom",
        }
    }
}

impl fmt::Display for Compare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Compare {
    type Err = Error;

    /// `previous_period`, `to_date` or `year_ago` (a custom range has no name to parse:
    /// build [`Compare::Custom`]).
    fn from_str(s: &str) -> Result<Compare> {
        match s {
            "previous_period" => Ok(Compare::PreviousPeriod),
            "to_date" => Ok(Compare::ToDate),
            "year_ago" => Ok(Compare::YearAgo),
            _ => Err(Error::InvalidArgument(format!(
                "unknown comparison mode {s:?}: expected previous_period, to_date or year_ago"
            ))),
        }
    }
}

/// Serializes a [`Compare`] as its name alone (the report's `compare` key).
pub(crate) fn serialize_name<S: Serializer>(
    compare: &Compare,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(compare.name())
}

/// The comparison range of `period` under `mode`, given `previous`, the period's plain
/// previous period, and `today`, the local date of `as_of`.
///
/// * `PreviousPeriod`: `previous`.
/// * `ToDate`: while the period is under way (`start <= today < end`), with
///   `k = today - start` days, `[previous.start, min(previous.end, previous.start + k)]`;
///   otherwise (on its last day, or a period entirely past or to come) `previous`.
/// * `YearAgo`: `[start - 364 days, end - 364 days]`.
/// * `Custom(range)`: `range`.
///
/// # Errors
/// [`Error::InvalidArgument`] only at the edges of chrono's date range.
///
/// # Example: this month on the 6th, to date
/// ```
/// use chrono::NaiveDate;
/// use crm_metrics::calendar::{Compare, Period, Preset, comparison_range};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let today = d(12, 6);
/// let (period, previous) = Preset::ThisMonth.resolve(today)?;
/// let range = comparison_range(period, previous, today, Compare::ToDate)?;
/// assert_eq!(range, Period::new(d(11, 1), d(11, 6))?); // Dec 1-6 against Nov 1-6
/// // On the month's last day the whole previous month is like for like.
/// let (period, previous) = Preset::ThisMonth.resolve(d(12, 31))?;
/// assert_eq!(comparison_range(period, previous, d(12, 31), Compare::ToDate)?, previous);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn comparison_range(
    period: Period,
    previous: Period,
    today: NaiveDate,
    mode: Compare,
) -> Result<Period> {
    let out_of_range =
        || Error::InvalidArgument(format!("the comparison range of {period} is out of range"));
    match mode {
        Compare::PreviousPeriod => Ok(previous),
        Compare::ToDate => {
            if period.start() <= today && today < period.end() {
                let k = (today - period.start()).num_days().unsigned_abs();
                let end = previous
                    .start()
                    .checked_add_days(Days::new(k))
                    .map_or(previous.end(), |e| e.min(previous.end()));
                Period::new(previous.start(), end)
            } else {
                Ok(previous)
            }
        }
        Compare::YearAgo => {
            let back = |date: NaiveDate| date.checked_sub_days(Days::new(364));
            let start = back(period.start()).ok_or_else(out_of_range)?;
            let end = back(period.end()).ok_or_else(out_of_range)?;
            Period::new(start, end)
        }
        Compare::Custom(range) => Ok(range),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;
    use crate::calendar::Preset;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn p(a: NaiveDate, b: NaiveDate) -> Period {
        Period::new(a, b).unwrap()
    }

    fn range(preset: Preset, today: NaiveDate, mode: Compare) -> Period {
        let (period, previous) = preset.resolve(today).unwrap();
        comparison_range(period, previous, today, mode).unwrap()
    }

    #[test]
    fn to_date_on_a_month_under_way() {
        // Dec 6: k = 6 - 1 = 5 days, so Nov 1 .. Nov 1 + 5 = Nov 6.
        assert_eq!(
            range(Preset::ThisMonth, d(2026, 12, 6), Compare::ToDate),
            p(d(2026, 11, 1), d(2026, 11, 6))
        );
        // Nov 15 (the fixture's today): Oct 1 .. Oct 15.
        assert_eq!(
            range(Preset::ThisMonth, d(2026, 11, 15), Compare::ToDate),
            p(d(2026, 10, 1), d(2026, 10, 15))
        );
        // Mar 30: k = 29, Feb 1 + 29 = Mar 2, clamped to Feb's last day, Feb 28.
        assert_eq!(
            range(Preset::ThisMonth, d(2026, 3, 30), Compare::ToDate),
            p(d(2026, 2, 1), d(2026, 2, 28))
        );
        // The first day: k = 0, one day against one day.
        assert_eq!(
            range(Preset::ThisMonth, d(2026, 12, 1), Compare::ToDate),
            p(d(2026, 11, 1), d(2026, 11, 1))
        );
    }

    #[test]
    fn to_date_on_a_finished_month_is_the_previous_period() {
        // Dec 31 is the period's last day: not "under way", so all of November.
        assert_eq!(
            range(Preset::ThisMonth, d(2026, 12, 31), Compare::ToDate),
            p(d(2026, 11, 1), d(2026, 11, 30))
        );
        // last_month is over: October against September, whole.
        assert_eq!(
            range(Preset::LastMonth, d(2026, 11, 15), Compare::ToDate),
            p(d(2026, 9, 1), d(2026, 9, 30))
        );
        // last_30_days ends today: the plain previous 30 days.
        assert_eq!(
            range(Preset::Last30Days, d(2026, 11, 15), Compare::ToDate),
            p(d(2026, 9, 17), d(2026, 10, 16))
        );
        assert_eq!(
            range(Preset::Today, d(2026, 11, 15), Compare::ToDate),
            p(d(2026, 11, 14), d(2026, 11, 14))
        );
    }

    #[test]
    fn to_date_this_year_and_this_week() {
        // Nov 15 is day 319 of 2026 (k = 318): Jan 1 2025 + 318 days = Nov 15 2025.
        assert_eq!(
            range(Preset::ThisYear, d(2026, 11, 15), Compare::ToDate),
            p(d(2025, 1, 1), d(2025, 11, 15))
        );
        // Wednesday Nov 11: k = 2, so last week's Monday..Wednesday.
        assert_eq!(
            range(Preset::ThisWeek, d(2026, 11, 11), Compare::ToDate),
            p(d(2026, 11, 2), d(2026, 11, 4))
        );
    }

    #[test]
    fn year_ago_lands_on_the_same_weekday() {
        // last_30_days on Nov 15 2026 is Oct 17 .. Nov 15; 364 days back is
        // Oct 18 2025 .. Nov 16 2025 (2025 has no Feb 29 in between: 365 - 1 = one day later).
        let r = range(Preset::Last30Days, d(2026, 11, 15), Compare::YearAgo);
        assert_eq!(r, p(d(2025, 10, 18), d(2025, 11, 16)));
        // Saturday Oct 17 2026 -> Saturday Oct 18 2025; Sunday -> Sunday.
        assert_eq!(d(2026, 10, 17).weekday(), r.start().weekday());
        assert_eq!(d(2026, 11, 15).weekday(), r.end().weekday());
        // Across a Feb 29: Mar 1 2029 - 364 days = Mar 2 2028 (2028 is a leap year).
        let r = range(Preset::Today, d(2029, 3, 1), Compare::YearAgo);
        assert_eq!(r, p(d(2028, 3, 2), d(2028, 3, 2)));
        assert_eq!(d(2029, 3, 1).weekday(), r.start().weekday());
    }

    #[test]
    fn previous_period_and_custom() {
        assert_eq!(
            range(Preset::ThisMonth, d(2026, 11, 15), Compare::PreviousPeriod),
            p(d(2026, 10, 1), d(2026, 10, 31))
        );
        let custom = p(d(2025, 10, 1), d(2025, 10, 31));
        assert_eq!(
            range(Preset::LastMonth, d(2026, 11, 15), Compare::Custom(custom)),
            custom
        );
    }

    #[test]
    fn names_round_trip() {
        for mode in [Compare::PreviousPeriod, Compare::ToDate, Compare::YearAgo] {
            assert_eq!(mode.name().parse::<Compare>().unwrap(), mode);
            assert_eq!(mode.to_string(), mode.name());
        }
        assert_eq!(
            Compare::Custom(p(d(2026, 1, 1), d(2026, 1, 2))).name(),
            "custom"
        );
        assert!("custom".parse::<Compare>().is_err());
        assert!("ToDate".parse::<Compare>().is_err());
    }
}
