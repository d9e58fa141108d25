//! Tests of the `customer_picture` section (SPEC §6): the fixture, properties, shard
//! merging.

use crate::fixtures::assert_sections;

#[test]
fn customer_picture_matches_every_fixture_case() {
    assert_sections(&["customer_picture"]);
}
