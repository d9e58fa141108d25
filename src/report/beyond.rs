//! Lifecycle, cohorts and RFM in one pass over the customers, sharing one scan of each
//! customer's purchases. Equal to each section's own `section` (tested).

use crate::dataset::{CustomerIdx, Dataset};
use crate::error::Result;
use crate::fold::{CustomerFold, Fold, fold_customers};
use crate::purchase_days::{CustomerDays, Days};
use crate::{ReportOptions, cohorts, lifecycle, rfm};

/// The three partial states and the reused scan buffer.
pub(crate) struct Beyond {
    days: Days,
    scan: CustomerDays,
    calendar: crate::calendar::BusinessCalendar,
    lifecycle: lifecycle::Partial,
    cohorts: cohorts::Partial,
    rfm: rfm::Partial,
    error: Option<crate::Error>,
}

impl CustomerFold for Beyond {
    type Output = (
        lifecycle::LifecycleSection,
        Vec<cohorts::CohortRow>,
        rfm::RfmSection,
    );

    #[inline]
    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        if self
            .scan
            .scan(dataset, &self.calendar, &self.days, customer)
        {
            self.lifecycle.add_days(&self.days, &self.scan);
            self.cohorts.add_days(&self.days, &self.scan);
            self.rfm.add_days(&self.days, &self.scan);
        }
    }

    fn merge(&mut self, other: Beyond) {
        let merged = self
            .lifecycle
            .merge(other.lifecycle)
            .and_then(|()| self.cohorts.merge(other.cohorts))
            .and_then(|()| self.rfm.merge(other.rfm));
        if let Some(e) = other.error.or(merged.err()) {
            self.error.get_or_insert(e);
        }
    }

    fn finish(self, _: &Dataset) -> Result<Self::Output> {
        if let Some(e) = self.error {
            return Err(e);
        }
        Ok((
            self.lifecycle.finish()?,
            self.cohorts.finish()?,
            self.rfm.finish()?,
        ))
    }
}

/// The lifecycle, cohorts and RFM sections in one pass.
pub(crate) fn sections(
    dataset: &Dataset,
    options: &ReportOptions,
) -> Result<<Beyond as CustomerFold>::Output> {
    let frame = crate::purchase_days::Frame::new(options)?;
    let empty = Beyond {
        days: frame.days(),
        calendar: frame.calendar.clone(),
        scan: CustomerDays::default(),
        lifecycle: lifecycle::Partial::new(options)?,
        cohorts: cohorts::Partial::new(options)?,
        rfm: rfm::Partial::new(options)?,
        error: None,
    };
    let existing = dataset.customers_at(options.as_of);
    let make = || Beyond {
        days: empty.days,
        scan: CustomerDays::default(),
        calendar: empty.calendar.clone(),
        lifecycle: empty.lifecycle.clone(),
        cohorts: empty.cohorts.clone(),
        rfm: empty.rfm.clone(),
        error: None,
    };
    fold_customers(dataset, existing, make).finish(dataset)
}
