//! [`InboundIndex`]: inbound social interactions over all customers, sorted by time.
//!
//! The traffic charts of docs/metrics.md#social (reach per day and per hour, the weekday × hour grid) count
//! inbound social interactions in a period, whoever sent them. Folding every customer
//! reads every customer's run; this index, built once, makes a period a binary search
//! and the count one pass over that period's entries only. The `social` section itself
//! still folds customers (it needs each customer's funnel); the index serves the
//! standalone chart functions in [`crate::social`].

use std::ops::Range;

use crate::calendar::Ts;
use crate::dataset::index::{CustomerIdx, InteractionRow};

/// One inbound social interaction. 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InboundEntry {
    pub(crate) at: Ts,
    pub(crate) customer: CustomerIdx,
    /// Fanpage key (every entry has one: it is social).
    pub(crate) fanpage: u32,
    /// A `message` or `comment` (what docs/metrics.md#social counts as reach).
    pub(crate) message_or_comment: bool,
}

/// Inbound interactions with a fanpage, sorted by `(at, customer)`. Memory: 24 bytes
/// per inbound social interaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InboundIndex {
    entries: Vec<InboundEntry>,
}

impl InboundIndex {
    pub(crate) fn build(runs: &[u32], interactions: &[InteractionRow]) -> InboundIndex {
        let mut entries = Vec::new();
        for (customer, run) in runs.windows(2).enumerate() {
            let rows = interactions
                .get(run[0] as usize..run[1] as usize)
                .unwrap_or_default();
            entries_of(CustomerIdx(customer as u32), rows, &mut entries);
        }
        // Customers' runs are each sorted by time; a stable sort by time keeps the
        // order deterministic.
        entries.sort_by_key(|e| e.at);
        entries.shrink_to_fit();
        InboundIndex { entries }
    }

    /// Brings the index up to date after [`Dataset::apply`](super::Dataset::apply):
    /// removes `removed` (entries of customers whose runs were rebuilt, with their old
    /// indices, sorted by `(at, customer)`), renumbers the other entries' customers by
    /// `old_to_new` (`None`: unchanged), and inserts `added` (new indices, sorted by
    /// `(at, customer)`, each customer's in run order). Keeps the order
    /// `(at, customer, run order)` of a fresh build. Cost: one pass from the first
    /// removed entry (from the start when customers are renumbered), plus the `memmove`s
    /// of the insertions.
    pub(crate) fn update(
        &mut self,
        removed: &[InboundEntry],
        old_to_new: Option<&[u32]>,
        added: &[InboundEntry],
    ) {
        let entries = &mut self.entries;
        let start = match (old_to_new, removed.first()) {
            (Some(_), _) => 0,
            (None, Some(first)) => entries.partition_point(|e| e.at < first.at),
            (None, None) => entries.len(),
        };
        let mut next = removed.iter().peekable();
        let mut write = start;
        for read in start..entries.len() {
            let mut entry = entries[read];
            let key = (entry.at, entry.customer);
            while next.peek().is_some_and(|r| (r.at, r.customer) < key) {
                next.next();
            }
            if next.peek().is_some_and(|r| (r.at, r.customer) == key) {
                next.next();
                continue;
            }
            if let Some(map) = old_to_new {
                entry.customer = CustomerIdx(
                    map.get(entry.customer.index())
                        .copied()
                        .unwrap_or(entry.customer.0),
                );
            }
            entries[write] = entry;
            write += 1;
        }
        entries.truncate(write);
        super::splice::insert_sorted(entries, added, |e| (e.at, e.customer));
    }

    /// Renumbers fanpage keys (`old_to_new[k]` for old key `k`).
    pub(crate) fn renumber_fanpages(&mut self, old_to_new: &[u32]) {
        for entry in &mut self.entries {
            if let Some(&key) = old_to_new.get(entry.fanpage as usize) {
                entry.fanpage = key;
            }
        }
    }

    /// The entries with `range.start <= at < range.end` and `at <= as_of`.
    pub(crate) fn between(&self, range: &Range<Ts>, as_of: Ts) -> &[InboundEntry] {
        let lo = self.entries.partition_point(|e| e.at < range.start);
        let hi = self
            .entries
            .partition_point(|e| e.at < range.end && e.at <= as_of);
        self.entries.get(lo..hi.max(lo)).unwrap_or_default()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<InboundEntry>()
    }
}

/// Appends the index entries of one customer's interactions (its run, in order).
pub(crate) fn entries_of(
    customer: CustomerIdx,
    rows: &[InteractionRow],
    out: &mut Vec<InboundEntry>,
) {
    for row in rows.iter().filter(|r| r.is_inbound()) {
        if let Some(fanpage) = row.fanpage.get() {
            out.push(InboundEntry {
                at: row.at,
                customer,
                fanpage,
                message_or_comment: row.kind.is_message_or_comment(),
            });
        }
    }
}

crate::dataset::codec::fixed_record!(InboundEntry {
    at: Ts,
    customer: CustomerIdx,
    fanpage: u32,
    message_or_comment: bool,
});

crate::dataset::codec::codec_record!(InboundIndex {
    entries: Vec<InboundEntry>,
});

impl InboundIndex {
    /// Whether every entry names a customer below `customers` and a fanpage key below
    /// `fanpages` (a decoded snapshot is checked so).
    pub(crate) fn references_within(&self, customers: usize, fanpages: usize) -> bool {
        self.entries
            .iter()
            .all(|e| e.customer.index() < customers && (e.fanpage as usize) < fanpages)
    }
}
