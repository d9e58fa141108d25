//! [`Interner`]: id strings to dense `u32` indices, without one allocation per id.

use std::cmp::Ordering;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use hashbrown::{DefaultHashBuilder, HashTable};

/// Maps strings to dense indices `0, 1, 2, …` in first-seen order.
///
/// The text of every key lives in one arena `String`; the hash table holds only the
/// indices, so interning millions of ids makes no per-id allocation (hashbrown's
/// `HashTable` looks keys up through the arena).
///
/// **Sorted fast path.** Exports usually list ids in increasing order (`KH0000001`,
/// `KH0000002`, … or `1, 2, …, 10`). While every new key is greater than the previous
/// one in `(length, bytes)` order, keys are only appended: no hashing, no random memory
/// access, and a look-up is a binary search. The first key out of order builds the hash
/// table once, and interning continues through it. [`resolve`] joins two sorted
/// interners with one sequential merge.
///
/// **The hash table is built on first use.** Once the keys are out of order, the table
/// is built by the first look-up or intern that needs it, not before: an interner read
/// from a snapshot (`super::snapshot`) holds only its text and offsets until
/// [`Dataset::apply`](super::Dataset::apply) or a look-up by id needs the table, so
/// opening a snapshot of millions of unsorted ids (UUIDs, say) hashes none of them, and
/// reports, which never look ids up, never pay for it. (The hasher is seeded at random
/// per process, so the table could not be stored in the file anyway.)
///
/// Memory: the key bytes plus 4 bytes per key (its end offset), and once hashed about
/// 5 bytes per table slot.
#[derive(Clone)]
pub(crate) struct Interner {
    text: String,
    /// End offset of each key in `text` (the text is at most 4 GiB).
    ends: Vec<u32>,
    /// Holds every key once built; never built while sorted. Built on first use
    /// (see "The hash table is built on first use").
    table: OnceLock<HashTable<u32>>,
    hasher: DefaultHashBuilder,
    /// Keys so far are strictly increasing in `(length, bytes)` order.
    sorted: bool,
    /// The key returned last by [`Interner::intern_repeated`] (`u32::MAX`: none).
    last: u32,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} keys)", self.len())
    }
}

impl Default for Interner {
    fn default() -> Interner {
        Interner::with_capacity(0)
    }
}

/// The order of the sorted fast path: shorter first, then bytes (numeric ids without
/// leading zeros sort like numbers).
#[inline]
fn order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

impl Interner {
    pub(crate) fn with_capacity(keys: usize) -> Interner {
        Interner {
            text: String::new(),
            ends: Vec::with_capacity(keys),
            table: OnceLock::new(),
            hasher: DefaultHashBuilder::default(),
            sorted: true,
            last: u32::MAX,
        }
    }

    /// Makes room for `keys` more keys of about `bytes_per_key` bytes each, as far as
    /// the allocator grants it (an estimate that is refused leaves the room as it was:
    /// the keys then grow as they come).
    pub(crate) fn reserve(&mut self, keys: usize, bytes_per_key: usize) {
        let _ = self.ends.try_reserve(keys);
        let _ = self.text.try_reserve(keys.saturating_mul(bytes_per_key));
    }

    /// Number of distinct keys.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    #[inline]
    fn key(&self, index: u32) -> &str {
        let i = index as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The text of a key; `""` for an index not of this interner.
    pub(crate) fn resolve(&self, index: u32) -> &str {
        match self.ends.get(index as usize) {
            Some(_) => self.key(index),
            None => "",
        }
    }

    /// Binary search while sorted.
    fn search(&self, key: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0u32, self.ends.len() as u32);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match order(self.key(mid), key) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The index of `key`, if interned.
    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        if self.sorted {
            return self.search(key);
        }
        let hash = self.hasher.hash_one(key);
        self.table().find(hash, |&i| self.key(i) == key).copied()
    }

    /// The hash table of every key, built now if it is not yet.
    fn table(&self) -> &HashTable<u32> {
        self.table
            .get_or_init(|| build_table(&self.text, &self.ends, &self.hasher))
    }

    /// Leaves the sorted fast path: from now on keys are found through the hash table
    /// (built when first needed).
    fn hash_all(&mut self) {
        self.sorted = false;
    }

