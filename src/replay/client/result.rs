//! What a replay records: per-step outcomes, replies and end-of-message actions as
//! the MTA saw them, for the report and the expectation checks.

use std::ffi::CString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use indymilter_test::EomAction;

use super::Phase;
use crate::replay::format::{EomCheck, Expectation, Response};

/// What became of one phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The milter answered (a NOREPLY phase counts as [`Response::Continue`]).
    Response(Response),
    /// The milter answered SKIP to a body chunk (counts as continue).
    Skip,
    /// Negotiated off by the milter: Postfix does not send it (counts as continue).
    Off,
    /// Not sent, and why (an earlier response, a connection error…).
    NotSent(String),
}

impl Outcome {
    /// The response this outcome amounts to, if the phase was handled at all.
    pub fn effective_response(&self) -> Option<Response> {
        match self {
            Outcome::Response(v) => Some(*v),
            Outcome::Skip | Outcome::Off => Some(Response::Continue),
            Outcome::NotSent(_) => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Response(v) => write!(f, "{v}"),
            Outcome::Skip => f.write_str("skip"),
            Outcome::Off => f.write_str("off (not negotiated)"),
            Outcome::NotSent(why) => write!(f, "not sent ({why})"),
        }
    }
}

/// A custom SMTP reply set by the milter, as the MTA received it (the daemon
/// builds the replies it sends as [`crate::verdict::Reply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpReply {
    /// `550`.
    pub code: String,
    /// `5.7.1`, if present.
    pub xcode: Option<String>,
    /// The text; lines of a multi-line reply are joined with a space.
    pub text: String,
}

impl SmtpReply {
    /// Parses `550 5.7.1 text` or a multi-line `550-5.7.1 a\r\n550 5.7.1 b`.
    pub fn parse(raw: &str) -> SmtpReply {
        let mut code = String::new();
        let mut xcode = None;
        let mut texts = Vec::new();
        for line in raw.split("\r\n").filter(|l| !l.is_empty()) {
            let (c, rest) = if line.len() >= 3 && line.is_char_boundary(3) {
                let (c, r) = line.split_at(3);
                (c, r.strip_prefix([' ', '-']).unwrap_or(r))
            } else {
                ("", line)
            };
            if code.is_empty() {
                code = c.to_string();
            }
            let (first, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            let looks_x = first.split('.').count() == 3
                && first
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            if looks_x {
                xcode.get_or_insert_with(|| first.to_string());
                texts.push(tail.to_string());
            } else {
                texts.push(rest.to_string());
            }
        }
        SmtpReply {
            code,
            xcode,
            text: texts.join(" "),
        }
    }
}

impl fmt::Display for SmtpReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)?;
        if let Some(x) = &self.xcode {
            write!(f, " {x}")?;
        }
        if !self.text.is_empty() {
            write!(f, " {}", self.text)?;
        }
        Ok(())
    }
}

/// An end-of-message modification requested by the milter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// add_header.
    AddHeader {
        /// Name.
        name: String,
        /// Value.
        value: String,
    },
    /// insert_header at an index.
    InsertHeader {
        /// Index.
        index: i32,
        /// Name.
        name: String,
        /// Value.
        value: String,
    },
    /// change_header with a value.
    ChangeHeader {
        /// Name.
        name: String,
        /// Occurrence index.
        index: i32,
        /// New value.
        value: String,
    },
    /// change_header without a value (deletion).
    DeleteHeader {
        /// Name.
        name: String,
        /// Occurrence index.
        index: i32,
    },
    /// change_sender.
    ChangeSender {
        /// New sender.
        mail: String,
    },
    /// add_recipient.
    AddRcpt {
        /// Recipient as sent by the milter.
        rcpt: String,
    },
    /// delete_recipient.
    DeleteRcpt {
        /// Recipient as sent by the milter.
        rcpt: String,
    },
    /// replace_body (total size of all chunks so far in this chunk).
    ReplaceBody {
        /// Bytes in this chunk.
        len: usize,
    },
    /// quarantine.
    Quarantine {
        /// Reason.
        reason: String,
    },
    /// progress (keep-alive; not a modification).
    Progress,
}

