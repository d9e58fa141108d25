//! End-to-end tests, one binary (Cargo names it `integration`).

mod bad_input;
mod compare;
mod dashboard;
mod fixtures;
mod invariants;
mod mutations;
mod properties;
mod real_exports;
mod reliability;
mod validation;

// Sections (SPEC §3-§7): fixtures, properties and shard-merge tests of each.
mod customer_picture;
mod customers;
mod marketing;
mod partials;
mod profile;
mod social;
