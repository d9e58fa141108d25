//! [`Filter`] and [`SavedView`]: the marketing section's filters (docs/metrics.md#marketing, S2
//! "views").

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::calendar::PeriodSpec;
use crate::options::ReportOptions;

/// The filters of the marketing section (docs/metrics.md#marketing): a period, a set of marketing
/// sources and a set of product types, combined with AND. An empty set means "all".
///
/// They apply to deals (their `source` and `product_type`) and to costs; a deal or cost
/// with no product type is dropped by a non-empty product-type filter. A name that no
/// deal or cost carries matches nothing (it is not an error: a view saved last month may
/// name a source with no rows yet).
///
/// Serializes as `{"period": …, "sources": […], "product_types": […]}` (sets in sorted
/// order; the period as [`PeriodSpec`] writes it, `{"preset": "this_month"}` or
/// `{"custom": {"start": "2026-09-20", "end": "2026-10-10"}}`). Every field may be left
/// out when reading (the default is `this_month`, all sources, all product types);
/// unknown fields are an error, so a misspelt `"soruces"` is not silently "all".
///
/// # Example
/// ```
/// use crm_metrics::calendar::Preset;
/// use crm_metrics::marketing::Filter;
///
/// let filter = Filter::new(Preset::Last28Days)
///     .sources(["facebook_ads"])
///     .product_types(["course", "software"]);
/// assert_eq!(filter.sources.len(), 1);
/// assert!(Filter::default().sources.is_empty()); // every source
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// The period (and so its previous period).
    #[serde(default)]
    pub period: PeriodSpec,
    /// Marketing sources to keep; empty = all.
    #[serde(default)]
    pub sources: BTreeSet<String>,
    /// Product types to keep; empty = all.
    #[serde(default)]
    pub product_types: BTreeSet<String>,
}

impl Filter {
    /// A filter on `period` with every source and product type.
    pub fn new(period: impl Into<PeriodSpec>) -> Filter {
        Filter {
            period: period.into(),
            sources: BTreeSet::new(),
            product_types: BTreeSet::new(),
        }
    }

    /// Keeps only these sources; none = all.
    pub fn sources<S: Into<String>>(mut self, sources: impl IntoIterator<Item = S>) -> Filter {
        self.sources = sources.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps only these product types; none = all.
    pub fn product_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Filter {
        self.product_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// The filter a report with these options uses (to save it as a view).
    pub fn from_options(options: &ReportOptions) -> Filter {
        Filter {
            period: options.period,
            sources: options.sources.clone(),
            product_types: options.product_types.clone(),
        }
    }

    /// `options` with this filter's period, sources and product types in place of
    /// theirs (how the dashboard's `--view` applies a saved view). The period is the
    /// whole report's period, so the other sections follow it too.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::calendar::{PeriodSpec, Preset};
    /// use crm_metrics::marketing::Filter;
    /// use crm_metrics::ReportOptions;
    ///
    /// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
    /// let options = ReportOptions::new(as_of).sources(["seo"]);
    /// let options = Filter::new(Preset::LastMonth).product_types(["course"]).apply(options);
    /// assert_eq!(options.period, PeriodSpec::Preset(Preset::LastMonth));
    /// assert!(options.sources.is_empty()); // replaced, not merged
    /// assert!(options.product_types.contains("course"));
    /// ```
    pub fn apply(&self, mut options: ReportOptions) -> ReportOptions {
        options.period = self.period;
        options.sources = self.sources.clone();
        options.product_types = self.product_types.clone();
        options
    }
}

/// A named [`Filter`] (S2: "save the filter conditions under a name as a view").
///
/// Round-trips through serde unchanged:
/// ```
/// use crm_metrics::calendar::Preset;
/// use crm_metrics::marketing::{Filter, SavedView};
///
/// let view = SavedView::new(
///     "Facebook, courses, 28 days",
///     Filter::new(Preset::Last28Days).sources(["facebook_ads"]).product_types(["course"]),
/// );
/// let json = serde_json::to_string(&view).unwrap();
/// assert_eq!(
///     json,
///     r#"{"name":"Facebook, courses, 28 days","filter":{"period":{"preset":"last_28_days"},"sources":["facebook_ads"],"product_types":["course"]}}"#
/// );
/// assert_eq!(serde_json::from_str::<SavedView>(&json).unwrap(), view);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedView {
    /// The name the user gave it.
    pub name: String,
    /// The filters.
    pub filter: Filter,
}

impl SavedView {
    /// A view named `name` of `filter`.
    pub fn new(name: impl Into<String>, filter: Filter) -> SavedView {
        SavedView {
            name: name.into(),
            filter,
        }
    }
}