    /// The index of `key`, interning it if new; the flag is `true` when it was new.
    ///
    /// Indices and text offsets are `u32`: more than 4 billion distinct keys, or more
    /// than 4 GiB of key text, is not a dataset this crate can index, and `None` says so.
    pub(crate) fn intern(&mut self, key: &str) -> Option<(u32, bool)> {
        if self.sorted {
            let n = self.ends.len();
            let after_last = n == 0 || order(self.key(n as u32 - 1), key) == Ordering::Less;
            if after_last {
                let index = u32::try_from(n).ok()?;
                let end = u32::try_from(self.text.len() + key.len()).ok()?;
                self.text.push_str(key);
                self.ends.push(end);
                return Some((index, true));
            }
            if let Some(found) = self.search(key) {
                return Some((found, false));
            }
            self.hash_all();
        }
        let Interner {
            text,
            ends,
            table,
            hasher,
            ..
        } = self;
        if let Some(table) = table.get_mut() {
            return intern_hashed(text, ends, hasher, table, key);
        }
        let mut built = build_table(text, ends, hasher);
        let found = intern_hashed(text, ends, hasher, &mut built, key);
        *table = OnceLock::from(built);
        found
    }

    /// [`intern`](Interner::intern), first comparing with the key interned last: rows
    /// that repeat the previous row's reference (a customer's orders one after another)
    /// skip the look-up.
    #[inline]
    pub(crate) fn intern_repeated(&mut self, key: &str) -> Option<(u32, bool)> {
        if self.last != u32::MAX && self.key(self.last) == key {
            return Some((self.last, false));
        }
        let found = self.intern(key)?;
        self.last = found.0;
        Some(found)
    }

    /// Bytes held (arena, offsets and table), for the memory notes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * 4
            + self.table.get().map_or(0, |table| table.capacity() * 5)
    }
}

/// The text of key `i`.
#[inline]
fn key_of<'a>(text: &'a str, ends: &[u32], i: u32) -> &'a str {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &text[start..ends[i] as usize]
}

/// A hash table holding every key.
fn build_table(text: &str, ends: &[u32], hasher: &DefaultHashBuilder) -> HashTable<u32> {
    let mut table = HashTable::with_capacity(ends.len());
    let hash_of = |i: u32| hasher.hash_one(key_of(text, ends, i));
    for i in 0..ends.len() as u32 {
        table.insert_unique(hash_of(i), i, |&j| hash_of(j));
    }
    table
}

/// [`Interner::intern`] through `table`, the hash table of every key of `text`/`ends`.
fn intern_hashed(
    text: &mut String,
    ends: &mut Vec<u32>,
    hasher: &DefaultHashBuilder,
    table: &mut HashTable<u32>,
    key: &str,
) -> Option<(u32, bool)> {
    let hash = hasher.hash_one(key);
    if let Some(&found) = table.find(hash, |&i| key_of(text, ends, i) == key) {
        return Some((found, false));
    }
    let index = u32::try_from(ends.len()).ok()?;
    let end = u32::try_from(text.len() + key.len()).ok()?;
    text.push_str(key);
    ends.push(end);
    let (text, ends) = (&*text, &*ends);
    table.insert_unique(hash, index, |&i| hasher.hash_one(key_of(text, ends, i)));
    Some((index, true))
}

/// Snapshots (`super::snapshot`): the sorted flag, the end offsets and the text as one
/// buffer. Decoding checks that the offsets cut the text at character boundaries and,
/// for a sorted interner, that the keys really increase (its look-ups rely on it); an
/// unsorted one builds its hash table (whose hasher is seeded per process) when it is
/// first used, not here.
impl super::codec::Codec for Interner {
    fn encode(&self, out: &mut super::codec::Out<'_>) {
        // `table`, `hasher` and `last` are rebuilt or reset: they are caches.
        let Interner {
            text,
            ends,
            table: _,
            hasher: _,
            sorted,
            last: _,
        } = self;
        sorted.encode(out);
        ends.encode(out);
        text.encode(out);
    }

