use serde::{Deserialize, Serialize};

use super::Channel;

/// A connected social page (`fanpages.csv`, docs/input-format.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fanpage {
    /// Unique id. Required.
    pub id: String,
    /// Name. Required.
    pub name: String,
    /// The platform.
    pub channel: Option<Channel>,
    /// Connected to the product (docs/metrics.md#social `activated_pages`). Required.
    pub activated: bool,
    /// Number of linked accounts, `>= 0` (docs/metrics.md#social `linked_accounts`). Required.
    pub linked_accounts: u64,
}
