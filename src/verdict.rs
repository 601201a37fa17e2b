//! Verdicts, the actions a check's hit maps to, and RFC 3463 SMTP replies.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a hit of a check does to the SMTP dialogue (configured per check as `action`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Stop checking this message and let it through (message-wide allowlists only).
    Accept,
    /// Permanent rejection (5xx) of the connection, transaction or recipient.
    Reject,
    /// Temporary rejection (4xx).
    Tempfail,
    /// Accept and silently throw away the whole message.
    Discard,
    /// Accept the recipient but remove it at end of message (only this recipient).
    DropRecipient,
}

impl Action {
    /// Name as written in the config and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Tempfail => "tempfail",
            Action::Discard => "discard",
            Action::DropRecipient => "drop-recipient",
        }
    }
}

/// A header change a check asks for, applied at end of message.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum HeaderEdit {
    /// Add this header (on top, in the order checks produced them).
    Add(String, String),
    /// Delete this occurrence (1-based, as received) of a header.
    Delete(String, u32),
    /// One or more `;`-separated resinfo of our Authentication-Results (`spf=pass
    /// smtp.mailfrom=a@b`): the parts of every check with the same authserv-id become one
    /// header at end of message, where the first part was (RFC 8601 §2.2: one header per
    /// authserv-id is what readers expect).
    AuthResult {
        /// Our authserv-id.
        authserv_id: String,
        /// The resinfo text.
        resinfo: String,
    },
}

/// An SMTP reply: code, RFC 3463 enhanced status code and text.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Reply {
    /// Three-digit reply code, 4xx or 5xx.
    pub code: u16,
    /// Enhanced status code such as `5.7.1`; its class matches the code's first digit.
    pub xcode: String,
    /// Human-readable text (one line, printable ASCII).
    pub text: String,
}

impl Reply {
    /// Builds a reply; callers use validated constants or config-validated values.
    pub fn new(code: u16, xcode: &str, text: &str) -> Self {
        Reply {
            code,
            xcode: xcode.to_owned(),
            text: text.to_owned(),
        }
    }

    /// 550 5.7.1 — the default for a policy rejection.
    pub fn policy_reject() -> Self {
        Reply::new(550, "5.7.1", "Message rejected by policy")
    }

    /// 450 4.7.1 — the default for a policy tempfail.
    pub fn policy_tempfail() -> Self {
        Reply::new(450, "4.7.1", "Try again later")
    }

    /// 451 4.3.0 — internal or service error; the details stay in our log.
    pub fn internal_error() -> Self {
        Reply::new(451, "4.3.0", "Temporary local problem, try again later")
    }

    /// The default reply for an action that sends one.
    pub fn default_for(action: Action) -> Option<Self> {
        match action {
            Action::Reject => Some(Reply::policy_reject()),
            Action::Tempfail => Some(Reply::policy_tempfail()),
            _ => None,
        }
    }

    /// Checks code range, enhanced-code syntax and class, and the text.
    pub fn validate(&self) -> Result<(), String> {
        if !(400..=599).contains(&self.code) {
            return Err(format!("reply code {} is not 4xx or 5xx", self.code));
        }
        let parts: Vec<&str> = self.xcode.split('.').collect();
        let valid = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        if !valid {
            return Err(format!(
                "enhanced status code {:?} is not of the form class.subject.detail",
                self.xcode
            ));
        }
        let class = (self.code / 100).to_string();
        if parts[0] != class {
            return Err(format!(
                "enhanced status code {} does not match reply code {}",
                self.xcode, self.code
            ));
        }
        if self.text.is_empty() {
            return Err("reply text is empty".into());
        }
        if self.text.len() > 900 {
            return Err("reply text is longer than 900 bytes".into());
        }
        if let Some(c) = self
            .text
            .chars()
            .find(|c| !(c.is_ascii_graphic() || *c == ' '))
        {
            return Err(format!("reply text contains {c:?}; use printable ASCII"));
        }
        Ok(())
    }

    /// True for 4xx replies.
    pub fn is_temporary(&self) -> bool {
        self.code / 100 == 4
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.code, self.xcode, self.text)
    }
}

/// The outcome of a check (or of the policy for a stage) as the milter acts on it.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Verdict {
    /// Go on to the next check or stage.
    Continue,
    /// Stop checking this message (or this connection at connect/HELO).
    Accept,
    /// Permanent rejection with this reply.
    Reject(Reply),
    /// Temporary rejection with this reply.
    Tempfail(Reply),
    /// Discard the whole message.
    Discard,
    /// Remove the current recipient at end of message.
    DropRecipient,
}

impl Verdict {
    /// Name as written in logs and session files.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Continue => "continue",
            Verdict::Accept => "accept",
            Verdict::Reject(_) => "reject",
            Verdict::Tempfail(_) => "tempfail",
            Verdict::Discard => "discard",
            Verdict::DropRecipient => "drop-recipient",
        }
    }

    /// The verdict for an action with an optional configured reply.
    pub fn from_action(action: Action, reply: Option<&Reply>) -> Verdict {
        let reply = || reply.cloned().or_else(|| Reply::default_for(action));
        match action {
            Action::Accept => Verdict::Accept,
            Action::Reject => Verdict::Reject(reply().unwrap_or_else(Reply::policy_reject)),
            Action::Tempfail => Verdict::Tempfail(reply().unwrap_or_else(Reply::policy_tempfail)),
            Action::Discard => Verdict::Discard,
            Action::DropRecipient => Verdict::DropRecipient,
        }
    }

    /// The reply, for rejecting verdicts.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Verdict::Reject(r) | Verdict::Tempfail(r) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_reply() {
        assert!(Reply::policy_reject().validate().is_ok());
        assert!(Reply::internal_error().validate().is_ok());
        assert!(Reply::new(550, "4.7.1", "x").validate().is_err());
        assert!(Reply::new(250, "2.0.0", "x").validate().is_err());
        assert!(Reply::new(550, "5.7", "x").validate().is_err());
        assert!(Reply::new(550, "5.7.1", "").validate().is_err());
        assert!(Reply::new(550, "5.7.1", "a\r\nb").validate().is_err());
        assert!(Reply::new(451, "4.3.0", "ok text").validate().is_ok());
    }

    #[test]
    fn verdict_defaults() {
        assert_eq!(
            Verdict::from_action(Action::Reject, None),
            Verdict::Reject(Reply::policy_reject())
        );
        let r = Reply::new(554, "5.7.1", "no");
        assert_eq!(
            Verdict::from_action(Action::Reject, Some(&r)),
            Verdict::Reject(r)
        );
        assert_eq!(
            Verdict::from_action(Action::Discard, None),
            Verdict::Discard
        );
    }
}
