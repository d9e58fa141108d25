//! Lifecycle, cohorts and RFM as one [`Fold`], sharing one read of each customer's
//! purchases (it can also ride in another fold's pass as an element of a tuple). Equal
//! to each section's own `section` (tested).

use crate::dataset::{CustomerIdx, Dataset};
use crate::error::Result;
use crate::fold::{Fold, fold_customers};
use crate::purchase_days::{AddPurchaser, Days, Frame, Loader, MONTHS, Purchaser};
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
/// The lifecycle counts and the cohorts' retained counts come from [`Patterns`].
#[derive(Clone, Debug)]
struct Sections {
    lifecycle: lifecycle::Partial,
    cohorts: cohorts::Partial,
    rfm: rfm::Partial,
    pending: Vec<rfm::PendingCell>,
    cells: rfm::CompactCells,
    patterns: Patterns,
}

/// Purchasers counted by what the lifecycle counts and the cohorts' retained counts
/// depend on alone: their 13 months' activity bits and whether their first purchase is
/// in those months (then in the lowest active one), and their three period flags
/// ([`lifecycle::period_flags`]). A purchaser adds one to a counter here; each pattern's
/// counts are added to the partial states once, at the end
/// ([`drain_into`](Patterns::drain_into)), which gives exactly the counts that adding
/// each purchaser gives, without a loop and its unpredictable branches per purchaser.
/// The keys wait in a queue and are counted in batches (as the RFM cells), so that the
/// counters' fetches from memory overlap.
#[derive(Clone, Debug)]
struct Patterns {
    /// By `months | first_in_months << MONTHS` (2^14 counters, 64 KiB).
    months: Vec<u32>,
    /// Keys of `months` waiting to be counted.
    queue: Vec<u16>,
    /// By `active | before << 1 | first_in << 2`.
    period: [u64; 8],
}

/// Bits of a [`Patterns::months`] key.
const PATTERN_BITS: u32 = MONTHS as u32 + 1;

impl Default for Patterns {
    fn default() -> Patterns {
        Patterns {
            months: Vec::new(),
            queue: Vec::with_capacity(BATCH),
            period: [0; 8],
        }
    }
}

impl Patterns {
    /// Queues a purchaser; `false` (nothing counted) when its first month is not its
    /// lowest active month, which the key cannot say (never for a purchaser whose
    /// purchases are all up to today).
    #[inline(always)]
    fn add(&mut self, months: u16, first_month: Option<usize>, period: (bool, bool, bool)) -> bool {
        let months = months & ((1 << MONTHS) - 1);
        let key = match first_month {
            None => months,
            Some(m) if months != 0 && m == months.trailing_zeros() as usize => months | 1 << MONTHS,
            Some(_) => return false,
        };
        self.queue.push(key);
        let (active, before, first_in) = period;
        if let Some(count) = self
            .period
            .get_mut(usize::from(active) | usize::from(before) << 1 | usize::from(first_in) << 2)
        {
            *count += 1;
        }
        true
    }

    /// Counts the queued keys (a full counter's counts go to the states first).
    fn count(&mut self, lifecycle: &mut lifecycle::Partial, cohorts: &mut cohorts::Partial) {
        if self.months.is_empty() {
            self.months = vec![0; 1 << PATTERN_BITS];
        }
        for &key in &self.queue {
            let Some(count) = self.months.get_mut(usize::from(key)) else {
                continue;
            };
            if *count == u32::MAX {
                Patterns::add_to(usize::from(key), u64::from(*count), lifecycle, cohorts);
                *count = 0;
            }
            *count += 1;
        }
        self.queue.clear();
    }

    /// Adds `n` purchasers of pattern `key` to the lifecycle and cohorts states.
    fn add_to(
        key: usize,
        n: u64,
        lifecycle: &mut lifecycle::Partial,
        cohorts: &mut cohorts::Partial,
    ) {
        let months = key as u32 & ((1 << MONTHS) - 1);
        let first_month = (key >> MONTHS != 0).then(|| months.trailing_zeros() as usize);
        lifecycle.add_months(months, first_month, n);
        cohorts.add_retained(months, first_month, n);
    }

    /// Adds every pattern's counts to the lifecycle and cohorts states and empties this.
    fn drain_into(&mut self, lifecycle: &mut lifecycle::Partial, cohorts: &mut cohorts::Partial) {
        self.count(lifecycle, cohorts);
        for (key, count) in self.months.iter_mut().enumerate() {
            if *count > 0 {
                Patterns::add_to(key, u64::from(std::mem::take(count)), lifecycle, cohorts);
            }
        }
        for (key, count) in self.period.iter_mut().enumerate() {
            let n = std::mem::take(count);
            if n > 0 {
                lifecycle.add_period(key & 1 != 0, key & 2 != 0, key & 4 != 0, n);
            }
        }
    }
}

/// RFM cells added per batch.
const BATCH: usize = 64;

impl Sections {
    /// Adds the pending RFM cells.
    fn flush(&mut self) {
        self.cells.add(&mut self.rfm, &self.pending);
        self.pending.clear();
        self.patterns.count(&mut self.lifecycle, &mut self.cohorts);
    }

    /// Adds everything waiting to the partial states.
    fn settle(&mut self) {
        self.flush();
        self.cells.drain_into(&mut self.rfm);
        self.patterns
            .drain_into(&mut self.lifecycle, &mut self.cohorts);
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
        let period = lifecycle::period_flags(days, purchaser);
        let (months, first_month) = (purchaser.months(), purchaser.first_month());
        if self.patterns.add(months, first_month, period) {
            self.cohorts.add_revenue(purchaser);
        } else {
            self.lifecycle
                .add_purchaser(days, purchaser, dataset, customer);
            self.cohorts
                .add_purchaser(days, purchaser, dataset, customer);
        }
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
                patterns: Patterns::default(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Preset;
    use chrono::{TimeZone, Utc};

    /// Shards of the report's fold, merged, equal each section's own pass: the compact
    /// RFM cells and the patterns are settled before merging.
    #[test]
    fn shards_of_the_report_fold_merge_to_each_section() {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
        let dataset = crate::sample::SampleOptions::new(3000)
            .seed(11)
            .as_of(as_of)
            .dataset()
            .unwrap();
        for options in [
            ReportOptions::new(as_of),
            ReportOptions::new(as_of).period(Preset::Last90Days),
            ReportOptions::new(as_of - chrono::Duration::days(40))
                .try_time_zone("Europe/Berlin")
                .unwrap(),
        ] {
            let mut empty = Beyond::with_options(&options).unwrap();
            empty.fetch_zone(&dataset);
            let n = dataset.customer_count();
            let mut merged: Option<Beyond> = None;
            for range in [0..n / 5, n / 5..n / 2, n / 2..n] {
                let mut shard = empty.fresh();
                for c in range {
                    shard.add_customer(&dataset, CustomerIdx(c as u32));
                }
                match &mut merged {
                    Some(m) => m.merge(shard).unwrap(),
                    None => merged = Some(shard),
                }
            }
            let (l, c, r) = merged.unwrap().finish().unwrap();
            assert_eq!(l, lifecycle::section(&dataset, &options).unwrap());
            assert_eq!(c, cohorts::section(&dataset, &options).unwrap());
            assert_eq!(r, rfm::section(&dataset, &options).unwrap());
            assert_eq!((l, c, r), sections(&dataset, &options).unwrap(), "one pass");
        }
    }
}
