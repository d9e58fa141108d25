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
pub(crate) const BAD_REF: Bad = "a reference points past the end of what it refers to";

/// The lengths of the tables that rows refer to, known from the sections decoded
/// before (the format puts the referred-to tables first), so that a section's
/// references are checked while its rows are still in the CPU's cache instead of in a
/// second pass over the whole dataset. Each is 0 until its table is decoded: a
/// reference checked too early fails, it never passes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bounds {
    /// Accepted customers (the customer id interner's keys).
    pub(crate) customers: usize,
    pub(crate) order_ids: usize,
    pub(crate) products: usize,
    pub(crate) refs: usize,
    pub(crate) marketing_sources: usize,
    pub(crate) product_types: usize,
    pub(crate) staff: usize,
    pub(crate) fanpages: usize,
    pub(crate) campaigns: usize,
}

/// The largest of `ends(row)` over `rows`, position by position (zeros when empty),
/// where an "end" is one past a reference (0 for none), so that every reference of
/// the rows is in bounds exactly when each maximum is at most its table's length
/// ([`within`]). A fold without an early exit: one branch per value would not run at
/// memory speed over the hundreds of megabytes a large dataset holds.
#[inline]
pub(crate) fn max_ends<T, const N: usize>(rows: &[T], ends: impl Fn(&T) -> [u64; N]) -> [u64; N] {
    rows.iter().fold([0; N], |mut max, row| {
        for (m, e) in max.iter_mut().zip(ends(row)) {
            *m = (*m).max(e);
        }
        max
    })
}

/// Whether each maximum of [`max_ends`] is at most its bound.
#[inline]
pub(crate) fn within<const N: usize>(max: [u64; N], bounds: [usize; N]) -> bool {
    max.iter().zip(bounds).all(|(&m, b)| m <= b as u64)
}

const P: u64 = 0x9E37_79B9_7F4A_7C15;
const Q: u64 = 0xC2B2_AE3D_27D4_EB4F;

#[inline(always)]
fn step(lane: u64, word: u64) -> u64 {
    (lane ^ word).wrapping_mul(P).rotate_left(29)
}

#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

/// The checksum described in the module docs of `snapshot.rs`, fed in pieces: the same
/// value for the same bytes however they are split, so that a section is checked as it
/// streams through a small buffer (while the bytes are still in cache) instead of in a
/// separate pass over the whole section.
#[derive(Clone, Debug)]
pub(crate) struct Checksum {
    lanes: [u64; 4],
    /// The bytes of an incomplete 32-byte block.
    pending: [u8; 32],
    pending_len: usize,
    len: u64,
}

impl Checksum {
    pub(crate) fn new() -> Checksum {
        Checksum {
            lanes: [Q, Q.rotate_left(16), Q.rotate_left(32), Q.rotate_left(48)],
            pending: [0; 32],
            pending_len: 0,
            len: 0,
        }
    }

    #[inline(always)]
    fn block(lanes: &mut [u64; 4], block: &[u8]) {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = step(*lane, word(&block[i * 8..i * 8 + 8]));
        }
    }

    /// Adds the next bytes.
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        self.len = self.len.wrapping_add(bytes.len() as u64);
        if self.pending_len > 0 {
            let take = (32 - self.pending_len).min(bytes.len());
            let (head, rest) = bytes.split_at(take);
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(head);
            self.pending_len += take;
            bytes = rest;
            if self.pending_len < 32 {
                return;
            }
            let block = self.pending;
            Checksum::block(&mut self.lanes, &block);
            self.pending_len = 0;
        }
        let mut blocks = bytes.chunks_exact(32);
        for block in &mut blocks {
            Checksum::block(&mut self.lanes, block);
        }
        let rest = blocks.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// The checksum of every byte added.
    pub(crate) fn finish(&self) -> u64 {
        let mut lanes = self.lanes;
        let mut tail = [0u8; 32];
        tail[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
        Checksum::block(&mut lanes, &tail);
        let mut h = self.len.wrapping_mul(Q);
        for lane in lanes {
            h = step(h, lane);
        }
        h ^ (h >> 32)
    }
}

