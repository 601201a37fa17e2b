//! What a session file describes, as plain data: built by the parser, by
//! capture, or in code, and read by the client and the writer.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// The milter's response to one command, as the MTA sees it: expected in a
/// session file or seen in a replay. Unlike the daemon's
/// [`crate::verdict::Verdict`] it carries no reply; that is [`Expectation`]'s part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Response {
    /// `SMFIS_CONTINUE` (also what a NOREPLY phase or a negotiated-off phase amounts to).
    Continue,
    /// `SMFIS_ACCEPT`: stop filtering (connection or message, depending on the phase).
    Accept,
    /// `SMFIS_REJECT`, with or without a custom 5xx reply.
    Reject,
    /// `SMFIS_TEMPFAIL`, with or without a custom 4xx reply.
    Tempfail,
    /// `SMFIS_DISCARD`: drop the whole message silently.
    Discard,
}

impl Response {
    /// The keyword used in session files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Continue => "continue",
            Response::Accept => "accept",
            Response::Reject => "reject",
            Response::Tempfail => "tempfail",
            Response::Discard => "discard",
        }
    }

    pub(super) fn from_keyword(s: &str) -> Option<Response> {
        Some(match s {
            "continue" => Response::Continue,
            "accept" => Response::Accept,
            "reject" => Response::Reject,
            "tempfail" => Response::Tempfail,
            "discard" => Response::Discard,
            _ => return None,
        })
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the MTA side expects of one phase: `expect VERDICT [CODE] [XCODE] [~ TEXT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The expected response.
    pub response: Response,
    /// Expected SMTP reply code, e.g. `550` (reject/tempfail only).
    pub code: Option<String>,
    /// Expected enhanced status code, e.g. `5.7.1` (reject/tempfail only).
    pub xcode: Option<String>,
    /// A substring the reply text must contain.
    pub text: Option<String>,
    /// Line of the expectation (0 when built in code).
    pub line: usize,
}

impl Expectation {
    /// An expectation of just a response.
    pub fn response(response: Response) -> Expectation {
        Expectation {
            response,
            code: None,
            xcode: None,
            text: None,
            line: 0,
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.response.as_str())?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(xcode) = &self.xcode {
            write!(f, " {xcode}")?;
        }
        if let Some(text) = &self.text {
            write!(f, " ~ {text}")?;
        }
        Ok(())
    }
}

/// One expectation on an `eom` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EomCheck {
    /// `eom expect VERDICT …`: the final end-of-message answer.
    Response(Expectation),
    /// `eom expect header NAME [~ TEXT]`: an add-header, insert-header or
    /// change-header action for NAME (case-insensitive) whose value contains TEXT.
    Header {
        /// Header name.
        name: String,
        /// Substring of the value.
        text: Option<String>,
        /// Line (0 when built in code).
        line: usize,
    },
    /// `eom expect no-header NAME`: no add/insert/change-header action for NAME.
    NoHeader {
        /// Header name.
        name: String,
        /// Line (0 when built in code).
        line: usize,
    },
    /// `eom expect delete-header NAME INDEX`: a change-header action without a value
    /// (deletion) for occurrence INDEX (1-based) of header NAME (case-insensitive).
    DeleteHeader {
        /// Header name.
        name: String,
        /// 1-based occurrence among the headers of that name.
        index: i32,
        /// Line (0 when built in code).
        line: usize,
    },
    /// `eom expect delete-rcpt <ADDR>`: a delete-recipient action for ADDR.
    DeleteRcpt {
        /// Address without angle brackets (compared case-insensitively, brackets ignored).
        addr: String,
        /// Line (0 when built in code).
        line: usize,
    },
    /// `eom expect add-rcpt <ADDR>`: an add-recipient action for ADDR.
    AddRcpt {
        /// Address without angle brackets.
        addr: String,
        /// Line (0 when built in code).
        line: usize,
    },
    /// `eom expect no-actions`: the milter requested no modification at all.
    NoActions {
        /// Line (0 when built in code).
        line: usize,
    },
}

impl EomCheck {
    /// The line of the check in its file (0 when built in code).
    pub fn line(&self) -> usize {
        match self {
            EomCheck::Response(e) => e.line,
            EomCheck::Header { line, .. }
            | EomCheck::NoHeader { line, .. }
            | EomCheck::DeleteHeader { line, .. }
            | EomCheck::DeleteRcpt { line, .. }
            | EomCheck::AddRcpt { line, .. }
            | EomCheck::NoActions { line } => *line,
        }
    }
}

impl fmt::Display for EomCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EomCheck::Response(e) => write!(f, "{e}"),
            EomCheck::Header {
                name,
                text: Some(t),
                ..
            } => write!(f, "header {name} ~ {t}"),
            EomCheck::Header { name, .. } => write!(f, "header {name}"),
            EomCheck::NoHeader { name, .. } => write!(f, "no-header {name}"),
            EomCheck::DeleteHeader { name, index, .. } => {
                write!(f, "delete-header {name} {index}")
            }
            EomCheck::DeleteRcpt { addr, .. } => write!(f, "delete-rcpt <{addr}>"),
            EomCheck::AddRcpt { addr, .. } => write!(f, "add-rcpt <{addr}>"),
            EomCheck::NoActions { .. } => f.write_str("no-actions"),
        }
    }
}

/// A macro value set by a `macro NAME VALUE` line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Macro {
    /// As written: `{daemon_name}`, `daemon_name` and `j` are all accepted;
    /// names are matched against the milter's requests with braces ignored.
    pub name: String,
    /// The value (may be empty).
    pub value: String,
}

impl Macro {
    /// Convenience constructor.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Macro {
        Macro {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// True for macros the replay derives from the session's own lines
/// (`connect`, `mail`, `rcpt`) or generates (`i`). Capture should not write
/// these as `macro` lines: a `macro` line overrides the derived value for the
/// rest of the session, so a captured `{rcpt_addr}` would be sent for every
/// recipient.
pub fn is_derived_macro(name: &str) -> bool {
    let bare = name.trim_start_matches('{').trim_end_matches('}');
    matches!(
        bare,
        "i" | "_"
            | "client_addr"
            | "client_port"
            | "client_name"
            | "client_ptr"
            | "client_resolve"
            | "mail_addr"
            | "mail_host"
            | "mail_mailer"
            | "rcpt_addr"
            | "rcpt_host"
            | "rcpt_mailer"
    )
}

/// The client's address as given on the `connect` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientAddr {
    /// `unknown`: not an IP client (Postfix says `unknown`); sent as an
    /// unknown socket family.
    #[default]
    Unknown,
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

impl fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientAddr::Unknown => f.write_str("unknown"),
            ClientAddr::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// `connect ADDR [port N] [name NAME] [ptr NAME] [resolve STATUS] [expect …]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// Client address.
    pub addr: ClientAddr,
    /// Client port (default 0 when not given).
    pub port: u16,
    /// The verified client name Postfix passes to the milter: the PTR name
    /// when it resolves back, else `unknown`. Default `unknown`.
    pub name: String,
    /// `{client_ptr}`: the unverified PTR name; `None` means same as `name`.
    pub ptr: Option<String>,
    /// `{client_resolve}`: OK, FAIL, FORGED or TEMP; `None` means OK when
    /// `name` is known, else FAIL.
    pub resolve: Option<String>,
    /// Expectation, if any.
    pub expect: Option<Expectation>,
    /// Line (0 when built in code).
    pub line: usize,
}

