//! The indexed tables of a [`Dataset`](super::Dataset): dense ids and compact rows,
//! sorted once at build time so that reports never sort.
//!
//! * Customers are numbered `0..n` in `(created_at, input order)` order, so the customers
//!   that exist at `as_of` are a prefix found by binary search.
//! * Each customer's orders are a contiguous run sorted by `(created_at, id)`, and each
//!   customer's interactions a run sorted by `(at, input order)`: per-customer folds read
//!   memory front to back, and a period within a customer is a binary search.
//! * Each order's lines are a contiguous run in input order.
//! * Deals are sorted by `created_at`, costs by `date`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::calendar::Ts;
use crate::dataset::intern::Interner;
use crate::dataset::storage::{Arena, OptKey, Span};
use crate::model::{Channel, Direction, Gender, InteractionKind, OrderStatus, Source};

/// The dense index of an accepted customer in a [`Dataset`](super::Dataset).
///
/// Indices follow `(created_at, input order)`: a lower index was created no later.
/// Shards of customers for mergeable aggregation are sets of these.
///
/// A `CustomerIdx` is not proof that the customer exists: one can be deserialized, or
/// come from another dataset. Every function taking one checks it: an index past the
/// end reads no rows (`None`, an empty result, or nothing added), and never panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CustomerIdx(pub(crate) u32);

impl CustomerIdx {
    /// The index as a `usize`, for slicing.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Contact channels a customer can be reached on (bit flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Contacts(u8);

impl Contacts {
    pub(crate) const PHONE: u8 = 1;
    pub(crate) const EMAIL: u8 = 2;
    pub(crate) const ZALO: u8 = 4;
    pub(crate) const FACEBOOK: u8 = 8;

    pub(crate) fn new(phone: bool, email: bool, zalo: bool, facebook: bool) -> Contacts {
        let flag = |has: bool, flag: u8| if has { flag } else { 0 };
        Contacts(
            flag(phone, Contacts::PHONE)
                | flag(email, Contacts::EMAIL)
                | flag(zalo, Contacts::ZALO)
                | flag(facebook, Contacts::FACEBOOK),
        )
    }

    pub(crate) fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }
}

impl crate::dataset::codec::Fixed for Contacts {
    const SIZE: usize = 1;
    fn put(&self, out: &mut Vec<u8>) {
        out.push(self.0);
    }
    fn get(bytes: &[u8]) -> Option<Contacts> {
        match bytes {
            [flags] if *flags < 16 => Some(Contacts(*flags)),
            _ => None,
        }
    }
}

/// An accepted customer. 32 bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CustomerRow {
    pub(crate) created_at: Ts,
    pub(crate) birth_date: Option<NaiveDate>,
    /// Position among accepted customers in input order: the key of its text.
    pub(crate) load: u32,
    pub(crate) source: Source,
    pub(crate) gender: Option<Gender>,
    pub(crate) contacts: Contacts,
}

/// The stored text columns of accepted customers, by input position: `id, name, phone,
/// email, zalo_id, facebook_id, notes` (docs/metrics.md#profile `customer`).
#[derive(Clone, Debug, Default)]
pub(crate) struct CustomerText {
    pub(crate) arena: Arena,
    pub(crate) rows: Vec<[Span; 7]>,
}

/// An accepted order: the fields every purchase scan reads, 32 bytes. Its customer is
/// implied by the run it sits in; the rest is its [`OrderDetail`], at the same position
/// in `Dataset::order_details` (read only for the few orders a report looks at closely).
#[derive(Clone, Copy, Debug)]
pub(crate) struct OrderRow {
    pub(crate) created_at: Ts,
    pub(crate) total: Decimal,
    pub(crate) status: OrderStatus,
    pub(crate) has_voucher: bool,
    /// Has a fanpage (docs/metrics.md#social "social order").
    pub(crate) social: bool,
}

