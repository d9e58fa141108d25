//! Tests of the `customers` section (SPEC §3): the fixture, properties, shard merging.

use crate::fixtures::assert_sections;

#[test]
fn customers_match_every_fixture_case() {
    assert_sections(&["customers"]);
}
