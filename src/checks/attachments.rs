//! Placeholder for the attachments check, being written now; builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.attachments]`.
    pub struct AttachmentsConfig {
        action: Action::Reject,
        on_error: crate::config::OnError::Continue;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "attachments",
    common: |c| {
        c.checks
            .attachments
            .as_ref()
            .map(|h| (h.common(), h.reply_span()))
    },
    build: |_, _| Ok(None),
};
