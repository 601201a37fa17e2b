//! The policy's own bookkeeping for one connection: which verdicts are held until
//! RCPT, what was accepted, which recipients are dropped, and the header edits checks
//! asked for. Kept apart from the session facts, which only checks and callbacks fill;
//! only the policy writes here.

use crate::session::Stage;
use crate::verdict::{HeaderEdit, Verdict};

/// A verdict held back until the first RCPT (delay_reject), with where it came from.
#[derive(Clone, Debug)]
pub struct Held {
    /// Stage of the hit.
    pub stage: Stage,
    /// Check that hit.
    pub check: &'static str,
    /// Why.
    pub reason: String,
    /// What to do at RCPT.
    pub verdict: Verdict,
}

/// What the policy decided about one recipient.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct RecipientMark {
    /// We let it through (Postfix may still reject it on its own).
    pub accepted: bool,
    /// To be removed at end of message.
    pub dropped: bool,
}

/// The current transaction's bookkeeping.
#[derive(Clone, Debug, Default)]
pub struct TransactionLedger {
    /// A check accepted the message: no more checks for it.
    pub accepted: bool,
    /// Hit held from the MAIL stage.
    pub held: Option<Held>,
    /// One mark per recipient, parallel to the session's recipients.
    pub rcpts: Vec<RecipientMark>,
    /// Header edits for end of message.
    pub edits: Vec<HeaderEdit>,
}

/// The policy's state for one connection.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Client in trusted_networks or authenticated: no checks.
    pub trusted: bool,
    /// A check accepted at connect/HELO: no more checks for the connection.
    pub accepted: bool,
    /// Hit held from connect/HELO (whole connection).
    pub held: Option<Held>,
    /// The current transaction.
    pub tx: TransactionLedger,
}

impl Ledger {
    /// A new transaction begins (MAIL FROM): the last one's bookkeeping goes.
    pub fn begin_transaction(&mut self) {
        self.tx = TransactionLedger::default();
    }

    /// The mark of the recipient being checked (the last one the MTA passed).
    pub fn current_rcpt(&mut self) -> Option<&mut RecipientMark> {
        self.tx.rcpts.last_mut()
    }
}
