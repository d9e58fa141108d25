use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Gender, Source};

/// A customer (`customers.csv`, docs/input-format.md). A customer exists from its `created_at`
/// (docs/metrics.md#which-rows-count).
///
/// Optional text fields are `None` when absent; an empty string is read as absent too,
/// as an empty CSV field is (docs/input-format.md), while `" "` is a value (docs/input-format.md#values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Unique id, e.g. `KH00001`. Required.
    pub id: String,
    /// When the customer was created (UTC). Required.
    pub created_at: DateTime<Utc>,
    /// Where the customer came from. Required.
    pub source: Source,
    /// Full name.
    pub name: Option<String>,
    /// Phone number, as text (leading zeros matter). Having one makes the customer
    /// reachable by SMS (docs/metrics.md#customer_picture `connections.sms`).
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Gender; `None` is "unknown".
    pub gender: Option<Gender>,
    /// Date of birth (a calendar date, no time zone).
    pub birth_date: Option<NaiveDate>,
    /// Zalo user id; having one makes the customer reachable on Zalo.
    pub zalo_id: Option<String>,
    /// Facebook user id; having one makes the customer reachable on Facebook.
    pub facebook_id: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
}
