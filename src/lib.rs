//! An embeddable customer-analytics metrics engine.
//!
//! Online shops, restaurants and sales teams run CRM dashboards: customer growth,
//! customer 360 profiles, marketing ROI and deal funnels, visit and return-cycle
//! statistics, social-chat care and conversion. This crate models customers, orders,
//! deals, interactions, campaigns and costs as plain structs and computes those
//! dashboards exactly: money in [`Decimal`](rust_decimal::Decimal), days in the shop's
//! own time zone, every formula from one specification (SPEC.md, cited as "SPEC §n").
//!
//! # Quick start
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_metrics::{ReportOptions, calendar::Preset, sample::SampleOptions};
//!
//! let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
//! // A seeded sample; a service would fill a `DatasetBuilder` from its own rows.
//! let dataset = SampleOptions::new(500).seed(7).as_of(as_of).dataset()?;
//! let options = ReportOptions::new(as_of)
//!     .time_zone("+07:00".parse()?)
//!     .period(Preset::ThisMonth);
//! let report = crm_metrics::report(&dataset, &options)?;
//! assert_eq!(report.period.start().to_string(), "2026-11-01");
//! assert_eq!(report.data_quality.tables.0[0].read, 500);
//! # Ok::<(), crm_metrics::Error>(())
//! ```
//!
//! # Data flow
//! ```text
//! CSV folder (io::csv) or structs (model) -> DatasetBuilder -> Dataset (validated, indexed)
//!     -> sections (one module per SPEC §3-§7) -> Report -> JSON / text / HTML (examples)
//! ```
//! Building validates every row (SPEC §2): each row is accepted or rejected with a
//! [`Reason`], `read = accepted + rejected` per table, and [`DataQuality`] says so.
//! Sections never read files and `io` never computes.
//!
//! # Formula index
//! | SPEC | item |
//! | --- | --- |
//! | §1 calendar, periods, presets | [`calendar`] |
//! | §1 cmp, ratios, money | [`money::Cmp`], [`money::ratio`], [`money::DecimalSum`] |
//! | §2 model, validation | [`model`], [`DatasetBuilder`], [`Reason`], [`Warning`] |
//! | §3 `customers` (customer dashboard) | [`customers`]: [`customers::section`], [`customers::dormant_customers`], [`customers::new_customers_daily`], … |
//! | §4 `profile` (customer 360) | [`profile`]: [`profile::section`], [`profile::avg_days_between_purchases`], … |
//! | §5 `marketing` (revenue, cost, ROI, funnel) | [`marketing`]: [`marketing::section`], [`marketing::roi`], [`marketing::funnel`], [`marketing::SavedView`], … |
//! | §6 `customer_picture` (visits, cycles, spend levels) | [`customer_picture`]: [`customer_picture::section`], [`customer_picture::visit_groups`], [`customer_picture::return_cycle`], … |
//! | §7 `social` (reach, care, conversion) | [`social`]: [`social::section`], [`social::SocialFold`], … |
//! | comparison modes (to date, year ago, custom) | [`calendar::Compare`], [`calendar::comparison_range`], [`ReportOptions::compare`] |
//! | lifecycle (new, returning, resurrecting, dormant) | [`lifecycle`]: [`lifecycle::section`], [`lifecycle::monthly`], [`lifecycle::state`] |
//! | acquisition cohorts and retention | [`cohorts`]: [`cohorts::section`], [`cohorts::retention`] |
//! | RFM summary, scores and segments | [`rfm`]: [`rfm::section`], [`rfm::summary`], [`rfm::score`], [`rfm::segment`], [`rfm::write_csv`] |
//! | §8 report, `data_quality` | [`report()`], [`Report`], [`DataQualitySection`] |
//! | mergeable aggregation | [`fold::CustomerFold`], [`fold::fold_customers`], [`fold::Fold`] ([`lifecycle::Partial`], [`cohorts::Partial`], [`rfm::Partial`], [`rfm::SummaryPartial`]) |
//!
//! # Crate features
//! * `csv` (default): read a folder of CSV files ([`DatasetBuilder::read_csv_dir`]).
//!   Without it the crate is a pure core for services that build datasets from their
//!   own database.
//! * `parallel`: use every core (rayon) for report sections and CSV parsing. Results
//!   are identical to single-threaded ones.
//! * `serde`: serialize and deserialize the sections' partial states, so that shards
//!   folded in other processes merge exactly.
//!
//! # Panics and accuracy
//! No input panics: bad rows become rejections, bad arguments and arithmetic overflow
//! become [`Error`] values. Money is exact: sums are exact decimal sums (or an
//! [`Error::Overflow`] naming the metric, never a wrapped or rounded value); a ratio is
//! `rust_decimal`'s quotient rounded half-to-even at 28 digits, `None` when its
//! denominator is zero. Rounding for display is the caller's business.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

pub mod calendar;
pub mod cohorts;
pub mod customer_picture;
pub mod customers;
pub mod dataset;
pub mod error;
pub mod fold;
pub mod io;
pub mod lifecycle;
pub mod marketing;
pub mod model;
pub mod money;
pub mod profile;
mod purchase_days;
pub mod report;
pub mod rfm;
pub mod sample;
pub mod social;

pub use dataset::{CustomerIdx, DataQuality, DataQualitySection, Dataset, DatasetBuilder};
pub use error::{Error, Reason, Rejection, Result, Table, Warning};
pub use report::{Context, Report, ReportOptions, report};

// The README's code is a doctest too, so that it always compiles.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
