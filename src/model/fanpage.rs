use serde::{Deserialize, Serialize};

use super::Channel;

/// A connected social page (`fanpages.csv`, SPEC §2, §7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fanpage {
    /// Unique id. Required.
    pub id: String,
    /// Name. Required.
    pub name: String,
    /// The platform.
    pub channel: Option<Channel>,
    /// Connected to the product (SPEC §7 `activated_pages`). Required.
    pub activated: bool,
    /// Number of linked accounts, `>= 0` (SPEC §7 `linked_accounts`). Required.
    pub linked_accounts: u64,
}
