//! An RFC 4180 record reader that knows the physical line where every record starts.
//!
//! **Why not the `csv` crate**: rejected rows must name the physical line of each
//! record (docs/input-format.md#csv-layout: header = line 1, a quoted field may span
//! lines, blank lines count), and the `csv` crate's `Position::line` drifts after CRLF
//! line ends, blank lines and multi-line fields (measured: with a CRLF header, the first
//! record reports line 1). This reader is small, makes no allocation per record (it
//! reuses one buffer), reads a record without quotes in one pass (its commas and line
//! end found eight bytes at a time, its bytes copied once; any other record takes the
//! general path, field by field, and after 16 such records in a row the one-pass path
//! rests for 1,024, so a file that quotes a field of every record pays no second scan
//! per record), and tolerates what shop exports contain: a UTF-8 BOM, CRLF, LF or lone
//! CR line ends, mixed; an unclosed quote at the end of the file (the record is flagged
//! so the row becomes a `parse_error`). A table reads its records with
//! [`RecordReader::for_each_record`], which takes the whole lines of the buffer in bulk:
//! checked for UTF-8 at once, their records without quotes are handed over as text
//! borrowed from the buffer ([`View`]), neither copied nor checked again. A record read
//! otherwise is checked as a whole when the table reads it ([`Record::view`]); a record
//! that is not UTF-8 is not an error here: only the fields a table uses are, later.
//!
//! Memory is bounded whatever the input: a record longer than
//! [`MAX_RECORD_BYTES`] or with more than [`MAX_FIELDS`] fields is not kept; it is
//! returned flagged [`Record::too_long`] with the fields completed before the limit, and
//! the reader skips to the next physical line end (in the same fixed buffer) and goes on
//! from there. A physical line longer than [`MAX_LINE_BYTES`] is not CSV text (a sparse
//! or binary file, an endless stream of zeros): reading stops with an
//! [`io::ErrorKind::InvalidData`] error.

use std::io::{self, Read};

use crate::io::{MAX_FIELDS, MAX_LINE_BYTES, MAX_RECORD_BYTES};

/// One record: its fields' bytes, unquoted, one after another with a comma between
/// two fields (so that an unquoted line is its own record's bytes, copied at once).
#[derive(Clone, Debug, Default)]
pub(crate) struct Record {
    data: Vec<u8>,
    /// Where each field's bytes end in `data`; the next field starts one byte later.
    ends: Vec<usize>,
    /// The physical line (1-based) where the record starts.
    pub(crate) line: u64,
    /// The last field opened a quote that the file never closed.
    pub(crate) unclosed_quote: bool,
    /// The record went past [`MAX_RECORD_BYTES`] or [`MAX_FIELDS`]: only the fields
    /// completed before the limit are kept, and the rest of its physical line was
    /// skipped.
    pub(crate) too_long: bool,
}

/// A record as the tables read it, borrowed from where it is: a [`Record`], or the
/// reader's chunk itself for the records [`RecordReader::for_each_record`] takes from
/// it in bulk. The same fields and flags either way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    bytes: &'a [u8],
    /// Where each field's bytes end in `bytes`; the next field starts one byte later.
    ends: &'a [usize],
    /// `bytes` as text, when they are valid UTF-8.
    text: Option<&'a str>,
    /// The physical line (1-based) where the record starts.
    pub(crate) line: u64,
    /// As [`Record::unclosed_quote`].
    pub(crate) unclosed_quote: bool,
    /// As [`Record::too_long`].
    pub(crate) too_long: bool,
}

impl<'a> View<'a> {
    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of field `i`; empty when out of range.
    #[inline]
    pub(crate) fn field(&self, i: usize) -> &'a [u8] {
        let Some(&end) = self.ends.get(i) else {
            return &[];
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// Field `i` as text when the whole record is valid UTF-8; `None` when out of
    /// range. Fields split at ASCII commas and quotes, so they start and end on
    /// character boundaries.
    #[inline]
    pub(crate) fn field_str(&self, i: usize) -> Option<&'a str> {
        let text = self.text?;
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        text.get(start..end)
    }

    /// The record as text, when it is valid UTF-8.
    #[inline]
    pub(crate) fn as_str(&self) -> Option<&'a str> {
        self.text
    }

    /// A blank line, or a line whose fields are all empty: not a record (docs/input-format.md#csv-layout).
    pub(crate) fn is_blank(&self) -> bool {
        // Only separators: the fields' lengths add up to nothing.
        self.bytes.len() + 1 == self.ends.len() && !self.unclosed_quote && !self.too_long
    }
}

