//! Text screen of the `marketing` section (placeholder until its issue lands).

use crm_metrics::marketing::MarketingSection;

/// Renders the section.
pub fn render(out: &mut String, _section: &MarketingSection) {
    super::title(out, "MARKETING");
}
