//! Per-connection and per-transaction facts, filled by the milter callbacks and read
//! by the checks. Nothing here talks to the MTA.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The SMTP stages a check can be bound to.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Client connected.
    Connect,
    /// HELO/EHLO.
    Helo,
    /// MAIL FROM.
    Mail,
    /// RCPT TO, once per recipient.
    Rcpt,
    /// End of headers.
    Eoh,
    /// End of message (after the body).
    Eom,
}

impl Stage {
    /// All stages in SMTP order.
    pub const ALL: [Stage; 6] = [
        Stage::Connect,
        Stage::Helo,
        Stage::Mail,
        Stage::Rcpt,
        Stage::Eoh,
        Stage::Eom,
    ];

    /// Lower-case name used in logs and session files.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Helo => "helo",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Eoh => "eoh",
            Stage::Eom => "eom",
        }
    }

    /// Index into per-stage arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One RCPT TO.
#[derive(Clone, Debug, Default)]
pub struct Recipient {
    /// Address without angle brackets.
    pub addr: String,
    /// ESMTP arguments.
    pub args: Vec<String>,
}

/// One mail transaction (MAIL FROM to end of message or abort).
#[derive(Clone, Debug, Default)]
pub struct Transaction {
    /// MAIL FROM was seen (the null sender has an empty `sender`).
    pub started: bool,
    /// Envelope sender without angle brackets; empty for the null sender.
    pub sender: String,
    /// ESMTP arguments of MAIL FROM.
    pub mail_args: Vec<String>,
    /// All recipients the MTA passed, in order.
    pub rcpts: Vec<Recipient>,
    /// Headers as received (name, value), up to [`crate::capture::MAX_HEADERS`] fields
    /// and [`crate::capture::MAX_HEADER_BYTES`] bytes.
    pub headers: Vec<(String, String)>,
    /// Bytes of names and values in `headers`.
    pub header_bytes: usize,
    /// Header fields arrived past those bounds and were not kept: the checks that read
    /// the header judge an incomplete one (attachments: as `oversize`; DMARC: the
    /// author cannot be told).
    pub headers_truncated: bool,
    /// Body bytes seen.
    pub body_len: u64,
    /// Body bytes kept for checks or capture (bounded by whoever fills it).
    pub body: Vec<u8>,
    /// More body arrived than was kept (`body_len` > `body.len()`).
    pub body_truncated: bool,
    /// Postfix queue id (`i`), once known.
    pub queue_id: Option<String>,
    /// SPF result of this transaction's sender, once evaluated.
    pub spf: Option<SpfFact>,
    /// The header fields as received: name and the bytes after the colon (leading space
    /// kept, CRLF line ends), filled only when a check asks for them
    /// ([`crate::checks::Check::raw_headers`]): DKIM's `simple` canonicalisation needs
    /// the bytes the signer saw.
    pub raw_headers: Vec<(String, Vec<u8>)>,
    /// Header fields arrived that `raw_headers` could not keep (its byte bound).
    pub raw_headers_truncated: bool,
    /// DKIM results, one per signature evaluated, once verified (end of message).
    pub dkim: Vec<DkimFact>,
    /// The DMARC result, once evaluated (end of message).
    pub dmarc: Option<DmarcFact>,
}

/// An SPF result (RFC 7208 §2.6), as later checks and the headers need it.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum SpfResult {
    /// No SPF record (or no checkable domain).
    None,
    /// The domain makes no assertion.
    Neutral,
    /// The client is authorised.
    Pass,
    /// The client is not authorised.
    Fail,
    /// Probably not authorised.
    Softfail,
    /// A temporary DNS error.
    Temperror,
    /// The record could not be interpreted.
    Permerror,
}

impl SpfResult {
    /// The RFC keyword: `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror`,
    /// `permerror`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::Softfail => "softfail",
            SpfResult::Temperror => "temperror",
            SpfResult::Permerror => "permerror",
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What SPF found for a transaction.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct SpfFact {
    /// The result.
    pub result: SpfResult,
    /// The domain the result is about (MAIL FROM domain, or the HELO name).
    pub domain: String,
}

/// A DKIM result (RFC 8601 §2.7.1), per signature.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum DkimResult {
    /// The signature verified.
    Pass,
    /// The signature did not verify (body or header changed, wrong key).
    Fail,
    /// Not evaluated to a result (e.g. the body exceeded what we hash); never a pass.
    Neutral,
    /// Verified, but refused by local policy (e.g. expired, key too small).
    Policy,
    /// A temporary error (DNS timeout or SERVFAIL for the key).
    Temperror,
    /// The signature or key record could not be used (bad tags, revoked key).
    Permerror,
}

impl DkimResult {
    /// The RFC 8601 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            DkimResult::Pass => "pass",
            DkimResult::Fail => "fail",
            DkimResult::Neutral => "neutral",
            DkimResult::Policy => "policy",
            DkimResult::Temperror => "temperror",
            DkimResult::Permerror => "permerror",
        }
    }
}

impl fmt::Display for DkimResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What DKIM found for one DKIM-Signature.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct DkimFact {
    /// The result.
    pub result: DkimResult,
    /// The signing domain (`d=`), lower case; empty when the signature did not parse.
    pub domain: String,
    /// The selector (`s=`); empty when the signature did not parse.
    pub selector: String,
    /// The first characters of `b=`, to tell signatures apart in the headers (RFC 6008).
    pub b_prefix: String,
    /// Why, when not a pass (for the log and the header comment).
    pub reason: Option<String>,
}