/// How a quoted field ended.
enum Quoted {
    Closed,
    Eof,
    TooLong,
}

impl Record {
    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of field `i`; empty when out of range.
    #[inline]
    pub(crate) fn field(&self, i: usize) -> &[u8] {
        self.view_with(None).field(i)
    }

    /// The record's bytes as text, when they are valid UTF-8 (one check per record
    /// instead of one per field).
    pub(crate) fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }

    /// A blank line, or a line whose fields are all empty: not a record (docs/input-format.md#csv-layout).
    pub(crate) fn is_blank(&self) -> bool {
        self.view_with(None).is_blank()
    }

    /// The record as a [`View`], its text checked for UTF-8 (one check per record
    /// instead of one per field).
    pub(crate) fn view(&self) -> View<'_> {
        self.view_with(self.as_str())
    }

    fn view_with<'a>(&'a self, text: Option<&'a str>) -> View<'a> {
        View {
            bytes: &self.data,
            ends: &self.ends,
            text,
            line: self.line,
            unclosed_quote: self.unclosed_quote,
            too_long: self.too_long,
        }
    }

    fn clear(&mut self, line: u64) {
        self.data.clear();
        self.ends.clear();
        self.line = line;
        self.unclosed_quote = false;
        self.too_long = false;
    }

    /// Past a limit: more bytes or fields than a record may hold.
    #[inline]
    fn over_limit(&self) -> bool {
        self.data.len() > MAX_RECORD_BYTES || self.ends.len() > MAX_FIELDS
    }

    /// Keeps only the fields completed so far and flags the record.
    #[cold]
    fn cut(&mut self) {
        self.ends.truncate(MAX_FIELDS);
        let kept = self.ends.last().copied().unwrap_or(0);
        self.data.truncate(kept);
        self.too_long = true;
    }

    fn end_field(&mut self) {
        self.ends.push(self.data.len());
    }

    /// Ends a field that a comma follows.
    fn end_field_before_comma(&mut self) {
        self.end_field();
        self.data.push(b',');
    }

    /// Ends the record's last field; past [`MAX_FIELDS`] the record is cut (its line is
    /// read to the end already).
    fn end_last_field(&mut self) {
        self.end_field();
        if self.ends.len() > MAX_FIELDS {
            self.cut();
        }
    }

    /// Starts a record built field by field (Arrow rows), at row number `line`.
    #[cfg(feature = "arrow")]
    pub(crate) fn start(&mut self, line: u64) {
        self.clear(line);
    }

    /// Appends a field (Arrow rows; no limit applies: the value is in memory already).
    #[cfg(feature = "arrow")]
    pub(crate) fn push_field(&mut self, bytes: &[u8]) {
        if !self.ends.is_empty() {
            self.data.push(b',');
        }
        self.data.extend_from_slice(bytes);
        self.end_field();
    }
}

/// Reads records from any `Read`, in 256 KB chunks.
pub(crate) struct RecordReader<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Physical line of the byte at `pos`.
    line: u64,
    started: bool,
    /// Bytes read from the source so far.
    consumed: u64,
    /// Whether [`RecordReader::plain_record`] may read a record (tests turn it off to
    /// compare it with the general path).
    plain: bool,
    /// Records in a row that `plain_record` handed to the general path.
    plain_misses: u32,
    /// Records still to read with the general path alone, after [`PLAIN_MISSES`] misses
    /// in a row (a file whose records all hold a quote: each miss was a wasted scan).
    plain_pause: u32,
    /// Records still to read one at a time before [`RecordReader::batch`] is tried
    /// again, after a [`Batch::Miss`].
    batch_pause: u32,
}

/// Misses in a row after which the one-pass path rests for [`PLAIN_PAUSE`] records.
const PLAIN_MISSES: u32 = 16;
/// Records read with the general path alone after [`PLAIN_MISSES`] misses in a row.
const PLAIN_PAUSE: u32 = 1024;

