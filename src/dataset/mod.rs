//! [`Dataset`]: validated, interned, sorted, read-only input for every report.
//!
//! Build one with a [`DatasetBuilder`] (from structs, or with the `csv` feature from a
//! folder of CSV files). Building validates every row (docs/input-format.md#rejections), records
//! what it rejected in [`DataQuality`], and indexes the accepted rows once so that
//! reports never sort: ids become dense integers, each customer's orders and
//! interactions are contiguous runs sorted by time, deals and costs are sorted by date.

mod apply;
mod builder;
mod codec;
mod day_facts;
pub(crate) mod deal_index;
mod engagement;
mod frozen;
mod index;
mod intern;
mod quality;
mod row_ids;
pub mod snapshot;
mod social_index;
mod splice;
mod stage;
mod storage;
mod validate;
#[cfg(feature = "csv")]
pub(crate) mod values;

pub use apply::{ApplySummary, TableChanges};
pub use builder::DatasetBuilder;
pub use frozen::Dataset;
pub use index::CustomerIdx;
pub use quality::{
    DataQuality, DataQualitySection, NonZero, RejectedRow, RejectionSummary, TableCounts, TablesMap,
};

pub(crate) use day_facts::{DayRow, MASK_MONTHS, Purchases, ZoneDays, month_number, unpack_amount};
pub(crate) use index::{
    Contacts, CostRow, CustomerRow, DealRow, InteractionRow, LineRow, OrderDetail, OrderRow,
};
pub(crate) use intern::Interner;
#[cfg(feature = "csv")]
pub(crate) use stage::{
    CostFields, CustomerFields, DealFields, FieldError, InteractionFields, LineFields, OrderFields,
    Stage, Staged, StagedCampaign, StagedCost, StagedCustomer, StagedDeal, StagedFanpage,
    StagedInteraction, StagedLine, StagedOrder, StagedStaff, TableStage,
};
pub(crate) use storage::OptKey;
