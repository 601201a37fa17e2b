//! Placeholder for the sender_domain check, being written now; builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.sender_domain]`.
    pub struct SenderDomainConfig {
        action: Action::Reject,
        on_error: crate::config::OnError::Tempfail;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "sender_domain",
    common: |c| {
        c.checks
            .sender_domain
            .as_ref()
            .map(|h| (h.common(), h.reply_span()))
    },
    build: |_, _| Ok(None),
};
