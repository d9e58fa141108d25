//! SPEC §5. Placeholder wired into the report; implemented by issue #5.

use serde::Serialize;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::report::Context;

/// SPEC §5 section (placeholder until issue #5 lands).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MarketingSection {}

/// Computes the section.
///
/// # Errors
/// None yet.
pub fn section(_dataset: &Dataset, _context: &Context) -> Result<MarketingSection> {
    Ok(MarketingSection::default())
}
