//! Snapshots: a built [`Dataset`] saved to a file and opened again without re-reading,
//! re-validating or re-indexing its rows ([`Dataset::save`], [`Dataset::open`]).
//!
//! # Format (version 4)
//! Every number is little-endian.
//! ```text
//! offset  size        field
//! 0       8           magic: 0x89 'C' 'R' 'M' '\r' '\n' 0x1a '\n'
//! 8       4           format version (u32), 4
//! 12      4           number of sections (u32), at most 64
//! 16      8           total file length in bytes (u64)
//! 24      40 × count  section table: name (24 bytes, ASCII, zero-padded),
//!                     length (u64), checksum of the section's bytes (u64)
//! ..      8           checksum of every byte above
//! ..                  the sections' bytes, back to back, in table order
//! ```
//! **Why this shape.** The magic is PNG's trick: the high byte `0x89` catches a 7-bit
//! transfer, `\r\n` a newline conversion and `0x1a` a DOS `type`, and no CSV or text file
//! starts with it, so a foreign file is told apart by its first 8 bytes. The version
//! comes right after it and is checked before anything else is read, so that a later
//! format can change everything behind it. One section per field of [`Dataset`], named
//! after the field: a damaged file names what is damaged, and the table gives every
//! length before any byte of the body is read, so truncation is found at once and every
//! allocation is bounded by the bytes actually present (a corrupted length cannot ask
//! for 64 GB). Each section has its own checksum, and the header has one, so that any
//! changed byte is found before the file is trusted.
//!
//! **Checksum.** A 64-bit multiply–rotate hash over 8-byte words in four independent
//! lanes (the accumulation of xxHash64, simplified), the length mixed in at the end.
//! Each step `lane = rotl((lane ^ word) * P, 29)` is a bijection of the word for a fixed
//! lane and of the lane for a fixed word, so changing one word (any flipped byte) always
//! changes the result; four lanes keep the multiplier busy, so it runs at memory speed.
//! It guards against accidents (disk, transfer, truncation), not against an adversary:
//! it is not cryptographic. It is written here rather than taken from a crate because
//! it is twenty lines.
//!
//! **Columns as fixed-size little-endian records.** Each table (`Vec` of rows) is a
//! count and then the rows, each field at a fixed offset. Decoding is one bounds check
//! for the whole table and then a loop over `chunks_exact` with `from_le_bytes` loads,
//! which the compiler turns into plain moves.
//!
//! **What is borrowed, what is copied.** The crate forbids `unsafe`, so bytes cannot be
//! reinterpreted as `&[OrderRow]` (alignment, and the validity of enums, `bool`s and
//! decimals must be checked), and a [`Dataset`] owns its memory, so nothing of the file
//! is borrowed after `open` returns. What the format keeps cheap is text: every
//! interner's and arena's strings are one buffer plus `u32` end offsets, decoded as one
//! copy and one UTF-8 check per buffer, never one allocation per string.
//!
//! **Opening streams through a quarter of a megabyte.** Each section is read in pieces
//! into one small reused buffer (`codec::CHUNK`, 256 KiB); each piece is added to the
//! section's checksum, UTF-8-checked when it is text and decoded into the dataset while
//! it is still in the CPU's cache, and the checksum is compared when the section ends,
//! before its value is kept (or the error its decoding met is reported, so a damaged
//! byte is named as damage). The file is read unbuffered: the section buffer is the
//! only copy between the kernel and the dataset. So opening holds the dataset plus
//! 256 KiB, touches each byte of the file once in memory, and faults in no page the
//! dataset does not keep. Measured at 1M customers (1.06 GB file, criterion
//! `benches/snapshot.rs`, medians, the same run as the CSV build, shared two-core
//! machine): opening 0.85 s against 5.43 s for the CSV build (1/6.4; 0.81 s against
//! 6.17 s in a busier run, after format 4 added 8 MB of runs; the CSV build was
//! 7.02 to 8.67 s before its reader took unquoted records in one pass), peak RSS
//! 1.08 GB. What is left is mostly the kernel: on this machine (a VM whose freed pages
//! go back to the host) handing out the dataset's 1.1 GB of fresh pages alone takes
//! 0.45-0.5 s, about two thirds of a profile with the copy out of the page cache; the
//! checksum and UTF-8 checks are about 5 % each, the decoding and the checks the rest.
//!
//! Decoding before the checksum is known is safe because every decoder checks every
//! value it reads (see "Trust") and every allocation is bounded by the section's bytes;
//! when the file's length is not known (a reader), reservations are capped at 64 MiB
//! and grow with the bytes that arrive.
//!
//! **Saving streams too.** The sections are encoded in file order through one reused
//! buffer of about the same size (`codec::Out`): whenever it holds 256 KiB it is added
//! to the section's checksum, written and emptied. The header comes first in the file
//! but holds every section's length and checksum, so [`Dataset::save`] (and
//! [`Dataset::write_snapshot_seekable`]) write a blank header, then the sections, then
//! seek back and write the header; [`Dataset::write_snapshot`], whose writer cannot
//! seek, encodes the sections twice, once for the header and once to write them. Either
//! way saving holds the dataset plus a quarter of a megabyte. At 1M customers the
//! dashboard's peak RSS when it saves is that of a build alone (1,195.4 MB against
//! 1,195.9 MB); building the whole file in memory first had taken it to 3.26 GB.
//!
//! **Two threads with `parallel`.** [`Dataset::open`] then reads the small tables the
//! others refer to, then the file's two halves (about 520 MB each at 1M customers) at
//! once, each thread from its own position with its own buffer (`pread`, so without a
//! shared cursor), so that both the decoding and the page faults are shared by two
//! cores: 0.45 s at 1M against 3.01 s for the two-core CSV build in the same run
//! (1/6.7). The checks and errors are the same; an error in the first half is reported
//! before one in the second, as reading in file order would. [`Dataset::read_snapshot`] (a stream) reads in file order on one thread.
//!
//! **Derived indexes are stored, not rebuilt.** Per-customer summaries, the deal-stage,
//! inbound and engagement indexes are a few percent of the file, and reading them is a
//! copy while rebuilding them sorts millions of entries, so opening stays a read.
//! Nothing is rebuilt on open: the hash table of an interner whose ids came out of
//! order (its hasher is seeded at random per process, so the table cannot be stored) is
//! built on its first look-up, which reports never make; [`Dataset::apply`] and
//! look-ups by id do (see `intern.rs`). Ids in increasing order need no table at all.
//!
//! **Trust.** Every reference (a key into an interner, a customer's run, a line offset, a customer index, a
//! deal position) is checked against the length of what it points into, and every
//! enum, `bool`, decimal, instant and date against its range, so no file makes opening
//! or a later report panic. The sections are ordered so that this costs no second pass
//! over the rows: the interners (products, sources, staff, fanpages, customer and order
//! ids, …) come first, and the references of the big row tables (customers, orders,
//! order lines, interactions, deals, costs) are checked against their lengths piece by
//! piece as the rows are decoded, while they are in cache (a pass over the decoded
//! dataset took 0.1 s at 1M customers, a tenth of opening). What needs a whole table
//! (the runs, the line offsets, the lengths of parallel tables, the dead-row counts, the
//! indexes) is checked once the last section is read. A file forged with matching
//! checksums can still hold wrong numbers, as a forged CSV file can: two customers'
//! runs may overlap, which reads in bounds and which compaction undoes by emptying the
//! later run.
//!
//! **Adding a field** to `Dataset` is one line in the `dataset_sections!` list below (a new section);
//! adding a field to a row type is one line in its `fixed_record!`. Both are exhaustive
//! struct patterns, so forgetting a field does not compile. A format change bumps
//! [`VERSION`].

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::Ts;
use crate::dataset::codec::{
    Bad, Bounds, CHUNK, Checksum, Codec, Fixed, Input, Out, Stop, checksum, codec_record,
    codec_vec, fixed_record, max_ends, within,
};
use crate::dataset::frozen::Dataset;
use crate::dataset::index::{
    CampaignInfo, CostRow, CustomerIdx, CustomerRow, CustomerText, DealRow, Entities, FanpageInfo,
    InteractionRow, LineRow, OrderDetail, OrderRow, PurchaseTotals,
};
use crate::dataset::quality::{DataQuality, TableCounts};
use crate::dataset::storage::Run;
use crate::error::{Error, Origin, Reason, Rejection, Result, Table};
use crate::model::{Channel, Direction, Gender, InteractionKind, OrderStatus, Source};

