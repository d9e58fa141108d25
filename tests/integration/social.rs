//! Tests of the `social` section (filled in by its issue).