impl Default for Connect {
    fn default() -> Self {
        Connect {
            addr: ClientAddr::Unknown,
            port: 0,
            name: "unknown".to_string(),
            ptr: None,
            resolve: None,
            expect: None,
            line: 0,
        }
    }
}

/// `helo NAME [expect …]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Helo {
    /// Macros set just before HELO (written before the `helo` line).
    pub macros: Vec<Macro>,
    /// The HELO/EHLO argument.
    pub name: String,
    /// Expectation, if any.
    pub expect: Option<Expectation>,
    /// Line (0 when built in code).
    pub line: usize,
}

/// `mail <ADDR> [ESMTP-ARGS…] [expect …]` or `rcpt <ADDR> … [expect …]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// Macros set just before this command.
    pub macros: Vec<Macro>,
    /// The address without angle brackets (empty for the null sender `<>`).
    pub addr: String,
    /// ESMTP parameters, e.g. `SIZE=1234`, `BODY=8BITMIME`.
    pub args: Vec<String>,
    /// Expectation, if any.
    pub expect: Option<Expectation>,
    /// Line (0 when built in code).
    pub line: usize,
}

impl Envelope {
    /// An envelope command with just an address.
    pub fn new(addr: impl Into<String>) -> Envelope {
        Envelope {
            addr: addr.into(),
            ..Envelope::default()
        }
    }
}

