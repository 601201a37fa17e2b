//! Placeholder for the relay check, being written now; builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.relay]`.
    pub struct RelayConfig {
        action: Action::Reject,
        on_error: crate::config::OnError::Tempfail;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "relay",
    common: |c| {
        c.checks
            .relay
            .as_ref()
            .map(|h| (h.common(), h.reply_span()))
    },
    build: |_, _| Ok(None),
};
