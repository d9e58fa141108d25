//! Text screen of the `profile` section (placeholder until its issue lands).

use crm_metrics::profile::ProfileSection;

/// Renders the section.
pub fn render(out: &mut String, _section: &ProfileSection) {
    super::title(out, "PROFILE");
}
