//! [`Versioned`]: the envelope a partial state is serialized in (feature `serde`).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Section;

/// A partial state in a versioned envelope: it serializes as
/// `{"format": "crm-metrics/partial", "version": 1, "section": "customers", "state": …}`,
/// and deserializing fails with a clear message when the format, the version or the
/// section is not this build's, before the state is read.
///
/// The version changes whenever the state's shape does, so that a service never merges
/// a state written by an incompatible build.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::fold::{Fold, Versioned, fold_customers};
/// use crm_metrics::{ReportOptions, customers, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(100).seed(2).as_of(as_of).dataset()?;
/// let options = ReportOptions::new(as_of);
/// let empty = customers::Partial::new(&options)?;
/// let shard = fold_customers(&dataset, 0..50, || empty.clone())?;
/// let json = serde_json::to_string(&Versioned::new(shard)).unwrap();
/// assert!(json.starts_with(r#"{"format":"crm-metrics/partial","version":1,"section":"customers","#));
///
/// let back: Versioned<customers::Partial> = serde_json::from_str(&json).unwrap();
/// let mut merged = back.into_inner();
/// merged.merge(fold_customers(&dataset, 50..100, || empty.clone())?)?;
/// assert_eq!(merged.finish()?, customers::section(&dataset, &options.resolve()?)?);
///
/// // Another version, or another section's state, is refused.
/// let future = json.replace(r#""version":1"#, r#""version":2"#);
/// let error = serde_json::from_str::<Versioned<customers::Partial>>(&future).unwrap_err();
/// assert!(error.to_string().contains("version 2"));
/// assert!(serde_json::from_str::<Versioned<crm_metrics::social::Partial>>(&json).is_err());
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Versioned<T>(T);

impl<T: Section> Versioned<T> {
    /// The `format` every envelope carries.
    pub const FORMAT: &'static str = "crm-metrics/partial";
    /// The version of the partial states' shapes this build writes and reads.
    pub const VERSION: u32 = 1;

    /// Wraps a state for serializing.
    pub fn new(state: T) -> Versioned<T> {
        Versioned(state)
    }

    /// The state.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// The state, borrowed.
    pub fn state(&self) -> &T {
        &self.0
    }
}

impl<T: Section + Serialize> Serialize for Versioned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut envelope = serializer.serialize_struct("Versioned", 4)?;
        envelope.serialize_field("format", Versioned::<T>::FORMAT)?;
        envelope.serialize_field("version", &Versioned::<T>::VERSION)?;
        envelope.serialize_field("section", T::NAME)?;
        envelope.serialize_field("state", &self.0)?;
        envelope.end()
    }
}

impl<'de, T: Section + DeserializeOwned> Deserialize<'de> for Versioned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Versioned<T>, D::Error> {
        const FIELDS: &[&str] = &["format", "version", "section", "state"];
        deserializer.deserialize_struct("Versioned", FIELDS, EnvelopeVisitor(PhantomData))
    }
}

struct EnvelopeVisitor<T>(PhantomData<T>);

impl<'de, T: Section + DeserializeOwned> Visitor<'de> for EnvelopeVisitor<T> {
    type Value = Versioned<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a crm-metrics partial state of section `{}`", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Versioned<T>, A::Error> {
        let (mut format, mut version, mut section, mut state) = (false, false, false, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let value: String = map.next_value()?;
                    if value != Versioned::<T>::FORMAT {
                        return Err(de::Error::custom(format_args!(
                            "not a crm-metrics partial state: format `{value}`"
                        )));
                    }
                    format = true;
                }
                "version" => {
                    let value: u32 = map.next_value()?;
                    if value != Versioned::<T>::VERSION {
                        return Err(de::Error::custom(format_args!(
                            "crm-metrics partial state version {value}, this build reads version {}",
                            Versioned::<T>::VERSION
                        )));
                    }
                    version = true;
                }
                "section" => {
                    let value: String = map.next_value()?;
                    if value != T::NAME {
                        return Err(de::Error::custom(format_args!(
                            "a partial state of section `{value}`, expected `{}`",
                            T::NAME
                        )));
                    }
                    section = true;
                }
                "state" => {
                    if !(format && version && section) {
                        return Err(de::Error::custom(
                            "format, version and section must come before the state",
                        ));
                    }
                    state = Some(map.next_value::<T>()?);
                }
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        match state {
            Some(state) => Ok(Versioned(state)),
            None => Err(de::Error::missing_field("state")),
        }
    }
}