/// One header as the milter receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Header name.
    pub name: String,
    /// Everything after the colon, verbatim: the leading space is kept (the
    /// client strips it unless the milter negotiated LEADING_SPACE, as
    /// Postfix does); folded lines are joined with `\n` and keep their
    /// leading whitespace.
    pub value: String,
    /// Line (0 when built in code).
    pub line: usize,
}

impl Header {
    /// A header; `value` is stored verbatim (see [`Header::value`]).
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
            line: 0,
        }
    }
}

/// The DATA part of a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Macros set just before DATA (written before the first message line).
    pub macros: Vec<Macro>,
    /// `data expect …`.
    pub data_expect: Option<Expectation>,
    /// Headers in order.
    pub headers: Vec<Header>,
    /// `headers expect …`: the first non-continue answer to a header, or continue.
    pub headers_expect: Option<Expectation>,
    /// `eoh expect …`.
    pub eoh_expect: Option<Expectation>,
    /// The body exactly as sent to the milter: lines end with CRLF as Postfix
    /// sends them.
    pub body: Vec<u8>,
    /// `body expect …`: the first non-continue answer to a body chunk, or continue.
    pub body_expect: Option<Expectation>,
    /// `eom expect …` lines.
    pub eom: Vec<EomCheck>,
    /// First line of the message part (0 when built in code).
    pub line: usize,
}

/// One SMTP mail transaction of a [`Script`]: MAIL, RCPT…, optionally DATA
/// (the daemon's view of a live one is [`crate::session::Transaction`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailTransaction {
    /// `mail` line.
    pub mail: Envelope,
    /// `rcpt` lines.
    pub rcpts: Vec<Envelope>,
    /// The message; `None` when the client never got to DATA (the replay
    /// then sends an abort, as Postfix does on RSET/QUIT).
    pub message: Option<Message>,
}

/// One SMTP connection to replay: what a `session NAME` block of a session
/// file describes (the daemon's view of a live one is [`crate::session::Session`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// Name used in reports (`session NAME`).
    pub name: String,
    /// Session-wide macro values (from connect on).
    pub macros: Vec<Macro>,
    /// The `connect` line.
    pub connect: Connect,
    /// The `helo` line, if the client sent one.
    pub helo: Option<Helo>,
    /// Transactions in order.
    pub transactions: Vec<MailTransaction>,
    /// File the session came from (empty when built in code).
    pub file: PathBuf,
    /// Line of the `session` line (0 when built in code).
    pub line: usize,
}

impl Script {
    /// True if any phase carries an expectation.
    pub fn has_expectations(&self) -> bool {
        self.connect.expect.is_some()
            || self.helo.as_ref().is_some_and(|h| h.expect.is_some())
            || self.transactions.iter().any(|t| {
                t.mail.expect.is_some()
                    || t.rcpts.iter().any(|r| r.expect.is_some())
                    || t.message.as_ref().is_some_and(|m| {
                        m.data_expect.is_some()
                            || m.headers_expect.is_some()
                            || m.eoh_expect.is_some()
                            || m.body_expect.is_some()
                            || !m.eom.is_empty()
                    })
            })
    }
}