impl OrderRow {
    /// A completed order (a purchase, once `created_at <= as_of`).
    pub(crate) fn is_completed(&self) -> bool {
        self.status == OrderStatus::Completed
    }

    /// Any status but cancelled (docs/metrics.md#conventions "placed order").
    pub(crate) fn is_placed(&self) -> bool {
        self.status != OrderStatus::Cancelled
    }

    /// Has a fanpage (docs/metrics.md#social "social order").
    pub(crate) fn is_social(&self) -> bool {
        self.social
    }
}

/// A customer's purchases over all time (completed orders, any date): enough for the
/// metrics that need only totals when no purchase is after `as_of`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PurchaseTotals {
    /// The last purchase, `None` without purchases.
    pub(crate) last_at: Option<Ts>,
    pub(crate) count: u32,
    pub(crate) vouchers: u32,
    /// The exact spend; `None` when it overflows a decimal (reports then scan and fail).
    pub(crate) spend: Option<Decimal>,
}

/// The less-read half of an accepted order. 32 bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OrderDetail {
    pub(crate) cost_of_goods: Option<Decimal>,
    /// Key of its id in `Dataset::order_ids`.
    pub(crate) id: u32,
    pub(crate) fanpage: OptKey,
    pub(crate) staff: OptKey,
}

/// An accepted order line. 16 bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineRow {
    pub(crate) product: u32,
    /// `> 0`.
    pub(crate) quantity: i64,
}

/// An accepted interaction. Its customer is implied by the run it sits in. 40 bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InteractionRow {
    pub(crate) at: Ts,
    pub(crate) fanpage: OptKey,
    pub(crate) staff: OptKey,
    pub(crate) campaign: OptKey,
    pub(crate) ref_id: OptKey,
    pub(crate) channel: Channel,
    pub(crate) kind: InteractionKind,
    pub(crate) direction: Direction,
    pub(crate) automated: bool,
}

impl InteractionRow {
    pub(crate) fn is_inbound(&self) -> bool {
        self.direction == Direction::Inbound
    }

    pub(crate) fn is_social(&self) -> bool {
        self.fanpage.is_some()
    }
}

/// An accepted deal.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DealRow {
    pub(crate) created_at: Ts,
    pub(crate) handed_over_at: Option<Ts>,
    pub(crate) opportunity_at: Option<Ts>,
    pub(crate) won_at: Option<Ts>,
    pub(crate) revenue: Option<Decimal>,
    /// Key in `Dataset::marketing_sources`.
    pub(crate) source: u32,
    /// Key in `Dataset::product_types`.
    pub(crate) product_type: OptKey,
}

/// An accepted cost. 32 bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CostRow {
    pub(crate) date: NaiveDate,
    pub(crate) source: u32,
    pub(crate) product_type: OptKey,
    pub(crate) amount: Decimal,
}

/// Staff, fanpages or campaigns: every id seen, known (an accepted row, keys
/// `0..known`) or only referenced (keys `known..`), with the accepted rows' data.
#[derive(Clone, Default)]
pub(crate) struct Entities<I> {
    pub(crate) keys: Interner,
    pub(crate) known: u32,
    pub(crate) info: Vec<I>,
}

impl<I> Entities<I> {
    /// The accepted row of a key, `None` for an id only referenced.
    pub(crate) fn info(&self, key: u32) -> Option<&I> {
        self.info.get(key as usize)
    }

    pub(crate) fn id(&self, key: u32) -> &str {
        self.keys.resolve(key)
    }
}

/// An accepted fanpage's data.
#[derive(Clone, Debug)]
pub(crate) struct FanpageInfo {
    pub(crate) name: String,
    pub(crate) channel: Option<Channel>,
    pub(crate) activated: bool,
    pub(crate) linked_accounts: u64,
}

/// An accepted campaign's data.
#[derive(Clone, Debug)]
pub(crate) struct CampaignInfo {
    pub(crate) name: String,
    pub(crate) channel: Option<Channel>,
}
