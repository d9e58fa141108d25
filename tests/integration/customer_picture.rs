//! Tests of the `customer_picture` section (filled in by its issue).
