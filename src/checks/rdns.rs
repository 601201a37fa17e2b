//! Placeholder being replaced by the rdns check (issue 3); builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.rdns]`.
    pub struct RdnsConfig {
        action: Action::Reject,
        on_error: crate::config::OnError::Tempfail;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "rdns",
    common: |c| c.checks.rdns.as_ref().map(|h| (h.common(), h.reply_span())),
    build: |_, _| Ok(None),
};
