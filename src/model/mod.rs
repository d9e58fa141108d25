//! The data model of docs/input-format.md: plain structs with serde derives, one per input table,
//! and the enumerations.
//!
//! These are what a service builds a [`Dataset`](crate::Dataset) from
//! ([`DatasetBuilder`](crate::DatasetBuilder)); the CSV reader produces the same rows.
//! Instants are `DateTime<Utc>`, local dates `NaiveDate`, money `Decimal`.

mod campaign;
mod columns;
mod cost;
mod customer;
mod deal;
mod enums;
mod fanpage;
mod interaction;
mod order;
mod staff;

pub use campaign::Campaign;
pub use columns::Column;
pub use cost::Cost;
pub use customer::Customer;
pub use deal::Deal;
#[cfg(feature = "csv")]
pub(crate) use enums::trim_blanks;
pub use enums::{Channel, Direction, Gender, InteractionKind, OrderStatus, ParseEnumError, Source};
pub use fanpage::Fanpage;
pub use interaction::Interaction;
pub use order::{Order, OrderLine};
pub use staff::Staff;
