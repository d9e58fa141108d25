//! SPEC §6. Placeholder wired into the report; implemented by issue #4.

use serde::Serialize;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::report::Context;

/// SPEC §6 section (placeholder until issue #4 lands).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CustomerPictureSection {}

/// Computes the section.
///
/// # Errors
/// None yet.
pub fn section(_dataset: &Dataset, _context: &Context) -> Result<CustomerPictureSection> {
    Ok(CustomerPictureSection::default())
}
