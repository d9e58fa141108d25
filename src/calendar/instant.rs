//! [`Ts`], the compact UTC instant used inside the indexed dataset.

use chrono::{DateTime, Utc};

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;

/// A UTC instant: whole seconds since 1970-01-01T00:00:00Z plus nanoseconds.
///
/// Invariant: `nanos < 1_000_000_000`, and the value is one that chrono's `DateTime<Utc>`
/// can hold (every `Ts` comes from one), so conversions back never fail. Ordering is
/// chronological. Unlike an `i64` of nanoseconds it covers every date of RFC 3339
/// (years 0000 to 9999) exactly.
/// Packed to 4-byte alignment (12 bytes instead of 16) so that rows holding one stay
/// small: an interaction row is 32 bytes. Fields are read by value, never by reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(C, packed(4))]
pub(crate) struct Ts {
    pub(crate) secs: i64,
    pub(crate) nanos: u32,
}

impl Ts {
    /// The earliest representable instant; before every event.
    pub(crate) const MIN: Ts = Ts {
        secs: i64::MIN,
        nanos: 0,
    };

    pub(crate) const fn from_secs(secs: i64) -> Ts {
        Ts { secs, nanos: 0 }
    }

    pub(crate) fn from_datetime(at: DateTime<Utc>) -> Ts {
        Ts {
            secs: at.timestamp(),
            nanos: at.timestamp_subsec_nanos(),
        }
    }

    /// Back to chrono. Every `Ts` of a dataset came from a `DateTime<Utc>`; the fallback
    /// to the epoch is unreachable for those and only guards sentinels such as `i64::MAX` seconds.
    pub(crate) fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.secs, self.nanos).unwrap_or_default()
    }
}

impl From<DateTime<Utc>> for Ts {
    fn from(at: DateTime<Utc>) -> Ts {
        Ts::from_datetime(at)
    }
}
