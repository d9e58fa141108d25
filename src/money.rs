//! Exact money arithmetic: checked sums ([`DecimalSum`], [`checked_sum`]), ratios that
//! are `None` when undefined ([`ratio`]), and period comparisons ([`Comparison`]). docs/metrics.md#conventions.
//!
//! Money is [`rust_decimal::Decimal`] everywhere; nothing here uses floats.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// 2^96, one more than the largest mantissa a `Decimal` can hold.
const MANTISSA_LIMIT: i128 = 1 << 96;

/// An exact, mergeable running sum of decimals.
///
/// Adding is an `i128` addition at a common scale (the finest scale seen so far), so a
/// sum over millions of amounts costs about as much as summing integers, and two partial
/// sums [`merge`](DecimalSum::merge) into exactly the sum of all their amounts, in any
/// order and any split. [`finish`](DecimalSum::finish) gives the `Decimal`.
///
/// # Edge cases
/// * An empty sum is `0`.
/// * Amounts of different scales add exactly: `0.1 + 0.25 = 0.35`.
/// * Overflow is sticky: once an intermediate value leaves the `i128` range the sum
///   reports [`Error::Overflow`] at `finish`, never a wrapped or rounded value.
///
/// # Errors
/// [`finish`](DecimalSum::finish) fails with [`Error::Overflow`] when the exact sum is
/// not representable as a `Decimal` (beyond about ±7.9e28, or needing more than 28
/// fractional digits), or when addends so far apart in magnitude were mixed that their
/// sum at the finest scale left the `i128` range (more than 38 significant digits).
///
/// # Example
/// ```
/// use crm_metrics::money::DecimalSum;
/// use rust_decimal::Decimal;
///
/// let mut left = DecimalSum::new();
/// left.add(Decimal::new(125_000, 0));
/// let mut right = DecimalSum::new();
/// right.add(Decimal::new(995, 1)); // 99.5
/// left.merge(&right);
/// assert_eq!(left.finish("total")?, Decimal::new(1_250_995, 1)); // 125099.5
///
/// let mut huge = DecimalSum::new();
/// huge.add(Decimal::MAX);
/// huge.add(Decimal::MAX);
/// assert!(huge.finish("total").is_err());
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct DecimalSum {
    mantissa: i128,
    scale: u32,
    overflow: bool,
}

impl DecimalSum {
    /// An empty sum (value 0).
    pub const fn new() -> DecimalSum {
        DecimalSum {
            mantissa: 0,
            scale: 0,
            overflow: false,
        }
    }

    /// Adds one amount.
    #[inline]
    pub fn add(&mut self, value: Decimal) {
        let (mantissa, scale) = parts_of(value);
        self.add_parts(mantissa, scale);
    }

    #[inline]
    fn add_parts(&mut self, mantissa: i128, scale: u32) {
        if scale == self.scale {
            match self.mantissa.checked_add(mantissa) {
                Some(m) => self.mantissa = m,
                None => self.overflow = true,
            }
        } else {
            self.add_rescaled(mantissa, scale);
        }
    }

    /// [`add`](DecimalSum::add), faster when the amounts' scales differ from the sum's
    /// and their mantissas fit in 64 bits (money amounts do): the amount is rescaled by
    /// one 64 x 64-bit multiplication, which cannot overflow, instead of a checked
    /// 128-bit one. Same result as `add`. For the report's lifecycle, cohorts and RFM
    /// sums, which add one amount per purchaser and month.
    #[inline]
    pub(crate) fn add_small(&mut self, value: Decimal) {
        let (mantissa, scale) = parts_of(value);
        self.add_parts_small(mantissa, scale);
    }

    /// Adds the amount `mantissa / 10^scale` (`scale` at most 28), as
    /// [`add`](DecimalSum::add) adds the decimal of those parts.
    #[inline]
    pub(crate) fn add_mantissa(&mut self, mantissa: i128, scale: u32) {
        self.add_parts_small(mantissa, scale);
    }

