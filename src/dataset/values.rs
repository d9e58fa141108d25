//! The value grammar of the input files (docs/input-format.md, "Values"), parsed from
//! raw bytes without allocating.
//!
//! These are stricter than `rust_decimal`'s and chrono's own parsers on purpose: those
//! accept `1_000`, `+5`, `.5`, `1e5`, leap seconds, or round a decimal with more than 28
//! fractional digits, and every one of those is a `parse_error` here. They are more
//! lenient where spreadsheet exports need it: a timestamp without an offset is a local
//! time in the business time zone, and booleans (like the enumerations) are matched
//! ignoring ASCII case and surrounding spaces or tabs. Each function returns a short
//! description of the problem, which becomes the rejection's detail.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::{BusinessCalendar, DAY, Ts, epoch_day};
use crate::model::trim_blanks;

/// The detail of a number that is not plain digits.
const NOT_PLAIN_NUMBER: &str = "not a plain number: only digits with an optional '-' and an \
     optional '.' fraction are read (no thousands separators or currency signs: write \
     1250000, not 1,250,000 or 1250000₫)";

/// 2^96: a decimal's mantissa must be below it.
const MANTISSA_LIMIT: u128 = 1 << 96;

/// A decimal: `-?[0-9]+(\.[0-9]+)?`, exactly representable as a `Decimal` (96-bit
/// mantissa, at most 28 fractional digits once trailing zeros are dropped). `-0` is 0.
pub(crate) fn decimal(text: &[u8]) -> Result<Decimal, &'static str> {
    let (negative, body) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (int_part, frac_part) = match body.iter().position(|&b| b == b'.') {
        Some(dot) => (&body[..dot], Some(&body[dot + 1..])),
        None => (body, None),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
        return Err(NOT_PLAIN_NUMBER);
    }
    // Trailing zeros after the point carry no value (judged by value, docs/input-format.md#values).
    let frac = frac_part.map_or(&[][..], |f| {
        let keep = f.iter().rposition(|&b| b != b'0').map_or(0, |i| i + 1);
        &f[..keep]
    });
    if frac.len() > 28 {
        return Err("more than 28 fractional digits: not exactly representable");
    }
    let mut mantissa: u128 = 0;
    for &digit in int_part.iter().chain(frac) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(digit - b'0')))
            .filter(|&m| m < MANTISSA_LIMIT)
            .ok_or("too many digits: beyond the range of a decimal")?;
    }
    // OK because mantissa < 2^96 and frac.len() <= 28, so the cast and scale are valid.
    let signed = if negative {
        -(mantissa as i128)
    } else {
        mantissa as i128
    };
    Decimal::try_from_i128_with_scale(signed, frac.len() as u32)
        .map(|d| if d.is_zero() { Decimal::ZERO } else { d })
        .map_err(|_| "beyond the range of a decimal")
}

/// An integer: `-?[0-9]+` that fits in an `i64`.
pub(crate) fn integer(text: &[u8]) -> Result<i64, &'static str> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(
            "not a whole number: only digits with an optional '-' are read \
             (no fraction or thousands separators)",
        );
    }
    let mut value: i64 = 0;
    for &digit in digits {
        let d = i64::from(digit - b'0');
        value = value
            .checked_mul(10)
            .and_then(|v| {
                if negative {
                    v.checked_sub(d)
                } else {
                    v.checked_add(d)
                }
            })
            .ok_or("integer out of range")?;
    }
    Ok(value)
}

/// A boolean: `true`, `false`, `1` or `0`, in any ASCII case, with ASCII spaces or tabs
/// around it ignored.
pub(crate) fn boolean(text: &[u8]) -> Result<bool, &'static str> {
    let text = trim_blanks(text);
    if text == b"1" || text.eq_ignore_ascii_case(b"true") {
        Ok(true)
    } else if text == b"0" || text.eq_ignore_ascii_case(b"false") {
        Ok(false)
    } else {
        Err("not a boolean (allowed: true, false, 1, 0; any case)")
    }
}

fn digits<const N: usize>(text: &[u8]) -> Option<u32> {
    let bytes = text.get(..N)?;
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

const NOT_A_DATE: &str = "not a date (expected YYYY-MM-DD)";

/// `YYYY-MM-DD`, a real calendar date.
fn date_prefix(text: &[u8]) -> Result<NaiveDate, &'static str> {
    const BAD: &str = NOT_A_DATE;
    if text.len() < 10 || text[4] != b'-' || text[7] != b'-' {
        return Err(BAD);
    }
    let year = digits::<4>(text).ok_or(BAD)?;
    let month = digits::<2>(&text[5..]).ok_or(BAD)?;
    let day = digits::<2>(&text[8..]).ok_or(BAD)?;
    // OK because year < 10000 fits in i32.
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or("not a real calendar date")
}

