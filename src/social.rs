//! SPEC §7. Placeholder wired into the report; implemented by issue #6.

use serde::Serialize;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::report::Context;

/// SPEC §7 section (placeholder until issue #6 lands).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SocialSection {}

/// Computes the section.
///
/// # Errors
/// None yet.
pub fn section(_dataset: &Dataset, _context: &Context) -> Result<SocialSection> {
    Ok(SocialSection::default())
}
