//! [`Interner`]: id strings to dense `u32` indices, without one allocation per id.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

/// Maps strings to dense indices `0, 1, 2, …` in first-seen order.
///
/// The text of every key lives in one arena `String`; the hash table holds only the
/// indices, so interning a million ids makes no per-id allocation (hashbrown's
/// `HashTable` looks keys up through the arena). Memory: the key bytes plus about
/// 13 bytes per key (8 for its end offset, 4 for the table slot, 1 of control byte),
/// with the table's load factor on top.
#[derive(Clone, Default)]
pub(crate) struct Interner {
    text: String,
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Interner {
    pub(crate) fn with_capacity(keys: usize) -> Interner {
        Interner {
            text: String::new(),
            ends: Vec::with_capacity(keys),
            table: HashTable::with_capacity(keys),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// Number of distinct keys.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    fn key(&self, index: u32) -> &str {
        let i = index as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// The text of a key. `index` must come from this interner.
    pub(crate) fn resolve(&self, index: u32) -> &str {
        match self.ends.get(index as usize) {
            Some(_) => self.key(index),
            None => "",
        }
    }

    /// The index of `key`, if interned.
    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |&i| self.key(i) == key).copied()
    }

    /// The index of `key`, interning it if new; the flag is `true` when it was new.
    ///
    /// Indices are `u32`: more than 4 billion distinct keys is not a dataset this crate
    /// can index, and `None` says so.
    pub(crate) fn intern(&mut self, key: &str) -> Option<(u32, bool)> {
        let hash = self.hasher.hash_one(key);
        let Interner {
            text,
            ends,
            table,
            hasher,
        } = self;
        let key_of = |i: u32| -> &str {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &text[start..ends[i]]
        };
        if let Some(&found) = table.find(hash, |&i| key_of(i) == key) {
            return Some((found, false));
        }
        let index = u32::try_from(ends.len()).ok()?;
        text.push_str(key);
        ends.push(text.len());
        let (text, ends) = (&*text, &*ends);
        table.insert_unique(hash, index, |&i| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            hasher.hash_one(&text[start..ends[i]])
        });
        Some((index, true))
    }

    /// Bytes held (arena, offsets and table), for the memory notes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8 + self.table.capacity() * 5
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
        assert_eq!(i.intern(""), Some((2, true)));
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
}