/// The checksum of `bytes` (see [`Checksum`]).
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    let mut sum = Checksum::new();
    sum.update(bytes);
    sum.finish()
}

/// A value with a fixed encoded size: rows of a table are arrays of these.
pub(crate) trait Fixed: Sized {
    /// Encoded bytes.
    const SIZE: usize;
    /// Appends exactly `SIZE` bytes.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads from exactly `SIZE` bytes; `None` for an invalid value.
    fn get(bytes: &[u8]) -> Option<Self>;
    /// Appends the values of `bytes` (a whole number of `SIZE`-byte records) to `out`;
    /// `false` at the first invalid one. Types whose every bit pattern is valid (the
    /// integers) override it with one `extend` of known length, which the compiler
    /// turns into a copy loop without a check per value.
    #[inline]
    fn get_all(bytes: &[u8], out: &mut Vec<Self>) -> bool {
        for chunk in bytes.chunks_exact(Self::SIZE) {
            match Self::get(chunk) {
                Some(value) => out.push(value),
                None => return false,
            }
        }
        true
    }
    /// Whether every reference of `rows` (just decoded) points inside its table.
    /// Types without references keep this default.
    #[inline]
    fn refs_within(rows: &[Self], bounds: &Bounds) -> bool {
        let _ = (rows, bounds);
        true
    }
}

