//! [`EngagementIndex`]: the all-customer side of docs/metrics.md#profile `engagement`.
//!
//! A profile's engagement shares divide the customer's count in the month of `as_of` by
//! the count over **all** customers in that month (docs/metrics.md#profile). Counting that by folding
//! every customer would make a one-customer profile cost a pass over the whole dataset,
//! so the dataset keeps, built once, the instants of the four kinds of interactions the
//! shares count, sorted by time: a month's total is then two binary searches.
//!
//! Only customers that exist at `as_of` count (docs/metrics.md#which-rows-count), and `as_of` is a report
//! option, not a build option. An interaction dated at or after its customer's
//! `created_at` and not after `as_of` always has an existing customer; only one dated
//! *before* its customer's creation (synced or imported history) can belong to a
//! customer created after `as_of`. Those "early" entries are also kept apart with their
//! customer's `created_at`, and subtracted when their customer does not exist yet. They
//! are rare, so a count stays near `O(log n)`.

use std::ops::Range;

use crate::calendar::Ts;
use crate::dataset::index::{CustomerRow, InteractionRow};
use crate::model::{Direction, InteractionKind};

/// The instants of one kind of interaction over all customers, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimeIndex {
    /// Every entry's instant, ascending.
    at: Vec<Ts>,
    /// `(at, created_at of its customer)` of the entries dated before their customer's
    /// creation, ascending.
    early: Vec<(Ts, Ts)>,
}

impl TimeIndex {
    fn push(&mut self, at: Ts, created_at: Ts) {
        self.at.push(at);
        if at < created_at {
            self.early.push((at, created_at));
        }
    }

    fn seal(&mut self) {
        self.at.sort_unstable();
        self.early.sort_unstable();
        self.at.shrink_to_fit();
        self.early.shrink_to_fit();
    }

    /// Entries with `range.start <= at < range.end` and `at <= as_of` whose customer
    /// exists at `as_of` (`created_at <= as_of`). Cost: `O(log n)` plus the early entries
    /// in the range.
    pub(crate) fn count(&self, range: &Range<Ts>, as_of: Ts) -> u64 {
        let before_end = |at: &Ts| *at < range.end && *at <= as_of;
        let lo = self.at.partition_point(|at| *at < range.start);
        let hi = self.at.partition_point(before_end);
        let all = hi.saturating_sub(lo);
        let lo = self.early.partition_point(|e| e.0 < range.start);
        let hi = self.early.partition_point(|e| before_end(&e.0));
        let absent = self
            .early
            .get(lo..hi)
            .map_or(0, |early| early.iter().filter(|e| e.1 > as_of).count());
        (all - absent.min(all)) as u64
    }

    fn heap_bytes(&self) -> usize {
        self.at.capacity() * size_of::<Ts>() + self.early.capacity() * size_of::<(Ts, Ts)>()
    }
}

/// One of the time indexes of an [`EngagementIndex`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Slot {
    Messages,
    UrlClicks,
    Surveys,
    /// The outbound campaign messages of one campaign key.
    Campaign(u32),
}

/// An interaction's entry in one time index: `(slot, at, created_at of its customer)`.
pub(crate) type Entry = (Slot, Ts, Ts);

/// Calls `f` with each time index an interaction counts in.
pub(crate) fn slots(row: &InteractionRow, mut f: impl FnMut(Slot)) {
    use InteractionKind as K;
    match (row.direction, row.kind) {
        (Direction::Outbound, K::Message) => f(Slot::Messages),
        (Direction::Outbound, K::CampaignMessage) => {
            f(Slot::Messages);
            if let Some(key) = row.campaign.get() {
                f(Slot::Campaign(key));
            }
        }
        (Direction::Inbound, K::UrlClick) => f(Slot::UrlClicks),
        (Direction::Inbound, K::SurveyResponse) => f(Slot::Surveys),
        _ => {}
    }
}

/// Time indexes of the interactions counted by docs/metrics.md#profile `engagement`, over all customers.
///
/// Memory: 16 bytes per outbound `message` / `campaign_message`, inbound `url_click` and
/// inbound `survey_response` (32 more for one dated before its customer's creation),
/// plus 16 bytes again per outbound `campaign_message` with a `campaign_id`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EngagementIndex {
    /// Outbound `message` and `campaign_message` (docs/metrics.md#profile `messages`).
    pub(crate) messages: TimeIndex,
    /// Inbound `url_click` (docs/metrics.md#profile `url_clicks`).
    pub(crate) url_clicks: TimeIndex,
    /// Inbound `survey_response` (docs/metrics.md#profile `surveys`).
    pub(crate) surveys: TimeIndex,
    /// Outbound `campaign_message` by campaign key (known or only referenced), for
    /// docs/metrics.md#profile `campaigns`: distinct campaigns in a range.
    campaigns: Vec<TimeIndex>,
}

impl EngagementIndex {
    /// Indexes `interactions`, laid out in per-customer runs (`runs[i]..runs[i + 1]` are
    /// customer `i`'s, as in [`Dataset`](super::Dataset)). `campaign_keys` is the number
    /// of campaign keys. Cost: one pass plus sorting the entries, `O(m log m)`.
    pub(crate) fn build(
        customers: &[CustomerRow],
        runs: &[crate::dataset::storage::Run],
        interactions: &[InteractionRow],
        campaign_keys: usize,
    ) -> EngagementIndex {
        let mut index = EngagementIndex {
            campaigns: vec![TimeIndex::default(); campaign_keys],
            ..EngagementIndex::default()
        };
        for (customer, run) in customers.iter().zip(runs) {
            let rows = interactions.get(run.range()).unwrap_or_default();
            let created_at = customer.created_at;
            for row in rows {
                slots(row, |slot| {
                    if let Some(time_index) = index.slot_mut(slot) {
                        time_index.push(row.at, created_at);
                    }
                });
            }
        }
        index.messages.seal();
        index.url_clicks.seal();
        index.surveys.seal();
        for campaign in &mut index.campaigns {
            campaign.seal();
        }
        index
    }

