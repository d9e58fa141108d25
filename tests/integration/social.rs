//! Tests of the `social` section (SPEC §7): the fixture, properties, shard-merge.

#[test]
fn social_matches_every_fixture_case() {
    crate::fixtures::assert_sections(&["social"]);
}
