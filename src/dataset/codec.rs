//! The snapshot codec's building blocks (see `snapshot.rs` for the format): the
//! [`Fixed`] and [`Codec`] traits, the record macros, and their impls for scalars,
//! instants, decimals, dates and the model's enums. A leaf of `dataset`: it imports no
//! other dataset module, so that the modules owning private row types implement the
//! traits next to those types without an import circle.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::calendar::Ts;
use crate::error::{Origin, Reason, Table};
use crate::model::{Channel, Direction, Gender, InteractionKind, OrderStatus, Source};

/// The problem found in one part of a snapshot, before the path is known.
pub(crate) type Bad = &'static str;

pub(crate) const SHORT: Bad = "a length runs past the end of its section";
pub(crate) const BAD_VALUE: Bad =
    "a value is out of range (an enum, bool, decimal, instant or date)";

/// The checksum described in the module docs.
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    const P: u64 = 0x9E37_79B9_7F4A_7C15;
    const Q: u64 = 0xC2B2_AE3D_27D4_EB4F;
    #[inline(always)]
    fn step(lane: u64, word: u64) -> u64 {
        (lane ^ word).wrapping_mul(P).rotate_left(29)
    }
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(w)
    };
    let mut lanes = [Q, Q.rotate_left(16), Q.rotate_left(32), Q.rotate_left(48)];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = step(*lane, word(&block[i * 8..i * 8 + 8]));
        }
    }
    let mut tail = [0u8; 32];
    let rest = blocks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    for (i, lane) in lanes.iter_mut().enumerate() {
        *lane = step(*lane, word(&tail[i * 8..i * 8 + 8]));
    }
    let mut h = (bytes.len() as u64).wrapping_mul(Q);
    for lane in lanes {
        h = step(h, lane);
    }
    h ^ (h >> 32)
}

/// A value with a fixed encoded size: rows of a table are arrays of these.
pub(crate) trait Fixed: Sized {
    /// Encoded bytes.
    const SIZE: usize;
    /// Appends exactly `SIZE` bytes.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads from exactly `SIZE` bytes; `None` for an invalid value.
    fn get(bytes: &[u8]) -> Option<Self>;
}

/// A value with a variable encoded size.
pub(crate) trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(input: &mut Input<'_>) -> std::result::Result<Self, Bad>;
}

/// The unread rest of a section.
pub(crate) struct Input<'a> {
    pub(crate) bytes: &'a [u8],
}

impl<'a> Input<'a> {
    pub(crate) fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], Bad> {
        let (head, rest) = self.bytes.split_at_checked(n).ok_or(SHORT)?;
        self.bytes = rest;
        Ok(head)
    }

    /// A count of items of at least `item_bytes` bytes each, checked against the bytes
    /// left before anything is allocated.
    pub(crate) fn count(&mut self, item_bytes: usize) -> std::result::Result<usize, Bad> {
        let n = usize::try_from(u64::decode(self)?).map_err(|_| SHORT)?;
        match n.checked_mul(item_bytes.max(1)) {
            Some(bytes) if bytes <= self.bytes.len() => Ok(n),
            _ => Err(SHORT),
        }
    }
}

impl<T: Fixed> Codec for T {
    fn encode(&self, out: &mut Vec<u8>) {
        self.put(out);
    }
    fn decode(input: &mut Input<'_>) -> std::result::Result<T, Bad> {
        T::get(input.take(T::SIZE)?).ok_or(BAD_VALUE)
    }
}

/// A table: its length, then its rows as fixed-size records.
impl<T: Fixed> Codec for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.len() as u64).put(out);
        out.reserve(self.len() * T::SIZE);
        for row in self {
            row.put(out);
        }
    }
    fn decode(input: &mut Input<'_>) -> std::result::Result<Vec<T>, Bad> {
        let n = input.count(T::SIZE)?;
        let bytes = input.take(n * T::SIZE)?;
        let mut rows = Vec::with_capacity(n);
        if T::SIZE == 0 {
            return Err(BAD_VALUE);
        }
        for chunk in bytes.chunks_exact(T::SIZE) {
            rows.push(T::get(chunk).ok_or(BAD_VALUE)?);
        }
        Ok(rows)
    }
}

