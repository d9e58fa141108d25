//! Storage primitives of the dataset: compact handles that staged and indexed rows hold
//! instead of owned strings and `Option<u32>`s.
//!
//! A leaf module: it imports nothing from the rest of the dataset, so staging
//! (`stage.rs`) and the indexed tables (`index.rs`) can both build on it (and the
//! snapshot codec, `snapshot.rs`, encodes it).

/// An optional dense index into one of the dataset's interners, `u32::MAX` for none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct OptKey(u32);

impl OptKey {
    pub(crate) const NONE: OptKey = OptKey(u32::MAX);

    pub(crate) fn some(key: u32) -> OptKey {
        OptKey(key)
    }

    pub(crate) fn get(self) -> Option<u32> {
        (self.0 != u32::MAX).then_some(self.0)
    }

    pub(crate) fn is_some(self) -> bool {
        self.0 != u32::MAX
    }
}

/// A string in an [`Arena`]; an empty span is an absent value (docs/input-format.md: empty = absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    pub(crate) fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// A customer's rows in a row table (its orders, or its interactions): `len` rows from
/// position `start`. Each customer has its own run, so that [`Dataset::apply`](super::Dataset::apply)
/// can give a customer a new run at the end of the table without moving anyone else's;
/// the rows a run no longer covers are dead until the table is compacted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Run {
    /// The run's positions (`start..start + len`, computed without overflow).
    #[inline]
    pub(crate) fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start + self.len as usize
    }
}

/// Text in one `String` (at most 4 GiB per table), addressed by [`Span`]s.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    text: String,
}

impl Arena {
    /// Adds `s`; `None` when the arena would pass 4 GiB.
    pub(crate) fn push(&mut self, s: &str) -> Option<Span> {
        let start = u32::try_from(self.text.len()).ok()?;
        let len = u32::try_from(s.len()).ok()?;
        start.checked_add(len)?;
        self.text.push_str(s);
        Some(Span { start, len })
    }

    pub(crate) fn get(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.text
            .get(start..start + span.len as usize)
            .unwrap_or("")
    }

    pub(crate) fn opt(&self, span: Span) -> Option<&str> {
        (!span.is_empty()).then(|| self.get(span))
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity()
    }
}

// Snapshot codecs (`super::snapshot`): an `OptKey` as its raw `u32`, a span as its start
// and length, an arena as its one text buffer.
impl super::codec::Fixed for OptKey {
    const SIZE: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
    }
    fn get(bytes: &[u8]) -> Option<OptKey> {
        u32::get(bytes).map(OptKey)
    }
}

crate::dataset::codec::fixed_record!(Span {
    start: u32,
    len: u32,
});

crate::dataset::codec::fixed_record!(Run {
    start: u32,
    len: u32,
});

crate::dataset::codec::codec_record!(Arena { text: String });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_span_is_an_absent_value() {
        let mut arena = Arena::default();
        let name = arena.push("An").unwrap();
        let empty = arena.push("").unwrap();
        let other = arena.push("Binh").unwrap();
        assert_eq!((arena.get(name), arena.get(other)), ("An", "Binh"));
        assert_eq!(arena.opt(name), Some("An"));
        assert_eq!(arena.opt(empty), None);
        assert_eq!(arena.opt(Span::default()), None);
    }

    #[test]
    fn a_span_from_another_arena_reads_empty_text_rather_than_panicking() {
        let mut big = Arena::default();
        let span = big.push("far past the end").unwrap();
        assert_eq!(Arena::default().get(span), "");
    }

    #[test]
    fn opt_key_none_is_u32_max() {
        assert_eq!(OptKey::NONE.get(), None);
        assert!(!OptKey::NONE.is_some());
        assert_eq!(OptKey::some(0).get(), Some(0));
        assert!(OptKey::some(7).is_some());
    }
}