    fn slot_mut(&mut self, slot: Slot) -> Option<&mut TimeIndex> {
        match slot {
            Slot::Messages => Some(&mut self.messages),
            Slot::UrlClicks => Some(&mut self.url_clicks),
            Slot::Surveys => Some(&mut self.surveys),
            Slot::Campaign(key) => self.campaigns.get_mut(key as usize),
        }
    }

    /// Brings the index up to date after [`Dataset::apply`](super::Dataset::apply):
    /// removes the `(slot, at, created_at)` entries of `removed` (as [`slots`] gave them
    /// for the old rows) and inserts those of `added`. Cost: for each time index touched,
    /// a binary search per entry changed and the `memmove`s from its first change on.
    pub(crate) fn update(&mut self, mut removed: Vec<Entry>, mut added: Vec<Entry>) {
        removed.sort_unstable();
        added.sort_unstable();
        super::splice::cancel_common(&mut removed, &mut added);
        let mut slots: Vec<Slot> = removed.iter().chain(&added).map(|e| e.0).collect();
        slots.sort_unstable();
        slots.dedup();
        for slot in slots {
            let Some(index) = self.slot_mut(slot) else {
                continue;
            };
            let of = |entries: &[Entry]| -> (Vec<Ts>, Vec<(Ts, Ts)>) {
                let mut at: Vec<Ts> = Vec::new();
                let mut early = Vec::new();
                for &(s, t, created_at) in entries {
                    if s == slot {
                        at.push(t);
                        if t < created_at {
                            early.push((t, created_at));
                        }
                    }
                }
                at.sort_unstable();
                early.sort_unstable();
                (at, early)
            };
            let (removed_at, removed_early) = of(&removed);
            let (added_at, added_early) = of(&added);
            super::splice::replace_sorted(&mut index.at, &removed_at, &added_at);
            super::splice::replace_sorted(&mut index.early, &removed_early, &added_early);
        }
    }

    /// Makes room for campaign keys `0..keys` (keys interned since the build).
    pub(crate) fn grow_campaigns(&mut self, keys: usize) {
        if self.campaigns.len() < keys {
            self.campaigns.resize(keys, TimeIndex::default());
        }
    }

    /// Renumbers campaign keys: the index of old key `k` becomes that of `old_to_new[k]`
    /// (a permutation of `0..keys`).
    pub(crate) fn renumber_campaigns(&mut self, old_to_new: &[u32], keys: usize) {
        let mut campaigns = vec![TimeIndex::default(); keys.max(self.campaigns.len())];
        for (old, index) in std::mem::take(&mut self.campaigns).into_iter().enumerate() {
            if let Some(slot) = old_to_new
                .get(old)
                .and_then(|&new| campaigns.get_mut(new as usize))
            {
                *slot = index;
            }
        }
        self.campaigns = campaigns;
    }

    /// Distinct campaigns with an outbound `campaign_message` in `range` (and not after
    /// `as_of`) to a customer that exists at `as_of`. Cost: `O(k log n)` for `k` campaign
    /// keys.
    pub(crate) fn campaigns(&self, range: &Range<Ts>, as_of: Ts) -> u64 {
        self.campaigns
            .iter()
            .filter(|campaign| campaign.count(range, as_of) > 0)
            .count() as u64
    }

    /// Bytes held, for [`Dataset::heap_bytes`](super::Dataset::heap_bytes).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.messages.heap_bytes()
            + self.url_clicks.heap_bytes()
            + self.surveys.heap_bytes()
            + self.campaigns.capacity() * size_of::<TimeIndex>()
            + self
                .campaigns
                .iter()
                .map(TimeIndex::heap_bytes)
                .sum::<usize>()
    }
}

crate::dataset::codec::codec_record!(TimeIndex {
    at: Vec<Ts>,
    early: Vec<(Ts, Ts)>,
});

crate::dataset::codec::codec_vec!(TimeIndex);

crate::dataset::codec::codec_record!(EngagementIndex {
    messages: TimeIndex,
    url_clicks: TimeIndex,
    surveys: TimeIndex,
    campaigns: Vec<TimeIndex>,
});

impl EngagementIndex {
    /// The number of campaign keys indexed (one time index each).
    pub(crate) fn campaign_count(&self) -> usize {
        self.campaigns.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Ts {
        Ts::from_secs(secs)
    }

    #[test]
    fn counts_skip_customers_created_after_as_of() {
        let mut index = TimeIndex::default();
        // (at, created_at): 10 and 20 after creation; 15 before a creation at 100.
        index.push(ts(20), ts(0));
        index.push(ts(15), ts(100));
        index.push(ts(10), ts(0));
        index.seal();
        // as_of 50: the customer created at 100 does not exist -> 10 and 20 only.
        assert_eq!(index.count(&(ts(0)..ts(60)), ts(50)), 2);
        // as_of 100: it exists -> all three.
        assert_eq!(index.count(&(ts(0)..ts(60)), ts(100)), 3);
        // as_of 12 cuts the range at 12: only 10.
        assert_eq!(index.count(&(ts(0)..ts(60)), ts(12)), 1);
        // Half-open: the entry at 20 is outside 0..20.
        assert_eq!(index.count(&(ts(0)..ts(20)), ts(100)), 2);
        // as_of before the range start: nothing, no panic.
        assert_eq!(index.count(&(ts(30)..ts(60)), ts(12)), 0);
    }
}
