//! The frozen [`Dataset`]: what [`DatasetBuilder::build`](super::DatasetBuilder::build)
//! returns, and the accessors every report reads it through.

use std::ops::Range;

use chrono::{DateTime, Utc};

use crate::calendar::Ts;
use crate::dataset::index::{
    CampaignInfo, CostRow, CustomerIdx, CustomerRow, CustomerText, DealRow, Entities, FanpageInfo,
    InteractionRow, LineRow, OrderDetail, OrderRow, PurchaseTotals,
};
use crate::dataset::intern::Interner;
use crate::dataset::quality::DataQuality;
use crate::dataset::storage::{Run, Span};
use crate::dataset::{deal_index, engagement, social_index};
use crate::model::{Campaign, Customer, Fanpage, Staff};

/// A validated, indexed dataset: the input of every report. Read-only once built;
/// `Send + Sync`, so one dataset can serve concurrent reports.
///
/// # Example
/// ```
/// use crm_metrics::{Dataset, sample};
///
/// let dataset = sample::SampleOptions::new(200).seed(7).dataset()?;
/// assert_eq!(dataset.customer_count(), 200);
/// assert!(dataset.quality().is_clean());
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone)]
pub struct Dataset {
    /// Accepted customers by [`CustomerIdx`]: sorted by (created_at, input order).
    pub(crate) customers: Vec<CustomerRow>,
    /// Customer ids; key `k` is the `k`-th accepted customer in input order.
    pub(crate) customer_ids: Interner,
    /// Input position (customer id key) to `CustomerIdx`.
    pub(crate) customer_by_load: Vec<CustomerIdx>,
    pub(crate) customer_text: CustomerText,
    /// Each customer's run of `orders`. A build lays the runs out customer after
    /// customer; [`Dataset::apply`] gives a rebuilt customer a new run at the end (see
    /// [`DeadRows`]).
    pub(crate) order_runs: Vec<Run>,
    /// Orders, each customer's run sorted by (created_at, id). Rows no run covers are
    /// dead ([`DeadRows`]).
    pub(crate) orders: Vec<OrderRow>,
    /// The rest of each order, at the same position as in `orders`.
    pub(crate) order_details: Vec<OrderDetail>,
    pub(crate) order_ids: Interner,
    /// Run offsets into `lines`, one per position of `orders` (dead ones included) plus
    /// one: an order's lines are `line_runs[p]..line_runs[p + 1]`.
    pub(crate) line_runs: Vec<u32>,
    /// Accepted order lines, order by order, in input order.
    pub(crate) lines: Vec<LineRow>,
    pub(crate) products: Interner,
    /// Each customer's run of `interactions`, as `order_runs`.
    pub(crate) interaction_runs: Vec<Run>,
    /// Interactions, each customer's run sorted by (at, input order); rows no run
    /// covers are dead.
    pub(crate) interactions: Vec<InteractionRow>,
    /// Per customer: the seconds of its last order and last interaction (`i64::MIN`
    /// when none). Dense and small, so a fold skips the runs of customers with nothing
    /// in a report's window without touching them (see [`Dataset::interactions_since`]).
    pub(crate) last_order_secs: Vec<i64>,
    pub(crate) last_interaction_secs: Vec<i64>,
    /// Per customer: its purchases' totals over all time (see `PurchaseTotals`).
    pub(crate) purchase_totals: Vec<PurchaseTotals>,
    /// Per customer: the first inbound social `message`/`comment` (any fanpage), so
    /// that docs/metrics.md#social `new_customers` without a fanpage filter reads one value instead of
    /// a customer's whole history. `None` when there is none.
    pub(crate) first_social_message: Vec<Option<Ts>>,
    /// `ref_id`s of interactions (games and surveys).
    pub(crate) refs: Interner,
    /// Accepted deals sorted by (created_at, input order).
    pub(crate) deals: Vec<DealRow>,
    /// Deals by the instant of each later stage (handed over, opportunity, won).
    pub(crate) deal_index: deal_index::DealIndex,
    /// Accepted costs sorted by (date, input order).
    pub(crate) costs: Vec<CostRow>,
    /// Deal and cost sources (free text).
    pub(crate) marketing_sources: Interner,
    /// Deal and cost product types (free text).
    pub(crate) product_types: Interner,
    pub(crate) staff: Entities<String>,
    pub(crate) fanpages: Entities<FanpageInfo>,
    pub(crate) campaigns: Entities<CampaignInfo>,
    pub(crate) quality: DataQuality,
    /// Inbound social interactions of all customers by time (docs/metrics.md#social traffic charts).
    pub(crate) inbound: social_index::InboundIndex,
    /// All-customer time indexes for docs/metrics.md#profile `engagement` shares.
    pub(crate) engagement: engagement::EngagementIndex,
    /// Derived, not data: per-zone purchase-day facts, computed on the first report in
    /// a zone (see `day_facts`). A clone starts with an empty cache; a snapshot does
    /// not store it.
    pub(crate) day_facts: super::day_facts::ZoneCache,
    /// Ids and owners of orders, deals and interactions, for [`Dataset::apply`]
    /// (reports never read them).
    pub(crate) ids: super::row_ids::RowIds,
    /// Rows of `orders`, `lines` and `interactions` that no run covers any more.
    pub(crate) dead: DeadRows,
}

