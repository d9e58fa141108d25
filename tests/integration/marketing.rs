//! Tests of the `marketing` section (filled in by its issue).
