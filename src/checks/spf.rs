//! Placeholder being replaced by the spf check (issue 3); builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.spf]`.
    pub struct SpfConfig {
        action: Action::Reject,
        on_error: crate::config::OnError::Tempfail;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "spf",
    common: |c| c.checks.spf.as_ref().map(|h| (h.common(), h.reply_span())),
    build: |_, _| Ok(None),
};