impl Codec for String {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.len() as u64).put(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn decode(input: &mut Input<'_>) -> std::result::Result<String, Bad> {
        let n = input.count(1)?;
        let bytes = input.take(n)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| "text is not UTF-8")
    }
}

impl Codec for Option<String> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.is_some().put(out);
        if let Some(text) = self {
            text.encode(out);
        }
    }
    fn decode(input: &mut Input<'_>) -> std::result::Result<Option<String>, Bad> {
        Ok(if bool::decode(input)? {
            Some(String::decode(input)?)
        } else {
            None
        })
    }
}

/// A table of variable-size rows: a count, then each row.
pub(crate) fn encode_rows<T: Codec>(rows: &[T], out: &mut Vec<u8>) {
    (rows.len() as u64).put(out);
    for row in rows {
        row.encode(out);
    }
}

/// Reads what [`encode_rows`] wrote.
pub(crate) fn decode_rows<T: Codec>(input: &mut Input<'_>) -> std::result::Result<Vec<T>, Bad> {
    // Every row takes at least one byte, so the count is bounded by the bytes left.
    let n = input.count(1)?;
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        rows.push(T::decode(input)?);
    }
    Ok(rows)
}

/// Tables of variable-size rows: a count, then each row.
macro_rules! codec_vec {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::dataset::codec::Codec for Vec<$ty> {
            fn encode(&self, out: &mut Vec<u8>) {
                $crate::dataset::codec::encode_rows(self, out);
            }
            fn decode(
                input: &mut $crate::dataset::codec::Input<'_>,
            ) -> std::result::Result<Vec<$ty>, &'static str> {
                $crate::dataset::codec::decode_rows(input)
            }
        }
    )*};
}
pub(crate) use codec_vec;

codec_vec!(String);

/// A struct of fixed-size fields as one fixed-size record: one line per field, and the
/// struct expression makes a forgotten field a compile error.
macro_rules! fixed_record {
    ($ty:ident { $($field:ident: $fty:ty),* $(,)? }) => {
        impl $crate::dataset::codec::Fixed for $ty {
            const SIZE: usize = 0 $(+ <$fty as $crate::dataset::codec::Fixed>::SIZE)*;
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                let $ty { $($field),* } = self;
                $( <$fty as $crate::dataset::codec::Fixed>::put($field, out); )*
            }
            #[inline]
            fn get(bytes: &[u8]) -> Option<$ty> {
                let mut at = 0usize;
                $(
                    let size = <$fty as $crate::dataset::codec::Fixed>::SIZE;
                    let $field = <$fty as $crate::dataset::codec::Fixed>::get(
                        bytes.get(at..at + size)?,
                    )?;
                    at += size;
                )*
                let _ = at;
                Some($ty { $($field),* })
            }
        }
    };
}
pub(crate) use fixed_record;

/// A struct of fields of any size, one after the other: one line per field.
macro_rules! codec_record {
    ($ty:ident { $($field:ident: $fty:ty),* $(,)? }) => {
        impl $crate::dataset::codec::Codec for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                let $ty { $($field),* } = self;
                $( <$fty as $crate::dataset::codec::Codec>::encode($field, out); )*
            }
            fn decode(
                input: &mut $crate::dataset::codec::Input<'_>,
            ) -> std::result::Result<$ty, &'static str> {
                $( let $field = <$fty as $crate::dataset::codec::Codec>::decode(input)?; )*
                Ok($ty { $($field),* })
            }
        }
    };
}
pub(crate) use codec_record;

macro_rules! fixed_int {
    ($($ty:ty),*) => {$(
        impl Fixed for $ty {
            const SIZE: usize = size_of::<$ty>();
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn get(bytes: &[u8]) -> Option<$ty> {
                Some(<$ty>::from_le_bytes(bytes.try_into().ok()?))
            }
        }
    )*};
}
fixed_int!(u8, u32, u64, i32, i64);

