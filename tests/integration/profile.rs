//! Tests of the `profile` section (SPEC §4): the fixture and properties.

#[test]
fn profile_matches_every_fixture_case() {
    crate::fixtures::assert_sections(&["profile"]);
}
