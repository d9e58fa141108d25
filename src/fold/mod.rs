//! The one partial-state contract every report section follows ([`Fold`]), and how
//! shards of customers are folded and merged ([`fold_customers`], [`fold_shard`]).
//!
//! Every customer-based section folds customers, one at a time and each with all its
//! rows, into a partial state; two partial states [`merge`](Fold::merge) into the state
//! of the union of their customers. Because a shard holds whole customers, per-customer
//! facts (a customer's median gap, whether a customer was reached) are settled inside
//! one shard, and what crosses shards is only counts, exact sums and rows keyed by the
//! input's own ids: computing on any split of the customers into shards and merging
//! gives exactly the whole-dataset result. That is how the crate uses every core
//! (feature `parallel`), and, with the `serde` feature (partial states serialize in a
//! versioned envelope, `Versioned`), how other processes or machines can compute
//! shards and send them to one that merges.
//!
//! | section | partial state | adds |
//! | --- | --- | --- |
//! | `customers` | [`customers::Partial`](crate::customers::Partial) | customers |
//! | `customer_picture` | [`customer_picture::Partial`](crate::customer_picture::Partial) | customers |
//! | `social` | [`social::Partial`](crate::social::Partial) | customers |
//! | `marketing` | [`marketing::Partial`](crate::marketing::Partial) | deals and costs |
//!
//! The module also holds the per-customer facts the customer sections share: one
//! purchase scan per customer ([`PurchaseSummary`], [`CycleBucket`]) feeding several
//! metrics at once (`tally`, crate-internal). It sits below the sections: they import
//! it, it imports none of them.
//!
//! # Example
//! ```
//! use crm_metrics::fold::{Fold, fold_customers, fold_shard};
//! use crm_metrics::{CustomerIdx, Dataset, ReportOptions, Result, sample::SampleOptions};
//!
//! /// Counts customers: the smallest possible fold.
//! struct Count(u64);
//!
//! impl Fold for Count {
//!     type Output = u64;
//!     fn new(_: &ReportOptions) -> Result<Count> {
//!         Ok(Count(0))
//!     }
//!     fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
//!         self.0 += u64::from(dataset.customer(customer).is_some());
//!     }
//!     fn merge(&mut self, other: Count) -> Result<()> {
//!         self.0 += other.0;
//!         Ok(())
//!     }
//!     fn finish(self) -> Result<u64> {
//!         Ok(self.0)
//!     }
//! }
//!
//! let dataset = SampleOptions::new(100).dataset()?;
//! let options = ReportOptions::new(chrono::Utc::now());
//! let all: Vec<CustomerIdx> = dataset.customer_indices().collect();
//! let (even, odd): (Vec<_>, Vec<_>) = all.iter().partition(|c| c.index() % 2 == 0);
//! let mut left = Count::new(&options)?;
//! fold_shard(&mut left, &dataset, even);
//! let mut right = Count::new(&options)?;
//! fold_shard(&mut right, &dataset, odd);
//! left.merge(right)?;
//! let whole = fold_customers(&dataset, 0..dataset.customer_count(), || Count(0))?;
//! assert_eq!(left.finish()?, whole.finish()?);
//! # Ok::<(), crm_metrics::Error>(())
//! ```

pub(crate) mod purchases;
pub(crate) mod tally;
#[cfg(feature = "serde")]
mod versioned;

pub use purchases::{CycleBucket, PurchaseSummary};
#[cfg(feature = "serde")]
pub use versioned::Versioned;

use crate::dataset::{CustomerIdx, Dataset};
use crate::error::Result;
use crate::options::ReportOptions;

/// The one partial-state contract every report section follows: create from the report
/// options, add customers (each with all its rows) or events, merge states of disjoint
/// shards, finish. The verbs are those of DataFusion's `Accumulator`.
///
/// A partial state is owned (it keeps a resolved copy of the options it needs, no
/// borrow), keys whatever crosses a merge by the input's own ids (never by dataset-local
/// interned indices), and serializes with serde (feature `serde`), so that shards
/// computed in other processes merge exactly. Adding a customer that does not exist at
/// `as_of`, or an index that is not in the dataset, contributes nothing and never
/// panics. A section fed events rather than customers (`marketing`) adds nothing in
/// [`add_customer`](Fold::add_customer) and has its own `add_*` methods.
pub trait Fold: Sized + Send {
    /// What [`finish`](Fold::finish) returns: the section's output.
    type Output;

    /// An empty partial state for these options.
    ///
    /// # Errors
    /// When the options do not resolve (see [`ReportOptions::resolve`](crate::ReportOptions::resolve)).
    fn new(options: &crate::ReportOptions) -> Result<Self>;

