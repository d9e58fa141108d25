//! The period presets of docs/metrics.md#conventions and their previous periods.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::months::{first_of_month, last_of_month, sub_months};
use super::period::Period;
use crate::error::{Error, Result};

/// A named period relative to `today` (docs/metrics.md#conventions, "Presets").
///
/// Calendar presets compare with the previous calendar unit even when lengths differ
/// (this month against the whole previous month); `last_N_days` compares with the N days
/// before. `N` is 7, 28, 30 or 90 only (docs/metrics.md#presets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Preset {
    /// `[D, D]`, previous `[D-1, D-1]`.
    Today,
    /// `[D-1, D-1]`, previous `[D-2, D-2]`.
    Yesterday,
    /// Monday..Sunday of D's week, previous: the week before.
    ThisWeek,
    /// The week before D's week, previous: the week before that.
    LastWeek,
    /// 1st..last day of D's month, previous: the whole previous month. The default.
    #[default]
    ThisMonth,
    /// The previous calendar month, previous: the month before it.
    LastMonth,
    /// Jan 1..Dec 31 of D's year, previous: the whole previous year.
    ThisYear,
    /// `[D-6, D]`, previous `[D-13, D-7]`.
    #[serde(rename = "last_7_days")]
    Last7Days,
    /// `[D-27, D]`, previous `[D-55, D-28]`.
    #[serde(rename = "last_28_days")]
    Last28Days,
    /// `[D-29, D]`, previous `[D-59, D-30]`.
    #[serde(rename = "last_30_days")]
    Last30Days,
    /// `[D-89, D]`, previous `[D-179, D-90]`.
    #[serde(rename = "last_90_days")]
    Last90Days,
}

impl Preset {
    /// Every preset, in the order of docs/metrics.md#presets.
    pub const ALL: [Preset; 11] = [
        Preset::Today,
        Preset::Yesterday,
        Preset::ThisWeek,
        Preset::LastWeek,
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::ThisYear,
        Preset::Last7Days,
        Preset::Last28Days,
        Preset::Last30Days,
        Preset::Last90Days,
    ];

    /// The name, e.g. `last_30_days`.
    pub const fn name(self) -> &'static str {
        match self {
            Preset::Today => "today",
            Preset::Yesterday => "yesterday",
            Preset::ThisWeek => "this_week",
            Preset::LastWeek => "last_week",
            Preset::ThisMonth => "this_month",
            Preset::LastMonth => "last_month",
            Preset::ThisYear => "this_year",
            Preset::Last7Days => "last_7_days",
            Preset::Last28Days => "last_28_days",
            Preset::Last30Days => "last_30_days",
            Preset::Last90Days => "last_90_days",
        }
    }

    /// The period and its previous period for `today` (the local date of `as_of`).
    ///
    /// # Errors
    /// [`Error::DateOutOfRange`] only at the edges of chrono's date range.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_metrics::calendar::Preset;
    ///
    /// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// // this_month on the 31st compares with the whole (shorter) previous month.
    /// let (current, previous) = Preset::ThisMonth.resolve(d(2026, 3, 31))?;
    /// assert_eq!((current.start(), current.end()), (d(2026, 3, 1), d(2026, 3, 31)));
    /// assert_eq!((previous.start(), previous.end()), (d(2026, 2, 1), d(2026, 2, 28)));
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn resolve(self, today: NaiveDate) -> Result<(Period, Period)> {
        let out_of_range = || Error::DateOutOfRange { what: self.name() };
        let back = |date: NaiveDate, days: u64| {
            date.checked_sub_days(Days::new(days))
                .ok_or_else(out_of_range)
        };
        let last_days = |n: u64| -> Result<(Period, Period)> {
            let start = back(today, n - 1)?;
            let prev_end = back(start, 1)?;
            Ok((
                Period::new(start, today)?,
                Period::new(back(prev_end, n - 1)?, prev_end)?,
            ))
        };
        let week_of = |date: NaiveDate| -> Result<Period> {
            let monday = back(date, u64::from(date.weekday().num_days_from_monday()))?;
            let sunday = monday
                .checked_add_days(Days::new(6))
                .ok_or_else(out_of_range)?;
            Period::new(monday, sunday)
        };
        let month_of = |date: NaiveDate| Period::new(first_of_month(date), last_of_month(date));
        let year_of = |date: NaiveDate| -> Result<Period> {
            let first = NaiveDate::from_ymd_opt(date.year(), 1, 1).ok_or_else(out_of_range)?;
            let last = NaiveDate::from_ymd_opt(date.year(), 12, 31).ok_or_else(out_of_range)?;
            Period::new(first, last)
        };
        let month_back =
            |date: NaiveDate| sub_months(first_of_month(date), 1).ok_or_else(out_of_range);
        match self {
            Preset::Today => Ok((Period::day(today), Period::day(back(today, 1)?))),
            Preset::Yesterday => Ok((Period::day(back(today, 1)?), Period::day(back(today, 2)?))),
            Preset::ThisWeek => Ok((week_of(today)?, week_of(back(today, 7)?)?)),
            Preset::LastWeek => Ok((week_of(back(today, 7)?)?, week_of(back(today, 14)?)?)),
            Preset::ThisMonth => Ok((month_of(today)?, month_of(month_back(today)?)?)),
            Preset::LastMonth => {
                let last = month_back(today)?;
                Ok((month_of(last)?, month_of(month_back(last)?)?))
            }
            Preset::ThisYear => {
                let first = year_of(today)?.start();
                Ok((year_of(today)?, year_of(back(first, 1)?)?))
            }
            Preset::Last7Days => last_days(7),
            Preset::Last28Days => last_days(28),
            Preset::Last30Days => last_days(30),
            Preset::Last90Days => last_days(90),
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Preset> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| Error::UnknownPeriod { name: s.to_owned() })
    }
}