/// The first 8 bytes of every snapshot.
pub const MAGIC: [u8; 8] = [0x89, b'C', b'R', b'M', b'\r', b'\n', 0x1a, b'\n'];

/// The format version this build writes and reads.
///
/// History: 1, the first format; 2, the inbound social index's entries name their
/// customer by its creation instant instead of its position (so inserting customers
/// renumbers nothing), 32 bytes an entry instead of 24; 3, the sections reordered so
/// that the tables rows refer to come first (their references are checked as they are
/// decoded); 4, each customer's orders and interactions are a run of its own (start
/// and length, so that applied batches append runs instead of moving rows), and a
/// section counts the dead rows the runs leave. A file of another version is
/// [`Error::SnapshotVersion`], never read as this one: build the dataset again from its
/// data files and save it anew.
pub const VERSION: u32 = 4;

/// Most sections a header may list.
const MAX_SECTIONS: usize = 64;
/// Bytes of a section name in the table.
const NAME_BYTES: usize = 24;
/// Bytes of one table entry: name, length, checksum.
const ENTRY_BYTES: usize = NAME_BYTES + 16;
/// Bytes before the table.
const FIXED_HEADER: usize = 24;

/// Whether `prefix` (the first bytes of a file) starts like a snapshot: the test the
/// dashboard uses to accept a snapshot wherever it accepts a data folder.
///
/// # Example
/// ```
/// use crm_metrics::dataset::snapshot::{looks_like_snapshot, MAGIC};
///
/// assert!(looks_like_snapshot(&MAGIC));
/// assert!(!looks_like_snapshot(b"id,created_at,source\n"));
/// ```
pub fn looks_like_snapshot(prefix: &[u8]) -> bool {
    prefix.starts_with(&MAGIC)
}

codec_vec!(FanpageInfo, CampaignInfo, Rejection);

impl Fixed for CustomerIdx {
    const SIZE: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
    }
    fn get(bytes: &[u8]) -> Option<CustomerIdx> {
        u32::get(bytes).map(CustomerIdx)
    }
    fn refs_within(rows: &[CustomerIdx], bounds: &Bounds) -> bool {
        within(max_ends(rows, |c| [u64::from(c.0) + 1]), [bounds.customers])
    }
}

fixed_record!(TableCounts {
    read: u64,
    accepted: u64,
    rejected: u64,
});
fixed_record!(CustomerRow {
    created_at: Ts,
    birth_date: Option<NaiveDate>,
    load: u32,
    source: Source,
    gender: Option<Gender>,
    contacts: crate::dataset::index::Contacts,
} refs |c, b| [u64::from(c.load) + 1] <= [b.customers]);
fixed_record!(OrderRow {
    created_at: Ts,
    total: Decimal,
    status: OrderStatus,
    has_voucher: bool,
    social: bool,
});
fixed_record!(OrderDetail {
    cost_of_goods: Option<Decimal>,
    id: u32,
    fanpage: crate::dataset::OptKey,
    staff: crate::dataset::OptKey,
} refs |o, b| [u64::from(o.id) + 1, key_end(o.fanpage), key_end(o.staff)]
    <= [b.order_ids, b.fanpages, b.staff]);
fixed_record!(LineRow {
    product: u32,
    quantity: i64,
} refs |l, b| [u64::from(l.product) + 1] <= [b.products]);
fixed_record!(InteractionRow {
    at: Ts,
    fanpage: crate::dataset::OptKey,
    staff: crate::dataset::OptKey,
    campaign: crate::dataset::OptKey,
    ref_id: crate::dataset::OptKey,
    channel: Channel,
    kind: InteractionKind,
    direction: Direction,
    automated: bool,
} refs |i, b| [key_end(i.fanpage), key_end(i.staff), key_end(i.campaign), key_end(i.ref_id)]
    <= [b.fanpages, b.staff, b.campaigns, b.refs]);
fixed_record!(PurchaseTotals {
    last_at: Option<Ts>,
    count: u32,
    vouchers: u32,
    spend: Option<Decimal>,
});
fixed_record!(DealRow {
    created_at: Ts,
    handed_over_at: Option<Ts>,
    opportunity_at: Option<Ts>,
    won_at: Option<Ts>,
    revenue: Option<Decimal>,
    source: u32,
    product_type: crate::dataset::OptKey,
} refs |d, b| [u64::from(d.source) + 1, key_end(d.product_type)]
    <= [b.marketing_sources, b.product_types]);
fixed_record!(CostRow {
    date: NaiveDate,
    source: u32,
    product_type: crate::dataset::OptKey,
    amount: Decimal,
} refs |c, b| [u64::from(c.source) + 1, key_end(c.product_type)]
    <= [b.marketing_sources, b.product_types]);
codec_record!(FanpageInfo {
    name: String,
    channel: Option<Channel>,
    activated: bool,
    linked_accounts: u64,
});
codec_record!(CampaignInfo {
    name: String,
    channel: Option<Channel>,
});
codec_record!(CustomerText {
    arena: crate::dataset::storage::Arena,
    rows: Vec<[crate::dataset::storage::Span; 7]>,
});
codec_record!(DataQuality {
    tables: [TableCounts; 9],
    rejections: Vec<Rejection>,
    warnings: [u64; 3],
});

impl<I> Codec for Entities<I>
where
    Vec<I>: Codec,
{
    fn encode(&self, out: &mut Out<'_>) {
        let Entities { keys, known, info } = self;
        keys.encode(out);
        known.encode(out);
        info.encode(out);
    }
    fn decode(input: &mut Input<'_>) -> std::result::Result<Entities<I>, Bad> {
        Ok(Entities {
            keys: Codec::decode(input)?,
            known: Codec::decode(input)?,
            info: Codec::decode(input)?,
        })
    }
}

