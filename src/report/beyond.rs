//! Lifecycle, cohorts and RFM as one [`Fold`], sharing one read of each customer's
//! purchases (it can also ride in another fold's pass as an element of a tuple). Equal
//! to each section's own `section` (tested).

use crate::dataset::{CustomerIdx, Dataset};
use crate::error::Result;
use crate::fold::{Fold, fold_customers};
use crate::purchase_days::{AddPurchaser, Days, Frame, Loader, Purchaser};
use crate::{ReportOptions, cohorts, lifecycle, rfm};

/// The three partial states and the loader that reads each customer once for them.
#[derive(Debug)]
pub(crate) struct Beyond {
    loader: Loader,
    sections: Sections,
}

/// The three partial states, RFM histogram cells waiting to be added in a batch (see
/// [`rfm::Partial::add_sums`]), and the compact copy of the RFM histogram they are
/// added to ([`rfm::CompactCells`], moved into the RFM state before merging or
/// finishing).
#[derive(Clone, Debug)]
struct Sections {
    lifecycle: lifecycle::Partial,
    cohorts: cohorts::Partial,
    rfm: rfm::Partial,
    pending: Vec<rfm::PendingCell>,
    cells: rfm::CompactCells,
}

/// RFM cells added per batch.
const BATCH: usize = 64;

impl Sections {
    /// Adds the pending RFM cells.
    fn flush(&mut self) {
        self.cells.add(&mut self.rfm, &self.pending);
        self.pending.clear();
    }

    /// Adds everything waiting to the RFM state.
    fn settle(&mut self) {
        self.flush();
        self.cells.drain_into(&mut self.rfm);
    }
}

impl AddPurchaser for Sections {
    fn frame(&self) -> &Frame {
        self.lifecycle.frame()
    }

    #[inline]
    fn add_purchaser<P: Purchaser>(
        &mut self,
        days: &Days,
        purchaser: &P,
        dataset: &Dataset,
        customer: CustomerIdx,
    ) {
        self.lifecycle
            .add_purchaser(days, purchaser, dataset, customer);
        self.cohorts
            .add_purchaser(days, purchaser, dataset, customer);
        if self.pending.len() >= BATCH {
            self.flush();
        }
        self.pending.push(self.rfm.add_sums(days, purchaser));
    }
}

impl Fold for Beyond {
    type Output = (
        lifecycle::LifecycleSection,
        Vec<cohorts::CohortRow>,
        rfm::RfmSection,
    );

    fn new(options: &ReportOptions) -> Result<Beyond> {
        Beyond::with_options(options)
    }

    #[inline]
    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        self.loader
            .add_customer(&mut self.sections, dataset, customer);
    }

    fn merge(&mut self, mut other: Beyond) -> Result<()> {
        self.sections.settle();
        other.sections.settle();
        self.sections.lifecycle.merge(other.sections.lifecycle)?;
        self.sections.cohorts.merge(other.sections.cohorts)?;
        self.sections.rfm.merge(other.sections.rfm)
    }

    fn finish(mut self) -> Result<Self::Output> {
        self.sections.settle();
        Ok((
            self.sections.lifecycle.finish()?,
            self.sections.cohorts.finish()?,
            self.sections.rfm.finish()?,
        ))
    }
}

impl Beyond {
    /// Empty partial states for `options`.
    pub(crate) fn with_options(options: &ReportOptions) -> Result<Beyond> {
        Ok(Beyond {
            loader: Loader::default(),
            sections: Sections {
                lifecycle: lifecycle::Partial::new(options)?,
                cohorts: cohorts::Partial::new(options)?,
                rfm: rfm::Partial::new(options)?,
                pending: Vec::with_capacity(BATCH),
                cells: rfm::CompactCells::default(),
            },
        })
    }

    /// Takes the dataset's purchase-day facts of the zone now (computing them if no
    /// report did), so that every shard's copy shares them.
    pub(crate) fn fetch_zone(&mut self, dataset: &Dataset) {
        let frame = self.sections.frame();
        self.loader.fetch_zone(frame, dataset);
    }

    /// A copy of an empty state (nothing added yet), for another shard.
    pub(crate) fn fresh(&self) -> Beyond {
        Beyond {
            loader: self.loader.clone(),
            sections: self.sections.clone(),
        }
    }
}

/// The lifecycle, cohorts and RFM sections in one pass of their own.
pub(crate) fn sections(
    dataset: &Dataset,
    options: &ReportOptions,
) -> Result<<Beyond as Fold>::Output> {
    let mut empty = Beyond::with_options(options)?;
    empty.fetch_zone(dataset);
    let existing = dataset.customers_at(options.as_of);
    fold_customers(dataset, existing, || empty.fresh())?.finish()
}