    fn decode(input: &mut super::codec::Input<'_>) -> Result<Interner, &'static str> {
        let sorted = bool::decode(input)?;
        let ends = Vec::<u32>::decode(input)?;
        // The offsets and the order are checked as the text arrives, piece by piece
        // while it is in cache, not in passes over the whole text afterwards (at 1M
        // customers a second pass over the ids was 6 % of opening).
        let mut check = KeyCheck::new(&ends, sorted);
        let text = super::codec::decode_text(input, |text| check.arrived(text))?;
        check.arrived(&text);
        if !check.offsets_ok || check.next < ends.len() {
            return Err("an interner's key offsets are out of order or inside a character");
        }
        if check.start != text.len() {
            return Err("an interner's key offsets do not end at its text's end");
        }
        if !check.increasing {
            return Err("an interner said to be sorted is not");
        }
        Ok(Interner {
            text,
            ends,
            table: OnceLock::new(),
            hasher: DefaultHashBuilder::default(),
            sorted,
            last: u32::MAX,
        })
    }
}

/// The checks of an interner read from a snapshot, made on its text as it arrives
/// ([`decode_text`](super::codec::decode_text)): the end offsets never decrease and
/// fall on character boundaries, and, for a sorted interner, the keys they cut strictly
/// increase in [`order`] (its look-ups rely on it). Each offset is checked once the
/// text reaches it; one past the final text is never reached, which the caller sees.
struct KeyCheck<'e> {
    ends: &'e [u32],
    /// The first offset not checked yet.
    next: usize,
    /// Where the next key starts: the last checked offset, 0 at first.
    start: usize,
    /// Where the last checked key starts.
    previous_start: usize,
    /// Whether to check the order.
    sorted: bool,
    offsets_ok: bool,
    /// Whether the keys checked so far increase (always `true` unless `sorted`).
    increasing: bool,
}