/// How many rows of each run table no customer's run covers: the old runs of the
/// customers [`Dataset::apply`] rebuilt at the end of the table. A build leaves none;
/// `apply` compacts a table in place when its dead rows pass an eighth of its live ones
/// (see `apply.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DeadRows {
    pub(crate) orders: u64,
    pub(crate) lines: u64,
    pub(crate) interactions: u64,
}

crate::dataset::codec::fixed_record!(DeadRows {
    orders: u64,
    lines: u64,
    interactions: u64,
});

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset")
            .field("customers", &self.customers.len())
            .field("orders", &self.order_count())
            .field("order_lines", &self.order_line_count())
            .field("deals", &self.deals.len())
            .field("costs", &self.costs.len())
            .field("interactions", &self.interaction_count())
            .field("rejected", &self.quality.rejections.len())
            .finish()
    }
}

/// Run `i` of `rows`, delimited by `runs[i]..runs[i + 1]`: empty when `i` is past the
/// end (a [`CustomerIdx`] can be deserialized, or come from another dataset).
#[inline]
fn run_of<'a, T>(rows: &'a [T], runs: &[u32], i: usize) -> &'a [T] {
    match (runs.get(i), runs.get(i.wrapping_add(1))) {
        (Some(&start), Some(&end)) => rows.get(start as usize..end as usize).unwrap_or_default(),
        _ => &[],
    }
}

/// Customer `i`'s rows of a run table: empty when `i` is past the end.
#[inline]
fn customer_run<'a, T>(rows: &'a [T], runs: &[Run], i: usize) -> &'a [T] {
    match runs.get(i) {
        Some(run) => rows.get(run.range()).unwrap_or_default(),
        None => &[],
    }
}

/// Rows of a table of `len` rows less its `dead` ones.
#[inline]
fn live(len: usize, dead: u64) -> usize {
    len.saturating_sub(usize::try_from(dead).unwrap_or(usize::MAX))
}

impl Dataset {
    /// What validation accepted, rejected and warned about.
    pub fn quality(&self) -> &DataQuality {
        &self.quality
    }

    /// Accepted customers (of any creation date).
    pub fn customer_count(&self) -> usize {
        self.customers.len()
    }

    /// Accepted orders.
    pub fn order_count(&self) -> usize {
        live(self.orders.len(), self.dead.orders)
    }

    /// Accepted order lines.
    pub fn order_line_count(&self) -> usize {
        live(self.lines.len(), self.dead.lines)
    }

    /// Accepted deals.
    pub fn deal_count(&self) -> usize {
        self.deals.len()
    }

