use serde::{Deserialize, Serialize};

use super::Channel;

/// A marketing campaign (`campaigns.csv`, docs/input-format.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Unique id. Required.
    pub id: String,
    /// Name. Required.
    pub name: String,
    /// The channel it runs on.
    pub channel: Option<Channel>,
}