/// Which period a report covers: a [`Preset`] relative to `today`, or a custom range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodSpec {
    /// A named preset.
    Preset(Preset),
    /// A custom `[from, to]`; its previous period is the same number of days ending the
    /// day before `from`.
    Custom(Period),
}

impl Default for PeriodSpec {
    fn default() -> PeriodSpec {
        PeriodSpec::Preset(Preset::default())
    }
}

impl From<Preset> for PeriodSpec {
    fn from(p: Preset) -> PeriodSpec {
        PeriodSpec::Preset(p)
    }
}

impl From<Period> for PeriodSpec {
    fn from(p: Period) -> PeriodSpec {
        PeriodSpec::Custom(p)
    }
}

impl PeriodSpec {
    /// The period and its previous period for `today`.
    ///
    /// # Errors
    /// [`Error::DateOutOfRange`] only at the edges of chrono's date range.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_metrics::calendar::{Period, PeriodSpec};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    /// let custom = PeriodSpec::Custom(Period::new(d(9, 20), d(10, 10))?);
    /// let (_, previous) = custom.resolve(d(11, 15))?;
    /// // 21 days ending the day before Sep 20.
    /// assert_eq!((previous.start(), previous.end()), (d(8, 30), d(9, 19)));
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn resolve(self, today: NaiveDate) -> Result<(Period, Period)> {
        match self {
            PeriodSpec::Preset(p) => p.resolve(today),
            PeriodSpec::Custom(p) => {
                let out_of_range = || Error::DateOutOfRange {
                    what: "the previous period of a custom period",
                };
                let prev_end = p.start().pred_opt().ok_or_else(out_of_range)?;
                let prev_start = prev_end
                    .checked_sub_days(Days::new(u64::from(p.days()) - 1))
                    .ok_or_else(out_of_range)?;
                Ok((p, Period::new(prev_start, prev_end)?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn r(p: Preset, today: NaiveDate) -> [NaiveDate; 4] {
        let (c, prev) = p.resolve(today).unwrap();
        [c.start(), c.end(), prev.start(), prev.end()]
    }

    #[test]
    fn every_preset_by_hand() {
        // 2026-11-15 is a Sunday.
        let t = d(2026, 11, 15);
        let cases = [
            (
                Preset::Today,
                [
                    d(2026, 11, 15),
                    d(2026, 11, 15),
                    d(2026, 11, 14),
                    d(2026, 11, 14),
                ],
            ),
            (
                Preset::Yesterday,
                [
                    d(2026, 11, 14),
                    d(2026, 11, 14),
                    d(2026, 11, 13),
                    d(2026, 11, 13),
                ],
            ),
            // Monday 9th .. Sunday 15th; the week before is 2..8.
            (
                Preset::ThisWeek,
                [
                    d(2026, 11, 9),
                    d(2026, 11, 15),
                    d(2026, 11, 2),
                    d(2026, 11, 8),
                ],
            ),
            (
                Preset::LastWeek,
                [
                    d(2026, 11, 2),
                    d(2026, 11, 8),
                    d(2026, 10, 26),
                    d(2026, 11, 1),
                ],
            ),
            (
                Preset::ThisMonth,
                [
                    d(2026, 11, 1),
                    d(2026, 11, 30),
                    d(2026, 10, 1),
                    d(2026, 10, 31),
                ],
            ),
            (
                Preset::LastMonth,
                [
                    d(2026, 10, 1),
                    d(2026, 10, 31),
                    d(2026, 9, 1),
                    d(2026, 9, 30),
                ],
            ),
            (
                Preset::ThisYear,
                [
                    d(2026, 1, 1),
                    d(2026, 12, 31),
                    d(2025, 1, 1),
                    d(2025, 12, 31),
                ],
            ),
            // [D-6, D] and [D-13, D-7]
            (
                Preset::Last7Days,
                [
                    d(2026, 11, 9),
                    d(2026, 11, 15),
                    d(2026, 11, 2),
                    d(2026, 11, 8),
                ],
            ),
            // [D-27, D] = Oct 19..Nov 15; previous Sep 21..Oct 18
            (
                Preset::Last28Days,
                [
                    d(2026, 10, 19),
                    d(2026, 11, 15),
                    d(2026, 9, 21),
                    d(2026, 10, 18),
                ],
            ),
            // [D-29, D] = Oct 17..Nov 15; previous Sep 17..Oct 16
            (
                Preset::Last30Days,
                [
                    d(2026, 10, 17),
                    d(2026, 11, 15),
                    d(2026, 9, 17),
                    d(2026, 10, 16),
                ],
            ),
            // [D-89, D] = Aug 18..Nov 15; previous May 20..Aug 17
            (
                Preset::Last90Days,
                [
                    d(2026, 8, 18),
                    d(2026, 11, 15),
                    d(2026, 5, 20),
                    d(2026, 8, 17),
                ],
            ),
        ];
        for (preset, want) in cases {
            assert_eq!(r(preset, t), want, "{preset}");
        }
    }

    #[test]
    fn this_month_on_a_31st() {
        // March 31st: the previous month is the whole of February (28 days in 2026).
        assert_eq!(
            r(Preset::ThisMonth, d(2026, 3, 31)),
            [d(2026, 3, 1), d(2026, 3, 31), d(2026, 2, 1), d(2026, 2, 28)]
        );
        // ...and 29 days in 2024.
        assert_eq!(
            r(Preset::LastMonth, d(2024, 3, 31)),
            [d(2024, 2, 1), d(2024, 2, 29), d(2024, 1, 1), d(2024, 1, 31)]
        );
    }

    #[test]
    fn weeks_across_a_year_boundary() {
        // 2027-01-06 is a Wednesday: this week is Mon 2027-01-04 .. Sun 01-10,
        // last week Mon 2026-12-28 .. Sun 2027-01-03, the week before 12-21 .. 12-27.
        assert_eq!(
            r(Preset::LastWeek, d(2027, 1, 6)),
            [
                d(2026, 12, 28),
                d(2027, 1, 3),
                d(2026, 12, 21),
                d(2026, 12, 27)
            ]
        );
        // On a Monday the week starts that day.
        assert_eq!(r(Preset::ThisWeek, d(2026, 11, 16))[0], d(2026, 11, 16));
        // January's previous month is last year's December.
        assert_eq!(
            r(Preset::ThisMonth, d(2027, 1, 1)),
            [
                d(2027, 1, 1),
                d(2027, 1, 31),
                d(2026, 12, 1),
                d(2026, 12, 31)
            ]
        );
    }

    #[test]
    fn feb_29() {
        assert_eq!(
            r(Preset::Today, d(2028, 3, 1)),
            [d(2028, 3, 1), d(2028, 3, 1), d(2028, 2, 29), d(2028, 2, 29)]
        );
        assert_eq!(
            r(Preset::ThisMonth, d(2028, 2, 29)),
            [d(2028, 2, 1), d(2028, 2, 29), d(2028, 1, 1), d(2028, 1, 31)]
        );
    }

    #[test]
    fn custom_ranges() {
        // Sep 20 .. Oct 10 is 21 days; previous: 21 days ending Sep 19 = Aug 30 .. Sep 19.
        let p = Period::new(d(2026, 9, 20), d(2026, 10, 10)).unwrap();
        let (c, prev) = PeriodSpec::Custom(p).resolve(d(2026, 11, 15)).unwrap();
        assert_eq!(c, p);
        assert_eq!((prev.start(), prev.end()), (d(2026, 8, 30), d(2026, 9, 19)));
        // A one-day custom range compares with the day before.
        let one = Period::day(d(2026, 3, 1));
        let (_, prev) = PeriodSpec::Custom(one).resolve(d(2026, 11, 15)).unwrap();
        assert_eq!((prev.start(), prev.end()), (d(2026, 2, 28), d(2026, 2, 28)));
    }

    #[test]
    fn names_round_trip() {
        for p in Preset::ALL {
            assert_eq!(p.name().parse::<Preset>().unwrap(), p);
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
        }
        assert!("last_14_days".parse::<Preset>().is_err());
    }
}