/// Every column name of the input format, in table order: a rejection's column is
/// stored as its position here (`0xFF` for none), since it is a `&'static str`.
fn columns() -> impl Iterator<Item = &'static str> {
    Table::ALL
        .into_iter()
        .flat_map(|table| table.columns().iter().map(|c| c.name))
}

fn column_position(column: &str) -> Option<u8> {
    columns()
        .position(|name| name == column)
        .and_then(|p| u8::try_from(p).ok())
        .filter(|&p| p != u8::MAX)
}

impl Codec for Rejection {
    fn encode(&self, out: &mut Out<'_>) {
        let Rejection {
            table,
            line,
            id,
            column,
            reason,
            detail,
            origin,
        } = self;
        table.encode(out);
        line.encode(out);
        id.encode(out);
        // `save` checks beforehand that every column has a position.
        column
            .and_then(column_position)
            .unwrap_or(u8::MAX)
            .encode(out);
        reason.encode(out);
        detail.encode(out);
        origin.encode(out);
    }
    fn decode(input: &mut Input<'_>) -> std::result::Result<Rejection, Bad> {
        let table = Table::decode(input)?;
        let line = u64::decode(input)?;
        let id = Option::<String>::decode(input)?;
        let column = match u8::decode(input)? {
            u8::MAX => None,
            p => Some(
                columns()
                    .nth(usize::from(p))
                    .ok_or("a rejection names an unknown column")?,
            ),
        };
        Ok(Rejection {
            table,
            line,
            id,
            column,
            reason: Reason::decode(input)?,
            detail: String::decode(input)?,
            origin: Origin::decode(input)?,
        })
    }
}

/// The number of keys of a table that rows refer to (see [`Bounds`]).
trait Keys {
    fn keys(&self) -> usize;
}

impl Keys for crate::dataset::Interner {
    fn keys(&self) -> usize {
        self.len()
    }
}

impl<I> Keys for Entities<I> {
    fn keys(&self) -> usize {
        self.keys.len()
    }
}

/// One section per field of `Dataset`, named after it, in file order: the single list
/// that both saving and opening follow. The patterns are exhaustive, so a new field of
/// `Dataset` does not compile until it is listed here (or named as derived: `day_facts`,
/// the per-zone cache, is not data and starts empty on open, as in a clone).
///
/// `field => bound` records the field's number of keys as that [`Bounds`] entry once
/// it is decoded, for the sections after it: a table is listed before every section
/// whose rows refer to it. The list has three groups: the small tables that others
/// refer to, read first, then two groups of about half the file each, which
/// [`Dataset::open`] reads on two threads with the `parallel` feature (so the second
/// group refers to nothing in the first).
macro_rules! dataset_sections {
    ($([$($field:ident $(=> $bound:ident)?),* $(,)?]),* $(,)?) => {
        /// Encodes the sections in file order, handing their bytes to `sink` a chunk
        /// at a time through one reused buffer ([`Out`]); gives each section's name,
        /// length and checksum, the header's entries.
        fn encode_sections(
            dataset: &Dataset,
            sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
        ) -> std::io::Result<Vec<(&'static str, u64, u64)>> {
            let Dataset { $($($field),*),*, day_facts: _ } = dataset;
            let mut entries = Vec::with_capacity(SECTION_NAMES.len());
            let mut buffer = Vec::with_capacity(CHUNK + 256);
            $($(
                entries.push(encode_section(stringify!($field), $field, &mut buffer, sink)?);
            )*)*
            Ok(entries)
        }

        const SECTION_NAMES: &[&str] = &[$($(stringify!($field)),*),*];

        dataset_sections!(@decode $([$($field $(=> $bound)?),*]),*);
    };
    (@decode [$($first:ident $(=> $first_bound:ident)?),*],
        [$($a:ident $(=> $a_bound:ident)?),*],
        [$($b:ident $(=> $b_bound:ident)?),*]) => {
        /// The first section of the group read by the second thread.
        #[cfg(all(feature = "parallel", unix))]
        const SECOND_HALF: &str = dataset_sections!(@head $($b),*);

        /// Decodes every section in file order from one reader.
        fn decode_sections<R: Read>(s: &mut Sections<'_, R>) -> Result<Dataset> {
            $( let $first = s.decode(stringify!($first))?;
               $( s.bounds.$first_bound = Keys::keys(&$first); )? )*
            $( let $a = s.decode(stringify!($a))?;
               $( s.bounds.$a_bound = Keys::keys(&$a); )? )*
            $( let $b = s.decode(stringify!($b))?;
               $( s.bounds.$b_bound = Keys::keys(&$b); )? )*
            Ok(Dataset {
                $($first,)* $($a,)* $($b,)*
                day_facts: Default::default(),
            })
        }

        /// Decodes the first group with `s`, then the two halves at once: `s` the
        /// first, `t` (whose entries and reader start at [`SECOND_HALF`]) the second.
        /// An error of the first half wins, as it would when reading in file order.
        #[cfg(all(feature = "parallel", unix))]
        fn decode_sections_parallel<R: Read + Send>(
            s: &mut Sections<'_, R>,
            t: &mut Sections<'_, R>,
        ) -> Result<Dataset> {
            $( let $first = s.decode(stringify!($first))?;
               $( s.bounds.$first_bound = Keys::keys(&$first); )? )*
            t.bounds = s.bounds;
            let (first_half, second_half) = rayon::join(
                || -> Result<_> {
                    $( let $a = s.decode(stringify!($a))?;
                       $( s.bounds.$a_bound = Keys::keys(&$a); )? )*
                    Ok(($($a,)*))
                },
                || -> Result<_> {
                    $( let $b = t.decode(stringify!($b))?;
                       $( t.bounds.$b_bound = Keys::keys(&$b); )? )*
                    Ok(($($b,)*))
                },
            );
            let ($($a,)*) = first_half?;
            let ($($b,)*) = second_half?;
            Ok(Dataset {
                $($first,)* $($a,)* $($b,)*
                day_facts: Default::default(),
            })
        }
    };
    (@head $head:ident $(, $rest:ident)*) => { stringify!($head) };
}

dataset_sections!(
    [
        products => products,
        refs => refs,
        marketing_sources => marketing_sources,
        product_types => product_types,
        staff => staff,
        fanpages => fanpages,
        campaigns => campaigns,
    ],
    [
        customer_ids => customers,
        order_ids => order_ids,
        customers,
        customer_by_load,
        customer_text,
        order_runs,
        orders,
        order_details,
        line_runs,
        lines,
        last_order_secs,
        last_interaction_secs,
        purchase_totals,
        first_social_message,
    ],
    [
        interaction_runs,
        interactions,
        deals,
        deal_index,
        costs,
        quality,
        inbound,
        engagement,
        ids,
        dead,
    ],
);

