//! The phases of the SMTP dialogue where the MTA consults the milter, and how each
//! maps to the protocol's negotiation flags and macro stages.

use std::fmt;

use indymilter_test::{MacroStage, ProtoOpts};

/// A point of the SMTP dialogue where the MTA consults the milter: one per
/// kind of milter command, so it has header and body phases where the
/// daemon's [`crate::session::Stage`] (what checks bind to) has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Connection information.
    Connect,
    /// HELO/EHLO.
    Helo,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA.
    Data,
    /// One header.
    Header,
    /// End of headers.
    Eoh,
    /// One body chunk.
    Body,
    /// End of message.
    Eom,
}

impl Phase {
    /// All phases in protocol order.
    pub const ALL: [Phase; 9] = [
        Phase::Connect,
        Phase::Helo,
        Phase::Mail,
        Phase::Rcpt,
        Phase::Data,
        Phase::Header,
        Phase::Eoh,
        Phase::Body,
        Phase::Eom,
    ];

    /// Lower-case name, as in session files.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Helo => "helo",
            Phase::Mail => "mail",
            Phase::Rcpt => "rcpt",
            Phase::Data => "data",
            Phase::Header => "header",
            Phase::Eoh => "eoh",
            Phase::Body => "body",
            Phase::Eom => "eom",
        }
    }

    /// The protocol option that switches this phase off.
    pub(super) fn off_flag(self) -> ProtoOpts {
        match self {
            Phase::Connect => ProtoOpts::NO_CONNECT,
            Phase::Helo => ProtoOpts::NO_HELO,
            Phase::Mail => ProtoOpts::NO_MAIL,
            Phase::Rcpt => ProtoOpts::NO_RCPT,
            Phase::Data => ProtoOpts::NO_DATA,
            Phase::Header => ProtoOpts::NO_HEADER,
            Phase::Eoh => ProtoOpts::NO_EOH,
            Phase::Body => ProtoOpts::NO_BODY,
            // End-of-message cannot be negotiated off.
            Phase::Eom => ProtoOpts::empty(),
        }
    }

    pub(super) fn macro_stage(self) -> Option<MacroStage> {
        Some(match self {
            Phase::Connect => MacroStage::Connect,
            Phase::Helo => MacroStage::Helo,
            Phase::Mail => MacroStage::Mail,
            Phase::Rcpt => MacroStage::Rcpt,
            Phase::Data => MacroStage::Data,
            Phase::Eoh => MacroStage::Eoh,
            Phase::Eom => MacroStage::Eom,
            Phase::Header | Phase::Body => return None,
        })
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