/// A value with a variable encoded size.
pub(crate) trait Codec: Sized {
    /// Appends the value's bytes to `out`; a large value calls [`Out::spill`] as it
    /// goes, so that it streams out a chunk at a time.
    fn encode(&self, out: &mut Out<'_>);
    fn decode(input: &mut Input<'_>) -> std::result::Result<Self, Bad>;
}

/// Bytes of the buffer a section streams through: small enough to stay in the CPU's
/// cache between the read that fills it, the checksum and the decoding.
pub(crate) const CHUNK: usize = 1 << 18;

/// Where a section's bytes go as they are encoded: a buffer that is handed to a sink
/// (a checksum, a file) whenever it holds [`CHUNK`] bytes or more, and emptied. Large
/// values fill it up to the chunk (a table up to one row past it, see [`Out::room`]),
/// so it never holds much more than a chunk: saving, like opening, holds a quarter of a
/// megabyte beside the dataset, never a section or the whole file. The first error of the sink is kept and returned by
/// [`Out::finish`]; later bytes are dropped.
pub(crate) struct Out<'s> {
    bytes: Vec<u8>,
    sink: &'s mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    error: Option<std::io::Error>,
}

impl<'s> Out<'s> {
    /// An output to `sink` through `buffer` (emptied; reused for its capacity).
    pub(crate) fn new(
        mut buffer: Vec<u8>,
        sink: &'s mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Out<'s> {
        buffer.clear();
        Out {
            bytes: buffer,
            sink,
            error: None,
        }
    }

    /// The buffer, to append to.
    #[inline]
    pub(crate) fn bytes(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Bytes the buffer can take before it holds a chunk.
    #[inline]
    pub(crate) fn room(&self) -> usize {
        CHUNK.saturating_sub(self.bytes.len())
    }

    /// Hands the buffer to the sink once it holds a chunk.
    #[inline]
    pub(crate) fn spill(&mut self) {
        if self.bytes.len() >= CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.error.is_none()
            && !self.bytes.is_empty()
            && let Err(e) = (self.sink)(&self.bytes)
        {
            self.error = Some(e);
        }
        self.bytes.clear();
    }

    /// Hands the rest to the sink; gives the buffer back for reuse, and the sink's
    /// first error.
    pub(crate) fn finish(mut self) -> (Vec<u8>, std::io::Result<()>) {
        self.flush();
        let result = self.error.take().map_or(Ok(()), Err);
        (std::mem::take(&mut self.bytes), result)
    }
}

/// The bytes of `value` (tests; saving streams them through [`Out`]).
#[cfg(test)]
pub(crate) fn to_bytes<T: Codec>(value: &T) -> Vec<u8> {
    let mut all = Vec::new();
    let mut sink = |bytes: &[u8]| {
        all.extend_from_slice(bytes);
        Ok(())
    };
    let mut out = Out::new(Vec::new(), &mut sink);
    value.encode(&mut out);
    out.finish().1.expect("a vector takes every byte");
    all
}

/// Reservations for a length read from a file whose size is not known are capped at
/// this many bytes; the vector then grows with the bytes that really arrive.
const UNTRUSTED_RESERVE: usize = 1 << 26;

/// Why a section stopped before its end: the reader failed, or the input ended.
#[derive(Debug)]
pub(crate) enum Stop {
    Io(std::io::Error),
    Truncated,
}

/// One section of a snapshot as it streams in: its bytes are read through one small
/// reused buffer (or, for text, straight into the `String` that keeps them) and added
/// to the section's checksum as they arrive, so decoding never waits for, nor holds, a
/// copy of the whole section.
///
/// Decoding therefore runs before the checksum is known: every decoder checks every
/// value it reads (it would have to anyway: a forged file can have matching checksums),
/// and the caller reads the section to its end and compares the checksum before it
/// uses the value or reports a decoding error (`Sections::decode` in `snapshot.rs`).
pub(crate) struct Input<'r> {
    reader: &'r mut dyn std::io::Read,
    /// `CHUNK` bytes; `buf[pos..end]` is read and not yet decoded.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Bytes of the section not yet read from the reader.
    unread: u64,
    /// Bytes read from the reader.
    read: u64,
    sum: Checksum,
    /// Whether the section lengths were checked against the file's real length, so that
    /// a count may be reserved at once.
    trusted: bool,
    stop: Option<Stop>,
    /// What the section's rows may refer to ([`Fixed::refs_within`]).
    pub(crate) bounds: Bounds,
}

impl<'r> Input<'r> {
    /// The section of `len` bytes that `reader` is at; `buf` is the reused buffer.
    pub(crate) fn new(
        reader: &'r mut dyn std::io::Read,
        mut buf: Vec<u8>,
        len: u64,
        trusted: bool,
    ) -> Input<'r> {
        buf.resize(CHUNK, 0);
        Input {
            reader,
            buf,
            pos: 0,
            end: 0,
            unread: len,
            read: 0,
            sum: Checksum::new(),
            trusted,
            stop: None,
            bounds: Bounds::default(),
        }
    }

    /// Bytes of the section not yet decoded.
    pub(crate) fn remaining(&self) -> u64 {
        (self.end - self.pos) as u64 + self.unread
    }

    /// Reads the rest of the section through the checksum, without decoding it, and
    /// gives back: the buffer, the bytes read from the reader, the section's checksum
    /// (`None` when the section stopped early, with the reason).
    pub(crate) fn finish(mut self) -> (Vec<u8>, u64, Result<u64, Stop>) {
        self.pos = self.end;
        while self.unread > 0 && self.stop.is_none() {
            self.pos = 0;
            self.end = 0;
            self.fill_buffer();
        }
        let result = match self.stop {
            Some(stop) => Err(stop),
            None => Ok(self.sum.finish()),
        };
        (self.buf, self.read, result)
    }

    /// One read into the free end of the buffer; `false` once the reader has failed
    /// or ended (recorded in `stop`).
    fn fill_buffer(&mut self) -> bool {
        let room =
            (self.buf.len() - self.end).min(usize::try_from(self.unread).unwrap_or(usize::MAX));
        loop {
            match self.reader.read(&mut self.buf[self.end..self.end + room]) {
                Ok(0) => {
                    self.stop = Some(Stop::Truncated);
                    return false;
                }
                Ok(k) => {
                    self.sum.update(&self.buf[self.end..self.end + k]);
                    self.end += k;
                    self.unread -= k as u64;
                    self.read += k as u64;
                    return true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.stop = Some(Stop::Io(e));
                    return false;
                }
            }
        }
    }

