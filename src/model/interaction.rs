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

impl Interaction {
    /// An interaction with its required fields; set the optional ones by name.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::model::{Channel, Direction, Interaction, InteractionKind};
    ///
    /// let at = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
    /// // A reply by a person on a fanpage: a social interaction.
    /// let reply = Interaction::new(
    ///     "T1", "KH1", at, Channel::Facebook, InteractionKind::Message, Direction::Outbound,
    /// )
    /// .fanpage_id("FP1")
    /// .staff_id("NV1");
    /// assert!(!reply.automated);
    /// ```
    pub fn new(
        id: impl Into<String>,
        customer_id: impl Into<String>,
        at: DateTime<Utc>,
        channel: Channel,
        kind: InteractionKind,
        direction: Direction,
    ) -> Interaction {
        Interaction {
            id: id.into(),
            customer_id: customer_id.into(),
            at,
            channel,
            kind,
            direction,
            fanpage_id: None,
            staff_id: None,
            automated: false,
            campaign_id: None,
            ref_id: None,
        }
    }

    /// Sets the fanpage, which makes the interaction social.
    #[must_use]
    pub fn fanpage_id(mut self, fanpage_id: impl Into<String>) -> Interaction {
        self.fanpage_id = Some(fanpage_id.into());
        self
    }

    /// Sets the staff member who sent it.
    #[must_use]
    pub fn staff_id(mut self, staff_id: impl Into<String>) -> Interaction {
        self.staff_id = Some(staff_id.into());
        self
    }

    /// Sets whether automation sent it (`false` unless set).
    #[must_use]
    pub fn automated(mut self, automated: bool) -> Interaction {
        self.automated = automated;
        self
    }

    /// Sets the campaign of a `campaign_message`.
    #[must_use]
    pub fn campaign_id(mut self, campaign_id: impl Into<String>) -> Interaction {
        self.campaign_id = Some(campaign_id.into());
        self
    }

    /// Sets the game or survey of a `minigame_play` or `survey_response`.
    #[must_use]
    pub fn ref_id(mut self, ref_id: impl Into<String>) -> Interaction {
        self.ref_id = Some(ref_id.into());
        self
    }
}
