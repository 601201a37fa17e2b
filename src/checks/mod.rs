//! Checks: one file per check, each bound to one SMTP stage.
//!
//! A check only judges: it reads session facts and returns a [`Finding`]. What a hit
//! does (reject, tempfail, …), shadow mode and error policy belong to the policy.

pub mod helo;

use crate::config::{CheckCommon, Config};
use crate::session::{Session, Stage};
use crate::verdict::{Action, Reply};
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

/// A boxed future borrowed from the check and the session.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Result<Finding, CheckError>> + Send + 'a>>;

/// What a check found.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Finding {
    /// Nothing to say.
    Pass,
    /// The check's condition matched.
    Hit(Hit),
}

/// A match, with the reason for the log and optional overrides of the configured
/// action and reply (for checks with several outcomes, such as a map's value).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Hit {
    /// Why, for the log line (never sent to the client unless it is the reply text).
    pub reason: String,
    /// Overrides the check's configured action.
    pub action: Option<Action>,
    /// Overrides the check's configured reply.
    pub reply: Option<Reply>,
}

impl Hit {
    /// A hit that takes the configured action and reply.
    pub fn new(reason: impl Into<String>) -> Self {
        Hit {
            reason: reason.into(),
            action: None,
            reply: None,
        }
    }
}

/// A check could not decide.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CheckError {
    /// DNS or database failure that may go away (SERVFAIL, timeout, connection refused).
    #[error("temporary failure: {reason}")]
    Temporary {
        /// What failed, for the log.
        reason: String,
        /// The 4xx reply to use when on_error = tempfail (the check's own, e.g. 450 4.7.25).
        reply: Option<Reply>,
    },
}

/// A check bound to a stage.
pub trait Check: Send + Sync {
    /// Name as in the config section `[checks.NAME]` and the log.
    fn name(&self) -> &'static str;
    /// The stage it runs at.
    fn stage(&self) -> Stage;
    /// Judges the session at its stage.
    fn check<'a>(&'a self, session: &'a Session) -> CheckFuture<'a>;
}

/// A check's common settings and the span of its `reply` (for error messages).
pub type CommonOf = fn(&Config) -> Option<(CheckCommon, Option<Range<usize>>)>;

/// How a check is found in the config and built.
pub struct Registration {
    /// Section name under `[checks]`.
    pub name: &'static str,
    /// Common settings and the reply's span, if the section is present.
    pub common: CommonOf,
    /// Builds the check from the config; None when its section is absent or disabled.
    pub build: fn(&Config) -> Option<Box<dyn Check>>,
}

/// Every check mxgate knows. Adding a check: a file, a `ChecksConfig` field, a line here.
pub fn registry() -> &'static [Registration] {
    &[helo::REGISTRATION]
}