impl<'e> KeyCheck<'e> {
    fn new(ends: &'e [u32], sorted: bool) -> KeyCheck<'e> {
        KeyCheck {
            ends,
            next: 0,
            start: 0,
            previous_start: 0,
            sorted,
            offsets_ok: true,
            increasing: true,
        }
    }

    /// Checks the offsets that `text` (the text so far, ending at a character boundary
    /// of the whole text) now reaches. Stops at the first bad offset.
    fn arrived(&mut self, text: &str) {
        let bytes = text.as_bytes();
        while self.offsets_ok
            && let Some(&end) = self.ends.get(self.next)
        {
            let end = end as usize;
            if end > bytes.len() {
                return;
            }
            if end < self.start || !text.is_char_boundary(end) {
                self.offsets_ok = false;
                return;
            }
            if self.sorted && self.next > 0 {
                let key = &bytes[self.start..end];
                let previous = &bytes[self.previous_start..self.start];
                self.increasing &= match previous.len().cmp(&key.len()) {
                    Ordering::Less => true,
                    Ordering::Greater => false,
                    Ordering::Equal => same_length_less(previous, key),
                };
            }
            self.previous_start = self.start;
            self.start = end;
            self.next += 1;
        }
    }
}

/// Whether the keys cut from `text` by `ends` strictly increase in [`order`], and the
/// offsets are in order and within `text` ([`KeyCheck`] on the whole text at once).
#[cfg(test)]
fn strictly_increasing(text: &[u8], ends: &[u32]) -> bool {
    let Ok(text) = std::str::from_utf8(text) else {
        return false;
    };
    let mut check = KeyCheck::new(ends, true);
    check.arrived(text);
    check.offsets_ok && check.next == ends.len() && check.increasing
}

/// `a < b` in byte order, for keys of the same length. From 8 to 16 bytes (most ids),
/// two loads each: the first eight bytes and the last eight (overlapping when shorter
/// than 16) as big-endian numbers; when the first eight are equal, so is the overlap,
/// and the last eight decide.
#[inline]
fn same_length_less(a: &[u8], b: &[u8]) -> bool {
    let be = |bytes: &[u8]| u64::from_be_bytes(bytes.try_into().unwrap_or([0; 8]));
    let len = a.len().min(b.len());
    if (8..=16).contains(&len) {
        let (a, b) = (&a[..len], &b[..len]);
        return (be(&a[..8]), be(&a[len - 8..])) < (be(&b[..8]), be(&b[len - 8..]));
    }
    a < b
}

/// For each key of `local`, the index of the same text in `target` (`None` when absent).
///
/// When both are sorted (the usual case for exports listing ids in order) this is one
/// sequential merge of the two key lists; otherwise a look-up per key: hashed once
/// [`prepare_lookups`] has built `target`'s table, a binary search while `target` is
/// still sorted. `target` is only read, so tables can be resolved against it at once
/// (on several threads with the `parallel` feature); the answer never depends on
/// which path was taken.
pub(crate) fn resolve(local: &Interner, target: &Interner) -> Vec<Option<u32>> {
    let n = local.len() as u32;
    if local.sorted && target.sorted {
        let mut out = Vec::with_capacity(n as usize);
        let (m, mut j) = (target.len() as u32, 0u32);
        for i in 0..n {
            let key = local.key(i);
            while j < m && order(target.key(j), key) == Ordering::Less {
                j += 1;
            }
            out.push((j < m && target.key(j) == key).then_some(j));
        }
        return out;
    }
    (0..n).map(|i| target.get(local.key(i))).collect()
}

impl Interner {
    /// Readies `self` for [`resolve`]-ing each of `locals` against it: builds the hash
    /// table once when some unsorted local table has more than 64 keys (a binary search
    /// per key would cost more than hashing every key of `self` once). Changes no key.
    pub(crate) fn prepare_lookups(&mut self, locals: &[&Interner]) {
        if self.sorted && locals.iter().any(|local| !local.sorted && local.len() > 64) {
            self.hash_all();
            self.table();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_first_seen_indices() {
        let mut i = Interner::default();
        assert_eq!(i.intern("KH1"), Some((0, true)));
        assert_eq!(i.intern("KH2"), Some((1, true)));
        assert_eq!(i.intern("KH1"), Some((0, false)));
        assert!(i.sorted);
        assert_eq!(i.intern(""), Some((2, true))); // out of order: hashed from now on
        assert!(!i.sorted);
        assert_eq!(i.get("KH2"), Some(1));
        assert_eq!(i.get("KH3"), None);
        assert_eq!(i.resolve(1), "KH2");
        assert_eq!(i.resolve(2), "");
        assert_eq!(i.len(), 3);
        // Many keys, with growth of the table.
        for n in 0..10_000 {
            i.intern(&format!("id{n}"));
        }
        assert_eq!(i.get("id9999"), Some(3 + 9999));
        assert_eq!(i.resolve(3 + 5000), "id5000");
    }

    /// An interner as a snapshot encodes it, from its parts (forged ones included).
    fn encoded(sorted: bool, ends: &[u32], text: &str) -> Vec<u8> {
        use crate::dataset::codec::to_bytes;
        let mut bytes = to_bytes(&sorted);
        bytes.extend(to_bytes(&ends.to_vec()));
        bytes.extend(to_bytes(&text.to_owned()));
        bytes
    }

    /// Decodes `bytes` read `step` bytes at a time, so that the text arrives in pieces
    /// of at most `step` bytes.
    fn decode_in_steps(bytes: &[u8], step: usize) -> Result<Interner, &'static str> {
        use crate::dataset::codec::{Codec, Input};
        struct Steps<'a>(&'a [u8], usize);
        impl std::io::Read for Steps<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let k = self.1.min(out.len()).min(self.0.len());
                out[..k].copy_from_slice(&self.0[..k]);
                self.0 = &self.0[k..];
                Ok(k)
            }
        }
        let mut reader = Steps(bytes, step);
        let mut input = Input::new(&mut reader, Vec::new(), bytes.len() as u64, true);
        let decoded = Interner::decode(&mut input);
        if decoded.is_ok() {
            assert_eq!(input.remaining(), 0, "the value is the whole section");
        }
        decoded
    }

    /// A decoded interner checks its offsets and its order as its text arrives: the
    /// result is the same however the text is split, also where a key, or a character,
    /// straddles two pieces, and every forged table is refused with its reason.
    #[test]
    fn decoding_checks_offsets_and_order_wherever_the_text_is_split() {
        const ORDER: &str = "an interner's key offsets are out of order or inside a character";
        const END: &str = "an interner's key offsets do not end at its text's end";
        const UNSORTED: &str = "an interner said to be sorted is not";
        // 3,000 keys of 8 bytes then 1,000 of 10 (with a two-byte character): increasing.
        let mut keys: Vec<String> = (0..3000).map(|i| format!("C{i:07}")).collect();
        keys.extend((0..1000).map(|i| format!("C\u{e9}{i:07}")));
        let mut sorted = Interner::default();
        for key in &keys {
            sorted.intern(key);
        }
        assert!(sorted.sorted);
        let text = sorted.text.clone();
        let ends = sorted.ends.clone();
        for step in [1, 3, 7, 64, 4096, 1 << 20] {
            let back = decode_in_steps(&encoded(true, &ends, &text), step).unwrap();
            assert_eq!((back.len(), back.get("C0002999")), (4000, Some(2999)));
            assert_eq!(back.resolve(3999), "C\u{e9}0000999");
            // Two neighbours swapped (same length), anywhere: no longer increasing.
            for at in [0, 1, 1234, 2998, 3500, 3998] {
                let mut swapped = keys.clone();
                swapped.swap(at, at + 1);
                let swapped = swapped.concat();
                let bytes = encoded(true, &ends, &swapped);
                assert_eq!(decode_in_steps(&bytes, step).err(), Some(UNSORTED), "{at}");
                // The same keys said to be unsorted are fine.
                let unsorted = decode_in_steps(&encoded(false, &ends, &swapped), step);
                assert_eq!(unsorted.unwrap().resolve(at as u32), keys[at + 1]);
            }
            // A shorter key after a longer one.
            let (mut short_last, mut text2) = (ends.clone(), text.clone());
            text2.push('Z');
            short_last.push(text2.len() as u32);
            let bytes = encoded(true, &short_last, &text2);
            assert_eq!(decode_in_steps(&bytes, step).err(), Some(UNSORTED));
            // An offset inside the two-byte character of the last key.
            let mut inside = ends.clone();
            inside[3999] -= 8;
            let bytes = encoded(false, &inside, &text);
            assert_eq!(decode_in_steps(&bytes, step).err(), Some(ORDER));
        }
        let cases: [(&[u32], &str, Option<&str>); 9] = [
            (&[], "", None),
            (&[0], "", None),
            (&[0, 0], "", Some(UNSORTED)),
            (&[1, 3], "a\u{e9}", None),
            (&[2, 3], "a\u{e9}", Some(ORDER)),
            (&[2, 1, 3], "abc", Some(ORDER)),
            (&[1, 99], "abc", Some(ORDER)),
            (&[1, 2], "abc", Some(END)),
            (&[], "abc", Some(END)),
        ];
        for (ends, text, expected) in cases {
            for step in [1, 2, 100] {
                let found = decode_in_steps(&encoded(true, ends, text), step);
                assert_eq!(found.err(), expected, "{ends:?} {text:?}");
            }
        }
        // When a table is wrong in several ways, the reason is the one the checks in
        // their order give: text, offsets, end, order (not whichever is met first).
        let precedence: [(&[u32], &str, &str); 3] = [
            // Keys "ba", "c" (a shorter key last), then an offset going back.
            (&[2, 3, 2], "bac", ORDER),
            // The same unsorted keys, and the text goes on past the last offset.
            (&[2, 3], "bacd", END),
            // The same unsorted keys, then an offset past the end.
            (&[2, 3, 9], "bacd", ORDER),
        ];
        for (ends, text, expected) in precedence {
            for step in [1, 2, 100] {
                let found = decode_in_steps(&encoded(true, ends, text), step);
                assert_eq!(found.err(), Some(expected), "{ends:?} {text:?}");
            }
        }
        // Text that is not UTF-8 (a bare continuation byte) is that, whatever the
        // offsets say.
        let mut not_utf8 = encoded(true, &[2, 1, 9], "");
        let text_len = not_utf8.len() - 8;
        not_utf8.truncate(text_len);
        not_utf8.extend(5u64.to_le_bytes());
        not_utf8.extend(b"ba\x80cd");
        for step in [1, 2, 100] {
            let found = decode_in_steps(&not_utf8, step);
            assert_eq!(found.err(), Some("text is not UTF-8"));
        }
    }

    /// The snapshot's sortedness check agrees with `order` on every pair, whatever the
    /// lengths (around the 8-byte steps) and wherever two keys first differ.
    #[test]
    fn the_sortedness_check_agrees_with_order() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let keys: Vec<Vec<u8>> = (0..3)
                .map(|_| {
                    let len = (next() % 19) as usize;
                    // One-byte and two-byte characters, so that keys of the same
                    // number of bytes differ in where their characters start.
                    (0..len)
                        .flat_map(|_| ["A", "B", "\0", "\u{e9}"][(next() % 4) as usize].bytes())
                        .collect()
                })
                .collect();
            let mut text = Vec::new();
            let mut ends = Vec::new();
            for key in &keys {
                text.extend_from_slice(key);
                ends.push(text.len() as u32);
            }
            let by_bytes = |a: &[u8], b: &[u8]| a.len().cmp(&b.len()).then_with(|| a.cmp(b));
            let expected = keys
                .windows(2)
                .all(|w| by_bytes(&w[0], &w[1]) == Ordering::Less);
            assert_eq!(strictly_increasing(&text, &ends), expected, "{keys:?}");
        }
        assert!(strictly_increasing(b"", &[]));
        assert!(strictly_increasing(b"", &[0]));
        assert!(!strictly_increasing(b"", &[0, 0]));
        assert!(!strictly_increasing(b"ab", &[3]));
    }

    #[test]
    fn sorted_path_follows_length_then_bytes() {
        let mut i = Interner::default();
        for n in 1..=1000 {
            assert_eq!(i.intern(&n.to_string()), Some((n - 1, true)));
        }
        assert!(
            i.sorted,
            "1, 2, ..., 10, ..., 1000 is increasing by (length, bytes)"
        );
        assert_eq!(i.get("999"), Some(998));
        assert_eq!(i.intern("500"), Some((499, false))); // a duplicate found by search
        assert!(i.sorted);
        assert_eq!(i.get("0"), None);
        assert_eq!(i.intern_repeated("7"), Some((6, false)));
        assert_eq!(i.intern_repeated("7"), Some((6, false)));
    }

    #[test]
    fn resolve_merges_or_hashes() {
        let mut target = Interner::default();
        for id in ["A1", "A2", "A3", "A10"] {
            target.intern(id);
        }
        let mut local = Interner::default();
        for id in ["A2", "A3", "A9", "A10"] {
            local.intern(id);
        }
        assert!(local.sorted && target.sorted);
        assert_eq!(
            resolve(&local, &target),
            vec![Some(1), Some(2), None, Some(3)]
        );
        let mut shuffled = Interner::default();
        for id in ["A10", "A9", "A2"] {
            shuffled.intern(id);
        }
        assert!(!shuffled.sorted);
        assert_eq!(resolve(&shuffled, &target), vec![Some(3), None, Some(1)]);
        // Same answers from a hashed target.
        target.intern("A0");
        assert!(!target.sorted);
        assert_eq!(
            resolve(&local, &target),
            vec![Some(1), Some(2), None, Some(3)]
        );
    }

    /// An interner read back from its snapshot bytes.
    fn reread(interner: &Interner) -> Interner {
        use crate::dataset::codec::{Codec, Input, to_bytes};
        let bytes = to_bytes(interner);
        let mut reader = bytes.as_slice();
        let mut input = Input::new(&mut reader, Vec::new(), bytes.len() as u64, true);
        let decoded = Interner::decode(&mut input).unwrap();
        assert_eq!(input.remaining(), 0);
        decoded
    }

    #[test]
    fn an_unsorted_interner_read_back_builds_its_table_on_first_use() {
        let mut ids = Interner::default();
        for n in (0..2000).rev() {
            ids.intern(&format!("u-{n:x}"));
        }
        assert!(!ids.sorted);
        let opened = reread(&ids);
        assert!(!opened.sorted);
        assert!(opened.table.get().is_none(), "not hashed when read");
        let copy = opened.clone();
        assert_eq!(opened.get("u-7cf"), ids.get("u-7cf"));
        assert_eq!(opened.get("u-7cf"), Some(2000 - 1 - 0x7cf));
        assert_eq!(opened.get("nope"), None);
        assert!(opened.table.get().is_some(), "hashed by the first look-up");
        // Interning into a copy that was never looked up builds the table then.
        let mut copy = copy;
        assert!(copy.table.get().is_none());
        assert_eq!(copy.intern("u-0"), Some((1999, false)));
        assert_eq!(copy.intern("new"), Some((2000, true)));
        assert_eq!(copy.get("new"), Some(2000));
        assert_eq!(copy.resolve(2000), "new");
        // A sorted interner stays sorted and unhashed.
        let mut sorted = Interner::default();
        for n in 0..100 {
            sorted.intern(&format!("KH{n:03}"));
        }
        let opened = reread(&sorted);
        assert!(opened.sorted && opened.table.get().is_none());
        assert_eq!(opened.get("KH042"), Some(42));
    }

    #[test]
    fn prepared_lookups_give_the_same_answers() {
        let mut target = Interner::default();
        for n in 0..500 {
            target.intern(&format!("KH{n:04}"));
        }
        let mut local = Interner::default();
        for n in (0..200).rev() {
            local.intern(&format!("KH{:04}", n * 3));
        }
        assert!(target.sorted && !local.sorted);
        let searched = resolve(&local, &target);
        let small = Interner::default();
        target.prepare_lookups(&[&small]);
        assert!(target.sorted, "nothing unsorted to look up: stays sorted");
        target.prepare_lookups(&[&small, &local]);
        assert!(!target.sorted);
        assert_eq!(resolve(&local, &target), searched);
        assert_eq!((searched[0], searched[33]), (None, Some(498)));
        assert_eq!(searched[199], Some(0));
        assert_eq!(searched.iter().filter(|k| k.is_none()).count(), 33);
    }
}
