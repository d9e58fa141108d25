//! End-to-end tests, one binary (Cargo names it `integration`).

mod apply;
mod bad_input;
mod compare;
mod compare_modes;
mod dashboard;
mod fixtures;
mod invariants;
mod live_dashboard;
mod mutations;
mod parallel_build;
#[cfg(feature = "parquet")]
mod parquet;
mod properties;
mod real_exports;
mod reliability;
mod snapshot;
mod validation;

// Sections (SPEC §3-§7, §10): fixtures, properties and shard-merge tests of each.
mod cohorts;
mod customer_picture;
mod customers;
mod lifecycle;
mod marketing;
mod partials;
mod profile;
mod rfm;
mod social;