    /// Adds one customer with all its rows; a customer created after `as_of` or an index
    /// outside the dataset adds nothing.
    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx);

    /// Adds the state of a disjoint shard.
    ///
    /// # Errors
    /// When the two states were made for different options, or an exact sum overflows.
    fn merge(&mut self, other: Self) -> Result<()>;

    /// The section's result.
    ///
    /// # Errors
    /// [`Error::Overflow`](crate::Error::Overflow) naming the metric.
    fn finish(self) -> Result<Self::Output>;
}

/// A [`Fold`] that names its section, for the versioned envelope (`Versioned`, feature
/// `serde`): a state serialized for one section does not deserialize as another's.
pub trait Section: Fold {
    /// The section's name, as its key in the report's JSON (`customers`, `social`, …).
    const NAME: &'static str;
}

/// Folds over the same customers in one pass, as a tuple of 2, 3 or 4: each customer's
/// rows are read from memory once and are in cache for the next fold. Merges and
/// finishes each.
macro_rules! tuple_fold {
    ($($name:ident $index:tt),+) => {
        impl<$($name: Fold),+> Fold for ($($name,)+) {
            type Output = ($($name::Output,)+);

            fn new(options: &ReportOptions) -> Result<Self> {
                Ok(($($name::new(options)?,)+))
            }

            #[inline]
            fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
                $(self.$index.add_customer(dataset, customer);)+
            }

            fn merge(&mut self, other: Self) -> Result<()> {
                $(self.$index.merge(other.$index)?;)+
                Ok(())
            }

            fn finish(self) -> Result<Self::Output> {
                Ok(($(self.$index.finish()?,)+))
            }
        }
    };
}

tuple_fold!(A 0, B 1);
tuple_fold!(A 0, B 1, C 2);
tuple_fold!(A 0, B 1, C 2, D 3);

/// Folds the customers of one shard into `partial`.
pub fn fold_shard<F: Fold>(
    partial: &mut F,
    dataset: &Dataset,
    shard: impl IntoIterator<Item = CustomerIdx>,
) {
    for customer in shard {
        partial.add_customer(dataset, customer);
    }
}

/// Folds the customers with indices in `customers` from fresh partial states made by
/// `make`. Customers that do not exist at the state's `as_of` add nothing, so
/// `0..dataset.customer_count()` is right at any `as_of`; `0..n` with
/// `n = dataset.customers_at(as_of).end` reads only the existing ones (customers are
/// numbered in creation order). Indices past the end are ignored.
///
/// Without the `parallel` feature this is one pass. With it, the range is cut into
/// shards of 16,384 customers folded on rayon's pool and merged; the result is identical.
///
/// # Errors
/// When a merge fails (see [`Fold::merge`]): states made by one `make` never differ in
/// their options.
pub fn fold_customers<F: Fold>(
    dataset: &Dataset,
    customers: std::ops::Range<usize>,
    make: impl Fn() -> F + Sync,
) -> Result<F> {
    fold_with(dataset, customers, make, F::add_customer, F::merge)
}

/// [`fold_customers`] for any state, given how to add a customer and merge: the
/// crate's internal folds (one metric's tally) share the sharding this way.
pub(crate) fn fold_with<S: Send>(
    dataset: &Dataset,
    customers: std::ops::Range<usize>,
    make: impl Fn() -> S + Sync,
    add: impl Fn(&mut S, &Dataset, CustomerIdx) + Sync,
    merge: impl Fn(&mut S, S) -> Result<()> + Sync,
) -> Result<S> {
    let end = customers.end.min(dataset.customer_count());
    let start = customers.start.min(end);
    // OK because a dataset has fewer than 2^32 customers: `end` fits in a u32.
    let indices = move |range: std::ops::Range<usize>| range.map(|i| CustomerIdx(i as u32));
    #[cfg(feature = "parallel")]
    {
        const SHARD: usize = 16_384;
        if end - start > 2 * SHARD && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            let shards = (end - start).div_ceil(SHARD);
            return (0..shards)
                .into_par_iter()
                .map(|k| {
                    let mut partial = make();
                    let from = start + k * SHARD;
                    for customer in indices(from..(from + SHARD).min(end)) {
                        add(&mut partial, dataset, customer);
                    }
                    Ok(partial)
                })
                .reduce_with(|a: Result<S>, b: Result<S>| {
                    let mut a = a?;
                    merge(&mut a, b?)?;
                    Ok(a)
                })
                .unwrap_or_else(|| Ok(make()));
        }
    }
    #[cfg(not(feature = "parallel"))]
    let _ = &merge; // one shard: nothing to merge
    let mut partial = make();
    for customer in indices(start..end) {
        add(&mut partial, dataset, customer);
    }
    Ok(partial)
}
