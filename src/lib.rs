//! An embeddable customer-analytics metrics engine.
//!
//! Online shops, restaurants and sales teams run CRM dashboards: customer growth,
//! customer 360 profiles, marketing ROI and deal funnels, visit and return-cycle
//! statistics, social-chat care and conversion. This crate models customers, orders,
//! deals, interactions, campaigns and costs as plain structs and computes those
//! dashboards exactly: money in [`Decimal`](rust_decimal::Decimal), days in the shop's
//! own time zone, every formula from one specification. Its reference is in the
//! repository: `docs/metrics.md` (every metric's definition) and
//! `docs/input-format.md` (every input file, column and value, and what happens to a
//! bad one).
//!
//! # Quick start
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_metrics::{ReportOptions, Table, calendar::Preset, sample::SampleOptions};
//!
//! let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
//! // A seeded sample; a service would fill a `DatasetBuilder` from its own rows.
//! let dataset = SampleOptions::new(500).seed(7).as_of(as_of).dataset()?;
//! let options = ReportOptions::new(as_of)
//!     .time_zone("+07:00")
//!     .period(Preset::ThisMonth);
//! let report = crm_metrics::report(&dataset, &options)?;
//! assert_eq!(report.period.start().to_string(), "2026-11-01");
//! assert_eq!(report.data_quality.table(Table::Customers).read, 500);
//! # Ok::<(), crm_metrics::Error>(())
//! ```
//!
//! # Data flow
//! ```text
//! CSV folder (io::csv) or structs (model) -> DatasetBuilder -> Dataset (validated, indexed)
//!     -> sections (one module per report section) -> Report -> JSON / text / HTML (examples)
//! ```
//! Below the sections sit [`options`] (what a report covers, resolved into a
//! [`Context`]) and [`fold`] (the partial-state contract and the per-customer facts
//! the customer sections share); [`report()`] assembles the sections and nothing in the
//! crate imports it.
//! Building validates every row (docs/input-format.md): each row is accepted or
//! rejected with a [`Reason`], `read = accepted + rejected` per table, and [`DataQuality`] says so.
//! Sections never read files and `io` never computes.
//!
//! # Formula index
//! | reference (docs/) | item |
//! | --- | --- |
//! | metrics.md#time, #periods, #presets | [`calendar`] |
//! | metrics.md#comparisons, #money-and-ratios | [`money::Comparison`], [`money::ratio`], [`money::DecimalSum`] |
//! | input-format.md (files, values, rejections) | [`model`], [`DatasetBuilder`], [`Reason`], [`Warning`] |
//! | metrics.md#customers `customers` (customer dashboard) | [`customers`]: [`customers::section`], [`customers::dormant_customers`], [`customers::new_customers_daily`], … |
//! | metrics.md#profile `profile` (customer 360) | [`profile`]: [`profile::section`], [`profile::avg_days_between_purchases`], … |
//! | metrics.md#marketing `marketing` (revenue, cost, ROI, funnel) | [`marketing`]: [`marketing::section`], [`marketing::roi`], [`marketing::funnel`], [`marketing::SavedView`], … |
//! | metrics.md#customer_picture `customer_picture` (visits, cycles, spend levels) | [`customer_picture`]: [`customer_picture::section`], [`customer_picture::visit_groups`], [`customer_picture::return_cycle`], … |
//! | metrics.md#social `social` (reach, care, conversion) | [`social`]: [`social::section`], [`social::funnel`], [`social::top_staff`], [`social::reach_daily`], … |
//! | metrics.md#comparison-modes (to date, year ago, custom) | [`calendar::Compare`], [`calendar::comparison_range`], [`ReportOptions::compare`] |
//! | metrics.md#lifecycle (new, returning, resurrecting, dormant) | [`lifecycle`]: [`lifecycle::section`], [`lifecycle::monthly`], [`lifecycle::state`] |
//! | metrics.md#cohorts acquisition cohorts and retention | [`cohorts`]: [`cohorts::section`], [`cohorts::retention`] |
//! | metrics.md#rfm RFM summary, scores and segments | [`rfm`]: [`rfm::section`], [`rfm::summary`], [`rfm::score`], [`rfm::segment`], [`rfm::write_csv`] |
//! | metrics.md#the-json-report, #data_quality | [`report()`], [`Report`], [`DataQualitySection`] |
//! | partial states, shards, merging | [`fold::Fold`] ([`customers::Partial`], [`customer_picture::Partial`], [`social::Partial`], [`marketing::Partial`], [`lifecycle::Partial`], [`cohorts::Partial`], [`rfm::Partial`], [`rfm::SummaryPartial`]), [`fold::fold_customers`] |
//! | options, resolved context | [`ReportOptions`], [`Context`] (module [`options`]) |
//!
//! # Crate features
//! * `csv` (default): read a folder of CSV files ([`DatasetBuilder::read_csv_dir`]).
//!   Without it the crate is a pure core for services that build datasets from their
//!   own database.
//! * `parallel`: use every core (rayon) for report sections and CSV parsing. Results
//!   are identical to single-threaded ones.
//! * `serde`: the sections' partial states ([`fold::Fold`]) implement `Serialize` and
//!   `Deserialize`, in a versioned envelope (`fold::Versioned`), so that shards of a
//!   dataset computed in other processes merge into exactly the whole report. serde
//!   itself is always a dependency: reports and options serialize without this feature.
//!
//! # Re-exported crates
//! The API speaks in types of three crates, re-exported so that a service uses the very
//! versions this crate was built with, without naming them in its own `Cargo.toml`:
//! [`chrono`] (instants are `DateTime<Utc>`, local dates `NaiveDate`), [`chrono_tz`]
//! (IANA time zones) and [`rust_decimal`] (money is `Decimal`).
//! ```
//! use crm_metrics::chrono::{TimeZone, Utc};
//! use crm_metrics::model::{Order, OrderStatus};
//! use crm_metrics::rust_decimal::Decimal;
//!
//! let at = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
//! let order = Order::new("DH1", "KH1", at, OrderStatus::Completed, Decimal::new(12_500, 2));
//! assert_eq!(order.total.to_string(), "125.00");
//! ```
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
mod label;
pub mod lifecycle;
pub mod marketing;
pub mod model;
pub mod money;
pub mod options;
pub mod profile;
mod purchase_days;
pub mod report;
pub mod rfm;
pub mod sample;
pub mod social;

/// Dates and times: instants are [`chrono::DateTime<chrono::Utc>`], local dates
/// [`chrono::NaiveDate`]. Re-exported so that a service uses the same version.
pub use chrono;
/// IANA time zones ([`chrono_tz::Tz`]), as a report's time zone may be. Re-exported so
/// that a service uses the same version.
pub use chrono_tz;
/// Exact decimals: every amount of money is a [`rust_decimal::Decimal`]. Re-exported so
/// that a service uses the same version.
pub use rust_decimal;

pub use dataset::{
    ApplySummary, CustomerIdx, DataQuality, DataQualitySection, Dataset, DatasetBuilder,
    RejectionSummary, TableChanges, TableCounts, TablesMap,
};
pub use error::{Error, InputKind, Origin, Reason, Rejection, Result, Table, Warning};
pub use options::{Context, ReportOptions};
pub use report::{Report, report};

// The README's code is a doctest too, so that it always compiles.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