    /// Accepted costs.
    pub fn cost_count(&self) -> usize {
        self.costs.len()
    }

    /// Accepted interactions.
    pub fn interaction_count(&self) -> usize {
        live(self.interactions.len(), self.dead.interactions)
    }

    /// The index of the accepted customer with this id. `O(1)` (a hash look-up).
    pub fn customer_idx(&self, id: &str) -> Option<CustomerIdx> {
        self.customer_ids
            .get(id)
            .map(|key| self.customer_by_load[key as usize])
    }

    /// Every customer index, in (created_at, input order) order.
    pub fn customer_indices(&self) -> impl ExactSizeIterator<Item = CustomerIdx> + '_ {
        (0..self.customers.len() as u32).map(CustomerIdx)
    }

    /// The customers that exist at `as_of` (`created_at <= as_of`, docs/metrics.md#which-rows-count): the
    /// indices `0..n`, since indices follow creation time; `n` is found by binary search.
    pub fn customers_at(&self, as_of: DateTime<Utc>) -> Range<usize> {
        0..self.existing(Ts::from_datetime(as_of))
    }

    /// Number of customers with `created_at <= as_of`.
    pub(crate) fn existing(&self, as_of: Ts) -> usize {
        self.customers.partition_point(|c| c.created_at <= as_of)
    }

    /// The stored row of a customer (docs/metrics.md#profile `customer`). `None` for an index not of
    /// this dataset.
    pub fn customer(&self, idx: CustomerIdx) -> Option<Customer> {
        let row = self.customers.get(idx.index())?;
        let spans = self.customer_text.rows.get(row.load as usize)?;
        let arena = &self.customer_text.arena;
        let text = |i: usize| arena.opt(spans[i]).map(str::to_owned);
        Some(Customer {
            id: arena.get(spans[0]).to_owned(),
            created_at: row.created_at.to_datetime(),
            source: row.source,
            name: text(1),
            phone: text(2),
            email: text(3),
            gender: row.gender,
            birth_date: row.birth_date,
            zalo_id: text(4),
            facebook_id: text(5),
            notes: text(6),
        })
    }

    /// The accepted fanpages, in input order.
    pub fn fanpages(&self) -> impl Iterator<Item = Fanpage> + '_ {
        self.fanpages
            .info
            .iter()
            .enumerate()
            .map(|(key, f)| Fanpage {
                id: self.fanpages.id(key as u32).to_owned(),
                name: f.name.clone(),
                channel: f.channel,
                activated: f.activated,
                linked_accounts: f.linked_accounts,
            })
    }

    /// The accepted campaigns, in input order.
    pub fn campaigns(&self) -> impl Iterator<Item = Campaign> + '_ {
        self.campaigns
            .info
            .iter()
            .enumerate()
            .map(|(key, c)| Campaign {
                id: self.campaigns.id(key as u32).to_owned(),
                name: c.name.clone(),
                channel: c.channel,
            })
    }

    /// The accepted staff members, in input order.
    pub fn staff(&self) -> impl Iterator<Item = Staff> + '_ {
        self.staff.info.iter().enumerate().map(|(key, name)| Staff {
            id: self.staff.id(key as u32).to_owned(),
            name: name.clone(),
        })
    }

    /// The marketing sources of deals and costs (free text), sorted.
    pub fn marketing_sources(&self) -> Vec<&str> {
        let mut all: Vec<&str> = (0..self.marketing_sources.len() as u32)
            .map(|k| self.marketing_sources.resolve(k))
            .collect();
        all.sort_unstable();
        all
    }

    /// Every fanpage id the data knows, sorted: accepted fanpage rows and the ids that
    /// orders and interactions name without a row (kept with an `unknown_fanpage`
    /// warning).
    pub fn fanpage_ids(&self) -> Vec<&str> {
        let mut all: Vec<&str> = (0..self.fanpages.keys.len() as u32)
            .map(|k| self.fanpages.keys.resolve(k))
            .collect();
        all.sort_unstable();
        all
    }

    /// The product types of deals and costs (free text), sorted.
    pub fn product_types(&self) -> Vec<&str> {
        let mut all: Vec<&str> = (0..self.product_types.len() as u32)
            .map(|k| self.product_types.resolve(k))
            .collect();
        all.sort_unstable();
        all
    }

    /// The suffix of a customer's orders created at or after `since` (`since` is the
    /// start of a report's window, usually recent), with the position of its first
    /// order in `orders` (for [`order_detail`](Dataset::order_detail)). Reads the run
    /// backwards from its end, and not at all when the customer's last order is earlier.
    #[inline]
    pub(crate) fn orders_since(&self, idx: CustomerIdx, since: Ts) -> (usize, &[OrderRow]) {
        let first = self.first_order_position(idx);
        if self
            .last_order_secs
            .get(idx.index())
            .is_none_or(|&last| last < since.secs)
        {
            return (first, &[]);
        }
        let run = self.orders_of(idx);
        let from = run
            .iter()
            .rposition(|o| o.created_at < since)
            .map_or(0, |p| p + 1);
        (first + from, run.get(from..).unwrap_or_default())
    }

    /// The detail half of the order at `position` in `orders`.
    #[inline]
    pub(crate) fn order_detail(&self, position: usize) -> Option<&OrderDetail> {
        self.order_details.get(position)
    }

    /// The suffix of a customer's interactions at or after `since`, as
    /// [`orders_since`](Dataset::orders_since) does for orders.
    #[inline]
    pub(crate) fn interactions_since(&self, idx: CustomerIdx, since: Ts) -> &[InteractionRow] {
        if self
            .last_interaction_secs
            .get(idx.index())
            .is_none_or(|&last| last < since.secs)
        {
            return &[];
        }
        let run = self.interactions_of(idx);
        let from = run.iter().rposition(|i| i.at < since).map_or(0, |p| p + 1);
        run.get(from..).unwrap_or_default()
    }

    /// The same interactions as [`interactions_since`](Dataset::interactions_since),
    /// newest first: read from the end of the run and stopped at the first older one, so
    /// the tail is read once (finding the suffix's start and then walking it back reads
    /// it twice).
    #[inline]
    pub(crate) fn interactions_newest_since(
        &self,
        idx: CustomerIdx,
        since: Ts,
    ) -> impl Iterator<Item = &InteractionRow> {
        let recent = self
            .last_interaction_secs
            .get(idx.index())
            .is_some_and(|&last| last >= since.secs);
        let run = if recent {
            self.interactions_of(idx)
        } else {
            &[]
        };
        run.iter().rev().take_while(move |i| i.at >= since)
    }

    /// A customer's orders, sorted by (created_at, id); empty for an index past the end.
    #[inline]
    pub(crate) fn orders_of(&self, idx: CustomerIdx) -> &[OrderRow] {
        customer_run(&self.orders, &self.order_runs, idx.index())
    }

    /// The position of a customer's first order in `orders` (0 for an index past the end).
    #[inline]
    pub(crate) fn first_order_position(&self, idx: CustomerIdx) -> usize {
        self.order_runs
            .get(idx.index())
            .map_or(0, |r| r.start as usize)
    }

    /// The lines of the order at `position` in `orders`, in input order; empty for a
    /// position past the end.
    #[inline]
    pub(crate) fn lines_of(&self, position: usize) -> &[LineRow] {
        run_of(&self.lines, &self.line_runs, position)
    }

    /// A customer's interactions, sorted by (at, input order); empty for an index past
    /// the end.
    #[inline]
    pub(crate) fn interactions_of(&self, idx: CustomerIdx) -> &[InteractionRow] {
        customer_run(&self.interactions, &self.interaction_runs, idx.index())
    }

    /// Heap memory held by the dataset, in bytes (an estimate from capacities).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.customers.capacity() * size_of::<CustomerRow>()
            + self.customer_ids.heap_bytes()
            + self.customer_by_load.capacity() * 4
            + self.customer_text.arena.heap_bytes()
            + self.customer_text.rows.capacity() * size_of::<[Span; 7]>()
            + (self.order_runs.capacity() + self.interaction_runs.capacity()) * size_of::<Run>()
            + self.line_runs.capacity() * 4
            + self.orders.capacity() * size_of::<OrderRow>()
            + self.order_details.capacity() * size_of::<OrderDetail>()
            + self.order_ids.heap_bytes()
            + self.lines.capacity() * size_of::<LineRow>()
            + self.products.heap_bytes()
            + self.interactions.capacity() * size_of::<InteractionRow>()
            + self.first_social_message.capacity() * size_of::<Option<Ts>>()
            + self.purchase_totals.capacity() * size_of::<PurchaseTotals>()
            + (self.last_order_secs.capacity() + self.last_interaction_secs.capacity()) * 8
            + self.refs.heap_bytes()
            + self.deals.capacity() * size_of::<DealRow>()
            + self.deal_index.heap_bytes()
            + self.costs.capacity() * size_of::<CostRow>()
            + self.marketing_sources.heap_bytes()
            + self.product_types.heap_bytes()
            + self.staff.keys.heap_bytes()
            + self.fanpages.keys.heap_bytes()
            + self.campaigns.keys.heap_bytes()
            + self.engagement.heap_bytes()
            + self.inbound.heap_bytes()
            + self.ids.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    #[test]
    fn row_sizes_stay_compact() {
        // The memory per row documented on `DatasetBuilder::build`.
        assert_eq!(size_of::<Ts>(), 12);
        assert!(
            size_of::<CustomerRow>() <= 28,
            "{}",
            size_of::<CustomerRow>()
        );
        assert_eq!(size_of::<OrderRow>(), 32);
        assert_eq!(size_of::<OrderDetail>(), 32);
        assert_eq!(size_of::<LineRow>(), 16);
        assert_eq!(size_of::<InteractionRow>(), 32);
        assert!(size_of::<DealRow>() <= 96, "{}", size_of::<DealRow>());
        assert!(size_of::<CostRow>() <= 28, "{}", size_of::<CostRow>());
    }

    #[test]
    fn reference_tables_round_trip() {
        let d = crate::sample::SampleOptions::new(50).dataset().unwrap();
        let pages: Vec<Fanpage> = d.fanpages().collect();
        assert_eq!(pages.len(), 5);
        assert_eq!(pages[0].id, "FP1");
        assert!(!pages[4].activated);
        assert_eq!(d.campaigns().count(), 14);
        assert_eq!(d.staff().next().map(|s| s.id), Some("NV01".to_owned()));
        assert!(d.marketing_sources().contains(&"facebook_ads"));
        assert!(d.product_types().contains(&"course"));
    }

    #[test]
    fn interactions_newest_since_is_the_suffix_reversed() {
        let d = crate::sample::SampleOptions::new(300).dataset().unwrap();
        let mut seen = 0;
        for c in 0..d.customer_count() {
            let c = CustomerIdx(c as u32);
            let run = d.interactions_of(c);
            // Before, at and after each interaction, and past every one.
            let mut cuts: Vec<Ts> = run.iter().map(|i| i.at).collect();
            cuts.extend(run.iter().map(|i| Ts::from_secs(i.at.secs + 1)));
            cuts.push(Ts::MIN);
            cuts.push(Ts::from_secs(i64::MAX));
            for since in cuts {
                let expected: Vec<Ts> = d
                    .interactions_since(c, since)
                    .iter()
                    .rev()
                    .map(|i| i.at)
                    .collect();
                let got: Vec<Ts> = d
                    .interactions_newest_since(c, since)
                    .map(|i| i.at)
                    .collect();
                assert_eq!(got, expected);
                seen += got.len();
            }
        }
        assert!(seen > 1000, "{seen}");
    }

    #[test]
    fn dataset_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Dataset>();
    }
}