/// The body of a file, read one section at a time in the order of the header's table
/// (checked to be [`SECTION_NAMES`], the order the writer writes). Each section streams
/// through one small reused buffer ([`Input`]): its bytes are added to the checksum and
/// decoded as they arrive, and the checksum is compared once the section has been read
/// to its end, before its value (or the error its decoding met) is used. So opening
/// holds the dataset plus a quarter of a megabyte, never a section or the whole file.
struct Sections<'r, R> {
    reader: &'r mut R,
    /// The header's entries still to read: name, length, checksum.
    entries: std::vec::IntoIter<(&'static str, u64, u64)>,
    /// The buffer every section streams through (moved into each [`Input`] in turn).
    buffer: Vec<u8>,
    /// Bytes of the file read so far, header included (for a truncation's message).
    consumed: u64,
    /// The file's length, as the header states it.
    total: u64,
    /// Whether the file is known to be `total` bytes long (see [`Input::capacity`]).
    trusted: bool,
    path: Option<&'r Path>,
    /// The lengths of the tables decoded so far that rows refer to.
    bounds: Bounds,
}

impl<'r, R: Read> Sections<'r, R> {
    /// The sections `entries` that `reader` is at, `consumed` bytes into the file.
    fn new(
        reader: &'r mut R,
        entries: Vec<(&'static str, u64, u64)>,
        consumed: u64,
        total: u64,
        trusted: bool,
        path: Option<&'r Path>,
    ) -> Sections<'r, R> {
        Sections {
            reader,
            entries: entries.into_iter(),
            buffer: Vec::new(),
            consumed,
            total,
            trusted,
            path,
            bounds: Bounds::default(),
        }
    }

    fn decode<T: Codec>(&mut self, name: &'static str) -> Result<T> {
        let path = self.path;
        let (_, len, sum) = self
            .entries
            .next()
            .filter(|(found, _, _)| *found == name)
            .ok_or_else(|| corrupt(path, (name, "the section is missing")))?;
        let mut input = Input::new(
            &mut *self.reader,
            std::mem::take(&mut self.buffer),
            len,
            self.trusted,
        );
        input.bounds = self.bounds;
        let value = T::decode(&mut input);
        let trailing = input.remaining() > 0;
        // Whatever decoding found, the section is read to its end: a damaged byte is
        // reported as damage (the checksum), not as whatever value it made invalid.
        let (buffer, read, found) = input.finish();
        self.buffer = buffer;
        self.consumed += read;
        match found {
            Err(Stop::Io(source)) => {
                return Err(Error::Io {
                    path: source_name(path),
                    source,
                });
            }
            Err(Stop::Truncated) => {
                return Err(Error::SnapshotTruncated {
                    path: source_name(path),
                    expected: self.total,
                    actual: self.consumed,
                });
            }
            Ok(found) if found != sum => {
                return Err(corrupt(
                    path,
                    (name, "checksum mismatch: the file was damaged"),
                ));
            }
            Ok(_) => {}
        }
        let value = value.map_err(|bad| corrupt(path, (name, bad)))?;
        if trailing {
            return Err(corrupt(
                path,
                (name, "the section has bytes after its value"),
            ));
        }
        Ok(value)
    }
}

/// Runs `offsets` split `rows` rows into `groups` groups: `groups + 1` offsets from 0 to
/// `rows`, never decreasing.
/// Whether each of `groups` customers' runs lies within a table of `rows` rows (runs
/// may leave dead rows between them, and a forged file's runs may overlap: reading
/// them is still in bounds, and compaction skips an overlapping run).
fn customer_runs_ok(runs: &[Run], groups: usize, rows: usize) -> bool {
    runs.len() == groups
        && runs.iter().fold(true, |ok, r| {
            ok & (r.start as usize + r.len as usize <= rows)
        })
}

/// Whether each table's dead rows plus the rows its runs cover are its length (the
/// lines of an order being those of its position, for the orders the runs cover). Run
/// and line offsets must already be in bounds. Most overlapping runs fail this too.
fn dead_rows_ok(d: &Dataset) -> bool {
    let covered = |runs: &[Run]| runs.iter().map(|r| u64::from(r.len)).sum::<u64>();
    let lines = d.order_runs.iter().fold(0u64, |sum, r| {
        let (start, end) = (r.start as usize, r.start as usize + r.len as usize);
        match (d.line_runs.get(start), d.line_runs.get(end)) {
            (Some(&a), Some(&b)) => sum.saturating_add(u64::from(b.saturating_sub(a))),
            _ => u64::MAX,
        }
    });
    covered(&d.order_runs).checked_add(d.dead.orders) == Some(d.orders.len() as u64)
        && lines.checked_add(d.dead.lines) == Some(d.lines.len() as u64)
        && covered(&d.interaction_runs).checked_add(d.dead.interactions)
            == Some(d.interactions.len() as u64)
}

fn runs_ok(offsets: &[u32], groups: usize, rows: usize) -> bool {
    offsets.len() == groups + 1
        && offsets.first() == Some(&0)
        && offsets.last().map(|&l| l as usize) == Some(rows)
        && offsets.windows(2).fold(true, |ok, w| ok & (w[0] <= w[1]))
}

/// One past a key (0 for none): see [`max_ends`].
#[inline]
fn key_end(k: crate::dataset::OptKey) -> u64 {
    k.get().map_or(0, |k| u64::from(k) + 1)
}

