//! Placeholder for the greylist check, being written now; builds nothing yet.

use super::Registration;
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.greylist]`.
    pub struct GreylistConfig {
        action: Action::Tempfail,
        on_error: crate::config::OnError::Continue;
    }
}

/// Registration for the check registry.
pub const REGISTRATION: Registration = Registration {
    name: "greylist",
    common: |c| {
        c.checks
            .greylist
            .as_ref()
            .map(|h| (h.common(), h.reply_span()))
    },
    build: |_, _| Ok(None),
};