    /// [`merge`](DecimalSum::merge) by the path of [`add_small`](DecimalSum::add_small).
    #[inline]
    pub(crate) fn merge_small(&mut self, other: &DecimalSum) {
        self.overflow |= other.overflow;
        self.add_parts_small(other.mantissa, other.scale);
    }

    #[inline]
    fn add_parts_small(&mut self, mantissa: i128, scale: u32) {
        if scale == self.scale {
            match self.mantissa.checked_add(mantissa) {
                Some(m) => self.mantissa = m,
                None => self.overflow = true,
            }
        } else if scale < self.scale
            && let (Ok(small), Some(&factor)) = (
                i64::try_from(mantissa),
                POW10_64.get((self.scale - scale) as usize),
            )
        {
            // OK because |small| < 2^63 and factor <= 10^18 < 2^60: no overflow.
            match self
                .mantissa
                .checked_add(i128::from(small) * i128::from(factor))
            {
                Some(m) => self.mantissa = m,
                None => self.overflow = true,
            }
        } else if scale > self.scale && self.mantissa == 0 {
            // An empty (or zero) sum takes the amount's finer scale as it is.
            self.mantissa = mantissa;
            self.scale = scale;
        } else {
            self.add_rescaled(mantissa, scale);
        }
    }

    /// Adds an amount of another scale: rescales it, or the running sum, to the finer
    /// of the two scales.
    fn add_rescaled(&mut self, mantissa: i128, scale: u32) {
        let sum = if scale < self.scale {
            pow10(self.scale - scale)
                .and_then(|f| mantissa.checked_mul(f))
                .and_then(|m| self.mantissa.checked_add(m))
        } else {
            let rescaled = pow10(scale - self.scale).and_then(|f| self.mantissa.checked_mul(f));
            self.scale = scale;
            rescaled.and_then(|acc| acc.checked_add(mantissa))
        };
        match sum {
            Some(m) => self.mantissa = m,
            None => self.overflow = true,
        }
    }

    /// Adds another partial sum, as if its amounts had been added to this one.
    #[inline]
    pub fn merge(&mut self, other: &DecimalSum) {
        self.overflow |= other.overflow;
        self.add_parts(other.mantissa, other.scale);
    }

    /// The exact sum as `(mantissa, scale)` (value `mantissa / 10^scale`), `None` after
    /// an overflow: for comparing sums without building a `Decimal`.
    #[inline]
    pub(crate) fn parts(&self) -> Option<(i128, u32)> {
        (!self.overflow).then_some((self.mantissa, self.scale))
    }

    /// The exact sum.
    ///
    /// # Errors
    /// [`Error::Overflow`] naming `what` when the sum is not exactly representable (see
    /// the type's docs).
    pub fn finish(&self, what: &'static str) -> Result<Decimal> {
        if self.overflow {
            return Err(Error::overflow(what));
        }
        let (mut mantissa, mut scale) = (self.mantissa, self.scale);
        // Trailing fractional zeros carry no value (docs/input-format.md#values judges decimals by value);
        // drop them only when needed to fit the 96-bit mantissa.
        while mantissa.unsigned_abs() >= MANTISSA_LIMIT as u128 && scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| Error::overflow(what))
    }
}

impl FromIterator<Decimal> for DecimalSum {
    fn from_iter<I: IntoIterator<Item = Decimal>>(iter: I) -> DecimalSum {
        let mut sum = DecimalSum::new();
        for value in iter {
            sum.add(value);
        }
        sum
    }
}

