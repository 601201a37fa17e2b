//! Placeholder for the recipient_domain check, being written now; builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.recipient_domain]`.
    pub struct RecipientDomainConfig {
        action: Action::Reject,
        on_error: crate::config::OnError::Tempfail;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "recipient_domain",
    common: |c| {
        c.checks
            .recipient_domain
            .as_ref()
            .map(|h| (h.common(), h.reply_span()))
    },
    build: |_, _| Ok(None),
};