/// A date: exactly `YYYY-MM-DD`.
pub(crate) fn date(text: &[u8]) -> Result<NaiveDate, &'static str> {
    if text.len() != 10 {
        return Err("not a date (expected YYYY-MM-DD)");
    }
    date_prefix(text)
}

/// The detail of a text that is not a timestamp at all.
const BAD_TIMESTAMP: &str = "not a timestamp (expected YYYY-MM-DD HH:MM[:SS] in the business \
     time zone, or RFC 3339 with an offset: YYYY-MM-DDTHH:MM:SS+07:00)";

/// A timestamp: RFC 3339 with an offset, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`, or a
/// local time without an offset, `YYYY-MM-DD(T| )HH:MM[:SS[.fraction]]`, read in `zone`.
///
/// `T` may be `t` (and `Z` `z`), as RFC 3339 allows; with an offset, a space instead of
/// `T` or omitted seconds are errors (the strict form). Hours 00-23, seconds 00-59 (a
/// leap second `60` is rejected), a real calendar date; a fraction only after seconds.
/// Digits of the fraction beyond nanoseconds are dropped, as chrono does. A local time
/// in a DST gap takes the offset in force before the gap; in an overlap, the earlier
/// instant (see [`BusinessCalendar::local_to_utc_secs`]).
pub(crate) fn timestamp(text: &[u8], zone: &BusinessCalendar) -> Result<Ts, &'static str> {
    // 16 bytes reach the minutes.
    if text.len() < 16 {
        return Err(BAD_TIMESTAMP);
    }
    let date = date_prefix(text).map_err(|e| if e == NOT_A_DATE { BAD_TIMESTAMP } else { e })?;
    let separator = text[10];
    if !matches!(separator, b'T' | b't' | b' ') || text[13] != b':' {
        return Err(BAD_TIMESTAMP);
    }
    let hour = digits::<2>(&text[11..]).ok_or(BAD_TIMESTAMP)?;
    let minute = digits::<2>(&text[14..]).ok_or(BAD_TIMESTAMP)?;
    let mut rest = &text[16..];
    let mut second = None;
    if let [b':', s1, s2, tail @ ..] = rest {
        second = Some(digits::<2>(&[*s1, *s2]).ok_or(BAD_TIMESTAMP)?);
        rest = tail;
    }
    if hour > 23 || minute > 59 {
        return Err("time of day out of range (hours 00-23, minutes 00-59; 24:00 is not allowed)");
    }
    if second.is_some_and(|s| s > 59) {
        return Err("second out of range (a leap second is not allowed)");
    }
    let mut nanos: u32 = 0;
    if let Some((b'.', fraction)) = rest.split_first() {
        if second.is_none() {
            return Err("a fraction of a second needs the seconds (HH:MM:SS.fff)");
        }
        let len = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 {
            return Err(BAD_TIMESTAMP);
        }
        for i in 0..9 {
            nanos = nanos * 10
                + fraction
                    .get(i)
                    .filter(|_| i < len)
                    .map_or(0, |&b| u32::from(b - b'0'));
        }
        rest = &fraction[len..];
    }
    let local = epoch_day(date) * DAY + i64::from(hour * 3600 + minute * 60 + second.unwrap_or(0));
    let offset: i64 = match rest {
        [] => {
            // No offset: a local time in the business time zone.
            return Ok(Ts {
                secs: zone.local_to_utc_secs(local),
                nanos,
            });
        }
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits::<2>(&[*h1, *h2]).ok_or(BAD_TIMESTAMP)?;
            let minutes = digits::<2>(&[*m1, *m2]).ok_or(BAD_TIMESTAMP)?;
            if hours > 23 || minutes > 59 {
                return Err("offset out of range");
            }
            let secs = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return Err(BAD_TIMESTAMP),
    };
    // With an offset, the strict RFC 3339 form: `T` (or `t`) and seconds.
    if separator == b' ' || second.is_none() {
        return Err("a timestamp with an offset needs the RFC 3339 form \
             YYYY-MM-DDTHH:MM:SS+hh:mm ('T' and seconds; leave the offset out for a \
             local time like 2026-05-01 10:00)");
    }
    Ok(Ts {
        secs: local - offset,
        nanos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use std::str::FromStr;

    fn dec(s: &str) -> Result<Decimal, &'static str> {
        decimal(s.as_bytes())
    }

    #[test]
    fn decimals_follow_the_grammar() {
        let ok = [
            ("125000", "125000"),
            ("99.5", "99.5"),
            ("-5000", "-5000"),
            ("007", "7"),
            ("0.10", "0.1"),
            ("-0", "0"),
            ("-0.000", "0"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
            (
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000001",
            ),
            (
                "1.0000000000000000000000000001",
                "1.0000000000000000000000000001",
            ), // 1e28 + 1 < 2^96
            // trailing zeros do not count toward the 28 digits
            ("1.50000000000000000000000000000000000", "1.5"),
        ];
        for (text, want) in ok {
            assert_eq!(
                dec(text).unwrap(),
                Decimal::from_str(want).unwrap(),
                "{text}"
            );
        }
        assert!(!dec("-0").unwrap().is_sign_negative());
        let bad = [
            "",
            "-",
            "+5",
            ".5",
            "5.",
            "1e5",
            "1E5",
            "1_000",
            "1,000",
            "1 000",
            " 5",
            "5 ",
            "NaN",
            "inf",
            "0x10",
            "--5",
            "5-",
            "1.2.3",
            "79228162514264337593543950336",            // 2^96
            "1234567890123456789012345678901234567890", // 40 digits
            "0.00000000000000000000000000001",          // 29 fractional digits
            "8.0000000000000000000000000001",           // mantissa 8e28 + 1 > 2^96
        ];
        for text in bad {
            assert!(dec(text).is_err(), "{text:?} should be a parse_error");
        }
    }

    #[test]
    fn integers_follow_the_grammar() {
        assert_eq!(integer(b"2"), Ok(2));
        assert_eq!(integer(b"-2"), Ok(-2));
        assert_eq!(integer(b"0"), Ok(0));
        assert_eq!(integer(b"4294967296"), Ok(4_294_967_296)); // beyond u32 is still an integer
        assert_eq!(integer(b"-9223372036854775808"), Ok(i64::MIN));
        for bad in [
            "+2",
            "2.0",
            "1.5",
            "",
            "-",
            "1e3",
            " 1",
            "9223372036854775808",
        ] {
            assert!(integer(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(boolean(b"true"), Ok(true));
        assert_eq!(boolean(b"1"), Ok(true));
        assert_eq!(boolean(b"false"), Ok(false));
        assert_eq!(boolean(b"0"), Ok(false));
        // Any ASCII case, spaces and tabs around.
        assert_eq!(boolean(b"TRUE"), Ok(true));
        assert_eq!(boolean(b" True\t"), Ok(true));
        assert_eq!(boolean(b"False "), Ok(false));
        assert_eq!(boolean(b" 0"), Ok(false));
        for bad in ["yes", "t", "2", "", "   ", "tr ue", "\ntrue", "\u{a0}true"] {
            assert!(boolean(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    fn ts(s: &str) -> Result<DateTime<Utc>, &'static str> {
        timestamp(s.as_bytes(), &BusinessCalendar::default()).map(Ts::to_datetime)
    }

    fn ts_in(zone: &str, s: &str) -> Result<DateTime<Utc>, &'static str> {
        let zone: BusinessCalendar = zone.parse().unwrap();
        timestamp(s.as_bytes(), &zone).map(Ts::to_datetime)
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn timestamps_follow_the_grammar() {
        let ok = [
            ("2026-11-15T10:00:00+07:00", "2026-11-15T03:00:00Z"),
            ("2026-11-15T03:00:00Z", "2026-11-15T03:00:00Z"),
            ("2026-11-15t03:00:00z", "2026-11-15T03:00:00Z"),
            ("2024-11-21T14:03:25+00:00", "2024-11-21T14:03:25Z"),
            ("2024-12-10T12:23:16+09:00", "2024-12-10T03:23:16Z"),
            ("2026-01-01T00:30:00-05:30", "2026-01-01T06:00:00Z"),
            ("2026-11-15T03:00:00.5Z", "2026-11-15T03:00:00.5Z"),
            (
                "2026-11-15T03:00:00.123456789Z",
                "2026-11-15T03:00:00.123456789Z",
            ),
            (
                "2026-11-15T03:00:00.1234567891Z",
                "2026-11-15T03:00:00.123456789Z",
            ),
            ("2028-02-29T00:00:00+07:00", "2028-02-28T17:00:00Z"),
            ("2026-11-15T03:00:00-00:00", "2026-11-15T03:00:00Z"),
        ];
        for (text, want) in ok {
            assert_eq!(ts(text).unwrap(), utc(want), "{text}");
        }
        // The extremes of four-digit years are real dates.
        assert_eq!(
            ts("0000-01-01T00:00:00Z").unwrap().to_string(),
            "0000-01-01 00:00:00 UTC"
        );
        assert_eq!(
            ts("9999-12-31T23:59:59Z").unwrap().to_string(),
            "9999-12-31 23:59:59 UTC"
        );
        let bad = [
            "2026-11-15",           // a date
            "2026-11-15T24:00:00Z", // 24:00
            "2026-11-15T23:59:60Z", // leap second
            "2026-02-29T00:00:00Z", // not a leap year
            "2026-13-01T00:00:00Z",
            "2026-11-15T10:00:00+0700", // offset without colon
            "2026-11-15T10:00:00+24:00",
            "2026-11-15T10:00:00.Z", // empty fraction
            "2026-11-15T10:00Z",     // no seconds with an offset
            "2026-11-15T10:00+07:00",
            "2026-11-15 10:00:00+07:00", // a space with an offset
            "2026-11-15 10:00:00Z",
            "2026-11-15T10:00:00Z ", // trailing space
            " 2026-11-15T10:00:00Z",
            "26-11-15T10:00:00Z",
            "+2026-11-15T10:00:00Z",
            "2026-11-15T10:00:00UTC",
        ];
        for text in bad {
            assert!(ts(text).is_err(), "{text:?} should be a parse_error");
        }
    }

    /// Local times without an offset, read in the business time zone. Every expected
    /// instant is worked by hand from the zone's offset.
    #[test]
    fn local_timestamps_in_the_business_time_zone() {
        let ok = [
            // +07:00 (the default): 10:00 local is 10 - 7 = 03:00 UTC.
            ("+07:00", "2026-11-15T10:00:00", "2026-11-15T03:00:00Z"),
            ("+07:00", "2026-11-15 10:00:00", "2026-11-15T03:00:00Z"), // a space
            ("+07:00", "2026-11-15t10:00:00", "2026-11-15T03:00:00Z"), // t
            ("+07:00", "2026-11-15 10:00", "2026-11-15T03:00:00Z"),    // no seconds
            ("+07:00", "2026-11-15T10:00", "2026-11-15T03:00:00Z"),
            (
                "+07:00",
                "2026-11-15 10:00:30.25",
                "2026-11-15T03:00:30.25Z",
            ),
            // 00:30 local at +07:00 is 17:30 UTC the day before.
            ("+07:00", "2026-11-01 00:30", "2026-10-31T17:30:00Z"),
            // A fixed negative offset: 10:00 at -05:30 is 10:00 + 5:30 = 15:30 UTC.
            ("-05:30", "2026-01-01 10:00", "2026-01-01T15:30:00Z"),
            // Berlin winter (+01:00): 10:00 is 09:00 UTC; summer (+02:00): 08:00 UTC.
            ("Europe/Berlin", "2026-01-15 10:00", "2026-01-15T09:00:00Z"),
            ("Europe/Berlin", "2026-07-15 10:00", "2026-07-15T08:00:00Z"),
            // DST gap: 2026-03-29 02:00 -> 03:00 (at 01:00 UTC). 02:30 does not exist;
            // the offset before the gap (+01:00) applies: 02:30 - 1 h = 01:30 UTC, which
            // reads 03:30 on the clock.
            ("Europe/Berlin", "2026-03-29 02:30", "2026-03-29T01:30:00Z"),
            // Just before and after the gap: 01:59 +01:00 = 00:59Z; 03:00 +02:00 = 01:00Z.
            ("Europe/Berlin", "2026-03-29 01:59", "2026-03-29T00:59:00Z"),
            ("Europe/Berlin", "2026-03-29 03:00", "2026-03-29T01:00:00Z"),
            // DST overlap: 2026-10-25 03:00 -> 02:00 (at 01:00 UTC). 02:30 happens at
            // +02:00 (00:30Z) and at +01:00 (01:30Z); the earlier instant wins.
            ("Europe/Berlin", "2026-10-25 02:30", "2026-10-25T00:30:00Z"),
            // Outside the overlap: 01:30 is +02:00 only (23:30Z the day before), 03:00
            // is +01:00 only (02:00Z).
            ("Europe/Berlin", "2026-10-25 01:30", "2026-10-24T23:30:00Z"),
            ("Europe/Berlin", "2026-10-25 03:00", "2026-10-25T02:00:00Z"),
            // An offset in the text wins over the zone: 10:00+07:00 is 03:00Z anywhere.
            (
                "Europe/Berlin",
                "2026-11-15T10:00:00+07:00",
                "2026-11-15T03:00:00Z",
            ),
        ];
        for (zone, text, want) in ok {
            assert_eq!(ts_in(zone, text).unwrap(), utc(want), "{zone} {text}");
        }
        let bad = [
            "2026-11-15 24:00", // 24:00 is still not a time
            "2026-11-15 24:00:00",
            "2026-11-15 23:59:60", // leap second
            "2026-02-30 10:00",    // no such date
            "2026-11-15  10:00",   // two spaces
            "2026-11-15 10:00.5",  // a fraction needs seconds
            "2026-11-15 10",       // no minutes
            "2026-11-15 1:00",
            "2026-11-15 10:00 ", // trailing blank
            " 2026-11-15 10:00", // leading blank: timestamps are not trimmed
            "2026-11-15_10:00",
            "15/11/2026 10:00",
        ];
        for text in bad {
            assert!(ts(text).is_err(), "{text:?} should be a parse_error");
        }
        assert_eq!(
            ts("2026-11-15 10:00.5"),
            Err("a fraction of a second needs the seconds (HH:MM:SS.fff)")
        );
    }

    proptest::proptest! {
        /// A local time without an offset in a fixed-offset zone is that wall time minus
        /// the offset, with seconds omitted or given, with `T` or a space; with an
        /// IANA zone, the instant read back in that zone shows the same wall time unless
        /// the wall time falls in a DST gap (then it moves forward by the gap).
        #[test]
        fn local_timestamps_round_trip(
            secs in -2_208_988_800i64..4_102_444_800, // 1900..2100
            offset_min in -840i32..=840,
            space in proptest::bool::ANY,
            berlin in proptest::bool::ANY,
        ) {
            use chrono::{Offset, TimeZone};
            let secs = secs - secs.rem_euclid(60); // whole minutes: seconds may be omitted
            let wall = DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
            let sep = if space { " " } else { "T" };
            let texts = [
                wall.format(&format!("%Y-%m-%d{sep}%H:%M")).to_string(),
                wall.format(&format!("%Y-%m-%d{sep}%H:%M:%S")).to_string(),
            ];
            if berlin {
                let zone: BusinessCalendar = "Europe/Berlin".parse().unwrap();
                for text in &texts {
                    let at = timestamp(text.as_bytes(), &zone).unwrap().to_datetime();
                    let back = at.with_timezone(&chrono_tz::Europe::Berlin).naive_local();
                    let gap = chrono_tz::Europe::Berlin.from_local_datetime(&wall).single().is_none()
                        && chrono_tz::Europe::Berlin.from_local_datetime(&wall).earliest().is_none();
                    if gap {
                        proptest::prop_assert!(back > wall);
                    } else {
                        proptest::prop_assert_eq!(back, wall);
                    }
                }
            } else {
                let offset = chrono::FixedOffset::east_opt(offset_min * 60).unwrap();
                let zone = BusinessCalendar::fixed(offset.fix());
                for text in &texts {
                    let at = timestamp(text.as_bytes(), &zone).unwrap();
                    proptest::prop_assert_eq!(at.secs, secs - i64::from(offset_min) * 60);
                }
            }
        }

        /// Booleans match in any ASCII case with spaces or tabs around them.
        #[test]
        fn booleans_fold_case_and_blanks(
            word in proptest::sample::select(vec!["true", "false", "1", "0"]),
            upper in proptest::collection::vec(proptest::bool::ANY, 5),
            before in "[ \t]{0,3}",
            after in "[ \t]{0,3}",
        ) {
            let cased: String = word
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c })
                .collect();
            let text = format!("{before}{cased}{after}");
            proptest::prop_assert_eq!(
                boolean(text.as_bytes()),
                Ok(word == "true" || word == "1")
            );
        }
    }

    /// Numbers as spreadsheets format them are rejected with a detail saying why.
    #[test]
    fn formatted_numbers_say_only_plain_digits_are_read() {
        for text in [
            "1,250,000",
            "1.250.000",
            "1250000₫",
            "₫1250000",
            "$5",
            "1 250 000",
        ] {
            let err = decimal(text.as_bytes()).unwrap_err();
            assert!(err.contains("only digits with an optional '-'"), "{text}");
            assert!(
                err.contains("no thousands separators or currency signs"),
                "{text}"
            );
        }
    }

    #[test]
    fn dates() {
        assert_eq!(
            date(b"1965-02-03"),
            Ok(NaiveDate::from_ymd_opt(1965, 2, 3).unwrap())
        );
        assert_eq!(
            date(b"2028-02-29"),
            Ok(NaiveDate::from_ymd_opt(2028, 2, 29).unwrap())
        );
        for bad in [
            "2026-02-29",
            "2026-1-01",
            "2026-01-01T00:00:00Z",
            "01/02/2026",
            "",
        ] {
            assert!(date(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
