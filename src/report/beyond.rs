//! Lifecycle, cohorts and RFM as one [`Fold`], sharing one scan of each
//! customer's purchases (it can also ride in another fold's pass as an element of a
//! tuple). Equal to each section's own `section` (tested).

use crate::dataset::{CustomerIdx, Dataset};
use crate::error::Result;
use crate::fold::{Fold, fold_customers};
use crate::purchase_days::{CustomerDays, Days, ZoneHandle};
use crate::{ReportOptions, cohorts, lifecycle, rfm};

/// The three partial states and the reused scan buffer.
#[derive(Debug)]
pub(crate) struct Beyond {
    days: Days,
    scan: CustomerDays,
    zone: ZoneHandle,
    calendar: crate::calendar::BusinessCalendar,
    lifecycle: lifecycle::Partial,
    cohorts: cohorts::Partial,
    rfm: rfm::Partial,
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
        if self.scan.load(
            dataset,
            &self.calendar,
            &self.days,
            customer,
            &mut self.zone,
        ) {
            self.lifecycle.add_days(&self.days, &self.scan);
            self.cohorts.add_days(&self.days, &self.scan);
            self.rfm.add_days(&self.days, &self.scan);
        }
    }

    fn merge(&mut self, other: Beyond) -> Result<()> {
        self.lifecycle.merge(other.lifecycle)?;
        self.cohorts.merge(other.cohorts)?;
        self.rfm.merge(other.rfm)
    }

    fn finish(self) -> Result<Self::Output> {
        Ok((
            self.lifecycle.finish()?,
            self.cohorts.finish()?,
            self.rfm.finish()?,
        ))
    }
}

impl Beyond {
    /// Empty partial states for `options`.
    pub(crate) fn with_options(options: &ReportOptions) -> Result<Beyond> {
        let frame = crate::purchase_days::Frame::new(options)?;
        Ok(Beyond {
            days: frame.days(),
            calendar: frame.calendar.clone(),
            scan: CustomerDays::default(),
            zone: ZoneHandle::default(),
            lifecycle: lifecycle::Partial::new(options)?,
            cohorts: cohorts::Partial::new(options)?,
            rfm: rfm::Partial::new(options)?,
        })
    }

    /// Takes the dataset's purchase-day facts of the zone now (computing them if no
    /// report did), so that every shard's copy shares them.
    pub(crate) fn fetch_zone(&mut self, dataset: &Dataset) {
        self.zone.get(dataset, &self.calendar);
    }

    /// A copy of an empty state, for another shard.
    pub(crate) fn fresh(&self) -> Beyond {
        Beyond {
            days: self.days,
            scan: CustomerDays::default(),
            zone: self.zone.clone(),
            calendar: self.calendar.clone(),
            lifecycle: self.lifecycle.clone(),
            cohorts: self.cohorts.clone(),
            rfm: self.rfm.clone(),
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