/// `10^k` for `k` in `0..=38`, every power of ten an `i128` holds (a `Decimal`'s
/// scales are 0..=28; exact comparisons of rescaled mantissas reach further).
pub(crate) const POW10_128: [i128; 39] = {
    let mut table = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// `10^k` for `k` in 0..=18, the powers of ten that fit in an `i64` (the first 19 of
/// [`POW10_128`], for 64-bit arithmetic on hot paths).
pub(crate) const POW10_64: [i64; 19] = {
    let mut table = [1i64; 19];
    let mut i = 0;
    while i < 19 {
        table[i] = POW10_128[i] as i64;
        i += 1;
    }
    table
};

/// A decimal's `(mantissa, scale)`, read from its raw layout: flags (scale in bits
/// 16..24, sign in bit 31), then the 96-bit mantissa as three little-endian words,
/// which is cheaper than `mantissa()` + `scale()` on a hot path.
#[inline]
fn parts_of(value: Decimal) -> (i128, u32) {
    let b = value.serialize();
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let flags = word(0);
    let magnitude = i128::from(word(4)) | i128::from(word(8)) << 32 | i128::from(word(12)) << 64;
    let mantissa = if flags & 0x8000_0000 != 0 {
        -magnitude
    } else {
        magnitude
    };
    (mantissa, (flags >> 16) & 0xFF)
}

/// `10^exp` from [`POW10_128`]; `None` past `10^38`.
#[inline]
fn pow10(exp: u32) -> Option<i128> {
    POW10_128.get(exp as usize).copied()
}

/// The exact sum of `values`, named `what` in the error.
///
/// # Errors
/// [`Error::Overflow`] when the sum does not fit in a `Decimal` (see [`DecimalSum`]).
///
/// # Example
/// ```
/// use crm_metrics::money::checked_sum;
/// use rust_decimal::Decimal;
///
/// let total = checked_sum("spend", [Decimal::new(15, 1), Decimal::new(25, 1)])?;
/// assert_eq!(total, Decimal::new(4, 0));
/// assert!(checked_sum("spend", [Decimal::MAX, Decimal::ONE]).is_err());
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn checked_sum<I: IntoIterator<Item = Decimal>>(
    what: &'static str,
    values: I,
) -> Result<Decimal> {
    values.into_iter().collect::<DecimalSum>().finish(what)
}

/// A ratio `numerator / denominator`, `None` when the denominator is zero. docs/metrics.md#conventions.
///
/// The quotient is `rust_decimal`'s exact division, rounded half-to-even to at most 28
/// fractional digits: `1 / 3 = 0.3333333333333333333333333333`. Rounding for display is
/// the caller's business.
///
/// # Edge cases
/// * `denominator == 0` gives `Ok(None)` (JSON `null`), never a division panic and
///   never `0`.
/// * `numerator == 0` with a non-zero denominator gives `Some(0)`.
///
/// # Errors
/// [`Error::Overflow`] naming `what` when the quotient exceeds `Decimal`'s range
/// (a huge numerator over a tiny denominator).
///
/// # Example
/// ```
/// use crm_metrics::money::ratio;
/// use rust_decimal::Decimal;
///
/// assert_eq!(ratio("rate", Decimal::ONE, Decimal::from(4))?, Some(Decimal::new(25, 2)));
/// assert_eq!(ratio("rate", Decimal::ONE, Decimal::ZERO)?, None);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn ratio(
    what: &'static str,
    numerator: Decimal,
    denominator: Decimal,
) -> Result<Option<Decimal>> {
    if denominator.is_zero() {
        return Ok(None);
    }
    numerator
        .checked_div(denominator)
        .map(Some)
        .ok_or_else(|| Error::overflow(what))
}

/// The mean spend of a purchaser's purchase days after the first (the RFM summary's
/// `monetary_value`): `later / frequency`, given `later`, the summed totals of those
/// days, and `frequency`, their number. That sum itself for one day (no division); `0`
/// for none.
///
/// # Errors
/// [`Error::Overflow`] when `later` does not fit in a decimal.
#[inline]
pub(crate) fn mean_of_later_days(later: &DecimalSum, frequency: u64) -> Result<Decimal> {
    const WHAT: &str = "rfm.monetary_value";
    match frequency {
        0 => Ok(Decimal::ZERO),
        1 => later.finish(WHAT),
        _ => Ok(
            ratio(WHAT, later.finish(WHAT)?, Decimal::from(frequency))?.unwrap_or(Decimal::ZERO)
        ),
    }
}

