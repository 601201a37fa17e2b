//! Placeholder for the client_access check, being written now; builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.client_access]`.
    pub struct ClientAccessConfig {
        action: Action::Reject,
        on_error: crate::config::OnError::Continue;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "client_access",
    common: |c| {
        c.checks
            .client_access
            .as_ref()
            .map(|h| (h.common(), h.reply_span()))
    },
    build: |_, _| Ok(None),
};
