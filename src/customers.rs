//! SPEC §3. Placeholder wired into the report; implemented by issue #4.

use serde::Serialize;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::report::Context;

/// SPEC §3 section (placeholder until issue #4 lands).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CustomersSection {}

/// Computes the section.
///
/// # Errors
/// None yet.
pub fn section(_dataset: &Dataset, _context: &Context) -> Result<CustomersSection> {
    Ok(CustomersSection::default())
}