impl Fixed for bool {
    const SIZE: usize = 1;
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn get(bytes: &[u8]) -> Option<bool> {
        match bytes {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }
}

/// Fieldless enums as their position in `ALL`.
macro_rules! fixed_enum {
    ($($ty:ty),*) => {$(
        impl Fixed for $ty {
            const SIZE: usize = 1;
            fn put(&self, out: &mut Vec<u8>) {
                out.push(*self as u8);
            }
            fn get(bytes: &[u8]) -> Option<$ty> {
                <$ty>::ALL.get(usize::from(*bytes.first()?)).copied()
            }
        }
    )*};
}
fixed_enum!(
    Source,
    Gender,
    OrderStatus,
    Channel,
    InteractionKind,
    Direction,
    Table,
    Reason
);

impl Fixed for Origin {
    const SIZE: usize = 1;
    fn put(&self, out: &mut Vec<u8>) {
        out.push(match self {
            Origin::CsvLine => 0,
            Origin::PushedRow => 1,
        });
    }
    fn get(bytes: &[u8]) -> Option<Origin> {
        match bytes {
            [0] => Some(Origin::CsvLine),
            [1] => Some(Origin::PushedRow),
            _ => None,
        }
    }
}

/// `None` as a zero tag and zero bytes, `Some` as tag 1 and the value.
impl<T: Fixed> Fixed for Option<T> {
    const SIZE: usize = 1 + T::SIZE;
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => {
                out.push(1);
                value.put(out);
            }
            None => out.resize(out.len() + Self::SIZE, 0),
        }
    }
    fn get(bytes: &[u8]) -> Option<Option<T>> {
        match bytes.split_first()? {
            (0, rest) => rest.iter().all(|&b| b == 0).then_some(None),
            (1, rest) => T::get(rest).map(Some),
            _ => None,
        }
    }
}

impl<A: Fixed, B: Fixed> Fixed for (A, B) {
    const SIZE: usize = A::SIZE + B::SIZE;
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(bytes: &[u8]) -> Option<(A, B)> {
        let (a, b) = bytes.split_at_checked(A::SIZE)?;
        Some((A::get(a)?, B::get(b)?))
    }
}

impl<T: Fixed + Copy + Default, const N: usize> Fixed for [T; N] {
    const SIZE: usize = N * T::SIZE;
    fn put(&self, out: &mut Vec<u8>) {
        for item in self {
            item.put(out);
        }
    }
    fn get(bytes: &[u8]) -> Option<[T; N]> {
        let mut items = [T::default(); N];
        let mut chunks = bytes.chunks_exact(T::SIZE.max(1));
        for item in &mut items {
            *item = T::get(chunks.next()?)?;
        }
        Some(items)
    }
}

/// The seconds of chrono's first and last instants: every `Ts` of a dataset came from
/// a `DateTime<Utc>`.
fn ts_range() -> std::ops::RangeInclusive<i64> {
    chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp()
        ..=chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp()
}

impl Fixed for Ts {
    const SIZE: usize = 12;
    fn put(&self, out: &mut Vec<u8>) {
        // `Ts` is packed: copy the fields out rather than borrow them.
        let (secs, nanos) = (self.secs, self.nanos);
        secs.put(out);
        nanos.put(out);
    }
    fn get(bytes: &[u8]) -> Option<Ts> {
        let secs = i64::get(bytes.get(..8)?)?;
        let nanos = u32::get(bytes.get(8..12)?)?;
        // Below 2e9: chrono keeps a leap second as nanos past 1e9.
        (ts_range().contains(&secs) && nanos < 2_000_000_000).then_some(Ts { secs, nanos })
    }
}

impl Fixed for Decimal {
    const SIZE: usize = 16;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.serialize());
    }
    fn get(bytes: &[u8]) -> Option<Decimal> {
        let raw: [u8; 16] = bytes.try_into().ok()?;
        let flags = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
        // Only the sign bit and a scale of at most 28 may be set.
        let valid = flags & !0x80FF_0000 == 0 && (flags >> 16) & 0xFF <= Decimal::MAX_SCALE;
        valid.then(|| Decimal::deserialize(raw))
    }
}

impl Fixed for NaiveDate {
    const SIZE: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        self.num_days_from_ce().put(out);
    }
    fn get(bytes: &[u8]) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(i32::get(bytes)?)
    }
}
