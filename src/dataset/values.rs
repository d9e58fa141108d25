//! The value grammar of SPEC §9.9, parsed from raw bytes without allocating.
//!
//! These are stricter than `rust_decimal`'s and chrono's own parsers on purpose: those
//! accept `1_000`, `+5`, `.5`, `1e5`, leap seconds, or round a decimal with more than 28
//! fractional digits, and SPEC makes every one of those a `parse_error`. Each function
//! returns a short description of the problem, which becomes the rejection's detail.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::{DAY, Ts, epoch_day};

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
        return Err("not a plain decimal (expected digits with an optional '-' and '.')");
    }
    // Trailing zeros after the point carry no value (judged by value, SPEC §9.9).
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
        return Err("not an integer (expected digits with an optional '-')");
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

/// A boolean: exactly `true`, `false`, `1` or `0`.
pub(crate) fn boolean(text: &[u8]) -> Result<bool, &'static str> {
    match text {
        b"true" | b"1" => Ok(true),
        b"false" | b"0" => Ok(false),
        _ => Err("not a boolean (expected true, false, 1 or 0)"),
    }
}

fn digits<const N: usize>(text: &[u8]) -> Option<u32> {
    let bytes = text.get(..N)?;
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// `YYYY-MM-DD`, a real calendar date.
fn date_prefix(text: &[u8]) -> Result<NaiveDate, &'static str> {
    const BAD: &str = "not a date (expected YYYY-MM-DD)";
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

/// An RFC 3339 timestamp with a mandatory offset: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`.
/// `T` may be `t` or a space and `Z` may be `z`, as RFC 3339 allows. Hours 00-23,
/// seconds 00-59 (a leap second `60` is rejected), a real calendar date. Digits of the
/// fraction beyond nanoseconds are dropped, as chrono does.
pub(crate) fn timestamp(text: &[u8]) -> Result<Ts, &'static str> {
    const BAD: &str = "not an RFC 3339 timestamp with offset (expected YYYY-MM-DDTHH:MM:SS+07:00)";
    // 19 bytes reach the seconds; a text that ends there lacks only its offset.
    if text.len() < 19 {
        return Err(BAD);
    }
    let date = date_prefix(text)?;
    if !matches!(text[10], b'T' | b't' | b' ') || text[13] != b':' || text[16] != b':' {
        return Err(BAD);
    }
    let hour = digits::<2>(&text[11..]).ok_or(BAD)?;
    let minute = digits::<2>(&text[14..]).ok_or(BAD)?;
    let second = digits::<2>(&text[17..]).ok_or(BAD)?;
    if hour > 23 || minute > 59 {
        return Err("time of day out of range (hours 00-23, minutes 00-59; 24:00 is not allowed)");
    }
    if second > 59 {
        return Err("second out of range (a leap second is not allowed)");
    }
    let mut rest = &text[19..];
    let mut nanos: u32 = 0;
    if let Some((b'.', fraction)) = rest.split_first() {
        let len = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 {
            return Err(BAD);
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
    let offset: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits::<2>(&[*h1, *h2]).ok_or(BAD)?;
            let minutes = digits::<2>(&[*m1, *m2]).ok_or(BAD)?;
            if hours > 23 || minutes > 59 {
                return Err("offset out of range");
            }
            let secs = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        [] => return Err("timestamp without an offset (add Z or +hh:mm)"),
        _ => return Err(BAD),
    };
    let local = epoch_day(date) * DAY + i64::from(hour * 3600 + minute * 60 + second);
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
        for bad in ["yes", "True", "TRUE", " true", "2", ""] {
            assert!(boolean(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    fn ts(s: &str) -> Result<DateTime<Utc>, &'static str> {
        timestamp(s.as_bytes()).map(Ts::to_datetime)
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
            ("2026-11-15 03:00:00Z", "2026-11-15T03:00:00Z"),
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
        assert_eq!(
            ts("2026-11-15T10:00:00"),
            Err("timestamp without an offset (add Z or +hh:mm)")
        );
        let bad = [
            "2026-11-15T10:00:00",  // no offset
            "2026-11-15",           // a date
            "2026-11-15T24:00:00Z", // 24:00
            "2026-11-15T23:59:60Z", // leap second
            "2026-02-29T00:00:00Z", // not a leap year
            "2026-13-01T00:00:00Z",
            "2026-11-15T10:00:00+0700", // offset without colon
            "2026-11-15T10:00:00+24:00",
            "2026-11-15T10:00:00.Z", // empty fraction
            "2026-11-15T10:00Z",     // no seconds
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
