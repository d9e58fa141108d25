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

impl Campaign {
    /// A campaign with its required fields; set the channel by name.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::model::{Campaign, Channel};
    ///
    /// let campaign = Campaign::new("C1", "Black Friday").channel(Channel::Zalo);
    /// assert_eq!(campaign.channel, Some(Channel::Zalo));
    /// ```
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Campaign {
        Campaign {
            id: id.into(),
            name: name.into(),
            channel: None,
        }
    }

    /// Sets the channel the campaign runs on.
    #[must_use]
    pub fn channel(mut self, channel: Channel) -> Campaign {
        self.channel = Some(channel);
        self
    }
}
