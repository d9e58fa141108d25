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

impl Fanpage {
    /// A fanpage with its required fields; set the channel by name.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::model::{Channel, Fanpage};
    ///
    /// let page = Fanpage::new("FP1", "Shop An", true, 2).channel(Channel::Facebook);
    /// assert!(page.activated);
    /// assert_eq!(page.channel, Some(Channel::Facebook));
    /// ```
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        activated: bool,
        linked_accounts: u64,
    ) -> Fanpage {
        Fanpage {
            id: id.into(),
            name: name.into(),
            channel: None,
            activated,
            linked_accounts,
        }
    }

    /// Sets the platform.
    #[must_use]
    pub fn channel(mut self, channel: Channel) -> Fanpage {
        self.channel = Some(channel);
        self
    }
}
