//! SPEC §4. Placeholder wired into the report; implemented by issue #6.

use serde::Serialize;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::report::Context;

/// SPEC §4 section (placeholder until issue #6 lands).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProfileSection {}

/// Computes the profile of customer `id`.
///
/// # Errors
/// [`Error::UnknownCustomer`] for an id with no accepted row.
pub fn section(dataset: &Dataset, _context: &Context, id: &str) -> Result<ProfileSection> {
    dataset
        .customer_idx(id)
        .ok_or_else(|| Error::UnknownCustomer { id: id.to_owned() })?;
    Ok(ProfileSection::default())
}
