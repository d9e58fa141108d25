//! Tests of the `profile` section (filled in by its issue).
