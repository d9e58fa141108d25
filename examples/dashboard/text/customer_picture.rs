//! Text screen of the `customer_picture` section (placeholder until its issue lands).

use crm_metrics::customer_picture::CustomerPictureSection;

/// Renders the section.
pub fn render(out: &mut String, _section: &CustomerPictureSection) {
    super::title(out, "CUSTOMER PICTURE");
}