/// What the decoding of each section could not check: that tables describing the same
/// rows have the same length, run offsets, and the references of sections whose rows
/// are not checked as they are decoded (the rows of customers, orders, order lines,
/// interactions, deals and costs are: see [`Fixed::refs_within`]). The first section
/// that fails, and why.
fn check_references(d: &Dataset) -> std::result::Result<(), (&'static str, Bad)> {
    let n = d.customers.len();
    let fail =
        |ok: bool, section: &'static str, why: Bad| if ok { Ok(()) } else { Err((section, why)) };
    const LEN: Bad = "its length differs from the table it describes";
    const REF: Bad = "a reference points past the end of what it refers to";
    const RUNS: Bad = "its run offsets do not cover the rows in order";
    const CUSTOMER_RUNS: Bad =
        "a run passes the end of its table, or its length differs from the customers'";
    const DEAD: Bad = "its dead rows and the rows the runs cover do not add up to the tables";
    fail(d.customer_ids.len() == n, "customer_ids", LEN)?;
    fail(d.customer_by_load.len() == n, "customer_by_load", LEN)?;
    fail(d.customer_text.rows.len() == n, "customer_text", LEN)?;
    fail(
        customer_runs_ok(&d.order_runs, n, d.orders.len()),
        "order_runs",
        CUSTOMER_RUNS,
    )?;
    fail(
        d.order_details.len() == d.orders.len(),
        "order_details",
        LEN,
    )?;
    fail(
        runs_ok(&d.line_runs, d.orders.len(), d.lines.len()),
        "line_runs",
        RUNS,
    )?;
    fail(
        customer_runs_ok(&d.interaction_runs, n, d.interactions.len()),
        "interaction_runs",
        CUSTOMER_RUNS,
    )?;
    fail(dead_rows_ok(d), "dead", DEAD)?;
    fail(d.last_order_secs.len() == n, "last_order_secs", LEN)?;
    fail(
        d.last_interaction_secs.len() == n,
        "last_interaction_secs",
        LEN,
    )?;
    fail(d.purchase_totals.len() == n, "purchase_totals", LEN)?;
    fail(
        d.first_social_message.len() == n,
        "first_social_message",
        LEN,
    )?;
    let (sources, types) = (d.marketing_sources.len(), d.product_types.len());
    fail(
        d.deal_index
            .references_within(d.deals.len(), sources, types),
        "deal_index",
        REF,
    )?;
    let entities_ok =
        |keys: usize, known: u32, info: usize| known as usize <= keys && info == known as usize;
    fail(
        entities_ok(d.staff.keys.len(), d.staff.known, d.staff.info.len()),
        "staff",
        LEN,
    )?;
    fail(
        entities_ok(
            d.fanpages.keys.len(),
            d.fanpages.known,
            d.fanpages.info.len(),
        ),
        "fanpages",
        LEN,
    )?;
    fail(
        entities_ok(
            d.campaigns.keys.len(),
            d.campaigns.known,
            d.campaigns.info.len(),
        ),
        "campaigns",
        LEN,
    )?;
    fail(
        d.quality
            .tables
            .iter()
            .all(|t| t.accepted.checked_add(t.rejected) == Some(t.read)),
        "quality",
        "a table's read count is not accepted + rejected",
    )?;
    fail(
        d.inbound.references_within(n, d.fanpages.keys.len()),
        "inbound",
        REF,
    )?;
    fail(
        d.engagement.campaign_count() == d.campaigns.keys.len(),
        "engagement",
        LEN,
    )?;
    let ids = &d.ids;
    // An order id without an accepted order has owner `u32::MAX`.
    let owner_end = |o: &u32| [if *o == u32::MAX { 0 } else { u64::from(*o) + 1 }];
    let end = |k: &u32| [u64::from(*k) + 1];
    fail(
        ids.order_owner.len() == d.order_ids.len()
            && ids.deal_keys.len() == d.deals.len()
            && ids.interaction_keys.len() == d.interactions.len()
            && ids.interaction_owner.len() == ids.interactions.len(),
        "ids",
        LEN,
    )?;
    fail(
        within(max_ends(&ids.order_owner, owner_end), [n])
            && within(max_ends(&ids.interaction_owner, end), [n])
            && within(max_ends(&ids.deal_keys, end), [ids.deals.len()])
            && within(
                max_ends(&ids.interaction_keys, end),
                [ids.interactions.len()],
            ),
        "ids",
        REF,
    )?;
    Ok(())
}

/// What to call the source in messages.
fn source_name(path: Option<&Path>) -> PathBuf {
    path.map_or_else(|| PathBuf::from("snapshot"), Path::to_owned)
}

fn corrupt(path: Option<&Path>, (section, problem): (&'static str, Bad)) -> Error {
    Error::SnapshotCorrupt {
        path: source_name(path),
        section,
        problem,
    }
}

/// The static name of a section read from a header.
fn known_name(raw: &[u8]) -> Option<&'static str> {
    let len = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let name = raw.get(..len)?;
    SECTION_NAMES.iter().copied().find(|n| n.as_bytes() == name)
}

/// Reads as much of `buf` as `reader` has; how much that was.
fn fill(reader: &mut impl Read, buf: &mut [u8], path: Option<&Path>) -> Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match reader.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(k) => done += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(Error::Io {
                    path: source_name(path),
                    source,
                });
            }
        }
    }
    Ok(done)
}

/// What the header of a file says.
struct Header {
    /// Name, length and checksum of each section, in file order.
    entries: Vec<(&'static str, u64, u64)>,
    /// Bytes of the header, where the first section starts.
    len: u64,
    /// The file's length.
    total: u64,
}

/// Reads and checks the header `reader` is at.
fn read_header(reader: &mut impl Read, path: Option<&Path>) -> Result<Header> {
    let mut fixed = [0u8; FIXED_HEADER];
    let got = fill(reader, &mut fixed, path)?;
    if !looks_like_snapshot(&fixed[..got]) {
        return Err(Error::NotASnapshot {
            path: source_name(path),
        });
    }
    let truncated = |expected: u64, actual: u64| Error::SnapshotTruncated {
        path: source_name(path),
        expected,
        actual,
    };
    if got < 12 {
        return Err(truncated(FIXED_HEADER as u64, got as u64));
    }
    let version = u32::from_le_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]);
    if version != VERSION {
        return Err(Error::SnapshotVersion {
            path: source_name(path),
            found: version,
            supported: VERSION,
        });
    }
    if got < FIXED_HEADER {
        return Err(truncated(FIXED_HEADER as u64, got as u64));
    }
    let count = u32::from_le_bytes([fixed[12], fixed[13], fixed[14], fixed[15]]) as usize;
    let mut total_bytes = [0u8; 8];
    total_bytes.copy_from_slice(&fixed[16..24]);
    let total = u64::from_le_bytes(total_bytes);
    if count > MAX_SECTIONS {
        return Err(corrupt(path, ("header", "it lists too many sections")));
    }
    let header_len = FIXED_HEADER + count * ENTRY_BYTES + 8;
    let mut header = vec![0u8; header_len];
    header[..FIXED_HEADER].copy_from_slice(&fixed);
    let got = fill(reader, &mut header[FIXED_HEADER..], path)?;
    if got < header_len - FIXED_HEADER {
        return Err(truncated(
            total.max(header_len as u64),
            (FIXED_HEADER + got) as u64,
        ));
    }
    let (covered, stored) = header.split_at(header_len - 8);
    if u64::get(stored) != Some(checksum(covered)) {
        return Err(corrupt(
            path,
            ("header", "checksum mismatch: the file was damaged"),
        ));
    }
    let mut entries = Vec::with_capacity(count);
    let mut body_len = 0u64;
    for entry in covered[FIXED_HEADER..].chunks_exact(ENTRY_BYTES) {
        let name = known_name(&entry[..NAME_BYTES])
            .ok_or_else(|| corrupt(path, ("header", "it lists an unknown section")))?;
        let len = u64::get(&entry[NAME_BYTES..NAME_BYTES + 8]).unwrap_or(u64::MAX);
        let sum = u64::get(&entry[NAME_BYTES + 8..]).unwrap_or(0);
        body_len = body_len
            .checked_add(len)
            .ok_or_else(|| corrupt(path, ("header", "section lengths overflow")))?;
        entries.push((name, len, sum));
    }
    if body_len.checked_add(header_len as u64) != Some(total) {
        return Err(corrupt(
            path,
            (
                "header",
                "the section lengths do not add up to the file length",
            ),
        ));
    }
    if !entries
        .iter()
        .map(|e| e.0)
        .eq(SECTION_NAMES.iter().copied())
    {
        return Err(corrupt(
            path,
            (
                "header",
                "its sections are not this version's, in this version's order",
            ),
        ));
    }
    Ok(Header {
        entries,
        len: header_len as u64,
        total,
    })
}

