//! Text screen of the `social` section (placeholder until its issue lands).

use crm_metrics::social::SocialSection;

/// Renders the section.
pub fn render(out: &mut String, _section: &SocialSection) {
    super::title(out, "SOCIAL");
}
