//! Placeholder for the denylist check, being written now; builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.denylist]`.
    pub struct DenylistConfig {
        action: Action::DropRecipient,
        on_error: crate::config::OnError::Continue;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "denylist",
    common: |c| {
        c.checks
            .denylist
            .as_ref()
            .map(|h| (h.common(), h.reply_span()))
    },
    build: |_, _| Ok(None),
};