/// Checks that `reader` is at the end of the file.
fn at_end(reader: &mut impl Read, path: Option<&Path>) -> Result<()> {
    let mut extra = [0u8; 1];
    if fill(reader, &mut extra, path)? > 0 {
        return Err(corrupt(
            path,
            ("header", "the file is longer than its header says"),
        ));
    }
    Ok(())
}

/// Reads a snapshot from `reader` (see [`Dataset::read_snapshot`]); `known_len` is the
/// file's length when the reader is a file.
fn read(mut reader: impl Read, path: Option<&Path>, known_len: Option<u64>) -> Result<Dataset> {
    let header = read_header(&mut reader, path)?;
    let mut sections = Sections::new(
        &mut reader,
        header.entries,
        header.len,
        header.total,
        known_len == Some(header.total),
        path,
    );
    let dataset = decode_sections(&mut sections)?;
    drop(sections);
    at_end(&mut reader, path)?;
    check_references(&dataset).map_err(|e| corrupt(path, e))?;
    Ok(dataset)
}

/// A file read at a position of its own (`pread`), so that two threads read one open
/// file at two places without sharing a cursor.
#[cfg(all(feature = "parallel", unix))]
struct At<'f> {
    file: &'f std::fs::File,
    pos: u64,
}

#[cfg(all(feature = "parallel", unix))]
impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        self.pos += k as u64;
        Ok(k)
    }
}

/// [`read`] for a file of `len` bytes, its two halves (see `dataset_sections!`) on two
/// threads of rayon's pool: each streams through its own buffer from its own position,
/// so that both the decoding and the kernel's work of handing out the dataset's fresh
/// pages are shared by two cores. The same checks and errors as [`read`], which it
/// falls back to when the header's length is not the file's.
#[cfg(all(feature = "parallel", unix))]
fn read_parallel(file: &std::fs::File, path: &Path, len: u64) -> Result<Dataset> {
    let path = Some(path);
    let mut head = At { file, pos: 0 };
    let header = read_header(&mut head, path)?;
    if header.total != len {
        return read(At { file, pos: 0 }, path, Some(len));
    }
    let split = SECTION_NAMES
        .iter()
        .position(|&name| name == SECOND_HALF)
        .unwrap_or(SECTION_NAMES.len());
    let mut first = header.entries;
    let second = first.split_off(split.min(first.len()));
    let middle = header.len + first.iter().map(|e| e.1).sum::<u64>();
    let (mut a, mut b) = (
        At {
            file,
            pos: header.len,
        },
        At { file, pos: middle },
    );
    let mut s = Sections::new(&mut a, first, header.len, header.total, true, path);
    let mut t = Sections::new(&mut b, second, middle, header.total, true, path);
    let dataset = decode_sections_parallel(&mut s, &mut t)?;
    at_end(&mut At { file, pos: len }, path)?;
    check_references(&dataset).map_err(|e| corrupt(path, e))?;
    Ok(dataset)
}

