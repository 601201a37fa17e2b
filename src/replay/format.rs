//! Session files: parsing and writing.
//!
//! The format is documented for users in `tests/sessions/README.md`; keep the
//! two in step. In short: one line per SMTP stage, `session NAME` starts a
//! session, `expect …` at the end of a stage line states what the milter
//! should answer, message bodies are inline and dot-stuffed like SMTP DATA.
//!
//! The parser never panics and never trusts its input: every problem becomes a
//! [`ParseError`] carrying the file and line, so that it can be fuzzed and so
//! that a broken session file tells its author exactly what to fix.

use std::fmt::{self, Write as _};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// A parse error: `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct ParseError {
    /// The session file (as given to [`parse`]'s caller, see [`parse_file`]).
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, phrased so the author knows what to change.
    pub message: String,
}

/// The milter's answer to one stage, as an expectation or as seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// `SMFIS_CONTINUE` (also what a NOREPLY stage or a negotiated-off stage amounts to).
    Continue,
    /// `SMFIS_ACCEPT`: stop filtering (connection or message, depending on the stage).
    Accept,
    /// `SMFIS_REJECT`, with or without a custom 5xx reply.
    Reject,
    /// `SMFIS_TEMPFAIL`, with or without a custom 4xx reply.
    Tempfail,
    /// `SMFIS_DISCARD`: drop the whole message silently.
    Discard,
}