    /// The undecoded bytes in the buffer, at least `n` of them (`n <= CHUNK`).
    pub(crate) fn available(&mut self, n: usize) -> std::result::Result<&[u8], Bad> {
        if self.end - self.pos < n {
            if self.remaining() < n as u64 || n > CHUNK {
                return Err(SHORT);
            }
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
            while self.end < n {
                if !self.fill_buffer() {
                    return Err(SHORT);
                }
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }

    /// Marks `n` bytes of [`available`](Input::available) as decoded.
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }

    /// The next `n` bytes (`n <= CHUNK`).
    pub(crate) fn take(&mut self, n: usize) -> std::result::Result<&[u8], Bad> {
        self.available(n)?;
        let start = self.pos;
        self.pos += n;
        Ok(&self.buf[start..start + n])
    }

    /// A count of items of at least `item_bytes` bytes each, checked against the bytes
    /// left in the section before anything is allocated.
    pub(crate) fn count(&mut self, item_bytes: usize) -> std::result::Result<usize, Bad> {
        let n = usize::try_from(u64::decode(self)?).map_err(|_| SHORT)?;
        match n.checked_mul(item_bytes.max(1)) {
            Some(bytes) if bytes as u64 <= self.remaining() => Ok(n),
            _ => Err(SHORT),
        }
    }

    /// The capacity to reserve for `n` items of `item_bytes` bytes: all of them when the
    /// file is known to hold the section, else at most 64 MiB (a forged length in a
    /// stream of unknown size cannot make opening allocate more than arrives).
    pub(crate) fn capacity(&self, n: usize, item_bytes: usize) -> usize {
        if self.trusted {
            n
        } else {
            n.min(UNTRUSTED_RESERVE / item_bytes.max(1))
        }
    }
}

impl<T: Fixed> Codec for T {
    fn encode(&self, out: &mut Out<'_>) {
        self.put(out.bytes());
    }
    fn decode(input: &mut Input<'_>) -> std::result::Result<T, Bad> {
        T::get(input.take(T::SIZE)?).ok_or(BAD_VALUE)
    }
}

/// A table: its length, then its rows as fixed-size records.
impl<T: Fixed> Codec for Vec<T> {
    fn encode(&self, out: &mut Out<'_>) {
        (self.len() as u64).put(out.bytes());
        let mut left = self.as_slice();
        while !left.is_empty() {
            // Up to the chunk's end and one row over it, so that the buffer never
            // holds more than a chunk and a row.
            let room = out.room() / T::SIZE.max(1) + 1;
            let (rows, rest) = left.split_at(room.min(left.len()));
            let bytes = out.bytes();
            bytes.reserve(rows.len() * T::SIZE);
            for row in rows {
                row.put(bytes);
            }
            out.spill();
            left = rest;
        }
    }
    fn decode(input: &mut Input<'_>) -> std::result::Result<Vec<T>, Bad> {
        if T::SIZE == 0 {
            return Err(BAD_VALUE);
        }
        let n = input.count(T::SIZE)?;
        let mut rows = Vec::with_capacity(input.capacity(n, T::SIZE));
        let mut left = n;
        let bounds = input.bounds;
        while left > 0 {
            let bytes = input.available(T::SIZE)?;
            let k = left.min(bytes.len() / T::SIZE);
            let start = rows.len();
            if !T::get_all(&bytes[..k * T::SIZE], &mut rows) {
                return Err(BAD_VALUE);
            }
            // The rows of this piece are still in cache.
            if !T::refs_within(&rows[start..], &bounds) {
                return Err(BAD_REF);
            }
            input.advance(k * T::SIZE);
            left -= k;
        }
        Ok(rows)
    }
}

impl Codec for String {
    fn encode(&self, out: &mut Out<'_>) {
        (self.len() as u64).put(out.bytes());
        let mut left = self.as_bytes();
        while !left.is_empty() {
            let (piece, rest) = left.split_at(out.room().max(1).min(left.len()));
            out.bytes().extend_from_slice(piece);
            out.spill();
            left = rest;
        }
    }
    /// Checked and copied piece by piece while each piece is in cache (after the read
    /// into the buffer and the checksum), rather than in one pass over the whole text
    /// once it is in memory: text is most of a snapshot's bytes.
    fn decode(input: &mut Input<'_>) -> std::result::Result<String, Bad> {
        decode_text(input, |_| {})
    }
}

/// [`String::decode`](Codec::decode), calling `arrived` with the text decoded so far
/// after each piece, while the piece is in cache: a caller checks what refers into the
/// text (an interner's key offsets) as it arrives instead of in a second pass over the
/// whole text. The text it sees always ends at a character boundary of the final text
/// (each piece is valid UTF-8 on its own). It may see the same text more than once (a
/// piece cut to nothing before a character split by the buffer), and is not called
/// at all for an empty text.
pub(crate) fn decode_text(
    input: &mut Input<'_>,
    mut arrived: impl FnMut(&str),
) -> std::result::Result<String, Bad> {
    const NOT_UTF8: Bad = "text is not UTF-8";
    let n = input.count(1)?;
    let mut text = String::with_capacity(input.capacity(n, 1));
    let (mut left, mut need) = (n, 1);
    while left > 0 {
        let bytes = input.available(need.min(left))?;
        let k = left.min(bytes.len());
        // When more text follows, the piece ends before a character the buffer
        // may hold only the start of (a lead byte within its last three bytes).
        let mut cut = k;
        if k < left {
            for back in 1..=k.min(3) {
                match bytes[k - back] {
                    0..0x80 => break,
                    0x80..0xC0 => {}
                    _ => {
                        cut = k - back;
                        break;
                    }
                }
            }
        }
        text.push_str(std::str::from_utf8(&bytes[..cut]).map_err(|_| NOT_UTF8)?);
        arrived(&text);
        input.advance(cut);
        left -= cut;
        // Nothing whole in the buffer: ask for more than it holds.
        need = if cut == 0 { k + 1 } else { 1 };
    }
    Ok(text)
}

impl Codec for Option<String> {
    fn encode(&self, out: &mut Out<'_>) {
        self.is_some().put(out.bytes());
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
pub(crate) fn encode_rows<T: Codec>(rows: &[T], out: &mut Out<'_>) {
    (rows.len() as u64).put(out.bytes());
    for row in rows {
        row.encode(out);
        out.spill();
    }
}

/// Reads what [`encode_rows`] wrote.
pub(crate) fn decode_rows<T: Codec>(input: &mut Input<'_>) -> std::result::Result<Vec<T>, Bad> {
    // Every row takes at least one byte, so the count is bounded by the bytes left.
    let n = input.count(1)?;
    let mut rows = Vec::with_capacity(input.capacity(n, size_of::<T>()));
    for _ in 0..n {
        rows.push(T::decode(input)?);
    }
    Ok(rows)
}

/// Tables of variable-size rows: a count, then each row.
macro_rules! codec_vec {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::dataset::codec::Codec for Vec<$ty> {
            fn encode(&self, out: &mut $crate::dataset::codec::Out<'_>) {
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
///
/// An optional `refs |row, bounds| [ends] <= [lengths]` checks the row's references
/// ([`Fixed::refs_within`]): each end is one past a reference (0 for none), each length
/// comes from `bounds`.
macro_rules! fixed_record {
    ($ty:ident { $($field:ident: $fty:ty),* $(,)? }
        $(refs |$row:ident, $bounds:ident| [$($end:expr),* $(,)?] <= [$($len:expr),* $(,)?])?) => {
        impl $crate::dataset::codec::Fixed for $ty {
            const SIZE: usize = 0 $(+ <$fty as $crate::dataset::codec::Fixed>::SIZE)*;
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                let $ty { $($field),* } = self;
                $( <$fty as $crate::dataset::codec::Fixed>::put($field, out); )*
            }
            #[inline]
            fn get(bytes: &[u8]) -> Option<$ty> {
                // A fixed-size array, so that every field's range is a constant and
                // needs no bounds check.
                let bytes: &[u8; <$ty as $crate::dataset::codec::Fixed>::SIZE] =
                    bytes.try_into().ok()?;
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
            $(
            #[inline]
            fn refs_within(rows: &[$ty], $bounds: &$crate::dataset::codec::Bounds) -> bool {
                $crate::dataset::codec::within(
                    $crate::dataset::codec::max_ends(rows, |$row: &$ty| [$($end),*]),
                    [$($len),*],
                )
            }
            )?
        }
    };
}
pub(crate) use fixed_record;

/// A struct of fields of any size, one after the other: one line per field.
macro_rules! codec_record {
    ($ty:ident { $($field:ident: $fty:ty),* $(,)? }) => {
        impl $crate::dataset::codec::Codec for $ty {
            fn encode(&self, out: &mut $crate::dataset::codec::Out<'_>) {
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
            #[inline]
            fn get_all(bytes: &[u8], out: &mut Vec<$ty>) -> bool {
                out.extend(bytes.chunks_exact(size_of::<$ty>()).map(|chunk| {
                    let mut raw = [0u8; size_of::<$ty>()];
                    raw.copy_from_slice(chunk);
                    <$ty>::from_le_bytes(raw)
                }));
                true
            }
        }
    )*};
}
fixed_int!(u8, u32, u64, i32, i64);

impl Fixed for bool {
    const SIZE: usize = 1;
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    #[inline]
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
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                out.push(*self as u8);
            }
            #[inline]
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
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.push(match self {
            Origin::CsvLine => 0,
            Origin::PushedRow => 1,
        });
    }
    #[inline]
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
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => {
                out.push(1);
                value.put(out);
            }
            None => out.resize(out.len() + Self::SIZE, 0),
        }
    }
    #[inline]
    fn get(bytes: &[u8]) -> Option<Option<T>> {
        match bytes.split_first()? {
            (0, rest) => (rest.iter().fold(0, |any, &b| any | b) == 0).then_some(None),
            (1, rest) => T::get(rest).map(Some),
            _ => None,
        }
    }
}

impl<A: Fixed, B: Fixed> Fixed for (A, B) {
    const SIZE: usize = A::SIZE + B::SIZE;
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    #[inline]
    fn get(bytes: &[u8]) -> Option<(A, B)> {
        let (a, b) = bytes.split_at_checked(A::SIZE)?;
        Some((A::get(a)?, B::get(b)?))
    }
}

impl<T: Fixed + Copy + Default, const N: usize> Fixed for [T; N] {
    const SIZE: usize = N * T::SIZE;
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        for item in self {
            item.put(out);
        }
    }
    #[inline]
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
/// a `DateTime<Utc>`. Constants, so that checking an instant is two comparisons.
const TS_SECS: std::ops::RangeInclusive<i64> = chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp()
    ..=chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp();

impl Fixed for Ts {
    const SIZE: usize = 12;
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        // `Ts` is packed: copy the fields out rather than borrow them.
        let (secs, nanos) = (self.secs, self.nanos);
        secs.put(out);
        nanos.put(out);
    }
    #[inline]
    fn get(bytes: &[u8]) -> Option<Ts> {
        let secs = i64::get(bytes.get(..8)?)?;
        let nanos = u32::get(bytes.get(8..12)?)?;
        // Below 2e9: chrono keeps a leap second as nanos past 1e9.
        (TS_SECS.contains(&secs) && nanos < 2_000_000_000).then_some(Ts { secs, nanos })
    }
}

impl Fixed for Decimal {
    const SIZE: usize = 16;
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.serialize());
    }
    #[inline]
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
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        self.num_days_from_ce().put(out);
    }
    #[inline]
    fn get(bytes: &[u8]) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(i32::get(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call, then fails with
    /// `fail_at_end` (or ends) when its bytes are used up.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
        fail_at_end: bool,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.bytes.is_empty() && self.fail_at_end {
                return Err(std::io::Error::other("disk on fire"));
            }
            let k = self.step.min(out.len()).min(self.bytes.len());
            out[..k].copy_from_slice(&self.bytes[..k]);
            self.bytes = &self.bytes[k..];
            Ok(k)
        }
    }

    /// Decodes a section of `len` bytes from `bytes` handed out `step` at a time: the
    /// value, the bytes left undecoded and the section's checksum.
    fn decode<T: Codec>(
        bytes: &[u8],
        len: usize,
        step: usize,
        fail_at_end: bool,
    ) -> (
        std::result::Result<T, Bad>,
        u64,
        std::result::Result<u64, Stop>,
    ) {
        let mut reader = Trickle {
            bytes,
            step,
            fail_at_end,
        };
        let mut input = Input::new(&mut reader, Vec::new(), len as u64, false);
        let value = T::decode(&mut input);
        let left = input.remaining();
        let (_, read, sum) = input.finish();
        if sum.is_ok() {
            assert_eq!(read, len as u64);
        }
        (value, left, sum)
    }

    #[test]
    fn the_checksum_is_the_same_however_the_bytes_are_split() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 31 % 251) as u8).collect();
        for len in [0, 1, 31, 32, 33, 64, 100, 300] {
            let whole = checksum(&bytes[..len]);
            for step in [1, 3, 7, 32, 45] {
                let mut sum = Checksum::new();
                for piece in bytes[..len].chunks(step) {
                    sum.update(piece);
                }
                assert_eq!(sum.finish(), whole, "len {len}, pieces of {step}");
            }
            let mut sum = Checksum::new();
            sum.update(&[]);
            sum.update(&bytes[..len]);
            sum.update(&[]);
            assert_eq!(sum.finish(), whole);
        }
    }

    struct Both {
        text: String,
        rows: Vec<(u32, i64)>,
    }
    crate::dataset::codec::codec_record!(Both {
        text: String,
        rows: Vec<(u32, i64)>,
    });

    #[test]
    fn text_and_tables_decode_the_same_through_any_split_of_the_reads() {
        // Longer than the buffer, with characters of 1 to 4 bytes at every offset.
        let unit = "Nguyễn Thị Ánh, Hà Nội ⛵ 😀; ";
        let text: String = (0..(20 * CHUNK / unit.len()))
            .map(|i| &unit[..unit.char_indices().nth(i % 20).map_or(0, |c| c.0)])
            .collect::<Vec<_>>()
            .concat();
        assert!(text.len() > 2 * CHUNK);
        let rows: Vec<(u32, i64)> = (0..(CHUNK / 6) as u32)
            .map(|i| (i, -i64::from(i)))
            .collect();
        let mut bytes = to_bytes(&text);
        bytes.extend(to_bytes(&rows));
        for step in [1, 5, 4096, CHUNK - 1, usize::MAX] {
            let (value, left, sum) = decode::<Both>(&bytes, bytes.len(), step, false);
            let Both {
                text: decoded_text,
                rows: decoded_rows,
            } = value.unwrap();
            assert!(decoded_text == text, "step {step}");
            assert!(decoded_rows == rows, "step {step}");
            assert_eq!(left, 0);
            assert_eq!(sum.unwrap(), checksum(&bytes));
        }
    }

    #[test]
    fn invalid_or_cut_text_is_an_error_wherever_the_reads_split_it() {
        for bad in [&b"ab\xFFcd"[..], b"ab\xE1\xBB", b"\xC3", b"ok\xC3\x28"] {
            let mut bytes = Vec::new();
            (bad.len() as u64).put(&mut bytes);
            bytes.extend_from_slice(bad);
            for step in [1, 2, 3, 64] {
                let (value, left, sum) = decode::<String>(&bytes, bytes.len(), step, false);
                assert_eq!(value, Err("text is not UTF-8"), "{bad:?} step {step}");
                assert!(left < bad.len() as u64 + 1);
                assert_eq!(sum.unwrap(), checksum(&bytes));
            }
        }
    }

    /// Encoding streams: the sink gets pieces of a chunk and at most one row more (the
    /// last may be shorter), which put together are the value's bytes, and the buffer
    /// never grows much past a chunk.
    #[test]
    fn out_hands_the_sink_pieces_of_about_a_chunk() {
        let rows: Vec<u64> = (0..CHUNK as u64).collect();
        let text = "é".repeat(CHUNK * 3 / 2);
        let (mut pieces, mut all) = (Vec::new(), Vec::new());
        let mut sink = |bytes: &[u8]| {
            pieces.push(bytes.len());
            all.extend_from_slice(bytes);
            Ok(())
        };
        let mut out = Out::new(Vec::new(), &mut sink);
        rows.encode(&mut out);
        text.encode(&mut out);
        let (buffer, result) = out.finish();
        result.unwrap();
        assert!(buffer.is_empty() && buffer.capacity() <= 2 * CHUNK);
        let mut expected = (CHUNK as u64).to_le_bytes().to_vec();
        for i in 0..CHUNK as u64 {
            expected.extend_from_slice(&i.to_le_bytes());
        }
        expected.extend_from_slice(&(text.len() as u64).to_le_bytes());
        expected.extend_from_slice(text.as_bytes());
        assert!(all == expected);
        let (last, full) = pieces.split_last().unwrap();
        assert_eq!(full.len(), 10, "{pieces:?}");
        assert!(
            full.iter().all(|&n| (CHUNK..=CHUNK + 8).contains(&n)),
            "{pieces:?}"
        );
        assert!(*last <= CHUNK + 8);
    }

    /// The sink's first error is kept; nothing more reaches it.
    #[test]
    fn out_keeps_the_first_error_of_its_sink() {
        let mut calls = 0;
        let mut sink = |_: &[u8]| {
            calls += 1;
            Err(std::io::Error::other("full"))
        };
        let mut out = Out::new(Vec::new(), &mut sink);
        vec![1u32; CHUNK].encode(&mut out);
        let (_, result) = out.finish();
        assert_eq!(result.unwrap_err().to_string(), "full");
        assert_eq!(calls, 1);
    }

    #[test]
    fn a_section_that_ends_early_or_fails_says_why() {
        let bytes = to_bytes(&vec![7u32; 1000]);
        let cut = &bytes[..bytes.len() - 10];
        let (value, _, sum) = decode::<Vec<u32>>(cut, bytes.len(), 100, false);
        assert_eq!(value, Err(SHORT));
        assert!(matches!(sum, Err(Stop::Truncated)));
        let (value, _, sum) = decode::<Vec<u32>>(cut, bytes.len(), 100, true);
        assert_eq!(value, Err(SHORT));
        assert!(matches!(sum, Err(Stop::Io(_))));
        let text = to_bytes(&"x".repeat(CHUNK * 2));
        let (value, _, sum) = decode::<String>(&text[..CHUNK], text.len(), 4096, false);
        assert_eq!(value, Err(SHORT));
        assert!(matches!(sum, Err(Stop::Truncated)));
        // A count larger than the section is refused before anything is allocated.
        let mut forged = Vec::new();
        (u64::MAX / 8).put(&mut forged);
        let (value, _, _) = decode::<Vec<u64>>(&forged, forged.len(), 64, false);
        assert_eq!(value, Err(SHORT));
    }
}
