use serde::{Deserialize, Serialize};

/// A staff member (`staff.csv`, SPEC §2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Unique id. Required.
    pub id: String,
    /// Name, shown in `social.top_staff`. Required.
    pub name: String,
}