impl Verdict {
    /// The keyword used in session files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Continue => "continue",
            Verdict::Accept => "accept",
            Verdict::Reject => "reject",
            Verdict::Tempfail => "tempfail",
            Verdict::Discard => "discard",
        }
    }

    fn from_keyword(s: &str) -> Option<Verdict> {
        Some(match s {
            "continue" => Verdict::Continue,
            "accept" => Verdict::Accept,
            "reject" => Verdict::Reject,
            "tempfail" => Verdict::Tempfail,
            "discard" => Verdict::Discard,
            _ => return None,
        })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `expect VERDICT [CODE] [XCODE] [~ TEXT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The expected verdict.
    pub verdict: Verdict,
    /// Expected SMTP reply code, e.g. `550` (reject/tempfail only).
    pub code: Option<String>,
    /// Expected enhanced status code, e.g. `5.7.1` (reject/tempfail only).
    pub xcode: Option<String>,
    /// A substring the reply text must contain.
    pub text: Option<String>,
    /// Line of the expectation (0 when built in code).
    pub line: usize,
}

impl Expect {
    /// An expectation of just a verdict.
    pub fn verdict(verdict: Verdict) -> Expect {
        Expect {
            verdict,
            code: None,
            xcode: None,
            text: None,
            line: 0,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verdict.as_str())?;
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
    Verdict(Expect),
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
            EomCheck::Verdict(e) => e.line,
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
            EomCheck::Verdict(e) => write!(f, "{e}"),
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
    pub expect: Option<Expect>,
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
    pub expect: Option<Expect>,
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
    pub expect: Option<Expect>,
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
    pub data_expect: Option<Expect>,
    /// Headers in order.
    pub headers: Vec<Header>,
    /// `headers expect …`: the first non-continue answer to a header, or continue.
    pub headers_expect: Option<Expect>,
    /// `eoh expect …`.
    pub eoh_expect: Option<Expect>,
    /// The body exactly as sent to the milter: lines end with CRLF as Postfix
    /// sends them.
    pub body: Vec<u8>,
    /// `body expect …`: the first non-continue answer to a body chunk, or continue.
    pub body_expect: Option<Expect>,
    /// `eom expect …` lines.
    pub eom: Vec<EomCheck>,
    /// First line of the message part (0 when built in code).
    pub line: usize,
}

/// One SMTP transaction: MAIL, RCPT…, optionally DATA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    /// `mail` line.
    pub mail: Envelope,
    /// `rcpt` lines.
    pub rcpts: Vec<Envelope>,
    /// The message; `None` when the client never got to DATA (the replay
    /// then sends an abort, as Postfix does on RSET/QUIT).
    pub message: Option<Message>,
}

/// One SMTP connection to replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// Name used in reports (`session NAME`).
    pub name: String,
    /// Session-wide macro values (from connect on).
    pub macros: Vec<Macro>,
    /// The `connect` line.
    pub connect: Connect,
    /// The `helo` line, if the client sent one.
    pub helo: Option<Helo>,
    /// Transactions in order.
    pub transactions: Vec<Transaction>,
    /// File the session came from (empty when built in code).
    pub file: PathBuf,
    /// Line of the `session` line (0 when built in code).
    pub line: usize,
}

impl Session {
    /// True if any stage carries an expectation.
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

// ---------------------------------------------------------------------------
// Parsing

/// Reads and parses a session file; `message @FILE` is relative to its directory.
pub fn parse_file(path: &Path) -> Result<Vec<Session>, ParseError> {
    let text = std::fs::read(path).map_err(|e| ParseError {
        path: path.to_path_buf(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8(text).map_err(|e| ParseError {
        path: path.to_path_buf(),
        line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        message: "not valid UTF-8 (use `body base64` for binary bodies)".to_string(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse_named(&text, base, path)
}

/// Parses session text; `message @FILE` paths are relative to `base_dir`.
/// Errors name the file `<input>`; use [`parse_named`] to name it.
pub fn parse(text: &str, base_dir: &Path) -> Result<Vec<Session>, ParseError> {
    parse_named(text, base_dir, Path::new("<input>"))
}

/// Parses session text, naming `path` in errors and in [`Session::file`].
pub fn parse_named(text: &str, base_dir: &Path, path: &Path) -> Result<Vec<Session>, ParseError> {
    Parser {
        path,
        base_dir,
        lines: text.split('\n').collect(),
        pos: 0,
        sessions: Vec::new(),
        pending_macros: Vec::new(),
        state: State::Outside,
    }
    .run()
}

/// Where in a session the parser is; decides which keywords are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Outside,
    /// After `session`, before `connect`.
    Started,
    /// After `connect` (and maybe `helo`), no transaction yet.
    Connected,
    /// After `mail`/`rcpt`.
    Envelope,
    /// After `data` or a header.
    Headers,
    /// After `eoh` (no more headers).
    AfterEoh,
    /// After the body (or `message @file`).
    AfterBody,
    /// After `eom`: only more `eom expect` lines.
    AfterEom,
}

struct Parser<'a> {
    path: &'a Path,
    base_dir: &'a Path,
    lines: Vec<&'a str>,
    pos: usize,
    sessions: Vec<Session>,
    /// `macro` lines waiting for the stage line they precede.
    pending_macros: Vec<(Macro, usize)>,
    state: State,
}

/// Largest file `message @FILE` reads.
const MAX_MESSAGE_FILE: u64 = 64 << 20;

/// Strips the one `\r` a CRLF file leaves at the end of each line.
fn chomp(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

impl<'a> Parser<'a> {
    fn err(&self, line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            path: self.path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    fn run(mut self) -> Result<Vec<Session>, ParseError> {
        while self.pos < self.lines.len() {
            let lineno = self.pos + 1;
            let line = chomp(self.lines[self.pos]);
            self.pos += 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                return Err(self.err(
                    lineno,
                    "unexpected indented line (continuation lines may only follow a header)",
                ));
            }
            let (keyword, mut rest) = split_word(trimmed);
            if keyword == "header" {
                // Trailing white space is part of a header value.
                rest = line[keyword.len()..].trim_start();
            }
            self.line(lineno, keyword, rest)?;
        }
        self.finish_session(self.lines.len())?;
        Ok(self.sessions)
    }

    fn session_mut(&mut self, lineno: usize, keyword: &str) -> Result<&mut Session, ParseError> {
        if self.state == State::Outside {
            return Err(self.err(
                lineno,
                format!("'{keyword}' outside a session (start one with 'session NAME')"),
            ));
        }
        // State != Outside implies a session was pushed.
        let path = self.path.to_path_buf();
        self.sessions.last_mut().ok_or(ParseError {
            path,
            line: lineno,
            message: "internal: no current session".into(),
        })
    }

    fn take_macros(&mut self) -> Vec<Macro> {
        self.pending_macros.drain(..).map(|(m, _)| m).collect()
    }

    fn require(&self, lineno: usize, keyword: &str, ok: bool, why: &str) -> Result<(), ParseError> {
        if ok {
            Ok(())
        } else {
            Err(self.err(lineno, format!("'{keyword}' {why}")))
        }
    }

    fn line(&mut self, lineno: usize, keyword: &str, rest: &str) -> Result<(), ParseError> {
        match keyword {
            "session" => {
                self.finish_session(lineno)?;
                if rest.is_empty() {
                    return Err(self.err(lineno, "'session' needs a name"));
                }
                self.sessions.push(Session {
                    name: rest.to_string(),
                    file: self.path.to_path_buf(),
                    line: lineno,
                    ..Session::default()
                });
                self.state = State::Started;
            }
            "macro" => {
                self.session_mut(lineno, keyword)?;
                let (name, value) = split_word(rest);
                if name.is_empty() {
                    return Err(self.err(lineno, "'macro' needs a name and a value"));
                }
                let bare = name.trim_start_matches('{').trim_end_matches('}');
                if bare.is_empty() || bare.contains(['{', '}']) {
                    return Err(self.err(lineno, format!("bad macro name '{name}'")));
                }
                if matches!(self.state, State::Headers | State::AfterEoh) {
                    return Err(self.err(
                        lineno,
                        "'macro' not allowed inside a message (put it before 'data' or the first header)",
                    ));
                }
                let m = Macro::new(name, value);
                if self.state == State::Started {
                    self.session_mut(lineno, keyword)?.macros.push(m);
                } else {
                    self.pending_macros.push((m, lineno));
                }
            }
            "connect" => {
                self.session_mut(lineno, keyword)?;
                self.require(
                    lineno,
                    keyword,
                    self.state == State::Started,
                    "must come once, right after 'session'",
                )?;
                let (args, expect) = split_expect(rest);
                let expect = self.parse_expect_opt(lineno, expect)?;
                let connect = self.parse_connect(lineno, args, expect)?;
                self.session_mut(lineno, keyword)?.connect = connect;
                self.state = State::Connected;
            }
            "helo" | "ehlo" => {
                self.session_mut(lineno, keyword)?;
                let has_helo = self.session_mut(lineno, keyword)?.helo.is_some();
                self.require(
                    lineno,
                    keyword,
                    self.state == State::Connected && !has_helo,
                    "must come once, after 'connect' and before the first 'mail'",
                )?;
                let (args, expect) = split_expect(rest);
                let expect = self.parse_expect_opt(lineno, expect)?;
                if args.is_empty() || args.contains(char::is_whitespace) {
                    return Err(self.err(lineno, "'helo' needs exactly one argument"));
                }
                let macros = self.take_macros();
                self.session_mut(lineno, keyword)?.helo = Some(Helo {
                    macros,
                    name: args.to_string(),
                    expect,
                    line: lineno,
                });
            }
            "mail" => {
                self.session_mut(lineno, keyword)?;
                self.require(
                    lineno,
                    keyword,
                    self.state >= State::Connected,
                    "before 'connect'",
                )?;
                let mut env = self.parse_envelope(lineno, rest, true)?;
                env.macros = self.take_macros();
                self.session_mut(lineno, keyword)?
                    .transactions
                    .push(Transaction {
                        mail: env,
                        rcpts: Vec::new(),
                        message: None,
                    });
                self.state = State::Envelope;
            }
            "rcpt" => {
                self.session_mut(lineno, keyword)?;
                self.require(
                    lineno,
                    keyword,
                    self.state == State::Envelope,
                    "must follow 'mail' (or another 'rcpt') before the message starts",
                )?;
                let mut env = self.parse_envelope(lineno, rest, false)?;
                env.macros = self.take_macros();
                self.current_transaction(lineno)?.rcpts.push(env);
            }
            "data" => {
                self.require(
                    lineno,
                    keyword,
                    self.state == State::Envelope,
                    "must follow the recipients, once per transaction",
                )?;
                let expect = self.parse_expect_only(lineno, keyword, rest)?;
                self.start_message(lineno)?.data_expect = expect;
                self.state = State::Headers;
            }
            "header" => {
                self.require(
                    lineno,
                    keyword,
                    matches!(self.state, State::Envelope | State::Headers),
                    "must come after 'mail'/'rcpt'/'data' and before 'eoh'/'body'",
                )?;
                let (name, value) = match rest.split_once(':') {
                    Some((n, v)) => (n, v),
                    None => return Err(self.err(lineno, "'header' needs 'NAME: value'")),
                };
                if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c.is_control()) {
                    return Err(self.err(lineno, format!("bad header name '{name}'")));
                }
                let mut value = value.to_string();
                // Folded header: following lines that start with whitespace.
                while let Some(next) = self.lines.get(self.pos) {
                    let next = chomp(next);
                    if next.starts_with([' ', '\t']) {
                        value.push('\n');
                        value.push_str(next);
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let msg = self.start_message(lineno)?;
                msg.headers.push(Header {
                    name: name.to_string(),
                    value,
                    line: lineno,
                });
                self.state = State::Headers;
            }
            "headers" => {
                self.require(
                    lineno,
                    keyword,
                    matches!(self.state, State::Envelope | State::Headers),
                    "must come before 'eoh'/'body'",
                )?;
                let expect = self.parse_expect_only(lineno, keyword, rest)?;
                if expect.is_none() {
                    return Err(self.err(lineno, "'headers' needs 'expect …'"));
                }
                self.start_message(lineno)?.headers_expect = expect;
                self.state = State::Headers;
            }
            "eoh" => {
                self.require(
                    lineno,
                    keyword,
                    matches!(self.state, State::Envelope | State::Headers),
                    "must come after the headers, once",
                )?;
                let expect = self.parse_expect_only(lineno, keyword, rest)?;
                self.start_message(lineno)?.eoh_expect = expect;
                self.state = State::AfterEoh;
            }
            "body" => {
                self.require(
                    lineno,
                    keyword,
                    matches!(
                        self.state,
                        State::Envelope | State::Headers | State::AfterEoh
                    ),
                    "must come after the headers, once per message",
                )?;
                let (args, expect) = split_expect(rest);
                let expect = self.parse_expect_opt(lineno, expect)?;
                let base64 = match args {
                    "" => false,
                    "base64" => true,
                    other => {
                        return Err(self.err(
                            lineno,
                            format!("'body' takes no argument but 'base64', got '{other}'"),
                        ))
                    }
                };
                let body = self.read_body(lineno, base64)?;
                let msg = self.start_message(lineno)?;
                msg.body = body;
                msg.body_expect = expect;
                self.state = State::AfterBody;
            }
            "message" => {
                self.require(
                    lineno,
                    keyword,
                    self.state == State::Envelope,
                    "replaces header/body lines and must follow the recipients",
                )?;
                let (file, expect) = split_expect(rest);
                if expect.is_some() {
                    return Err(self.err(
                        lineno,
                        "'message' takes no expectation (use 'headers'/'eoh'/'body'/'eom expect')",
                    ));
                }
                let Some(file) = file.strip_prefix('@').filter(|f| !f.is_empty()) else {
                    return Err(self.err(lineno, "'message' needs '@FILE'"));
                };
                let full = self.base_dir.join(file);
                // Only regular files of sane size: a session file must not
                // make the replay read /dev/zero or a FIFO forever.
                match std::fs::metadata(&full) {
                    Ok(md) if md.is_file() && md.len() <= MAX_MESSAGE_FILE => {}
                    Ok(_) => {
                        return Err(self.err(
                            lineno,
                            format!(
                                "{} is not a regular file of at most {} MiB",
                                full.display(),
                                MAX_MESSAGE_FILE >> 20
                            ),
                        ))
                    }
                    Err(e) => {
                        return Err(self.err(lineno, format!("cannot read {}: {e}", full.display())))
                    }
                }
                let raw = std::fs::read(&full).map_err(|e| {
                    self.err(lineno, format!("cannot read {}: {e}", full.display()))
                })?;
                let (headers, body) = split_rfc5322(&raw, lineno);
                let msg = self.start_message(lineno)?;
                msg.headers = headers;
                msg.body = body;
                self.state = State::AfterBody;
            }
            "eom" => {
                self.require(
                    lineno,
                    keyword,
                    self.state >= State::Envelope,
                    "must come inside a transaction",
                )?;
                let (args, expect) = split_expect(rest);
                if !args.is_empty() {
                    return Err(self.err(lineno, format!("'eom' takes no argument, got '{args}'")));
                }
                let check = match expect {
                    None => None,
                    Some(e) => Some(self.parse_eom_check(lineno, e)?),
                };
                let msg = self.start_message(lineno)?;
                msg.eom.extend(check);
                self.state = State::AfterEom;
            }
            other => {
                return Err(self.err(lineno, format!("unknown keyword '{other}'")));
            }
        }
        Ok(())
    }

    fn current_transaction(&mut self, lineno: usize) -> Result<&mut Transaction, ParseError> {
        let path = self.path.to_path_buf();
        self.session_mut(lineno, "rcpt")?
            .transactions
            .last_mut()
            .ok_or(ParseError {
                path,
                line: lineno,
                message: "no transaction (missing 'mail')".into(),
            })
    }

    /// The current transaction's message, created (with pending macros) on
    /// its first line.
    fn start_message(&mut self, lineno: usize) -> Result<&mut Message, ParseError> {
        if self.state < State::Envelope {
            return Err(self.err(lineno, "message lines need a 'mail' line first"));
        }
        let started = self.current_transaction(lineno)?.message.is_some();
        if started {
            if let Some((_, line)) = self.pending_macros.first() {
                return Err(self.err(
                    *line,
                    "'macro' not allowed inside a message (put it before 'data' or the first header)",
                ));
            }
        }
        let pending = self.take_macros();
        let tx = self.current_transaction(lineno)?;
        let msg = tx.message.get_or_insert_with(|| Message {
            line: lineno,
            ..Message::default()
        });
        msg.macros.extend(pending);
        Ok(msg)
    }

    fn finish_session(&mut self, lineno: usize) -> Result<(), ParseError> {
        if let Some((_, line)) = self.pending_macros.first() {
            return Err(self.err(*line, "'macro' line is not followed by a stage line"));
        }
        if self.state == State::Started {
            let start = self.sessions.last().map_or(lineno, |s| s.line);
            return Err(self.err(start, "session has no 'connect' line"));
        }
        Ok(())
    }

    fn parse_connect(
        &self,
        lineno: usize,
        args: &str,
        expect: Option<Expect>,
    ) -> Result<Connect, ParseError> {
        let mut words = args.split_whitespace();
        let Some(addr) = words.next() else {
            return Err(self.err(lineno, "'connect' needs a client address (or 'unknown')"));
        };
        let addr = if addr == "unknown" {
            ClientAddr::Unknown
        } else {
            let bare = addr
                .strip_prefix('[')
                .and_then(|a| a.strip_suffix(']'))
                .unwrap_or(addr);
            let bare = bare.strip_prefix("IPv6:").unwrap_or(bare);
            match bare.parse::<IpAddr>() {
                Ok(ip) => ClientAddr::Ip(ip),
                Err(_) => {
                    return Err(self.err(
                        lineno,
                        format!("bad client address '{addr}' (IPv4, IPv6 or 'unknown')"),
                    ))
                }
            }
        };
        let mut c = Connect {
            addr,
            expect,
            line: lineno,
            ..Connect::default()
        };
        while let Some(key) = words.next() {
            let Some(value) = words.next() else {
                return Err(self.err(lineno, format!("'{key}' needs a value")));
            };
            match key {
                "port" => {
                    c.port = value
                        .parse()
                        .map_err(|_| self.err(lineno, format!("bad port '{value}'")))?;
                }
                "name" => c.name = value.to_string(),
                "ptr" => c.ptr = Some(value.to_string()),
                // OK, FAIL, FORGED or TEMP in Postfix; anything is passed on.
                "resolve" => c.resolve = Some(value.to_string()),
                other => {
                    return Err(self.err(
                        lineno,
                        format!("unknown connect option '{other}' (port, name, ptr, resolve)"),
                    ))
                }
            }
        }
        Ok(c)
    }

    fn parse_envelope(
        &self,
        lineno: usize,
        rest: &str,
        is_mail: bool,
    ) -> Result<Envelope, ParseError> {
        let what = if is_mail { "mail" } else { "rcpt" };
        let (args, expect) = split_expect(rest);
        let expect = self.parse_expect_opt(lineno, expect)?;
        let (addr, params) =
            parse_addr(args).map_err(|m| self.err(lineno, format!("'{what}': {m}")))?;
        Ok(Envelope {
            macros: Vec::new(),
            addr,
            args: params.split_whitespace().map(str::to_string).collect(),
            expect,
            line: lineno,
        })
    }

    fn parse_expect_only(
        &self,
        lineno: usize,
        keyword: &str,
        rest: &str,
    ) -> Result<Option<Expect>, ParseError> {
        let (args, expect) = split_expect(rest);
        if !args.is_empty() {
            return Err(self.err(
                lineno,
                format!("'{keyword}' takes no argument, got '{args}'"),
            ));
        }
        self.parse_expect_opt(lineno, expect)
    }

    fn parse_expect_opt(
        &self,
        lineno: usize,
        expect: Option<&str>,
    ) -> Result<Option<Expect>, ParseError> {
        let Some(expect) = expect else {
            return Ok(None);
        };
        parse_expect(expect, lineno)
            .map(Some)
            .map_err(|m| self.err(lineno, m))
    }

    fn parse_eom_check(&self, lineno: usize, expect: &str) -> Result<EomCheck, ParseError> {
        let (kind, rest) = split_word(expect);
        let check = match kind {
            "header" => {
                let (name, text) = split_tilde(rest);
                let name = name.trim();
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err(self.err(lineno, "'expect header' needs NAME [~ TEXT]"));
                }
                EomCheck::Header {
                    name: name.to_string(),
                    text: text.map(str::to_string),
                    line: lineno,
                }
            }
            "no-header" => {
                if rest.is_empty() || rest.contains(char::is_whitespace) {
                    return Err(self.err(lineno, "'expect no-header' needs NAME"));
                }
                EomCheck::NoHeader {
                    name: rest.to_string(),
                    line: lineno,
                }
            }
            "delete-header" => {
                let mut words = rest.split_whitespace();
                let (Some(name), Some(index), None) = (words.next(), words.next(), words.next())
                else {
                    return Err(self.err(lineno, "'expect delete-header' needs NAME INDEX"));
                };
                let index = index
                    .parse::<i32>()
                    .ok()
                    .filter(|i| *i >= 1)
                    .ok_or_else(|| {
                        self.err(lineno, "'expect delete-header': INDEX is a number from 1")
                    })?;
                EomCheck::DeleteHeader {
                    name: name.to_string(),
                    index,
                    line: lineno,
                }
            }
            "delete-rcpt" | "add-rcpt" => {
                let (addr, tail) =
                    parse_addr(rest).map_err(|m| self.err(lineno, format!("'{kind}': {m}")))?;
                if !tail.is_empty() || addr.is_empty() {
                    return Err(self.err(lineno, format!("'{kind}' needs one <ADDRESS>")));
                }
                if kind == "delete-rcpt" {
                    EomCheck::DeleteRcpt { addr, line: lineno }
                } else {
                    EomCheck::AddRcpt { addr, line: lineno }
                }
            }
            "no-actions" => {
                if !rest.is_empty() {
                    return Err(self.err(lineno, "'expect no-actions' takes no argument"));
                }
                EomCheck::NoActions { line: lineno }
            }
            _ => EomCheck::Verdict(parse_expect(expect, lineno).map_err(|m| self.err(lineno, m))?),
        };
        Ok(check)
    }

    /// Reads body lines after a `body` line up to the lone `.`.
    fn read_body(&mut self, start: usize, base64: bool) -> Result<Vec<u8>, ParseError> {
        let mut out = Vec::new();
        let mut b64 = String::new();
        while let Some(raw) = self.lines.get(self.pos) {
            let line = chomp(raw);
            self.pos += 1;
            if line == "." {
                if base64 {
                    return base64_decode(&b64)
                        .map_err(|m| self.err(start, format!("bad base64 body: {m}")));
                }
                return Ok(out);
            }
            let line = line.strip_prefix('.').unwrap_or(line);
            if base64 {
                b64.extend(line.chars().filter(|c| !c.is_whitespace()));
            } else {
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        Err(self.err(start, "body not terminated by a line with a single '.'"))
    }
}

/// Splits off the first whitespace-separated word.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Splits `ARGS expect EXPECTATION` at the first standalone word `expect`
/// outside angle brackets.
fn split_expect(s: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => depth += 1,
            b'>' => depth = depth.saturating_sub(1),
            b'e' if depth == 0
                && s[i..].starts_with("expect")
                && (i == 0 || bytes[i - 1].is_ascii_whitespace())
                && bytes.get(i + 6).is_none_or(|b| b.is_ascii_whitespace()) =>
            {
                return (s[..i].trim(), Some(s[i + 6..].trim()));
            }
            _ => {}
        }
        i += 1;
    }
    (s.trim(), None)
}

fn split_tilde(s: &str) -> (&str, Option<&str>) {
    match s.split_once('~') {
        Some((a, b)) => (a.trim(), Some(b.trim())),
        None => (s.trim(), None),
    }
}

/// Parses `<addr> rest…`; returns the address without brackets and the rest.
fn parse_addr(s: &str) -> Result<(String, &str), String> {
    let s = s.trim_start();
    let Some(inner) = s.strip_prefix('<') else {
        return Err(format!(
            "address must be in angle brackets, got '{}'",
            split_word(s).0
        ));
    };
    let Some(end) = inner.find('>') else {
        return Err("unterminated '<' in address".to_string());
    };
    let addr = &inner[..end];
    // Spaces only inside a quoted local part ("john doe"@example.org).
    let bad_space = addr.contains(char::is_whitespace) && !addr.contains('"');
    if bad_space || addr.contains(|c: char| c.is_control() || c == '<') {
        return Err(format!("bad address <{addr}>"));
    }
    let rest = &inner[end + 1..];
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return Err(format!("junk after address: '{}'", split_word(rest).0));
    }
    Ok((addr.to_string(), rest.trim()))
}

fn is_xcode(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) && matches!(s.as_bytes()[0], b'4' | b'5')
}

/// Parses `VERDICT [CODE] [XCODE] [~ TEXT]` (the part after `expect`).
fn parse_expect(s: &str, line: usize) -> Result<Expect, String> {
    let (head, text) = split_tilde(s);
    let mut words = head.split_whitespace();
    let Some(v) = words.next() else {
        return Err(
            "'expect' needs a verdict (continue, accept, reject, tempfail, discard)".into(),
        );
    };
    let Some(verdict) = Verdict::from_keyword(v) else {
        return Err(format!(
            "unknown verdict '{v}' (continue, accept, reject, tempfail, discard)"
        ));
    };
    let mut e = Expect {
        verdict,
        code: None,
        xcode: None,
        text: text.map(str::to_string),
        line,
    };
    for w in words {
        if is_code(w) && e.code.is_none() && e.xcode.is_none() {
            e.code = Some(w.to_string());
        } else if is_xcode(w) && e.xcode.is_none() {
            e.xcode = Some(w.to_string());
        } else {
            return Err(format!(
                "unexpected '{w}' in expectation (VERDICT [CODE] [X.Y.Z] [~ TEXT])"
            ));
        }
    }
    if e.text.as_deref() == Some("") {
        return Err("'~' needs a text to look for".into());
    }
    let class = match verdict {
        Verdict::Reject => Some('5'),
        Verdict::Tempfail => Some('4'),
        _ => None,
    };
    match class {
        None if e.code.is_some() || e.xcode.is_some() || e.text.is_some() => {
            return Err(format!(
                "a reply code or text only goes with reject or tempfail, not {verdict}"
            ));
        }
        Some(c) => {
            for x in [&e.code, &e.xcode].into_iter().flatten() {
                if !x.starts_with(c) {
                    return Err(format!("{verdict} needs a {c}xx reply, got {x}"));
                }
            }
        }
        None => {}
    }
    Ok(e)
}

/// Splits an RFC 5322 message into headers and a CRLF body, as Postfix
/// would present them to a milter.
fn split_rfc5322(raw: &[u8], lineno: usize) -> (Vec<Header>, Vec<u8>) {
    let mut headers: Vec<Header> = Vec::new();
    let mut rest = raw;
    loop {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            rest = next;
            break;
        }
        let text = String::from_utf8_lossy(line);
        if text.starts_with([' ', '\t']) {
            if let Some(h) = headers.last_mut() {
                h.value.push('\n');
                h.value.push_str(&text);
                rest = next;
                continue;
            }
        }
        match text.split_once(':') {
            Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                headers.push(Header {
                    name: name.to_string(),
                    value: value.to_string(),
                    line: lineno,
                });
                rest = next;
            }
            // Not a header: Postfix treats the rest as body.
            _ => break,
        }
        if next.is_empty() {
            rest = next;
            break;
        }
    }
    (headers, to_crlf(rest))
}

/// Normalises line ends to CRLF, as Postfix does for what it sends to milters.
fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut lines = data.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if lines.peek().is_none() && line.is_empty() {
            break;
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

// ---------------------------------------------------------------------------
// Writing

/// Writes sessions in the session file format; [`parse`] reads the result
/// back to equal sessions (apart from `file`/`line` positions).
///
/// Bodies are written inline and dot-stuffed when they are UTF-8 made of
/// CRLF-terminated lines (what Postfix sends); anything else is written as a
/// `body base64` block so that replay sends exactly the captured bytes.
pub fn write(sessions: &[Session]) -> String {
    let mut out = String::new();
    for (i, s) in sessions.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_session(&mut out, s);
    }
    out
}

fn write_macros(out: &mut String, macros: &[Macro]) {
    for m in macros {
        let name = word(&m.name.replace(['{', '}'], ""));
        // One-letter macros are conventionally written bare, others in braces.
        let name = if name.chars().count() == 1 {
            name
        } else {
            format!("{{{name}}}")
        };
        // Values run to the end of the line.
        let value = one_line(&m.value);
        if value.is_empty() {
            let _ = writeln!(out, "macro {name}");
        } else {
            let _ = writeln!(out, "macro {name} {value}");
        }
    }
}

/// What the parser accepts between angle brackets.
fn clean_addr(a: &str) -> String {
    let quoted = a.contains('"');
    a.chars()
        .filter(|c| !c.is_control() && *c != '<' && *c != '>')
        .map(|c| if c.is_whitespace() && !quoted { '_' } else { c })
        .collect()
}

/// Line breaks cannot be represented in one-line fields; replace them.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ").trim().to_string()
}

fn expect_suffix(e: &Option<Expect>) -> String {
    match e {
        Some(e) => format!(" expect {e}"),
        None => String::new(),
    }
}

fn write_envelope(out: &mut String, kw: &str, e: &Envelope) {
    write_macros(out, &e.macros);
    let _ = write!(out, "{kw} <{}>", clean_addr(&e.addr));
    for piece in e.args.iter().flat_map(|a| a.split_whitespace()) {
        let _ = write!(out, " {}", word(piece));
    }
    let _ = writeln!(out, "{}", expect_suffix(&e.expect));
}

fn write_session(out: &mut String, s: &Session) {
    let name = one_line(&s.name);
    let name = if name.is_empty() {
        "unnamed"
    } else {
        name.as_str()
    };
    let _ = writeln!(out, "session {name}");
    write_macros(out, &s.macros);
    let c = &s.connect;
    let _ = write!(out, "connect {}", c.addr);
    if c.port != 0 {
        let _ = write!(out, " port {}", c.port);
    }
    let _ = write!(out, " name {}", word(&c.name));
    if let Some(p) = &c.ptr {
        let _ = write!(out, " ptr {}", word(p));
    }
    if let Some(r) = &c.resolve {
        let _ = write!(out, " resolve {}", word(r));
    }
    let _ = writeln!(out, "{}", expect_suffix(&c.expect));
    if let Some(h) = &s.helo {
        write_macros(out, &h.macros);
        let _ = writeln!(out, "helo {}{}", word(&h.name), expect_suffix(&h.expect));
    }
    for t in &s.transactions {
        write_envelope(out, "mail", &t.mail);
        for r in &t.rcpts {
            write_envelope(out, "rcpt", r);
        }
        if let Some(m) = &t.message {
            write_message(out, m);
        }
    }
}

/// One word: whitespace cannot be represented, so it is replaced; control
/// characters are dropped; a word `expect` would start an expectation.
fn word(s: &str) -> String {
    let w: String = s
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    match w.as_str() {
        "" => "unknown".to_string(),
        "expect" => "EXPECT".to_string(),
        _ => w,
    }
}

fn write_message(out: &mut String, m: &Message) {
    write_macros(out, &m.macros);
    let _ = writeln!(out, "data{}", expect_suffix(&m.data_expect));
    for h in &m.headers {
        let mut parts = h.value.split('\n');
        let first = parts.next().unwrap_or("");
        let _ = writeln!(
            out,
            "header {}:{}",
            word(&h.name.replace(':', "_")),
            first.replace('\r', "")
        );
        for cont in parts {
            let cont = cont.replace('\r', "");
            // A continuation must start with whitespace to be read back as one.
            if cont.starts_with([' ', '\t']) {
                let _ = writeln!(out, "{cont}");
            } else {
                let _ = writeln!(out, "\t{cont}");
            }
        }
    }
    if let Some(e) = &m.headers_expect {
        let _ = writeln!(out, "headers expect {e}");
    }
    let _ = writeln!(out, "eoh{}", expect_suffix(&m.eoh_expect));
    if !m.body.is_empty() || m.body_expect.is_some() {
        write_body(out, &m.body, &m.body_expect);
    }
    if m.eom.is_empty() {
        out.push_str("eom\n");
    }
    for c in &m.eom {
        let _ = writeln!(out, "eom expect {c}");
    }
}

fn write_body(out: &mut String, body: &[u8], expect: &Option<Expect>) {
    let inline = std::str::from_utf8(body).ok().filter(|text| {
        (text.is_empty() || text.ends_with("\r\n"))
            && text
                .split("\r\n")
                .all(|l| !l.contains('\n') && !l.ends_with('\r'))
    });
    match inline {
        Some(text) => {
            let _ = writeln!(out, "body{}", expect_suffix(expect));
            let mut lines: Vec<&str> = text.split("\r\n").collect();
            lines.pop(); // after the final CRLF
            for l in lines {
                if l.starts_with('.') {
                    out.push('.');
                }
                out.push_str(l);
                out.push('\n');
            }
        }
        None => {
            let _ = writeln!(out, "body base64{}", expect_suffix(expect));
            let enc = base64_encode(body);
            for chunk in enc.as_bytes().chunks(76) {
                out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
                out.push('\n');
            }
        }
    }
    out.push_str(".\n");
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, no line breaks (also used by the benches to build messages).
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("invalid character '{}'", c as char)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return Err("truncated input".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Vec<Session>, ParseError> {
        parse(text, Path::new("/nonexistent"))
    }

    fn err_at(text: &str) -> (usize, String) {
        match p(text) {
            Ok(s) => panic!("expected an error, parsed {s:?}"),
            Err(e) => (e.line, e.message),
        }
    }

    const FULL: &str = "\
# a comment

session clean-mail
macro {daemon_name} mx1
connect 192.0.2.10 port 41234 name mail.example.com expect continue
macro {tls_version} TLSv1.3
helo mail.example.com
macro {auth_authen} alice
mail <alice@example.com> SIZE=1234 BODY=8BITMIME
rcpt <bob@example.net>
rcpt <postmaster@example.net> expect continue
header Subject: hello
header X-Long: first line
\tcontinued line
headers expect continue
eoh
body
Hello.
..dot-stuffed line

.
eom expect header X-Foo ~ bar
eom expect delete-rcpt <bob@example.net>
eom expect accept

session second
connect [2001:db8::1] name unknown ptr host.example resolve FORGED expect tempfail 451 4.7.1 ~ try later
helo x expect reject 550 5.7.1 ~ bad helo
mail <> expect continue
rcpt <x@y> expect reject 5.7.1
mail <a@b>
rcpt <c@d>
";

    #[test]
    fn parses_every_construct() {
        let s = p(FULL).unwrap();
        assert_eq!(s.len(), 2);
        let a = &s[0];
        assert_eq!(a.name, "clean-mail");
        assert_eq!(a.line, 3);
        assert_eq!(a.macros, vec![Macro::new("{daemon_name}", "mx1")]);
        assert_eq!(
            a.connect.addr,
            ClientAddr::Ip("192.0.2.10".parse().unwrap())
        );
        assert_eq!(a.connect.port, 41234);
        assert_eq!(a.connect.name, "mail.example.com");
        assert_eq!(
            a.connect.expect,
            Some(Expect {
                line: 5,
                ..Expect::verdict(Verdict::Continue)
            })
        );
        let helo = a.helo.as_ref().unwrap();
        assert_eq!(helo.name, "mail.example.com");
        assert_eq!(helo.macros, vec![Macro::new("{tls_version}", "TLSv1.3")]);
        let t = &a.transactions[0];
        assert_eq!(t.mail.addr, "alice@example.com");
        assert_eq!(t.mail.args, vec!["SIZE=1234", "BODY=8BITMIME"]);
        assert_eq!(t.mail.macros, vec![Macro::new("{auth_authen}", "alice")]);
        assert_eq!(t.rcpts.len(), 2);
        assert!(t.rcpts[0].expect.is_none());
        assert_eq!(
            t.rcpts[1].expect.as_ref().unwrap().verdict,
            Verdict::Continue
        );
        let m = t.message.as_ref().unwrap();
        assert_eq!(
            m.headers[0],
            Header {
                name: "Subject".into(),
                value: " hello".into(),
                line: 12
            }
        );
        assert_eq!(m.headers[1].value, " first line\n\tcontinued line");
        assert!(m.headers_expect.is_some());
        assert!(m.eoh_expect.is_none());
        assert_eq!(m.body, b"Hello.\r\n.dot-stuffed line\r\n\r\n");
        assert_eq!(
            m.eom,
            vec![
                EomCheck::Header {
                    name: "X-Foo".into(),
                    text: Some("bar".into()),
                    line: 22
                },
                EomCheck::DeleteRcpt {
                    addr: "bob@example.net".into(),
                    line: 23
                },
                EomCheck::Verdict(Expect {
                    line: 24,
                    ..Expect::verdict(Verdict::Accept)
                }),
            ]
        );

        let b = &s[1];
        assert_eq!(
            b.connect.addr,
            ClientAddr::Ip("2001:db8::1".parse().unwrap())
        );
        assert_eq!(b.connect.ptr.as_deref(), Some("host.example"));
        assert_eq!(b.connect.resolve.as_deref(), Some("FORGED"));
        let e = b.connect.expect.as_ref().unwrap();
        assert_eq!(
            (
                e.verdict,
                e.code.as_deref(),
                e.xcode.as_deref(),
                e.text.as_deref()
            ),
            (
                Verdict::Tempfail,
                Some("451"),
                Some("4.7.1"),
                Some("try later")
            )
        );
        assert_eq!(b.transactions.len(), 2);
        assert_eq!(b.transactions[0].mail.addr, "");
        let e = b.transactions[0].rcpts[0].expect.as_ref().unwrap();
        assert_eq!(
            (e.code.as_deref(), e.xcode.as_deref()),
            (None, Some("5.7.1"))
        );
        assert!(b.transactions[1].message.is_none());
    }

    #[test]
    fn crlf_files_and_unknown_client() {
        let s = p("session x\r\nconnect unknown\r\nmail <a@b>\r\nrcpt <c@d>\r\nbody\r\nx\r\n.\r\n")
            .unwrap();
        assert_eq!(s[0].connect.addr, ClientAddr::Unknown);
        assert_eq!(s[0].connect.name, "unknown");
        assert_eq!(
            s[0].transactions[0].message.as_ref().unwrap().body,
            b"x\r\n"
        );
    }

    #[test]
    fn round_trip() {
        let parsed = p(FULL).unwrap();
        let text = write(&parsed);
        let again = p(&text).unwrap();
        assert_eq!(strip_pos(parsed), strip_pos(again), "written:\n{text}");
    }

    /// Positions differ after writing (the writer adds data/eoh lines).
    fn strip_pos(mut v: Vec<Session>) -> Vec<Session> {
        fn e(x: &mut Option<Expect>) {
            if let Some(x) = x {
                x.line = 0;
            }
        }
        for s in &mut v {
            s.line = 0;
            s.file = PathBuf::new();
            s.connect.line = 0;
            e(&mut s.connect.expect);
            if let Some(h) = &mut s.helo {
                h.line = 0;
                e(&mut h.expect);
            }
            for t in &mut s.transactions {
                for env in std::iter::once(&mut t.mail).chain(t.rcpts.iter_mut()) {
                    env.line = 0;
                    e(&mut env.expect);
                }
                if let Some(m) = &mut t.message {
                    m.line = 0;
                    for h in &mut m.headers {
                        h.line = 0;
                    }
                    for x in [
                        &mut m.data_expect,
                        &mut m.headers_expect,
                        &mut m.eoh_expect,
                        &mut m.body_expect,
                    ] {
                        e(x);
                    }
                    for c in &mut m.eom {
                        match c {
                            EomCheck::Verdict(x) => x.line = 0,
                            EomCheck::Header { line, .. }
                            | EomCheck::NoHeader { line, .. }
                            | EomCheck::DeleteHeader { line, .. }
                            | EomCheck::DeleteRcpt { line, .. }
                            | EomCheck::AddRcpt { line, .. }
                            | EomCheck::NoActions { line } => *line = 0,
                        }
                    }
                }
            }
        }
        v
    }

    #[test]
    fn capture_struct_round_trips_including_binary_body() {
        let s = Session {
            name: "captured 1".into(),
            macros: vec![
                Macro::new("j", "mx.example"),
                Macro::new("{daemon_name}", ""),
            ],
            connect: Connect {
                addr: ClientAddr::Ip("::1".parse().unwrap()),
                port: 2525,
                name: "localhost".into(),
                ..Connect::default()
            },
            helo: Some(Helo {
                name: "client".into(),
                ..Helo::default()
            }),
            transactions: vec![Transaction {
                mail: Envelope::new("a@b"),
                rcpts: vec![Envelope::new("c@d")],
                message: Some(Message {
                    headers: vec![
                        Header::new("Subject", "no space"),
                        Header::new("X", " a\n b"),
                    ],
                    body: b"\xff\x00binary\r\nbare\nlf\r\r\n.".to_vec(),
                    ..Message::default()
                }),
            }],
            ..Session::default()
        };
        let text = write(std::slice::from_ref(&s));
        assert!(text.contains("body base64\n"), "{text}");
        let back = p(&text).unwrap();
        assert_eq!(strip_pos(back), strip_pos(vec![s]));
    }

    #[test]
    fn inline_body_written_dot_stuffed() {
        let s = Session {
            name: "x".into(),
            transactions: vec![Transaction {
                mail: Envelope::new("a@b"),
                rcpts: vec![Envelope::new("c@d")],
                message: Some(Message {
                    body: b".hidden\r\n.\r\nend\r\n".to_vec(),
                    ..Message::default()
                }),
            }],
            ..Session::default()
        };
        let text = write(std::slice::from_ref(&s));
        assert!(text.contains("body\n..hidden\n..\nend\n.\n"), "{text}");
        assert_eq!(strip_pos(p(&text).unwrap()), strip_pos(vec![s]));
    }

    #[test]
    fn base64_codec() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(base64_decode(&base64_encode(data)).unwrap(), data);
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert!(base64_decode("Zm9v!").is_err());
    }

    #[test]
    fn message_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("m.eml"),
            "Subject: hi\nX-Fold: a\n b\n\nbody line\n.dot\n",
        )
        .unwrap();
        let s = parse(
            "session m\nconnect 127.0.0.1\nmail <a@b>\nrcpt <c@d>\nmessage @m.eml\neom expect accept\n",
            dir.path(),
        )
        .unwrap();
        let m = s[0].transactions[0].message.as_ref().unwrap();
        assert_eq!(m.headers.len(), 2);
        assert_eq!(m.headers[1].value, " a\n b");
        assert_eq!(m.body, b"body line\r\n.dot\r\n");
        let (line, msg) =
            err_at("session m\nconnect 127.0.0.1\nmail <a@b>\nmessage @missing.eml\n");
        assert_eq!(line, 4);
        assert!(msg.contains("cannot read"), "{msg}");
    }

    #[test]
    fn errors_carry_line_numbers() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "session a\nconnect 1.2.3.4\nfrobnicate\n",
                3,
                "unknown keyword 'frobnicate'",
            ),
            (
                "session a\nconnect 1.2.3.4\nrcpt <a@b>\n",
                3,
                "'rcpt' must follow 'mail'",
            ),
            (
                "session a\nconnect 1.2.3.4\nmail <a@b>\nbody\nline\n",
                4,
                "body not terminated",
            ),
            (
                "session a\nconnect 1.2.3.4\nmail a@b\n",
                3,
                "angle brackets",
            ),
            ("session a\nconnect 1.2.3.4\nmail <a@b\n", 3, "unterminated"),
            (
                "session a\nconnect 1.2.3.4\nmail <a b@c>\n",
                3,
                "bad address",
            ),
            (
                "session a\nconnect 1.2.3.4\nhelo x expect maybe\n",
                3,
                "unknown verdict 'maybe'",
            ),
            (
                "session a\nconnect 1.2.3.4\nhelo x expect reject 450\n",
                3,
                "needs a 5xx",
            ),
            (
                "session a\nconnect 1.2.3.4\nhelo x expect continue 250\n",
                3,
                "unexpected '250'",
            ),
            (
                "session a\nconnect 1.2.3.4\nhelo x expect accept 5.7.1\n",
                3,
                "only goes with reject",
            ),
            (
                "session a\nconnect 1.2.3.4\nhelo x expect\n",
                3,
                "needs a verdict",
            ),
            ("session a\nconnect 999.1.1.1\n", 2, "bad client address"),
            ("session a\nconnect 1.2.3.4 port 70000\n", 2, "bad port"),
            (
                "session a\nconnect 1.2.3.4 colour red\n",
                2,
                "unknown connect option",
            ),
            ("connect 1.2.3.4\n", 1, "outside a session"),
            ("session a\n\nhelo x\n", 3, "'helo' must come once"),
            ("session a\nmacro j x\n", 1, "no 'connect'"),
            (
                "session a\nconnect 1.2.3.4\nmacro j x\n",
                3,
                "not followed by a stage",
            ),
            (
                "session a\nconnect 1.2.3.4\nmail <a@b>\n  indented\n",
                4,
                "unexpected indented",
            ),
            (
                "session a\nconnect 1.2.3.4\nmail <a@b>\nbody\n.\nheader X: y\n",
                6,
                "'header' must come",
            ),
            (
                "session a\nconnect 1.2.3.4\nmail <a@b>\neom expect delete-rcpt bob\n",
                4,
                "angle brackets",
            ),
            (
                "session a\nconnect 1.2.3.4\nmail <a@b>\neom expect header\n",
                4,
                "needs NAME",
            ),
            (
                "session a\nconnect 1.2.3.4\nmail <a@b>\nbody base64\n@@@\n.\n",
                4,
                "bad base64",
            ),
            (
                "session a\nconnect 1.2.3.4\nmail <a@b>\nheader nocolon\n",
                4,
                "'NAME: value'",
            ),
            ("session\n", 1, "needs a name"),
        ];
        for (text, line, msg) in cases {
            let (l, m) = err_at(text);
            assert_eq!(
                (l, m.contains(msg)),
                (*line, true),
                "input {text:?} gave {l}: {m}"
            );
        }
    }

    #[test]
    fn derived_macros() {
        for m in ["i", "{i}", "{rcpt_addr}", "client_addr", "_"] {
            assert!(is_derived_macro(m), "{m}");
        }
        for m in ["j", "{daemon_name}", "{auth_authen}", "{tls_version}"] {
            assert!(!is_derived_macro(m), "{m}");
        }
    }

    #[test]
    fn lenient_where_postfix_is() {
        let s = p("session a\nconnect 1.2.3.4 resolve WHATEVER\nmail <\"john doe\"@example.org>\nrcpt <localuser> expect continue\nmacro {weird-name} v\nrcpt <postmaster>\n").unwrap();
        let t = &s[0].transactions[0];
        assert_eq!(t.mail.addr, "\"john doe\"@example.org");
        assert_eq!(t.rcpts[0].addr, "localuser");
        assert_eq!(t.rcpts[1].macros, vec![Macro::new("{weird-name}", "v")]);
        // Several sessions may share a name (captures, appended files).
        assert_eq!(
            p("session a\nconnect 1.2.3.4\nsession a\nconnect 1.2.3.4\n")
                .unwrap()
                .len(),
            2
        );
    }

    /// A tiny deterministic generator, for the writer robustness test.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn text(&mut self) -> String {
            const PIECES: &[&str] = &[
                "a", " ", "\t", "\n", "\r", "<", ">", "@", ".", "..", "#", "~", "expect", "{", "}",
                ":", "\"", "é", "\0", "x y", "\r\n", "=", "-",
            ];
            let n = self.next() % 6;
            (0..n)
                .map(|_| PIECES[(self.next() % PIECES.len() as u64) as usize])
                .collect()
        }
        fn bytes(&mut self) -> Vec<u8> {
            let n = self.next() % 12;
            (0..n)
                .map(|_| [b'a', b'\r', b'\n', b'.', 0xff, b' '][(self.next() % 6) as usize])
                .collect()
        }
    }

    #[test]
    fn writer_output_always_parses() {
        // Capture builds sessions from whatever the MTA sent: whatever the
        // field contents, the written file must parse, and writing what was
        // parsed must give the same text (the first write is the lossy one).
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        for _ in 0..2000 {
            let env = |rng: &mut Rng| Envelope {
                macros: vec![Macro::new(rng.text(), rng.text())],
                addr: rng.text(),
                args: vec![rng.text()],
                ..Envelope::default()
            };
            let s = Session {
                name: rng.text(),
                macros: vec![Macro::new(rng.text(), rng.text())],
                connect: Connect {
                    name: rng.text(),
                    ptr: Some(rng.text()),
                    resolve: Some(rng.text()),
                    ..Connect::default()
                },
                helo: Some(Helo {
                    name: rng.text(),
                    ..Helo::default()
                }),
                transactions: vec![Transaction {
                    mail: env(&mut rng),
                    rcpts: vec![env(&mut rng), env(&mut rng)],
                    message: Some(Message {
                        headers: vec![Header::new(rng.text(), rng.text())],
                        body: rng.bytes(),
                        ..Message::default()
                    }),
                }],
                ..Session::default()
            };
            let text = write(std::slice::from_ref(&s));
            let back = p(&text).unwrap_or_else(|e| panic!("{e}\n{s:?}\n{text}"));
            assert_eq!(write(&back), text);
            assert_eq!(
                back[0].transactions[0].message.as_ref().map(|m| &m.body),
                Some(
                    &s.transactions[0]
                        .message
                        .as_ref()
                        .map(|m| m.body.clone())
                        .unwrap_or_default()
                )
            );
        }
    }

    #[test]
    fn error_display_is_file_line_message() {
        let e = parse_named("bogus\n", Path::new("."), Path::new("t/x.session")).unwrap_err();
        assert_eq!(e.to_string(), "t/x.session:1: unknown keyword 'bogus'");
    }

    #[test]
    fn never_panics_on_garbage() {
        // A cheap stand-in for fuzzing: every prefix and some mutations of a valid file.
        let text = FULL;
        for i in 0..text.len() {
            if text.is_char_boundary(i) {
                let _ = p(&text[..i]);
                let mut m = text.to_string();
                m.insert(i, '<');
                let _ = p(&m);
                let mut m = text.to_string();
                m.insert_str(i, " expect ");
                let _ = p(&m);
            }
        }
    }
}
