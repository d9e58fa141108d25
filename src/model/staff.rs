use serde::{Deserialize, Serialize};

/// A staff member (`staff.csv`, docs/input-format.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Unique id. Required.
    pub id: String,
    /// Name, shown in `social.top_staff`. Required.
    pub name: String,
}
