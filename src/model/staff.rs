use serde::{Deserialize, Serialize};

/// A staff member (`staff.csv`, docs/input-format.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Unique id. Required.
    pub id: String,
    /// Name, shown in `social.top_staff`. Required.
    pub name: String,
}

impl Staff {
    /// A staff member (both fields are required).
    ///
    /// # Example
    /// ```
    /// use crm_metrics::model::Staff;
    ///
    /// let staff = Staff::new("NV1", "Lan");
    /// assert_eq!(staff.name, "Lan");
    /// ```
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Staff {
        Staff {
            id: id.into(),
            name: name.into(),
        }
    }
}
