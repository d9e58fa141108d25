//! Mergeable aggregation over shards of customers.
//!
//! Every customer-based section folds customers, one at a time and each with all its
//! rows, into a partial state; two partial states [`merge`](CustomerFold::merge) into the
//! state of the union of their customers. Because a shard holds whole customers,
//! per-customer facts (a customer's median gap, whether a customer was reached) are
//! settled inside one shard, and what crosses shards is only counts and exact sums:
//! computing on any split of the customers into shards and merging gives exactly the
//! whole-dataset result. That is how the crate uses every core (feature `parallel`),
//! and how a distributed engine can run it.
//!
//! # Example
//! ```
//! use crm_metrics::fold::{CustomerFold, fold_customers, fold_shard};
//! use crm_metrics::{CustomerIdx, Dataset, Result, sample::SampleOptions};
//!
//! /// Counts customers: the smallest possible fold.
//! #[derive(Default)]
//! struct Count(u64);
//!
//! impl CustomerFold for Count {
//!     type Output = u64;
//!     fn add_customer(&mut self, _: &Dataset, _: CustomerIdx) {
//!         self.0 += 1;
//!     }
//!     fn merge(&mut self, other: Count) {
//!         self.0 += other.0;
//!     }
//!     fn finish(self, _: &Dataset) -> Result<u64> {
//!         Ok(self.0)
//!     }
//! }
//!
//! let dataset = SampleOptions::new(100).dataset()?;
//! let all: Vec<CustomerIdx> = dataset.customer_indices().collect();
//! let (even, odd): (Vec<_>, Vec<_>) = all.iter().partition(|c| c.index() % 2 == 0);
//! let mut left = Count::default();
//! fold_shard(&mut left, &dataset, even);
//! let mut right = Count::default();
//! fold_shard(&mut right, &dataset, odd);
//! left.merge(right);
//! let whole = fold_customers(&dataset, 0..dataset.customer_count(), Count::default);
//! assert_eq!(left.finish(&dataset)?, whole.finish(&dataset)?);
//! # Ok::<(), crm_metrics::Error>(())
//! ```

use crate::dataset::{CustomerIdx, Dataset};
use crate::error::Result;

/// A partial aggregate over customers that merges exactly (see the module docs).
pub trait CustomerFold: Sized + Send {
    /// What [`finish`](CustomerFold::finish) returns.
    type Output;

    /// Adds one customer with all its rows.
    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx);

    /// Adds another partial state, computed on a disjoint set of customers.
    fn merge(&mut self, other: Self);

    /// The result. Fails when an exact sum does not fit in a decimal.
    ///
    /// # Errors
    /// [`Error::Overflow`](crate::Error::Overflow) naming the metric.
    fn finish(self, dataset: &Dataset) -> Result<Self::Output>;
}

/// Two folds over the same customers in one pass: each customer's rows are read from
/// memory once and are in cache for the second fold. Merges and finishes both.
impl<A: CustomerFold, B: CustomerFold> CustomerFold for (A, B) {
    type Output = (A::Output, B::Output);

    #[inline]
    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        self.0.add_customer(dataset, customer);
        self.1.add_customer(dataset, customer);
    }

    fn merge(&mut self, other: (A, B)) {
        self.0.merge(other.0);
        self.1.merge(other.1);
    }

    fn finish(self, dataset: &Dataset) -> Result<Self::Output> {
        Ok((self.0.finish(dataset)?, self.1.finish(dataset)?))
    }
}

/// Folds the customers of one shard into `partial`.
pub fn fold_shard<F: CustomerFold>(
    partial: &mut F,
    dataset: &Dataset,
    shard: impl IntoIterator<Item = CustomerIdx>,
) {
    for customer in shard {
        partial.add_customer(dataset, customer);
    }
}

/// Folds the customers with indices in `customers` (e.g. `0..existing`, the customers
/// that exist at `as_of`) from fresh partial states made by `make`.
///
/// Without the `parallel` feature this is one pass. With it, the range is cut into
/// shards of 16,384 customers folded on rayon's pool and merged; the result is identical.
pub fn fold_customers<F: CustomerFold>(
    dataset: &Dataset,
    customers: std::ops::Range<usize>,
    make: impl Fn() -> F + Sync,
) -> F {
    let end = customers.end.min(dataset.customer_count());
    let start = customers.start.min(end);
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
                    fold_shard(
                        &mut partial,
                        dataset,
                        indices(from..(from + SHARD).min(end)),
                    );
                    partial
                })
                .reduce_with(|mut a, b| {
                    a.merge(b);
                    a
                })
                .unwrap_or_else(&make);
        }
    }
    let mut partial = make();
    fold_shard(&mut partial, dataset, indices(start..end));
    partial
}

/// The one partial-state contract every report section follows (issue 13; being
/// adopted section by section): create from the report options, add customers (each
/// with all its rows) or events, merge states of disjoint shards, finish.
///
/// A partial state is owned (it keeps what it needs of the options, no borrow), keys
/// whatever crosses a merge by the input's own ids (never by dataset-local interned
/// indices), and serializes with serde, so that shards computed in other processes merge
/// exactly. Adding a customer that does not exist at `as_of`, or an index that is not
/// in the dataset, contributes nothing and never panics.
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
