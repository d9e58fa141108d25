//! End-to-end tests, one binary (Cargo names it `integration`).

mod compare;
mod fixtures;
