//! [`RowIds`]: the ids of accepted orders, deals and interactions and where each row
//! sits, which [`Dataset::apply`](super::Dataset::apply) needs to tell a replacement
//! from a new row and to find the row it replaces.
//!
//! Reports never read these. They cost memory: at 1M generated customers about 90 MB of
//! interaction ids (text and offsets) plus 4 bytes per order and 12 per interaction.

use crate::dataset::intern::Interner;

/// Ids and owners of the rows a batch of changes can replace (customers, staff,
/// fanpages and campaigns keep their ids in the dataset already).
///
/// Invariants:
/// * `deals` holds the ids of the accepted deals only, key `k` being the `k`-th in
///   input order (the build's, then each applied batch's new rows); `deal_keys[p]` is
///   the key of the deal at position `p` of `Dataset::deals`, so deals sorted by
///   `(created_at, key)` are sorted by `(created_at, input order)`.
/// * `interactions` likewise for accepted interactions; `interaction_keys[p]` is the key
///   of the interaction at position `p` of `Dataset::interactions`, and
///   `interaction_owner[k]` the customer key (input position, see
///   `Dataset::customer_by_load`) of interaction key `k`.
/// * `order_owner[k]` is the customer key of order id key `k` of `Dataset::order_ids`,
///   `u32::MAX` for an id without an accepted order (a rejected row, or an id only an
///   order line named).
#[derive(Clone, Debug, Default)]
pub(crate) struct RowIds {
    pub(crate) order_owner: Vec<u32>,
    pub(crate) deals: Interner,
    pub(crate) deal_keys: Vec<u32>,
    pub(crate) interactions: Interner,
    pub(crate) interaction_keys: Vec<u32>,
    pub(crate) interaction_owner: Vec<u32>,
}

crate::dataset::codec::codec_record!(RowIds {
    order_owner: Vec<u32>,
    deals: Interner,
    deal_keys: Vec<u32>,
    interactions: Interner,
    interaction_keys: Vec<u32>,
    interaction_owner: Vec<u32>,
});

impl RowIds {
    /// Bytes held, for [`Dataset::heap_bytes`](super::Dataset::heap_bytes).
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.order_owner.capacity()
            + self.deal_keys.capacity()
            + self.interaction_keys.capacity()
            + self.interaction_owner.capacity())
            * 4
            + self.deals.heap_bytes()
            + self.interactions.heap_bytes()
    }
}

/// The ids of the accepted rows of a staged table, keyed in input order: `ids` holds
/// every staged row's id (key = staged row), `accepted` the accepted staged rows in
/// input order. Gives the interner of the accepted ids and, when some rows were
/// rejected, each staged row's new key (`u32::MAX` for a rejected row). When every row
/// was accepted the interner is moved, not copied.
pub(crate) fn accepted_ids(ids: Interner, accepted: &[u32]) -> (Interner, Option<Vec<u32>>) {
    if accepted.len() == ids.len() {
        return (ids, None);
    }
    let mut kept = Interner::with_capacity(accepted.len());
    let mut key_of_row = vec![u32::MAX; ids.len()];
    for &row in accepted {
        if let Some((key, _)) = kept.intern(ids.resolve(row))
            && let Some(slot) = key_of_row.get_mut(row as usize)
        {
            *slot = key;
        }
    }
    (kept, Some(key_of_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_ids_keep_input_order_and_drop_rejected_rows() {
        let mut ids = Interner::default();
        for id in ["D1", "D2", "D3"] {
            ids.intern(id);
        }
        let (all, none) = accepted_ids(ids.clone(), &[0, 1, 2]);
        assert_eq!((all.len(), none), (3, None));
        let (kept, keys) = accepted_ids(ids, &[0, 2]);
        assert_eq!((kept.resolve(0), kept.resolve(1)), ("D1", "D3"));
        assert_eq!(keys, Some(vec![0, u32::MAX, 1]));
    }
}
