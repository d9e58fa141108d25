//! Tests of the `customers` section (filled in by its issue).
