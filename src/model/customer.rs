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

impl Customer {
    /// A customer with its required fields; set the optional ones by name.
    ///
    /// The setters take the value itself. A column that may be empty (an `Option` from
    /// a database row) can be assigned to the public field directly.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::model::{Customer, Gender, Source};
    ///
    /// let created_at = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
    /// let customer = Customer::new("KH1", created_at, Source::Shopee)
    ///     .name("An")
    ///     .phone("0901234567")
    ///     .gender(Gender::Female);
    /// assert_eq!(customer.phone.as_deref(), Some("0901234567"));
    /// assert_eq!(customer.email, None);
    ///
    /// // An optional column from a database row is assigned as it is.
    /// let email_column: Option<String> = None;
    /// let mut other = Customer::new("KH2", created_at, Source::Manual);
    /// other.email = email_column;
    /// ```
    pub fn new(id: impl Into<String>, created_at: DateTime<Utc>, source: Source) -> Customer {
        Customer {
            id: id.into(),
            created_at,
            source,
            name: None,
            phone: None,
            email: None,
            gender: None,
            birth_date: None,
            zalo_id: None,
            facebook_id: None,
            notes: None,
        }
    }

    /// The optional text fields in the order a staged customer row stores them: name,
    /// phone, e-mail, Zalo id, Facebook id, notes.
    pub(crate) fn optional_texts(&self) -> [&Option<String>; 6] {
        [
            &self.name,
            &self.phone,
            &self.email,
            &self.zalo_id,
            &self.facebook_id,
            &self.notes,
        ]
    }

    /// Sets the full name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Customer {
        self.name = Some(name.into());
        self
    }

    /// Sets the phone number (text: leading zeros matter).
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Customer {
        self.phone = Some(phone.into());
        self
    }

    /// Sets the e-mail address.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Customer {
        self.email = Some(email.into());
        self
    }

    /// Sets the gender.
    #[must_use]
    pub fn gender(mut self, gender: Gender) -> Customer {
        self.gender = Some(gender);
        self
    }

    /// Sets the date of birth.
    #[must_use]
    pub fn birth_date(mut self, birth_date: NaiveDate) -> Customer {
        self.birth_date = Some(birth_date);
        self
    }

    /// Sets the Zalo user id.
    #[must_use]
    pub fn zalo_id(mut self, zalo_id: impl Into<String>) -> Customer {
        self.zalo_id = Some(zalo_id.into());
        self
    }

    /// Sets the Facebook user id.
    #[must_use]
    pub fn facebook_id(mut self, facebook_id: impl Into<String>) -> Customer {
        self.facebook_id = Some(facebook_id.into());
        self
    }

    /// Sets the free notes.
    #[must_use]
    pub fn notes(mut self, notes: impl Into<String>) -> Customer {
        self.notes = Some(notes.into());
        self
    }
}