const CHUNK: usize = 256 * 1024;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of `word` equal to `byte`, as the high bit of each such byte. Borrows can set
/// bits above a match, never below, so the lowest set bit is exact.
#[inline]
fn matches(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Bytes of `word` equal to `byte`, as the high bit of each such byte, every bit exact:
/// adding `0x7f` to a byte's low seven bits carries into its high bit exactly when they
/// are not all zero, and never into the next byte.
#[inline]
fn matches_exact(word: u64, byte: u8) -> u64 {
    const LOWS: u64 = !HIGHS;
    let x = word ^ (ONES * u64::from(byte));
    !(((x & LOWS) + LOWS) | x) & HIGHS
}

/// Pushes `base + i` for every byte `i` whose high bit is set in `hits`.
#[inline]
fn push_positions(ends: &mut Vec<usize>, base: usize, mut hits: u64) {
    while hits != 0 {
        ends.push(base + (hits.trailing_zeros() / 8) as usize);
        hits &= hits - 1;
    }
}

/// Position of the first byte of `bytes` that is `a`, `b` or `c` (`bytes.len()` if
/// none), eight bytes at a time.
#[inline]
fn find3(bytes: &[u8], a: u8, b: u8, c: u8) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let hits = matches(word, a) | matches(word, b) | matches(word, c);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&x| x == a || x == b || x == c)
        .unwrap_or(bytes.len() - i)
}

/// The position of the first line end (`\n`, `\r`) or quote in `chunk`, after pushing
/// the position of every comma before it onto `ends`; `None` when there is none. Eight
/// bytes at a time.
#[inline]
fn scan_plain(chunk: &[u8], ends: &mut Vec<usize>) -> Option<usize> {
    let mut i = 0;
    loop {
        let Some(bytes) = chunk.get(i..i + 8) else {
            // The last few bytes, one at a time.
            let k = chunk[i..]
                .iter()
                .position(|&b| matches!(b, b',' | b'\n' | b'\r' | b'"'))?;
            if chunk[i + k] == b',' {
                ends.push(i + k);
                i += k + 1;
                continue;
            }
            return Some(i + k);
        };
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes);
        let word = u64::from_le_bytes(word);
        let stops = matches(word, b'\n') | matches(word, b'\r') | matches(word, b'"');
        let mut commas = matches_exact(word, b',');
        if stops != 0 {
            let k = (stops.trailing_zeros() / 8) as usize;
            commas &= (1u64 << (8 * k)) - 1;
            push_positions(ends, i, commas);
            return Some(i + k);
        }
        push_positions(ends, i, commas);
        i += 8;
    }
}

/// What [`RecordReader::batch`] did.
enum Batch {
    /// It read most of the lines it checked.
    Read,
    /// It stopped early (a quote, a byte that is not UTF-8, a record past the limits):
    /// bulk reading rests for [`BATCH_PAUSE`] records.
    Miss,
    /// The buffer holds no whole line: the usual path reads the next record, refilling.
    NoLine,
}

/// Records read one at a time after a [`Batch::Miss`].
const BATCH_PAUSE: u32 = 1024;

