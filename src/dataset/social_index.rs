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
#[derive(Clone, Copy, Debug)]
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
#[derive(Clone, Debug, Default)]
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
            for row in rows.iter().filter(|r| r.is_inbound()) {
                if let Some(fanpage) = row.fanpage.get() {
                    entries.push(InboundEntry {
                        at: row.at,
                        customer: CustomerIdx(customer as u32),
                        fanpage,
                        message_or_comment: row.kind.is_message_or_comment(),
                    });
                }
            }
        }
        // Customers' runs are each sorted by time; a stable sort by time keeps the
        // order deterministic.
        entries.sort_by_key(|e| e.at);
        entries.shrink_to_fit();
        InboundIndex { entries }
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