/// [`ratio`] of two counts: `numerator / denominator`, `None` when `denominator == 0`.
///
/// Never fails: two `u64` values always divide within `Decimal`'s range.
///
/// # Example
/// ```
/// use crm_metrics::money::count_ratio;
/// use rust_decimal::Decimal;
///
/// assert_eq!(count_ratio(1, 3), Some(Decimal::ONE / Decimal::from(3)));
/// assert_eq!(count_ratio(5, 0), None);
/// ```
pub fn count_ratio(numerator: u64, denominator: u64) -> Option<Decimal> {
    if denominator == 0 {
        return None;
    }
    // OK because |u64 / u64| <= u64::MAX < Decimal::MAX: the division cannot overflow.
    Decimal::from(numerator).checked_div(Decimal::from(denominator))
}

/// A value in a period against its comparison range (the previous period unless the
/// report's comparison mode chose another; docs/metrics.md#comparisons), written
/// `{current, previous, delta}` in JSON: `delta = (current - previous) / |previous|`.
///
/// Named `Comparison` (it was `Cmp`, which read like `std::cmp`).
///
/// `delta` is a fraction (`0.25` is +25 %) and is `None` when `previous` is zero, or when
/// either value is itself an undefined ratio (docs/metrics.md#comparisons). Dividing by `|previous|` keeps
/// the sign meaningful for negative values: ROI `-0.5 → 2.75` has delta `6.5`, a rise.
///
/// `T` is `u64` for counts, `Decimal` for money and `Option<Decimal>` for ratios; money
/// and ratios serialize as decimal strings (`rust_decimal`'s default serde form, pinned
/// by a test).
///
/// # Example
/// ```
/// use crm_metrics::money::Comparison;
/// use rust_decimal::Decimal;
///
/// let c = Comparison::counts(15, 12);
/// assert_eq!(c.delta, Some(Decimal::new(25, 2))); // +25 %
/// assert_eq!(Comparison::counts(3, 0).delta, None);
///
/// let roi = Comparison::ratios("roi", Some(Decimal::new(275, 2)), Some(Decimal::new(-5, 1)))?;
/// assert_eq!(roi.delta, Some(Decimal::new(65, 1))); // (2.75 - -0.5) / 0.5
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison<T> {
    /// The value in the period.
    pub current: T,
    /// The value in the previous period.
    pub previous: T,
    /// `(current - previous) / |previous|`; `None` when undefined.
    pub delta: Option<Decimal>,
}

impl Comparison<u64> {
    /// Compares two counts. Never fails: counts subtract and divide within `Decimal`.
    pub fn counts(current: u64, previous: u64) -> Comparison<u64> {
        // OK because two u64 values subtract and divide well inside Decimal's range.
        let delta = delta(Decimal::from(current), Decimal::from(previous)).unwrap_or(None);
        Comparison {
            current,
            previous,
            delta,
        }
    }
}

impl Comparison<Decimal> {
    /// Compares two amounts.
    ///
    /// # Errors
    /// [`Error::Overflow`] naming `what` when `current - previous` or the division does
    /// not fit in a `Decimal`.
    pub fn amounts(
        what: &'static str,
        current: Decimal,
        previous: Decimal,
    ) -> Result<Comparison<Decimal>> {
        Ok(Comparison {
            current,
            previous,
            delta: delta(current, previous).map_err(|()| Error::overflow(what))?,
        })
    }
}

impl Comparison<Option<Decimal>> {
    /// Compares two ratios; `delta` is `None` when either is `None` (docs/metrics.md#comparisons).
    ///
    /// # Errors
    /// [`Error::Overflow`] naming `what` when the difference or quotient overflows.
    pub fn ratios(
        what: &'static str,
        current: Option<Decimal>,
        previous: Option<Decimal>,
    ) -> Result<Comparison<Option<Decimal>>> {
        let delta = match (current, previous) {
            (Some(c), Some(p)) => delta(c, p).map_err(|()| Error::overflow(what))?,
            _ => None,
        };
        Ok(Comparison {
            current,
            previous,
            delta,
        })
    }
}