impl Action {
    pub(super) fn from_eom(a: EomAction) -> Action {
        let s = |c: CString| c.to_string_lossy().into_owned();
        match a {
            EomAction::AddHeader { name, value } => Action::AddHeader {
                name: s(name),
                value: s(value),
            },
            EomAction::InsertHeader { index, name, value } => Action::InsertHeader {
                index,
                name: s(name),
                value: s(value),
            },
            EomAction::ChangeHeader { name, index, value } => Action::ChangeHeader {
                name: s(name),
                index,
                value: s(value),
            },
            EomAction::DeleteHeader { name, index } => Action::DeleteHeader {
                name: s(name),
                index,
            },
            EomAction::ChangeSender { mail, .. } => Action::ChangeSender { mail: s(mail) },
            EomAction::AddRecipient { rcpt, .. } => Action::AddRcpt { rcpt: s(rcpt) },
            EomAction::DeleteRecipient { rcpt } => Action::DeleteRcpt { rcpt: s(rcpt) },
            EomAction::ReplaceBody { chunk } => Action::ReplaceBody { len: chunk.len() },
            EomAction::Progress => Action::Progress,
            EomAction::Quarantine { reason } => Action::Quarantine { reason: s(reason) },
        }
    }

    /// For header actions that set a value: (name, value).
    pub fn header_set(&self) -> Option<(&str, &str)> {
        match self {
            Action::AddHeader { name, value }
            | Action::InsertHeader { name, value, .. }
            | Action::ChangeHeader { name, value, .. } => Some((name, value)),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = |v: &str| v.trim_start().replace(['\r', '\n'], " ");
        match self {
            Action::AddHeader { name, value } => write!(f, "add-header {name}: {}", v(value)),
            Action::InsertHeader { index, name, value } => {
                write!(f, "insert-header #{index} {name}: {}", v(value))
            }
            Action::ChangeHeader { name, index, value } => {
                write!(f, "change-header {name}[{index}]: {}", v(value))
            }
            Action::DeleteHeader { name, index } => write!(f, "delete-header {name}[{index}]"),
            Action::ChangeSender { mail } => write!(f, "change-sender {mail}"),
            Action::AddRcpt { rcpt } => write!(f, "add-rcpt {rcpt}"),
            Action::DeleteRcpt { rcpt } => write!(f, "delete-rcpt {rcpt}"),
            Action::ReplaceBody { len } => write!(f, "replace-body ({len} bytes)"),
            Action::Quarantine { reason } => write!(f, "quarantine {reason}"),
            Action::Progress => f.write_str("progress"),
        }
    }
}

/// One step of a replay: one command to the milter (sent or not), or, with
/// `summary`, all headers or all body chunks of a message, which is what
/// `headers expect`/`body expect` check.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// The phase of the command.
    pub phase: Phase,
    /// True for the per-message header/body summary rows.
    pub summary: bool,
    /// What was sent, for the report (`<bob@example.net>`, `Subject`, …).
    pub arg: String,
    /// Line in the session file (0 if none).
    pub line: usize,
    /// What happened.
    pub outcome: Outcome,
    /// The custom reply, if the milter set one.
    pub reply: Option<SmtpReply>,
    /// End-of-message actions.
    pub actions: Vec<Action>,
    /// Time from sending the command to its final reply (zero if not sent).
    pub elapsed: Duration,
    /// The response expectation on this phase.
    pub expect: Option<Expectation>,
    /// The `eom expect …` checks (end-of-message only).
    pub eom_checks: Vec<EomCheck>,
}

impl StepResult {
    pub(super) fn new(
        phase: Phase,
        arg: impl Into<String>,
        line: usize,
        expect: Option<Expectation>,
    ) -> Self {
        StepResult {
            phase,
            summary: false,
            arg: arg.into(),
            line,
            outcome: Outcome::NotSent(String::new()),
            reply: None,
            actions: Vec::new(),
            elapsed: Duration::ZERO,
            expect,
            eom_checks: Vec::new(),
        }
    }

    /// How the report names this row: `rcpt <x@y>`, `headers (3)`, `eom`.
    pub fn label(&self) -> String {
        let phase = match (self.summary, self.phase) {
            (true, Phase::Header) => "headers",
            (_, st) => st.as_str(),
        };
        if self.arg.is_empty() {
            phase.to_string()
        } else {
            format!("{phase} {}", self.arg)
        }
    }

    /// True if the command went to the milter (so its latency is meaningful).
    pub fn was_sent(&self) -> bool {
        !self.summary && matches!(self.outcome, Outcome::Response(_) | Outcome::Skip)
    }
}

/// The result of replaying one session.
#[derive(Debug, Clone)]
pub struct ScriptResult {
    /// Session name (from its `session` line).
    pub name: String,
    /// Session file and line, for the report.
    pub file: PathBuf,
    /// Line of `session`.
    pub line: usize,
    /// Step results in order.
    pub steps: Vec<StepResult>,
    /// A connection or protocol error that cut the session short.
    pub error: Option<String>,
    /// Whole session including connecting and negotiation.
    pub elapsed: Duration,
}