/// A DMARC result (RFC 7489 §11.2, RFC 8601 §2.7.7).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum DmarcResult {
    /// No policy record for the From domain (or no usable From).
    None,
    /// An aligned SPF or DKIM pass.
    Pass,
    /// No aligned pass.
    Fail,
    /// A temporary error looking up the policy.
    Temperror,
    /// The policy record, or the From header, could not be used.
    Permerror,
}

impl DmarcResult {
    /// The RFC 8601 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::None => "none",
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::Temperror => "temperror",
            DmarcResult::Permerror => "permerror",
        }
    }
}

impl fmt::Display for DmarcResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What DMARC found for a message.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct DmarcFact {
    /// The result.
    pub result: DmarcResult,
    /// The RFC 5322.From domain (empty when there was no usable one).
    pub from_domain: String,
    /// The policy that applies (`none`, `quarantine`, `reject`), when a record was found.
    pub policy: Option<String>,
}

/// Facts about the client found by checks, for later checks and the log.
#[derive(Clone, Debug, Default)]
pub struct ClientFacts {
    /// PTR names of the client address (unverified).
    pub ptr_names: Vec<String>,
    /// A PTR name that resolves back to the client address (forward-confirmed).
    pub verified_name: Option<String>,
    /// Sum of the weights of the DNS lists the client is on (allowlists negative).
    pub dnsbl_score: i32,
    /// Names of the lists that listed the client.
    pub dnsbl_listed: Vec<String>,
}

/// A fact a check reports along with its finding; the policy records it in the
/// session, so checks stay read-only.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Fact {
    /// PTR names of the client.
    PtrNames(Vec<String>),
    /// The forward-confirmed client name.
    VerifiedName(String),
    /// DNSBL score and the lists that matched.
    Dnsbl {
        /// Summed weight.
        score: i32,
        /// Matching list names.
        listed: Vec<String>,
    },
    /// SPF result of the current transaction.
    Spf(SpfFact),
    /// DKIM results of the current message, one per signature.
    Dkim(Vec<DkimFact>),
    /// DMARC result of the current message.
    Dmarc(DmarcFact),
}

/// Facts about one SMTP connection.
#[derive(Clone, Debug)]
pub struct Session {
    /// Our id for log correlation (Postfix's queue id comes later).
    pub id: String,
    /// Client address; None for a non-IP client (e.g. a local socket).
    pub client_addr: Option<IpAddr>,
    /// Client port.
    pub client_port: u16,
    /// Client name as the MTA reports it (`unknown` without a verified PTR).
    pub client_name: String,
    /// HELO/EHLO argument.
    pub helo: Option<String>,
    /// All macros the MTA sent so far (last value wins).
    pub macros: HashMap<String, String>,
    /// When the connection started (DNS budget, latency).
    pub started: std::time::Instant,
    /// What checks found out about the client.
    pub facts: ClientFacts,
    /// The current transaction.
    pub tx: Transaction,
    /// Transactions finished so far (for capture), kept only when capturing.
    pub done: Vec<Transaction>,
}

static SESSION_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Session {
    /// A new session for a connecting client.
    pub fn new(client_addr: Option<IpAddr>, client_port: u16, client_name: String) -> Self {
        let n = SESSION_COUNTER.fetch_add(1, Ordering::Relaxed);
        Session {
            id: format!("{:x}.{:x}", std::process::id(), n),
            client_addr,
            client_port,
            client_name,
            helo: None,
            macros: HashMap::new(),
            started: std::time::Instant::now(),
            facts: ClientFacts::default(),
            tx: Transaction::default(),
            done: Vec::new(),
        }
    }

    /// Records a fact reported by a check.
    pub fn record(&mut self, fact: Fact) {
        match fact {
            Fact::PtrNames(n) => self.facts.ptr_names = n,
            Fact::VerifiedName(n) => self.facts.verified_name = Some(n),
            Fact::Dnsbl { score, listed } => {
                self.facts.dnsbl_score = score;
                self.facts.dnsbl_listed = listed;
            }
            Fact::Spf(f) => self.tx.spf = Some(f),
            Fact::Dkim(f) => self.tx.dkim = f,
            Fact::Dmarc(f) => self.tx.dmarc = Some(f),
        }
    }

    /// The recipient being checked at the RCPT stage.
    pub fn current_rcpt(&self) -> Option<&Recipient> {
        self.tx.rcpts.last()
    }

    /// Client address for logs.
    pub fn client_display(&self) -> String {
        match self.client_addr {
            Some(a) => format!("{}[{}]", self.client_name, a),
            None => self.client_name.clone(),
        }
    }

    /// Postfix's queue id, or empty before Postfix has one.
    pub fn queue_id(&self) -> &str {
        self.tx
            .queue_id
            .as_deref()
            .or_else(|| self.macros.get("i").map(String::as_str))
            .unwrap_or("")
    }
}

/// Strips `<` `>` and surrounding space from an envelope address.
pub fn bare_address(arg: &str) -> String {
    let a = arg.trim();
    let a = a.strip_prefix('<').unwrap_or(a);
    let a = a.strip_suffix('>').unwrap_or(a);
    a.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_addresses() {
        assert_eq!(bare_address("<a@b>"), "a@b");
        assert_eq!(bare_address("<>"), "");
        assert_eq!(bare_address("a@b"), "a@b");
    }

    #[test]
    fn ids_are_unique() {
        let a = Session::new(None, 0, "x".into());
        let b = Session::new(None, 0, "x".into());
        assert_ne!(a.id, b.id);
    }
}