/// `(current - previous) / |previous|`, `None` when `previous == 0`; `Err` on overflow.
fn delta(current: Decimal, previous: Decimal) -> std::result::Result<Option<Decimal>, ()> {
    if previous.is_zero() {
        return Ok(None);
    }
    let diff = current.checked_sub(previous).ok_or(())?;
    diff.checked_div(previous.abs()).map(Some).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn sum_mixes_scales_exactly() {
        // 0.1 + 0.25 + 3 = 3.35
        let s: DecimalSum = [d("0.1"), d("0.25"), d("3")].into_iter().collect();
        assert_eq!(s.finish("t").unwrap(), d("3.35"));
        assert_eq!(DecimalSum::new().finish("t").unwrap(), Decimal::ZERO);
    }

    /// `add_small` and `merge_small` give what `add` and `merge` give, value, scale and
    /// overflow alike, whatever the scales and sizes mixed.
    #[test]
    fn small_adds_equal_plain_adds() {
        let values = [
            "0",
            "0.00",
            "1",
            "-2.5",
            "125000",
            "99.50",
            "0.0000000000000000000000000001",
            "-0.000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "9223372036854775807",
            "9223372036854775808",
            "12345678901234567890.12",
            "1.000000000000000000",
            "-3.14159",
            "0.0",
        ]
        .map(d);
        for a in values {
            for b in values {
                for c in values {
                    let (mut plain, mut small) = (DecimalSum::new(), DecimalSum::new());
                    for v in [a, b, c] {
                        plain.add(v);
                        small.add_small(v);
                    }
                    assert_eq!(plain, small, "{a} {b} {c}");
                    let (mut x, mut y) = (DecimalSum::new(), DecimalSum::new());
                    x.add(c);
                    y.add(c);
                    x.merge(&plain);
                    y.merge_small(&small);
                    assert_eq!(x, y, "{a} {b} {c}");
                    assert_eq!(
                        x.finish("t").ok().map(|v| (v, v.scale())),
                        y.finish("t").ok().map(|v| (v, v.scale()))
                    );
                }
            }
        }
    }

    #[test]
    fn sum_overflow_is_an_error_not_a_wrap() {
        let s: DecimalSum = [Decimal::MAX, Decimal::ONE].into_iter().collect();
        assert!(matches!(s.finish("x"), Err(Error::Overflow { what: "x" })));
        // Back in range after a negative amount: still exact.
        let s: DecimalSum = [Decimal::MAX, Decimal::ONE, -Decimal::ONE]
            .into_iter()
            .collect();
        assert_eq!(s.finish("x").unwrap(), Decimal::MAX);
    }

    #[test]
    fn sum_drops_trailing_zeros_only_to_fit() {
        // 7.9e28 at scale 1 needs a 97-bit mantissa; its value is an integer so it fits.
        let big = Decimal::MAX; // 79228162514264337593543950335
        let mut s = DecimalSum::new();
        s.add(big - Decimal::ONE);
        s.add(d("0.5"));
        s.add(d("0.5"));
        assert_eq!(s.finish("x").unwrap(), big);
        // ...but a value needing 29 significant digits with a fraction does not fit.
        let mut s = DecimalSum::new();
        s.add(big - Decimal::ONE);
        s.add(d("0.5"));
        assert!(s.finish("x").is_err());
    }

    #[test]
    fn ratio_cases() {
        // 1/3 rounded half-to-even at 28 digits (docs/metrics.md#money-and-ratios)
        assert_eq!(
            ratio("r", Decimal::ONE, d("3"))
                .unwrap()
                .unwrap()
                .to_string(),
            "0.3333333333333333333333333333"
        );
        assert_eq!(ratio("r", d("5"), Decimal::ZERO).unwrap(), None);
        assert_eq!(
            ratio("r", Decimal::ZERO, d("5")).unwrap(),
            Some(Decimal::ZERO)
        );
        assert!(ratio("r", Decimal::MAX, d("0.1")).is_err());
        assert_eq!(count_ratio(2, 8), Some(d("0.25")));
        assert_eq!(count_ratio(2, 0), None);
    }

    #[test]
    fn cmp_cases() {
        // delta with previous = 0 is null
        assert_eq!(Comparison::counts(5, 0).delta, None);
        assert_eq!(Comparison::counts(0, 0).delta, None);
        // 4 -> 1: (1 - 4) / 4 = -0.75
        assert_eq!(Comparison::counts(1, 4).delta, Some(d("-0.75")));
        // negative previous: ROI -0.5 -> 2.75 is (2.75 + 0.5) / 0.5 = 6.5
        let c = Comparison::ratios("roi", Some(d("2.75")), Some(d("-0.5"))).unwrap();
        assert_eq!(c.delta, Some(d("6.5")));
        // a null ratio on either side gives a null delta (docs/metrics.md#comparisons)
        assert_eq!(
            Comparison::ratios("roi", None, Some(d("1"))).unwrap().delta,
            None
        );
        assert_eq!(
            Comparison::ratios("roi", Some(d("1")), None).unwrap().delta,
            None
        );
        // 75000 -> 76900: 1900 / 75000 = 0.02533...
        let c = Comparison::amounts("rev", d("76900"), d("75000")).unwrap();
        assert_eq!(c.delta, Some(d("1900") / d("75000")));
        assert!(Comparison::amounts("rev", Decimal::MAX, d("-1")).is_err());
    }

    #[test]
    fn money_serializes_as_strings() {
        // Pin the JSON form: a `serde-float` feature anywhere in the build would flip it.
        let c = Comparison::amounts("x", d("1250000"), d("1000000.5")).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(
            json.starts_with(r#"{"current":"1250000","previous":"1000000.5","delta":""#),
            "{json}"
        );
        let c = Comparison::counts(3, 0);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"current":3,"previous":0,"delta":null}"#
        );
    }

    #[test]
    fn raw_layout_matches_mantissa_and_scale() {
        for text in [
            "0",
            "-0",
            "1",
            "-1",
            "123.456",
            "-0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
        ] {
            let value = d(text);
            let mut sum = DecimalSum::new();
            sum.add(value);
            assert_eq!(
                (sum.mantissa, sum.scale),
                (value.mantissa(), value.scale()),
                "{text}"
            );
        }
    }

    proptest! {
        #[test]
        fn sum_equals_sequential_checked_add(values in proptest::collection::vec(
            (any::<i64>(), 0u32..6).prop_map(|(m, s)| Decimal::new(m, s)), 0..50)) {
            let mut expected = Some(Decimal::ZERO);
            for v in &values {
                expected = expected.and_then(|e| e.checked_add(*v));
            }
            let sum: DecimalSum = values.iter().copied().collect();
            // i64 mantissas at scale <= 5 never round in rust_decimal, so both are exact.
            prop_assert_eq!(sum.finish("s").ok(), expected);
        }

        #[test]
        fn any_split_merges_to_the_whole(
            values in proptest::collection::vec(
                // |mantissa| <= 1e8 at scale <= 28: 40 of them stay inside i128 at any scale.
                (-100_000_000i64..=100_000_000, 0u32..29).prop_map(|(m, s)| Decimal::new(m, s)), 0..40),
            cut in 0usize..40) {
            let cut = cut.min(values.len());
            let whole: DecimalSum = values.iter().copied().collect();
            let mut left: DecimalSum = values[..cut].iter().copied().collect();
            let right: DecimalSum = values[cut..].iter().copied().collect();
            left.merge(&right);
            prop_assert_eq!(left.finish("s").ok(), whole.finish("s").ok());
        }
    }
}