impl<R: Read> RecordReader<R> {
    /// Calls `each` with every record, in order, and the bytes read from the source so
    /// far (for progress); the same records as [`read_record`](Self::read_record)
    /// gives, faster.
    ///
    /// The whole lines in the buffer are checked for UTF-8 at once, and those without a
    /// quote are handed over from the buffer itself, as text: no copy, and no check of
    /// its own per record (several times faster than one check per record, on text
    /// with accented letters; see [`RecordReader::batch`]). Anything else (a quote, a
    /// byte that is not UTF-8, a record past the limits, the line cut by the buffer's
    /// end) is read by [`read_record`](Self::read_record); `record` is its room.
    pub(crate) fn for_each_record(
        &mut self,
        record: &mut Record,
        mut each: impl FnMut(View<'_>, u64),
    ) -> io::Result<()> {
        loop {
            if self.plain && self.started && self.batch_pause == 0 && self.pos < self.len {
                match self.batch(record, &mut each) {
                    Batch::Read => continue,
                    Batch::Miss => self.batch_pause = BATCH_PAUSE,
                    Batch::NoLine => {}
                }
            }
            self.batch_pause = self.batch_pause.saturating_sub(1);
            if !self.read_record(record)? {
                return Ok(());
            }
            each(record.view(), self.consumed);
        }
    }

    /// Hands `each` the records of the whole lines in the buffer, from the buffer: the
    /// lines up to the last `\n` (so that a CRLF is never cut in two) are checked for
    /// UTF-8 once, with `simdutf8` (std's check is as slow as per-record checks on
    /// Vietnamese text), and each record without a quote, within the limits, is a
    /// slice of that text. Stops at the first other record, which the usual path reads.
    fn batch(&mut self, record: &mut Record, each: &mut impl FnMut(View<'_>, u64)) -> Batch {
        let buf = &self.buf[self.pos..self.len];
        let Some(last) = buf.iter().rposition(|&b| b == b'\n') else {
            return Batch::NoLine;
        };
        let Ok(text) = simdutf8::basic::from_utf8(&buf[..=last]) else {
            return Batch::Miss;
        };
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            record.ends.clear();
            let Some(end) = scan_plain(&bytes[at..], &mut record.ends) else {
                break;
            };
            let first = bytes[at + end];
            if first == b'"' || end > MAX_RECORD_BYTES || record.ends.len() >= MAX_FIELDS {
                break;
            }
            let Some(line) = text.get(at..at + end) else {
                break;
            };
            record.ends.push(end);
            each(
                View {
                    bytes: line.as_bytes(),
                    ends: &record.ends,
                    text: Some(line),
                    line: self.line,
                    unclosed_quote: false,
                    too_long: false,
                },
                self.consumed,
            );
            // The line end: `\n`, `\r\n` or a lone `\r` (the text ends with `\n`, so
            // a `\r` is never its last byte).
            at += end + 1;
            if first == b'\r' && bytes.get(at) == Some(&b'\n') {
                at += 1;
            }
            self.line += 1;
        }
        record.ends.clear();
        self.pos += at;
        // Most of what was checked was read: go on in bulk; else rest, so that a file
        // whose lines hold quotes is not checked again and again.
        if at > 0 && at * 2 >= bytes.len() {
            Batch::Read
        } else {
            Batch::Miss
        }
    }

    pub(crate) fn new(src: R) -> RecordReader<R> {
        RecordReader {
            src,
            buf: vec![0; CHUNK],
            pos: 0,
            len: 0,
            eof: false,
            line: 1,
            started: false,
            consumed: 0,
            plain: true,
            plain_misses: 0,
            plain_pause: 0,
            batch_pause: 0,
        }
    }

    /// Bytes read from the source so far (a little ahead of the records returned).
    pub(crate) fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// Reads more bytes after the unread ones; `false` at the end of input.
    fn refill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.copy_within(self.pos..self.len, 0);
        self.len -= self.pos;
        self.pos = 0;
        loop {
            match self.src.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(self.len > 0);
                }
                Ok(n) => {
                    self.len += n;
                    self.consumed += n as u64;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.pos < self.len || self.refill()? {
            Ok(self.buf.get(self.pos).copied())
        } else {
            Ok(None)
        }
    }

    /// Skips a UTF-8 byte order mark at the very start.
    fn skip_bom(&mut self) -> io::Result<()> {
        self.started = true;
        while self.len < 3 && self.refill()? && !self.eof {}
        if self.buf[..self.len].starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        Ok(())
    }

    /// Consumes a line end whose first byte (`\n` or `\r`) is at `pos`.
    #[inline]
    fn line_end(&mut self, first: u8) -> io::Result<()> {
        self.pos += 1;
        if first == b'\r' && self.peek()? == Some(b'\n') {
            self.pos += 1;
        }
        self.line += 1;
        Ok(())
    }

    /// Reads the next record into `record`; `false` at the end of input.
    pub(crate) fn read_record(&mut self, record: &mut Record) -> io::Result<bool> {
        if !self.started {
            self.skip_bom()?;
        }
        record.clear(self.line);
        if self.peek()?.is_none() {
            return Ok(false);
        }
        if self.plain {
            if self.plain_pause > 0 {
                self.plain_pause -= 1;
            } else if self.plain_record(record)? {
                self.plain_misses = 0;
                return Ok(true);
            } else {
                self.plain_misses += 1;
                if self.plain_misses >= PLAIN_MISSES {
                    self.plain_misses = 0;
                    self.plain_pause = PLAIN_PAUSE;
                }
            }
        }
        loop {
            // At the start of a field.
            if self.peek()? == Some(b'"') {
                self.pos += 1;
                match self.quoted(record)? {
                    Quoted::Closed => {}
                    Quoted::Eof => {
                        record.unclosed_quote = true;
                        record.end_last_field();
                        return Ok(true);
                    }
                    Quoted::TooLong => return self.too_long(record),
                }
            }
            // Unquoted bytes (or what follows a closing quote) up to a separator.
            loop {
                let chunk = &self.buf[self.pos..self.len];
                let n = find3(chunk, b',', b'\n', b'\r');
                record.data.extend_from_slice(&chunk[..n]);
                self.pos += n;
                if record.over_limit() {
                    return self.too_long(record);
                }
                match self.peek()? {
                    None => {
                        record.end_last_field();
                        return Ok(true);
                    }
                    Some(b',') => {
                        self.pos += 1;
                        record.end_field_before_comma();
                        if record.over_limit() {
                            return self.too_long(record);
                        }
                        break;
                    }
                    Some(b @ (b'\n' | b'\r')) => {
                        self.line_end(b)?;
                        record.end_last_field();
                        return Ok(true);
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// The common record, read in one pass: no quote before its line end, and the line
    /// end already in the buffer. The commas and the line end are found eight bytes at
    /// a time and the record's bytes are copied once, instead of one search and one copy
    /// per field. Anything else (a quote, a record running past the buffer or past the
    /// limits) returns `false` having consumed nothing, and the general path reads the
    /// record; both give the same fields (a test compares them on random input).
    #[inline]
    fn plain_record(&mut self, record: &mut Record) -> io::Result<bool> {
        let chunk = &self.buf[self.pos..self.len];
        let Some(end) = scan_plain(chunk, &mut record.ends) else {
            record.ends.clear();
            return Ok(false);
        };
        let first = chunk[end];
        if first == b'"' || end > MAX_RECORD_BYTES || record.ends.len() >= MAX_FIELDS {
            record.ends.clear();
            return Ok(false);
        }
        record.data.extend_from_slice(&chunk[..end]);
        record.ends.push(end);
        self.pos += end;
        self.line_end(first)?;
        Ok(true)
    }

    /// A record past the limits: cut it, skip the rest of its physical line.
    #[cold]
    #[inline(never)]
    fn too_long(&mut self, record: &mut Record) -> io::Result<bool> {
        record.cut();
        let mut skipped: usize = 0;
        loop {
            let chunk = &self.buf[self.pos..self.len];
            let n = find3(chunk, b'\n', b'\r', b'\n');
            self.pos += n;
            skipped = skipped.saturating_add(n);
            if skipped > MAX_LINE_BYTES - MAX_RECORD_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line {} has no line end within {MAX_LINE_BYTES} bytes: not CSV text",
                        record.line
                    ),
                ));
            }
            match self.peek()? {
                None => return Ok(true),
                Some(b @ (b'\n' | b'\r')) => {
                    self.line_end(b)?;
                    return Ok(true);
                }
                Some(_) => {}
            }
        }
    }

    /// Reads a quoted field's content after its opening quote, up to and including the
    /// closing quote.
    fn quoted(&mut self, record: &mut Record) -> io::Result<Quoted> {
        loop {
            let chunk = &self.buf[self.pos..self.len];
            let n = find3(chunk, b'"', b'\n', b'\r');
            record.data.extend_from_slice(&chunk[..n]);
            self.pos += n;
            if record.over_limit() {
                return Ok(Quoted::TooLong);
            }
            match self.peek()? {
                None => return Ok(Quoted::Eof),
                Some(b'"') => {
                    self.pos += 1;
                    if self.peek()? == Some(b'"') {
                        self.pos += 1;
                        record.data.push(b'"');
                    } else {
                        return Ok(Quoted::Closed);
                    }
                }
                Some(b @ (b'\n' | b'\r')) => {
                    // A line break inside quotes is data, and a physical line.
                    record.data.push(b);
                    self.pos += 1;
                    if b == b'\r' && self.peek()? == Some(b'\n') {
                        record.data.push(b'\n');
                        self.pos += 1;
                    }
                    self.line += 1;
                }
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find3_finds_the_first_special_byte() {
        let text = b"abcdefghijklmnop,qr\nst";
        assert_eq!(find3(text, b',', b'\n', b'\r'), 16);
        assert_eq!(find3(b"abc", b',', b'\n', b'\r'), 3);
        assert_eq!(find3(b"", b',', b'\n', b'\r'), 0);
        for len in 0..20 {
            for at in 0..len {
                let mut v = vec![b'x'; len];
                v[at] = b'\r';
                if at + 1 < len {
                    v[at + 1] = b',';
                }
                assert_eq!(find3(&v, b',', b'\n', b'\r'), at, "len {len} at {at}");
            }
        }
        // Bytes just below and above the targets, and high bytes, are not matches.
        assert_eq!(
            find3(
                &[b'+', b'-', 0x8c, 0xac, 0xff, 0x00, b'\t', b'"', b','],
                b',',
                b'\n',
                b'\r'
            ),
            8
        );
    }

    /// (line, fields, unclosed) of every record, with a 1-byte reader to exercise refills.
    fn records(data: &[u8]) -> Vec<(u64, Vec<String>, bool)> {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((&b, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = b;
                self.0 = rest;
                Ok(1)
            }
        }
        let mut out = Vec::new();
        for small in [false, true] {
            let mut got = Vec::new();
            let mut reader: RecordReader<Box<dyn Read>> = if small {
                RecordReader::new(Box::new(OneByte(data)))
            } else {
                RecordReader::new(Box::new(data))
            };
            let mut rec = Record::default();
            while reader.read_record(&mut rec).unwrap() {
                let fields = (0..rec.len())
                    .map(|i| String::from_utf8_lossy(rec.field(i)).into_owned())
                    .collect();
                got.push((rec.line, fields, rec.unclosed_quote));
            }
            if small {
                assert_eq!(got, out, "chunking changed the result");
            } else {
                out = got;
            }
        }
        out
    }

    fn f(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn physical_lines_with_bom_crlf_blank_and_multiline() {
        let data = b"\xEF\xBB\xBFid,name\r\n1,\"multi\nline\"\n\n,\n2,x\r\n3,\"a\"\"b\"\r4,y";
        assert_eq!(
            records(data),
            vec![
                (1, f(&["id", "name"]), false),
                (2, f(&["1", "multi\nline"]), false),
                (4, f(&[""]), false),
                (5, f(&["", ""]), false),
                (6, f(&["2", "x"]), false),
                (7, f(&["3", "a\"b"]), false),
                (8, f(&["4", "y"]), false),
            ]
        );
    }

    #[test]
    fn unclosed_quote_runs_to_the_end() {
        assert_eq!(
            records(b"id\n1,\"open\n2,x\n"),
            vec![(1, f(&["id"]), false), (2, f(&["1", "open\n2,x\n"]), true)]
        );
    }

    #[test]
    fn a_record_past_the_limit_is_cut_and_reading_resumes_at_the_next_line() {
        for quoted in [false, true] {
            let mut data = b"id,name\nKH1,".to_vec();
            if quoted {
                data.push(b'"');
            }
            data.resize(data.len() + MAX_RECORD_BYTES + 10, b'x');
            if quoted {
                data.extend_from_slice(b"\"");
            }
            data.extend_from_slice(b",tail\r\nKH2,An\n");
            let mut reader = RecordReader::new(&data[..]);
            let mut rec = Record::default();
            assert!(reader.read_record(&mut rec).unwrap());
            assert!(reader.read_record(&mut rec).unwrap());
            assert!(rec.too_long, "quoted {quoted}");
            assert_eq!(rec.line, 2);
            // The fields completed before the limit are kept: the id.
            assert_eq!((rec.len(), rec.field(0)), (1, &b"KH1"[..]));
            // Bounded: at most one doubling past the limit.
            assert!(rec.data.capacity() <= 2 * (MAX_RECORD_BYTES + CHUNK));
            assert!(reader.read_record(&mut rec).unwrap());
            assert_eq!(
                (rec.line, rec.too_long, rec.field(1)),
                (3, false, &b"An"[..])
            );
            assert!(!reader.read_record(&mut rec).unwrap());
        }
    }

    #[test]
    fn too_many_fields_is_too_long() {
        let mut data = vec![b','; MAX_FIELDS + 5];
        data.extend_from_slice(b"\na,b\n");
        let mut reader = RecordReader::new(&data[..]);
        let mut rec = Record::default();
        assert!(reader.read_record(&mut rec).unwrap());
        assert!(rec.too_long);
        assert!(rec.len() <= MAX_FIELDS);
        assert!(reader.read_record(&mut rec).unwrap());
        assert_eq!((rec.line, rec.len()), (2, 2));
    }

    #[test]
    fn endless_zeros_are_an_error_not_unbounded_memory() {
        let mut reader = RecordReader::new(io::repeat(0));
        let mut rec = Record::default();
        let err = reader.read_record(&mut rec).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            format!("line 1 has no line end within {MAX_LINE_BYTES} bytes: not CSV text")
        );
        // Bounded: at most one doubling past the limit.
        assert!(rec.data.capacity() <= 2 * (MAX_RECORD_BYTES + CHUNK));
        assert!(reader.bytes_read() <= (MAX_LINE_BYTES + 3 * CHUNK) as u64);
    }

    #[test]
    fn edge_shapes() {
        assert_eq!(records(b""), vec![]);
        assert_eq!(records(b"\xEF\xBB\xBF"), vec![]);
        assert_eq!(records(b"a"), vec![(1, f(&["a"]), false)]);
        assert_eq!(records(b"a,\n"), vec![(1, f(&["a", ""]), false)]);
        // text after a closing quote is kept, leniently
        assert_eq!(records(b"\"ab\"c,d"), vec![(1, f(&["abc", "d"]), false)]);
        // a quote inside an unquoted field is data
        assert_eq!(records(b"a\"b,c"), vec![(1, f(&["a\"b", "c"]), false)]);
        // CRLF inside quotes is one physical line break
        assert_eq!(
            records(b"\"x\r\ny\",z\r\nw"),
            vec![(1, f(&["x\r\ny", "z"]), false), (3, f(&["w"]), false)]
        );
        // NUL bytes and invalid UTF-8 are just bytes here
        let recs = records(b"a\0b,\xff\n");
        assert_eq!(recs[0].1.len(), 2);
    }

    /// A source giving at most `.1` bytes per `read`.
    struct Pieces<'a>(&'a [u8], usize);

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Every record's (line, fields' bytes, unclosed, too long), read from memory at
    /// most `read_size` bytes per `read` (so that the buffer ends anywhere), with the
    /// one-pass path on or off.
    fn raw_records(
        data: &[u8],
        read_size: usize,
        plain: bool,
    ) -> Vec<(u64, Vec<Vec<u8>>, bool, bool)> {
        let mut reader = RecordReader::new(Pieces(data, read_size));
        reader.plain = plain;
        let mut rec = Record::default();
        let mut out = Vec::new();
        while reader.read_record(&mut rec).unwrap() {
            let fields = (0..rec.len()).map(|i| rec.field(i).to_vec()).collect();
            out.push((rec.line, fields, rec.unclosed_quote, rec.too_long));
        }
        out
    }

    /// What [`raw_records`] gives, read with [`RecordReader::for_each_record`] after
    /// the first record (as the tables read their header first); also checks that each
    /// view's text is there exactly when its bytes are UTF-8, and is those bytes.
    fn bulk_records(data: &[u8], read_size: usize) -> Vec<(u64, Vec<Vec<u8>>, bool, bool)> {
        let mut reader = RecordReader::new(Pieces(data, read_size));
        let mut rec = Record::default();
        let mut out = Vec::new();
        if reader.read_record(&mut rec).unwrap() {
            let fields = (0..rec.len()).map(|i| rec.field(i).to_vec()).collect();
            out.push((rec.line, fields, rec.unclosed_quote, rec.too_long));
        }
        reader
            .for_each_record(&mut rec, |view, _| {
                let fields: Vec<Vec<u8>> =
                    (0..view.len()).map(|i| view.field(i).to_vec()).collect();
                let joined = fields.join(&b","[..]);
                assert_eq!(
                    view.as_str(),
                    std::str::from_utf8(&joined).ok(),
                    "line {}",
                    view.line
                );
                for (i, field) in fields.iter().enumerate() {
                    assert_eq!(
                        view.field_str(i).map(str::as_bytes),
                        view.as_str().map(|_| &field[..])
                    );
                }
                out.push((view.line, fields, view.unclosed_quote, view.too_long));
            })
            .unwrap();
        out
    }

    /// The one-pass path and the bulk path give what the general path gives, read
    /// whole and in pieces.
    fn assert_paths_agree(data: &[u8], read_sizes: &[usize]) {
        let expected = raw_records(data, usize::MAX, false);
        for &size in read_sizes {
            assert_eq!(raw_records(data, size, true), expected, "reads of {size}");
            assert_eq!(bulk_records(data, size), expected, "bulk, reads of {size}");
        }
    }

    #[test]
    fn matches_exact_flags_every_equal_byte_and_no_other() {
        for byte in [b',', b'\n', 0, 0x7f, 0x80, 0xff] {
            for probe in 0..=255u8 {
                for at in 0..8 {
                    let mut word = [probe; 8];
                    word[at] = byte;
                    let hits = matches_exact(u64::from_le_bytes(word), byte);
                    let expected = (0..8)
                        .filter(|&i| word[i] == byte)
                        .fold(0u64, |m, i| m | 0x80 << (8 * i));
                    assert_eq!(hits, expected, "byte {byte} probe {probe} at {at}");
                }
            }
        }
    }

    #[test]
    fn the_one_pass_path_reads_what_the_general_path_reads() {
        let data = b"id,name,x\r\nKH1,An,\nKH2,\"B, b\",1\n\n,,\r\rKH3,a\"b,2\nlast,row";
        assert_paths_agree(data, &[usize::MAX, 1, 2, 3, 5, 7, 8, 9, 13]);
        // Records past the 256 KiB buffer, in every line-end style, many fields, and
        // lines longer than the buffer (quoted and not).
        let mut long = b"id,v\n".to_vec();
        for i in 0..40_000 {
            let end: &[u8] = [&b"\n"[..], b"\r\n", b"\r"][i % 3];
            long.extend_from_slice(format!("KH{i},{}", "x,".repeat(i % 7)).as_bytes());
            long.extend_from_slice(end);
            if i % 10_000 == 0 {
                long.extend_from_slice(&vec![b'y'; CHUNK + 10]);
                long.extend_from_slice(b",\"");
                long.extend_from_slice(&vec![b'z'; CHUNK + 10]);
                long.extend_from_slice(b"\"\r\n");
            }
        }
        assert_paths_agree(&long, &[usize::MAX, 4093, 65_537, CHUNK - 1]);
    }

    #[test]
    fn after_misses_in_a_row_the_one_pass_path_rests_and_comes_back() {
        // Records that all end in a quoted field, then plain ones, then both mixed.
        let mut data = b"id,note\n".to_vec();
        for i in 0..3_000 {
            data.extend_from_slice(format!("KH{i},\"a, b\"\n").as_bytes());
        }
        for i in 0..3_000 {
            data.extend_from_slice(format!("KH{i},plain\r\n").as_bytes());
        }
        for i in 0..3_000 {
            let note = if i % 3 == 0 { "\"q\"" } else { "p" };
            data.extend_from_slice(format!("KH{i},{note}\n").as_bytes());
        }
        assert_paths_agree(&data, &[usize::MAX, 7, 4093]);
        let mut reader = RecordReader::new(&data[..]);
        let mut rec = Record::default();
        for _ in 0..=PLAIN_MISSES {
            assert!(reader.read_record(&mut rec).unwrap());
        }
        assert!(
            reader.plain_pause > 0,
            "resting after {PLAIN_MISSES} misses"
        );
        let mut plain_again = false;
        while reader.read_record(&mut rec).unwrap() {
            plain_again |= reader.plain_pause == 0 && reader.plain_misses == 0;
        }
        assert!(plain_again, "the one-pass path read records again");
    }

    #[test]
    fn a_record_with_more_fields_than_the_limit_is_cut_on_either_path() {
        for commas in [MAX_FIELDS - 1, MAX_FIELDS, MAX_FIELDS + 1] {
            let mut data = b",".repeat(commas);
            data.extend_from_slice(b"\nKH1,An\n");
            let records = raw_records(&data, usize::MAX, true);
            assert_eq!(records, raw_records(&data, usize::MAX, false));
            assert_eq!(records, bulk_records(&data, usize::MAX));
            let (_, fields, _, too_long) = &records[0];
            // `commas + 1` fields: at most MAX_FIELDS are read.
            assert_eq!(*too_long, commas >= MAX_FIELDS, "{commas} commas");
            assert_eq!(fields.len(), (commas + 1).min(MAX_FIELDS));
            assert_eq!(
                records[1],
                (2, vec![b"KH1".to_vec(), b"An".to_vec()], false, false)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn the_one_pass_path_agrees_on_random_text(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'b', b',', b',', b'"', b'\n', b'\r', 0xc3, 0xa9]),
                0..600,
            ),
            read_size in 1usize..40,
        ) {
            let expected = raw_records(&bytes, usize::MAX, false);
            proptest::prop_assert_eq!(raw_records(&bytes, usize::MAX, true), expected.clone());
            proptest::prop_assert_eq!(bulk_records(&bytes, usize::MAX), expected.clone());
            proptest::prop_assert_eq!(bulk_records(&bytes, read_size), expected.clone());
            proptest::prop_assert_eq!(raw_records(&bytes, read_size, true), expected);
        }
    }
}
