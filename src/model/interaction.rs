use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Channel, Direction, InteractionKind};

/// One interaction between the shop and a customer (`interactions.csv`, docs/input-format.md).
///
/// An outbound `message` or `comment` is a reply: by a person when `staff_id` is set and
/// `automated` is false, by automation when `automated` is true. An interaction with a
/// `fanpage_id` is a *social* interaction (docs/metrics.md#social).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// Unique id. Required.
    pub id: String,
    /// The customer; must name an accepted customer. Required.
    pub customer_id: String,
    /// When it happened. Required.
    pub at: DateTime<Utc>,
    /// Channel. Required.
    pub channel: Channel,
    /// Kind. Required.
    pub kind: InteractionKind,
    /// Direction. Required.
    pub direction: Direction,
    /// The fanpage it happened on (any value, known or not, makes it social).
    pub fanpage_id: Option<String>,
    /// The staff member who sent it (outbound replies).
    pub staff_id: Option<String>,
    /// Sent by automation; absent in a file means `false`.
    #[serde(default)]
    pub automated: bool,
    /// The campaign of a `campaign_message`.
    pub campaign_id: Option<String>,
    /// The game of a `minigame_play` or the survey of a `survey_response`.
    pub ref_id: Option<String>,
}
