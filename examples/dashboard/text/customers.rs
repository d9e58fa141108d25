//! Text screen of the `customers` section (placeholder until its issue lands).

use crm_metrics::customers::CustomersSection;

/// Renders the section.
pub fn render(out: &mut String, _section: &CustomersSection) {
    super::title(out, "CUSTOMERS");
}
