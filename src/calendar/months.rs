//! Calendar-month arithmetic with clamping (docs/metrics.md#conventions): 2026-03-31 minus one month is
//! 2026-02-28.

use chrono::{Datelike, Months, NaiveDate};

/// `date` minus `months` calendar months, clamped to the last day of a shorter month.
/// `None` only beyond chrono's date range.
///
/// # Example
/// ```
/// use chrono::NaiveDate;
/// use crm_metrics::calendar::sub_months;
///
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(sub_months(d(2026, 3, 31), 1), Some(d(2026, 2, 28)));
/// assert_eq!(sub_months(d(2024, 3, 31), 1), Some(d(2024, 2, 29))); // leap year
/// assert_eq!(sub_months(d(2026, 1, 15), 12), Some(d(2025, 1, 15)));
/// ```
pub fn sub_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    // chrono's Months arithmetic clamps the day to the month's length, as docs/metrics.md#conventions asks.
    date.checked_sub_months(Months::new(months))
}

/// `date` plus `months` calendar months, clamped like [`sub_months`].
///
/// # Example
/// ```
/// use chrono::NaiveDate;
/// use crm_metrics::calendar::add_months;
///
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(add_months(d(2026, 1, 31), 1), Some(d(2026, 2, 28)));
/// ```
pub fn add_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    date.checked_add_months(Months::new(months))
}

/// The first day of `date`'s month.
pub fn first_of_month(date: NaiveDate) -> NaiveDate {
    // OK because day 1 exists in every month.
    date.with_day(1).unwrap_or(date)
}

/// The last day of `date`'s month (28, 29, 30 or 31).
pub fn last_of_month(date: NaiveDate) -> NaiveDate {
    let first = first_of_month(date);
    add_months(first, 1)
        .and_then(|next| next.pred_opt())
        .unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn clamping_cases() {
        // (date, months back, expected): worked out on a calendar.
        let cases = [
            (d(2026, 3, 31), 1, d(2026, 2, 28)),  // Feb 2026 has 28 days
            (d(2024, 3, 31), 1, d(2024, 2, 29)),  // 2024 is a leap year
            (d(2026, 5, 31), 1, d(2026, 4, 30)),  // April has 30
            (d(2026, 8, 31), 6, d(2026, 2, 28)),  // six months back, clamped
            (d(2024, 2, 29), 12, d(2023, 2, 28)), // Feb 29 one year back
            (d(2026, 1, 15), 3, d(2025, 10, 15)), // across a year boundary
            (d(2026, 11, 15), 0, d(2026, 11, 15)),
        ];
        for (date, n, want) in cases {
            assert_eq!(sub_months(date, n), Some(want), "{date} - {n} months");
        }
        assert_eq!(add_months(d(2024, 1, 31), 1), Some(d(2024, 2, 29)));
    }

    #[test]
    fn month_ends() {
        assert_eq!(last_of_month(d(2026, 2, 10)), d(2026, 2, 28));
        assert_eq!(last_of_month(d(2024, 2, 10)), d(2024, 2, 29));
        assert_eq!(last_of_month(d(2026, 12, 31)), d(2026, 12, 31));
        assert_eq!(first_of_month(d(2026, 12, 31)), d(2026, 12, 1));
    }
}
