//! Placeholder for the sender_access check, being written now; builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.sender_access]`.
    pub struct SenderAccessConfig {
        action: Action::Reject,
        on_error: crate::config::OnError::Continue;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "sender_access",
    common: |c| {
        c.checks
            .sender_access
            .as_ref()
            .map(|h| (h.common(), h.reply_span()))
    },
    build: |_, _| Ok(None),
};