/// Refuses a dataset whose snapshot could not be read back: a rejection naming a
/// column that is not a column of the input format (only a hand-made rejection can).
fn check_writable(dataset: &Dataset) -> Result<()> {
    match dataset
        .quality
        .rejections
        .iter()
        .find(|r| r.column.is_some_and(|c| column_position(c).is_none()))
    {
        Some(r) => Err(Error::InvalidArgument(format!(
            "rejection column {:?} is not a column of the input format: the snapshot could not be read back",
            r.column.unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

/// Encodes one section through `buffer` into `sink`: its header entry (name, length,
/// checksum).
fn encode_section<T: Codec>(
    name: &'static str,
    value: &T,
    buffer: &mut Vec<u8>,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<(&'static str, u64, u64)> {
    let (mut sum, mut len) = (Checksum::new(), 0u64);
    let mut each = |bytes: &[u8]| {
        sum.update(bytes);
        len += bytes.len() as u64;
        sink(bytes)
    };
    let mut out = Out::new(std::mem::take(buffer), &mut each);
    value.encode(&mut out);
    let (bytes, result) = out.finish();
    *buffer = bytes;
    result?;
    Ok((name, len, sum.finish()))
}

/// The header's length for `sections` sections.
fn header_len(sections: usize) -> usize {
    FIXED_HEADER + sections * ENTRY_BYTES + 8
}

/// The header for `entries` (name, length, checksum of each section, in file order).
fn encode_header(entries: &[(&'static str, u64, u64)]) -> Vec<u8> {
    let len = header_len(entries.len());
    let total = len as u64 + entries.iter().map(|e| e.1).sum::<u64>();
    let mut header = Vec::with_capacity(len);
    header.extend_from_slice(&MAGIC);
    VERSION.put(&mut header);
    (entries.len() as u32).put(&mut header);
    total.put(&mut header);
    for &(name, bytes, sum) in entries {
        let mut padded = [0u8; NAME_BYTES];
        padded[..name.len()].copy_from_slice(name.as_bytes());
        header.extend_from_slice(&padded);
        bytes.put(&mut header);
        sum.put(&mut header);
    }
    checksum(&header).put(&mut header);
    header
}

/// The error of a failed write.
fn write_error(path: Option<&Path>) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: source_name(path),
        source,
    }
}

/// Writes a snapshot of `dataset` to `writer`, which cannot seek (see
/// [`Dataset::write_snapshot`]): the header comes first and holds every section's
/// length and checksum, so the sections are encoded twice, once for the header and
/// once to be written.
fn write(dataset: &Dataset, mut writer: impl Write, path: Option<&Path>) -> Result<()> {
    check_writable(dataset)?;
    let io = write_error(path);
    let entries = encode_sections(dataset, &mut |_| Ok(())).map_err(&io)?;
    writer.write_all(&encode_header(&entries)).map_err(&io)?;
    let written = encode_sections(dataset, &mut |bytes| writer.write_all(bytes)).map_err(&io)?;
    debug_assert_eq!(written, entries, "encoding is deterministic");
    writer.flush().map_err(io)
}

/// Writes a snapshot of `dataset` to `writer`, which can seek (see
/// [`Dataset::write_snapshot_seekable`]): a blank header first, then each section as it
/// is encoded, then the header over the blank one. Each section is encoded once.
fn save_to(dataset: &Dataset, mut writer: impl Write + Seek, path: Option<&Path>) -> Result<()> {
    check_writable(dataset)?;
    let io = write_error(path);
    let start = writer.stream_position().map_err(&io)?;
    writer
        .write_all(&vec![0; header_len(SECTION_NAMES.len())])
        .map_err(&io)?;
    let entries = encode_sections(dataset, &mut |bytes| writer.write_all(bytes)).map_err(&io)?;
    let end = writer.stream_position().map_err(&io)?;
    writer.seek(std::io::SeekFrom::Start(start)).map_err(&io)?;
    writer.write_all(&encode_header(&entries)).map_err(&io)?;
    writer.seek(std::io::SeekFrom::Start(end)).map_err(&io)?;
    writer.flush().map_err(io)
}

impl Dataset {
    /// Writes a snapshot of the dataset to `path` (created or replaced): every row,
    /// index and the data quality report, in the binary format of
    /// [`dataset::snapshot`](crate::dataset::snapshot). [`Dataset::open`] reads it back
    /// into a dataset that gives the same reports, without reading CSV again.
    ///
    /// The file is written in place; to never leave a half-written file under `path`,
    /// write to a temporary file beside it and rename it (as the dashboard does). The
    /// header, which holds each section's length and checksum, is written last over a
    /// blank one, so a file whose writing stopped before it opens as
    /// [`Error::NotASnapshot`] (and one that stopped within it, as another error).
    ///
    /// Memory: the sections stream out through one reused buffer of about 256 KiB, so
    /// saving holds the dataset plus that buffer, never a section or the whole file.
    ///
    /// # Errors
    /// [`Error::Write`] when the file cannot be created or written.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::{Dataset, sample::SampleOptions};
    ///
    /// let dataset = SampleOptions::new(100).seed(7).dataset()?;
    /// let path = std::env::temp_dir().join(format!("doc-{}.crmsnap", std::process::id()));
    /// dataset.save(&path)?;
    /// let opened = Dataset::open(&path)?;
    /// assert_eq!(opened.customer_count(), 100);
    /// assert_eq!(opened.quality(), dataset.quality());
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = std::fs::File::create(path).map_err(write_error(Some(path)))?;
        save_to(self, file, Some(path))
    }

    /// Writes a snapshot of the dataset to `writer` (a file, a socket, a `Vec<u8>`):
    /// the bytes [`Dataset::save`] writes. The writer need not seek, so each section is
    /// encoded twice (once for the header's lengths and checksums, once to be written);
    /// as for `save`, the bytes stream out through one buffer of about 256 KiB.
    ///
    /// # Errors
    /// [`Error::Write`] (its path reads `snapshot`) when writing fails.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::{Dataset, sample::SampleOptions};
    ///
    /// let dataset = SampleOptions::new(50).seed(1).dataset()?;
    /// let mut bytes = Vec::new();
    /// dataset.write_snapshot(&mut bytes)?;
    /// let opened = Dataset::read_snapshot(bytes.as_slice())?;
    /// assert_eq!(opened.order_count(), dataset.order_count());
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn write_snapshot(&self, writer: impl Write) -> Result<()> {
        write(self, writer, None)
    }

    /// Writes a snapshot of the dataset to `writer`, which can seek (a `File`, a
    /// `Cursor<Vec<u8>>`), from its current position: the bytes
    /// [`Dataset::write_snapshot`] writes, with each section encoded once (the header
    /// is written last, over a blank one). [`Dataset::save`] writes a file this way.
    /// The writer is left at the end of the snapshot. A file opened for appending
    /// cannot be written this way (its writes ignore the seek back to the header): use
    /// [`Dataset::write_snapshot`] for it.
    ///
    /// # Errors
    /// [`Error::Write`] (its path reads `snapshot`) when writing or seeking fails.
    ///
    /// # Example
    /// ```
    /// use std::io::Cursor;
    /// use crm_metrics::{Dataset, sample::SampleOptions};
    ///
    /// let dataset = SampleOptions::new(50).seed(1).dataset()?;
    /// let mut once = Cursor::new(b"prefix".to_vec());
    /// once.set_position(6);
    /// dataset.write_snapshot_seekable(&mut once)?;
    /// let mut twice = Vec::new();
    /// dataset.write_snapshot(&mut twice)?;
    /// assert_eq!(&once.get_ref()[6..], twice.as_slice());
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn write_snapshot_seekable(&self, writer: impl Write + Seek) -> Result<()> {
        save_to(self, writer, None)
    }

    /// Opens a snapshot written by [`Dataset::save`].
    ///
    /// # Errors
    /// Each a clear error, never a panic and never a dataset with wrong contents from a
    /// damaged file:
    /// * [`Error::NotASnapshot`]: the file does not start with the snapshot magic bytes
    ///   (a CSV file, an image, an empty file).
    /// * [`Error::SnapshotVersion`]: written by another format version.
    /// * [`Error::SnapshotTruncated`]: the file ends before its header says it does.
    /// * [`Error::SnapshotCorrupt`]: a checksum does not match (a changed byte) or a
    ///   value is invalid; names the section.
    /// * [`Error::Io`] and [`Error::NotARegularFile`] when the file cannot be read.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::{Dataset, Error};
    ///
    /// let path = std::env::temp_dir().join(format!("doc-open-{}.csv", std::process::id()));
    /// std::fs::write(&path, "id,created_at,source\n")?;
    /// assert!(matches!(Dataset::open(&path), Err(Error::NotASnapshot { .. })));
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Dataset> {
        let path = path.as_ref();
        let file = crate::io::file::open_regular(path)?;
        let len = file.metadata().ok().map(|m| m.len());
        #[cfg(all(feature = "parallel", unix))]
        if let Some(len) = len {
            return read_parallel(&file, path, len);
        }
        // Unbuffered: sections stream through their own buffer; a `BufReader` would add
        // a copy.
        read(file, Some(path), len)
    }

    /// Reads a snapshot from `reader`; see [`Dataset::open`] for the errors (messages
    /// name the source `snapshot`).
    pub fn read_snapshot(reader: impl Read) -> Result<Dataset> {
        read(reader, None, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_sees_every_flipped_byte_and_the_length() {
        let bytes: Vec<u8> = (0..100u32).map(|i| (i * 7) as u8).collect();
        let base = checksum(&bytes);
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x10;
            assert_ne!(checksum(&flipped), base, "byte {i}");
        }
        assert_ne!(checksum(&bytes[..99]), base);
        let mut padded = bytes.clone();
        padded.push(0);
        assert_ne!(checksum(&padded), base);
    }

    /// A dataset changed in memory so that one reference points one past the end of its
    /// table, saved with matching checksums (a forged file): opening names the section
    /// and the reference, it neither panics nor opens.
    #[test]
    fn forged_references_are_named_by_their_section() {
        use crate::dataset::OptKey;
        let base = crate::sample::SampleOptions::new(60)
            .seed(5)
            .dataset()
            .unwrap();
        assert!(
            !base.lines.is_empty()
                && !base.interactions.is_empty()
                && !base.deals.is_empty()
                && !base.costs.is_empty()
        );
        type Forge = fn(&mut Dataset);
        let forgeries: [(&str, Forge); 9] = [
            ("customers", |d| {
                d.customers[0].load = d.customers.len() as u32
            }),
            ("customer_by_load", |d| {
                d.customer_by_load[0] = CustomerIdx(d.customers.len() as u32)
            }),
            ("order_details", |d| {
                d.order_details[0].id = d.order_ids.len() as u32
            }),
            ("order_details", |d| {
                d.order_details[0].staff = OptKey::some(d.staff.keys.len() as u32)
            }),
            ("lines", |d| d.lines[0].product = d.products.len() as u32),
            ("interactions", |d| {
                d.interactions[0].fanpage = OptKey::some(d.fanpages.keys.len() as u32)
            }),
            ("interactions", |d| {
                d.interactions[0].ref_id = OptKey::some(d.refs.len() as u32)
            }),
            ("deals", |d| {
                d.deals[0].source = d.marketing_sources.len() as u32
            }),
            ("costs", |d| {
                d.costs[0].product_type = OptKey::some(d.product_types.len() as u32)
            }),
        ];
        // Also through a file: `open` reads it in two halves with `parallel`.
        let path = std::env::temp_dir().join(format!("crm-forged-{}.crmsnap", std::process::id()));
        for (section, forge) in forgeries {
            let mut forged = base.clone();
            forge(&mut forged);
            let mut bytes = Vec::new();
            forged.write_snapshot(&mut bytes).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            for result in [
                Dataset::read_snapshot(bytes.as_slice()),
                Dataset::open(&path),
            ] {
                match result {
                    Err(Error::SnapshotCorrupt {
                        section: found,
                        problem,
                        ..
                    }) => {
                        assert_eq!(found, section);
                        assert_eq!(problem, crate::dataset::codec::BAD_REF, "{section}");
                    }
                    other => panic!("{section}: {:?}", other.map(|_| ())),
                }
            }
        }
        std::fs::remove_file(&path).ok();
        // The last key of each table is in bounds.
        let mut edge = base.clone();
        edge.lines[0].product = edge.products.len() as u32 - 1;
        let mut bytes = Vec::new();
        edge.write_snapshot(&mut bytes).unwrap();
        assert!(Dataset::read_snapshot(bytes.as_slice()).is_ok());
    }

    /// Runs past the end of their table, a run table of the wrong length and more dead
    /// rows than a table holds are named as damage; runs that overlap (which no build
    /// or batch makes) open, report and compact without a panic.
    #[test]
    fn forged_runs_and_dead_counts_are_refused_or_harmless() {
        use crate::dataset::storage::Run;
        let base = crate::sample::SampleOptions::new(60)
            .seed(5)
            .dataset()
            .unwrap();
        type Forge = fn(&mut Dataset);
        let forgeries: [(&str, Forge); 5] = [
            ("order_runs", |d| {
                let end = d.orders.len() as u32;
                d.order_runs[3] = Run { start: end, len: 1 };
            }),
            ("order_runs", |d| {
                d.order_runs.pop();
            }),
            ("interaction_runs", |d| {
                d.interaction_runs[0] = Run {
                    start: u32::MAX,
                    len: u32::MAX,
                };
            }),
            ("dead", |d| d.dead.lines = 1),
            ("dead", |d| d.dead.interactions = u64::MAX),
        ];
        for (section, forge) in forgeries {
            let mut forged = base.clone();
            forge(&mut forged);
            let mut bytes = Vec::new();
            forged.write_snapshot(&mut bytes).unwrap();
            match Dataset::read_snapshot(bytes.as_slice()) {
                Err(Error::SnapshotCorrupt { section: found, .. }) => assert_eq!(found, section),
                other => panic!("{section}: {:?}", other.map(|_| ())),
            }
        }

        // A customer's runs overlap another's, with dead counts that add up: in bounds,
        // so the file opens. Customer `c` gets the first order and interaction of a
        // later customer `e` as its runs; its own rows become dead.
        let mut forged = base.clone();
        let lines = |d: &Dataset, run: Run| run.range().map(|p| d.lines_of(p).len()).sum::<usize>();
        let n = base.customers.len();
        let (c, e) = (0..n)
            .flat_map(|c| (c + 1..n).map(move |e| (c, e)))
            .find(|&(c, e)| {
                let (oc, oe) = (base.order_runs[c], base.order_runs[e]);
                oc.len >= 1
                    && oe.len >= 2
                    && base.interaction_runs[c].len >= 1
                    && base.interaction_runs[e].len >= 2
                    && lines(
                        &base,
                        Run {
                            start: oe.start,
                            len: 1,
                        },
                    ) <= lines(&base, oc)
            })
            .unwrap();
        let (a, b) = (forged.order_runs[e], forged.interaction_runs[e]);
        let first = Run {
            start: a.start,
            len: 1,
        };
        forged.dead.orders = u64::from(forged.order_runs[c].len) - 1;
        forged.dead.interactions = u64::from(forged.interaction_runs[c].len) - 1;
        forged.dead.lines = (lines(&forged, forged.order_runs[c]) - lines(&forged, first)) as u64;
        forged.order_runs[c] = first;
        forged.interaction_runs[c] = Run {
            start: b.start,
            len: 1,
        };
        let mut bytes = Vec::new();
        forged.write_snapshot(&mut bytes).unwrap();
        let mut opened = Dataset::read_snapshot(bytes.as_slice()).unwrap();
        let as_of =
            chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 15, 3, 0, 0).unwrap();
        let options = crate::ReportOptions::new(as_of);
        crate::report::report(&opened, &options).unwrap();
        opened.compact();
        // Compaction keeps, of two runs that start together, the first customer's.
        assert_eq!(opened.order_runs[c].len, 1);
        assert_eq!(opened.interaction_runs[c].len, 1);
        assert_eq!(opened.order_runs[e].len, 0);
        assert_eq!(opened.interaction_runs[e].len, 0);
        crate::report::report(&opened, &options).unwrap();
        // A dead count that does not add up is refused.
        forged.dead.orders += 1;
        let mut bytes = Vec::new();
        forged.write_snapshot(&mut bytes).unwrap();
        assert!(matches!(
            Dataset::read_snapshot(bytes.as_slice()),
            Err(Error::SnapshotCorrupt {
                section: "dead",
                ..
            })
        ));
    }

    #[test]
    fn every_column_has_a_position() {
        for table in Table::ALL {
            for column in table.columns() {
                let p = column_position(column.name).unwrap();
                assert_eq!(columns().nth(usize::from(p)), Some(column.name));
            }
        }
    }

    #[test]
    fn scalars_round_trip_and_reject_invalid_bytes() {
        let mut out = Vec::new();
        let d = Decimal::new(-12345, 3);
        d.put(&mut out);
        assert_eq!(Decimal::get(&out), Some(d));
        out[2] = 29; // scale 29
        assert_eq!(Decimal::get(&out), None);
        assert_eq!(bool::get(&[2]), None);
        assert_eq!(Source::get(&[200]), None);
        assert_eq!(Option::<u32>::get(&[2, 0, 0, 0, 0]), None);
        assert_eq!(Option::<u32>::get(&[0, 1, 0, 0, 0]), None);
        let mut out = Vec::new();
        Ts {
            secs: i64::MAX,
            nanos: 0,
        }
        .put(&mut out);
        assert_eq!(Ts::get(&out), None);
    }
}
