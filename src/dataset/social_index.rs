//! [`InboundIndex`]: inbound social interactions over all customers, sorted by time.
//!
//! The traffic charts of docs/metrics.md#social (reach per day and per hour, the weekday × hour grid) count
//! inbound social interactions in a period, whoever sent them. Folding every customer
//! reads every customer's run; this index, built once, makes a period a binary search
//! and the count one pass over that period's entries only. The `social` section itself
//! still folds customers (it needs each customer's funnel); the index serves the
//! standalone chart functions in [`crate::social`].
//!
//! An entry names its customer by the customer's `created_at`, not by its index: a chart
//! needs only whether the customer exists at `as_of` (`created_at <= as_of`, the same
//! test as an index below [`Dataset::customers_at`](super::Dataset::customers_at)), and
//! indices shift when [`Dataset::apply`](super::Dataset::apply) inserts customers, which
//! would renumber every entry. Entries are sorted by all their fields, so that the index
//! is the same however its entries were gathered (a build, or a build and batches).

use std::ops::Range;

use crate::calendar::Ts;
use crate::dataset::index::{CustomerRow, InteractionRow};

/// One inbound social interaction. 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct InboundEntry {
    pub(crate) at: Ts,
    /// When its customer was created (the entry counts at `as_of` only when
    /// `created_at <= as_of`).
    pub(crate) created_at: Ts,
    /// Fanpage key (every entry has one: it is social).
    pub(crate) fanpage: u32,
    /// A `message` or `comment` (what docs/metrics.md#social counts as reach).
    pub(crate) message_or_comment: bool,
}

/// Inbound interactions with a fanpage, sorted (by `at` first). Memory: 32 bytes per
/// inbound social interaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InboundIndex {
    entries: Vec<InboundEntry>,
}

impl InboundIndex {
    /// Indexes `interactions`, laid out in per-customer runs (`runs[i]..runs[i + 1]` are
    /// customer `i`'s, as in [`Dataset`](super::Dataset)).
    pub(crate) fn build(
        customers: &[CustomerRow],
        runs: &[crate::dataset::storage::Run],
        interactions: &[InteractionRow],
    ) -> InboundIndex {
        let mut entries = Vec::new();
        for (customer, run) in customers.iter().zip(runs) {
            let rows = interactions.get(run.range()).unwrap_or_default();
            entries_of(customer.created_at, rows, &mut entries);
        }
        // Customers' runs are each sorted by time: nearly sorted already.
        entries.sort_unstable();
        entries.shrink_to_fit();
        InboundIndex { entries }
    }

    /// Brings the index up to date after [`Dataset::apply`](super::Dataset::apply):
    /// removes `removed` (the entries of the customers whose runs were rebuilt, as they
    /// were, sorted) and inserts `added` (their entries now, sorted). Cost: a binary
    /// search per entry changed and the `memmove`s from the first change on; entries
    /// removed and added again (an unchanged customer's) cancel out and move nothing.
    pub(crate) fn update(&mut self, mut removed: Vec<InboundEntry>, mut added: Vec<InboundEntry>) {
        removed.sort_unstable();
        added.sort_unstable();
        super::splice::cancel_common(&mut removed, &mut added);
        super::splice::replace_sorted(&mut self.entries, &removed, &added);
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

/// Appends the index entries of one customer's interactions (its run, in order), the
/// customer created at `created_at`.
pub(crate) fn entries_of(created_at: Ts, rows: &[InteractionRow], out: &mut Vec<InboundEntry>) {
    for row in rows.iter().filter(|r| r.is_inbound()) {
        if let Some(fanpage) = row.fanpage.get() {
            out.push(InboundEntry {
                at: row.at,
                created_at,
                fanpage,
                message_or_comment: row.kind.is_message_or_comment(),
            });
        }
    }
}

crate::dataset::codec::fixed_record!(InboundEntry {
    at: Ts,
    created_at: Ts,
    fanpage: u32,
    message_or_comment: bool,
});

crate::dataset::codec::codec_record!(InboundIndex {
    entries: Vec<InboundEntry>,
});

impl InboundIndex {
    /// Whether every entry names a fanpage key below `fanpages` and the entries are
    /// sorted (a decoded snapshot is checked so). Entries name no customer index, so
    /// `customers` bounds nothing; it stays for the snapshot's call.
    pub(crate) fn references_within(&self, customers: usize, fanpages: usize) -> bool {
        let _ = customers;
        self.entries.iter().all(|e| (e.fanpage as usize) < fanpages) && self.entries.is_sorted()
    }
}
