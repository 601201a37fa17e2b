//! The MTA side: replays one [`Script`] against a milter the way Postfix's
//! smtpd would, on top of `indymilter-test`.
//!
//! What Postfix does and we copy (see DESIGN.md §5 and Postfix's milter8.c):
//! phases the milter negotiated off are not sent; only requested macros are
//! sent, and only those with a value; NOREPLY phases count as continue;
//! Reject/Tempfail/Accept at connect or HELO end the milter's part in the
//! connection; at MAIL they end the transaction; at RCPT they drop that
//! recipient; with no recipient left there is no DATA; Accept or Discard at a
//! message phase ends the message; a transaction that did not reach
//! end-of-message is followed by an abort.

use std::collections::HashMap;
use std::ffi::CString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use indymilter_test::{EomAction, MacroStage, ProtoOpts, SocketInfo, Status, TestConnection};

use super::format::{ClientAddr, EomCheck, Expectation, Macro, Response, Script};

/// Where the milter listens, in Postfix's `smtpd_milters` syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketSpec {
    /// `unix:/path` (or `local:/path`, or a bare path).
    Unix(PathBuf),
    /// `inet:host:port` or `inet:[v6addr]:port`, kept as `host:port` for resolving.
    Inet(String),
}

/// A socket spec that cannot be understood.
#[derive(Debug, Clone, thiserror::Error)]
#[error("bad milter socket '{0}' (expected unix:/path, inet:host:port or inet:[addr]:port)")]
pub struct SocketSpecError(String);

impl FromStr for SocketSpec {
    type Err = SocketSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SocketSpecError(s.to_string());
        if let Some(path) = s.strip_prefix("unix:").or_else(|| s.strip_prefix("local:")) {
            if path.is_empty() {
                return Err(bad());
            }
            return Ok(SocketSpec::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("inet:") {
            let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
            if host.is_empty() || port.parse::<u16>().is_err() {
                return Err(bad());
            }
            // `[::1]:8891` already has the form ToSocketAddrs wants; a bare
            // IPv6 address would be ambiguous, so demand brackets like Postfix.
            if host.contains(':') && !host.starts_with('[') {
                return Err(bad());
            }
            return Ok(SocketSpec::Inet(rest.to_string()));
        }
        if s.is_empty() || s.contains(':') {
            return Err(bad());
        }
        Ok(SocketSpec::Unix(PathBuf::from(s)))
    }
}

impl fmt::Display for SocketSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketSpec::Unix(p) => write!(f, "unix:{}", p.display()),
            SocketSpec::Inet(a) => write!(f, "inet:{a}"),
        }
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Timeout for connecting and for every read and write.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
        }
    }
}

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
    fn off_flag(self) -> ProtoOpts {
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

    fn macro_stage(self) -> Option<MacroStage> {
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
    fn from_eom(a: EomAction) -> Action {
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
    fn new(phase: Phase, arg: impl Into<String>, line: usize, expect: Option<Expectation>) -> Self {
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

/// One command to the milter.
enum Cmd {
    Connect(String, SocketInfo),
    Helo(String),
    Mail(Vec<String>),
    Rcpt(Vec<String>),
    Data,
    Header(String, String),
    Eoh,
    Body(Bytes),
    Eom,
}

async fn exec(conn: &mut TestConnection, cmd: Cmd) -> Result<(Status, Vec<EomAction>), String> {
    let status = match cmd {
        Cmd::Connect(name, info) => conn.connect(name, info).await,
        Cmd::Helo(h) => conn.helo(h).await,
        Cmd::Mail(args) => conn.mail(args).await,
        Cmd::Rcpt(args) => conn.rcpt(args).await,
        Cmd::Data => conn.data().await,
        Cmd::Header(n, v) => conn.header(n, v).await,
        Cmd::Eoh => conn.eoh().await,
        Cmd::Body(b) => conn.body(b).await,
        Cmd::Eom => {
            return conn
                .eom()
                .await
                .map(|(a, s)| (s, a.actions))
                .map_err(|e| e.to_string())
        }
    };
    status.map(|s| (s, Vec::new())).map_err(|e| e.to_string())
}

/// Postfix's body chunk size for milters is at most 65535 bytes.
const CHUNK: usize = 65535;

/// Replays one session against the milter at `spec`. Never panics and never
/// fails: connection trouble ends up in [`ScriptResult::error`]. `seq`
/// makes the generated queue ids differ between sessions.
pub async fn replay(
    spec: &SocketSpec,
    script: &Script,
    opts: &ClientOptions,
    seq: u64,
) -> ScriptResult {
    let start = Instant::now();
    let builder = TestConnection::configure()
        .protocol_version(6)
        .read_timeout(opts.timeout)
        .write_timeout(opts.timeout)
        // We strip or keep the leading space ourselves, as Postfix does.
        .exact_leading_space(true);
    let conn = match spec {
        SocketSpec::Unix(p) => builder.open_unix(p).await,
        SocketSpec::Inet(a) => builder.open_tcp(a.as_str()).await,
    };
    let mut r = Replayer {
        conn: None,
        opts: ProtoOpts::empty(),
        requested: HashMap::new(),
        overrides: HashMap::new(),
        script,
        conn_stop: None,
        msg_stop: None,
        msg_rejected: false,
        error: None,
        broken: false,
        steps: Vec::new(),
        mail_addr: None,
        rcpt_addr: None,
        queue_id: None,
        seq,
        tx_index: 0,
    };
    match conn {
        Ok(c) => {
            r.opts = c.negotiated_opts();
            r.requested = c
                .requested_macros()
                .iter()
                .map(|(phase, names)| {
                    let names = names
                        .to_string_lossy()
                        .split([' ', ',', '\t', '\r', '\n'])
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .collect();
                    (*phase, names)
                })
                .collect();
            r.conn = Some(c);
        }
        Err(e) => {
            let msg = format!("cannot connect to {spec}: {e}");
            r.error = Some(msg.clone());
            r.conn_stop = Some("connection failed".into());
        }
    }
    r.run().await;
    // After an I/O error the stream is in an unknown state: just drop it.
    if !r.broken {
        if let Some(c) = r.conn.take() {
            if let Err(e) = c.close().await {
                r.error.get_or_insert(format!("closing: {e}"));
            }
        }
    }
    ScriptResult {
        name: script.name.clone(),
        file: script.file.clone(),
        line: script.line,
        steps: r.steps,
        error: r.error,
        elapsed: start.elapsed(),
    }
}

struct Replayer<'a> {
    conn: Option<TestConnection>,
    opts: ProtoOpts,
    requested: HashMap<MacroStage, Vec<String>>,
    /// Values from `macro` lines, keyed by name without braces.
    overrides: HashMap<String, String>,
    script: &'a Script,
    /// Why nothing more goes to the milter on this connection.
    conn_stop: Option<String>,
    /// Why nothing more goes to the milter for this message.
    msg_stop: Option<String>,
    /// The transaction was rejected (at MAIL, DATA or later): Postfix
    /// accepts no recipient and no message for it.
    msg_rejected: bool,
    error: Option<String>,
    /// An I/O or protocol error happened: do not even send QUIT.
    broken: bool,
    steps: Vec<StepResult>,
    mail_addr: Option<String>,
    rcpt_addr: Option<String>,
    queue_id: Option<String>,
    seq: u64,
    tx_index: u64,
}

fn bare(name: &str) -> &str {
    let inner = name.strip_prefix('{').and_then(|n| n.strip_suffix('}'));
    inner.unwrap_or(name)
}

fn domain(addr: &str) -> Option<String> {
    addr.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())
}

impl Replayer<'_> {
    fn set_macros(&mut self, macros: &[Macro]) {
        for m in macros {
            self.overrides
                .insert(bare(&m.name).to_string(), m.value.clone());
        }
    }

    /// The value Postfix would give a macro now; `None` means undefined
    /// (Postfix then leaves it out).
    fn macro_value(&self, name: &str) -> Option<String> {
        let name = bare(name);
        if let Some(v) = self.overrides.get(name) {
            return Some(v.clone());
        }
        let c = &self.script.connect;
        let addr = match c.addr {
            ClientAddr::Ip(ip) => ip.to_string(),
            ClientAddr::Unknown => "unknown".to_string(),
        };
        let myhostname = || {
            self.overrides
                .get("j")
                .cloned()
                .unwrap_or_else(|| "mx.test".to_string())
        };
        Some(match name {
            "j" => myhostname(),
            // milter_macro_daemon_name defaults to $myhostname in Postfix.
            "daemon_name" | "if_name" => myhostname(),
            "daemon_addr" | "if_addr" => "127.0.0.1".to_string(),
            "daemon_port" => "25".to_string(),
            "v" => "Postfix 3.x (mxgate replay)".to_string(),
            "_" => format!("{} [{addr}]", c.name),
            "client_addr" => addr,
            "client_port" => c.port.to_string(),
            "client_name" => c.name.clone(),
            "client_ptr" => c.ptr.clone().unwrap_or_else(|| c.name.clone()),
            "client_resolve" => c
                .resolve
                .clone()
                .unwrap_or_else(|| if c.name == "unknown" { "FAIL" } else { "OK" }.to_string()),
            "mail_addr" => self.mail_addr.clone()?,
            "mail_mailer" => {
                self.mail_addr.as_ref()?;
                "smtp".to_string()
            }
            "mail_host" => domain(self.mail_addr.as_deref()?)?,
            "rcpt_addr" => self.rcpt_addr.clone()?,
            "rcpt_mailer" => {
                self.rcpt_addr.as_ref()?;
                "smtp".to_string()
            }
            "rcpt_host" => domain(self.rcpt_addr.as_deref()?)?,
            "i" => self.queue_id.clone()?,
            _ => return None,
        })
    }

    fn stop_reason(&self) -> Option<String> {
        self.conn_stop.clone().or_else(|| self.msg_stop.clone())
    }

    /// Sends one command (with its macros) unless stopped or negotiated off;
    /// records and returns the result index.
    async fn command(
        &mut self,
        phase: Phase,
        arg: String,
        line: usize,
        expect: Option<Expectation>,
        cmd: Cmd,
    ) -> usize {
        let mut res = StepResult::new(phase, arg, line, expect);
        let idx = self.steps.len();
        if let Some(why) = self.stop_reason() {
            res.outcome = Outcome::NotSent(why);
            self.steps.push(res);
            return idx;
        }
        if !phase.off_flag().is_empty() && self.opts.contains(phase.off_flag()) {
            res.outcome = Outcome::Off;
            self.steps.push(res);
            return idx;
        }
        let macros: Vec<(String, String)> = phase
            .macro_stage()
            .and_then(|ms| self.requested.get(&ms))
            .map(|names| {
                names
                    .iter()
                    .filter_map(|n| self.macro_value(n).map(|v| (n.clone(), v)))
                    .collect()
            })
            .unwrap_or_default();
        let Some(conn) = self.conn.as_mut() else {
            res.outcome = Outcome::NotSent("no connection".into());
            self.steps.push(res);
            return idx;
        };
        let t0 = Instant::now();
        let mut result = Ok(());
        if let (false, Some(ms)) = (macros.is_empty(), phase.macro_stage()) {
            result = conn.macros(ms, macros).await.map_err(|e| e.to_string());
        }
        let result = match result {
            Ok(()) => exec(conn, cmd).await,
            Err(e) => Err(e),
        };
        res.elapsed = t0.elapsed();
        match result {
            Ok((status, actions)) => {
                let (outcome, reply) = match status {
                    Status::Continue | Status::Noreply => {
                        (Outcome::Response(Response::Continue), None)
                    }
                    Status::Accept => (Outcome::Response(Response::Accept), None),
                    Status::Discard => (Outcome::Response(Response::Discard), None),
                    Status::Skip => (Outcome::Skip, None),
                    Status::Reject { message } => (
                        Outcome::Response(Response::Reject),
                        message.map(|m| SmtpReply::parse(&m.to_string_lossy())),
                    ),
                    Status::Tempfail { message } => (
                        Outcome::Response(Response::Tempfail),
                        message.map(|m| SmtpReply::parse(&m.to_string_lossy())),
                    ),
                };
                res.outcome = outcome;
                res.reply = reply;
                res.actions = actions.into_iter().map(Action::from_eom).collect();
            }
            Err(e) => {
                let what = if res.arg.is_empty() {
                    phase.to_string()
                } else {
                    format!("{phase} {}", res.arg)
                };
                self.error.get_or_insert_with(|| format!("{what}: {e}"));
                res.outcome = Outcome::NotSent("connection error".into());
                self.conn_stop = Some("connection error".into());
                self.broken = true;
            }
        }
        self.steps.push(res);
        idx
    }

    fn response(&self, idx: usize) -> Option<Response> {
        match &self.steps[idx].outcome {
            Outcome::Response(v) => Some(*v),
            _ => None,
        }
    }

    async fn run(&mut self) {
        let s = self.script;
        self.set_macros(&s.macros);
        let c = &s.connect;
        let info = match c.addr {
            ClientAddr::Ip(ip) => SocketInfo::Inet(SocketAddr::new(ip, c.port)),
            ClientAddr::Unknown => SocketInfo::Unknown,
        };
        let arg = format!("{} {}", c.addr, c.name);
        let i = self
            .command(
                Phase::Connect,
                arg,
                c.line,
                c.expect.clone(),
                Cmd::Connect(c.name.clone(), info),
            )
            .await;
        match self.response(i) {
            Some(Response::Reject | Response::Tempfail) => {
                self.conn_stop = Some("connection rejected at connect".into())
            }
            Some(Response::Accept) => self.conn_stop = Some("milter accepted connection".into()),
            Some(Response::Discard) => {
                self.conn_stop = Some("discard at connect (not allowed by Postfix)".into())
            }
            _ => {}
        }

        if let Some(h) = &s.helo {
            self.set_macros(&h.macros);
            let i = self
                .command(
                    Phase::Helo,
                    h.name.clone(),
                    h.line,
                    h.expect.clone(),
                    Cmd::Helo(h.name.clone()),
                )
                .await;
            match self.response(i) {
                Some(Response::Reject | Response::Tempfail) => {
                    self.conn_stop.get_or_insert("rejected at HELO".into());
                }
                Some(Response::Accept) => {
                    self.conn_stop
                        .get_or_insert("milter accepted connection".into());
                }
                Some(Response::Discard) => {
                    self.conn_stop
                        .get_or_insert("discard at HELO (not allowed by Postfix)".into());
                }
                _ => {}
            }
        }

        for t in &s.transactions {
            self.transaction(t).await;
        }
    }

    async fn transaction(&mut self, t: &super::format::MailTransaction) {
        self.msg_stop = None;
        self.msg_rejected = false;
        self.tx_index += 1;
        self.mail_addr = Some(t.mail.addr.clone());
        self.rcpt_addr = None;
        self.queue_id = None;
        self.set_macros(&t.mail.macros);
        let mut args = vec![format!("<{}>", t.mail.addr)];
        args.extend(t.mail.args.iter().cloned());
        let i = self
            .command(
                Phase::Mail,
                args.join(" "),
                t.mail.line,
                t.mail.expect.clone(),
                Cmd::Mail(args),
            )
            .await;
        self.after_message_response(i, "MAIL");

        let mut accepted = 0usize;
        for r in &t.rcpts {
            self.set_macros(&r.macros);
            // Postfix's {rcpt_addr} stays the last RCPT, even a rejected one.
            self.rcpt_addr = Some(r.addr.clone());
            let mut args = vec![format!("<{}>", r.addr)];
            args.extend(r.args.iter().cloned());
            let i = self
                .command(
                    Phase::Rcpt,
                    args.join(" "),
                    r.line,
                    r.expect.clone(),
                    Cmd::Rcpt(args),
                )
                .await;
            match self.steps[i].outcome.effective_response() {
                Some(Response::Continue) => accepted += 1,
                Some(Response::Accept | Response::Discard) => {
                    accepted += 1;
                    self.after_message_response(i, "RCPT");
                }
                // A rejected recipient is just not added.
                Some(Response::Reject | Response::Tempfail) => {}
                // Not sent because the milter is done with this message or
                // connection: Postfix still accepts the recipient.
                None if !self.msg_rejected
                    && self.msg_stop.is_some()
                    && self.conn_stop.is_none() =>
                {
                    accepted += 1
                }
                None => {}
            }
            if accepted == 1 && self.queue_id.is_none() {
                self.queue_id = Some(
                    self.overrides
                        .get("i")
                        .cloned()
                        .unwrap_or_else(|| fake_queue_id(self.seq, self.tx_index)),
                );
            }
        }

        let mut reached_eom = false;
        if let Some(m) = &t.message {
            if accepted == 0 && self.msg_stop.is_none() {
                self.msg_stop = Some("no accepted recipient".into());
            }
            self.set_macros(&m.macros);
            let i = self
                .command(
                    Phase::Data,
                    String::new(),
                    m.line,
                    m.data_expect.clone(),
                    Cmd::Data,
                )
                .await;
            self.after_message_response(i, "DATA");

            // Headers: one result per header, plus a summary for `headers expect`.
            let first = self.steps.len();
            for h in &m.headers {
                let value = if self.opts.contains(ProtoOpts::LEADING_SPACE) {
                    h.value.clone()
                } else {
                    // Postfix strips leading white space unless asked not to.
                    h.value.trim_start().to_string()
                };
                let i = self
                    .command(
                        Phase::Header,
                        h.name.clone(),
                        h.line,
                        None,
                        Cmd::Header(h.name.clone(), value),
                    )
                    .await;
                self.after_message_response(i, "header");
            }
            self.summary(
                Phase::Header,
                first,
                format!("({})", m.headers.len()),
                m.line,
                m.headers_expect.clone(),
            );

            let i = self
                .command(
                    Phase::Eoh,
                    String::new(),
                    m.line,
                    m.eoh_expect.clone(),
                    Cmd::Eoh,
                )
                .await;
            self.after_message_response(i, "end of headers");

            let first = self.steps.len();
            let mut skipped = false;
            for chunk in m.body.chunks(CHUNK) {
                if skipped {
                    break;
                }
                let i = self
                    .command(
                        Phase::Body,
                        format!("{} bytes", chunk.len()),
                        m.line,
                        None,
                        Cmd::Body(Bytes::copy_from_slice(chunk)),
                    )
                    .await;
                skipped = self.steps[i].outcome == Outcome::Skip;
                self.after_message_response(i, "body");
            }
            self.summary(
                Phase::Body,
                first,
                format!("({} bytes)", m.body.len()),
                m.line,
                m.body_expect.clone(),
            );

            let res_idx = self
                .command(Phase::Eom, String::new(), m.line, None, Cmd::Eom)
                .await;
            if matches!(self.steps[res_idx].outcome, Outcome::Response(_)) {
                reached_eom = true;
            }
            // The response expectation and action checks all live on eom.
            let eom_line = m.eom.first().map_or(m.line, EomCheck::line);
            let r = &mut self.steps[res_idx];
            r.line = eom_line;
            r.eom_checks = m.eom.clone();
        }
        if !reached_eom && self.conn_stop.is_none() {
            if let Some(c) = self.conn.as_mut() {
                if let Err(e) = c.abort().await {
                    self.error.get_or_insert(format!("abort: {e}"));
                    self.conn_stop = Some("connection error".into());
                    self.broken = true;
                }
            }
        }
        self.msg_stop = None;
    }

    /// Applies Postfix's reaction to a message-phase response.
    fn after_message_response(&mut self, idx: usize, what: &str) {
        let why = match self.response(idx) {
            Some(Response::Reject) => format!("rejected at {what}"),
            Some(Response::Tempfail) => format!("tempfailed at {what}"),
            Some(Response::Accept) => format!("milter accepted the message at {what}"),
            Some(Response::Discard) => format!("message discarded at {what}"),
            _ => return,
        };
        let rejected = matches!(
            self.response(idx),
            Some(Response::Reject | Response::Tempfail)
        );
        // RCPT reject/tempfail only drops that recipient.
        if what == "RCPT" && rejected {
            return;
        }
        self.msg_rejected |= rejected;
        self.msg_stop.get_or_insert(why);
    }

    /// Adds the summary row over the per-command rows from `first` on.
    fn summary(
        &mut self,
        phase: Phase,
        first: usize,
        arg: String,
        line: usize,
        expect: Option<Expectation>,
    ) {
        let rows = &self.steps[first..];
        let outcome = if let Some(r) = rows
            .iter()
            .find(|r| !matches!(r.outcome.effective_response(), Some(Response::Continue)))
        {
            r.outcome.clone()
        } else if rows.is_empty() {
            // Nothing to send (no headers, empty body): what the milter
            // would have said is continue, unless the message was stopped.
            match self.stop_reason() {
                Some(why) => Outcome::NotSent(why),
                None if !phase.off_flag().is_empty() && self.opts.contains(phase.off_flag()) => {
                    Outcome::Off
                }
                None => Outcome::Response(Response::Continue),
            }
        } else if rows.iter().all(|r| r.outcome == Outcome::Off) {
            Outcome::Off
        } else {
            Outcome::Response(Response::Continue)
        };
        let reply = rows.iter().find_map(|r| r.reply.clone());
        let elapsed = rows.iter().map(|r| r.elapsed).sum();
        let line = expect.as_ref().map_or(line, |e| e.line);
        let mut res = StepResult::new(phase, arg, line, expect);
        res.summary = true;
        res.outcome = outcome;
        res.reply = reply;
        res.elapsed = elapsed;
        self.steps.push(res);
    }
}

/// A queue id in the style of Postfix's short ids (hex), stable for a
/// given session number and transaction so that reports are reproducible.
fn fake_queue_id(seq: u64, tx: u64) -> String {
    // SplitMix64: cheap, well spread.
    let mut z = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(tx);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    format!("{:010X}", z & 0xFF_FFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_specs() {
        assert_eq!(
            "unix:/run/m.sock".parse::<SocketSpec>().unwrap(),
            SocketSpec::Unix("/run/m.sock".into())
        );
        assert_eq!(
            "/run/m.sock".parse::<SocketSpec>().unwrap(),
            SocketSpec::Unix("/run/m.sock".into())
        );
        assert_eq!(
            "inet:127.0.0.1:8891".parse::<SocketSpec>().unwrap(),
            SocketSpec::Inet("127.0.0.1:8891".into())
        );
        assert_eq!(
            "inet:[::1]:8891".parse::<SocketSpec>().unwrap(),
            SocketSpec::Inet("[::1]:8891".into())
        );
        for bad in [
            "inet:::1:8891",
            "inet:host",
            "inet:host:99999",
            "unix:",
            "",
            "tcp:x:1",
        ] {
            assert!(bad.parse::<SocketSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn reply_parsing() {
        let r = SmtpReply::parse("550 5.7.1 go away");
        assert_eq!(
            (r.code.as_str(), r.xcode.as_deref(), r.text.as_str()),
            ("550", Some("5.7.1"), "go away")
        );
        let r = SmtpReply::parse("451-4.7.1 first\r\n451 4.7.1 second");
        assert_eq!(
            (r.code.as_str(), r.xcode.as_deref(), r.text.as_str()),
            ("451", Some("4.7.1"), "first second")
        );
        let r = SmtpReply::parse("550 no enhanced code");
        assert_eq!((r.xcode, r.text.as_str()), (None, "no enhanced code"));
        let _ = SmtpReply::parse("5");
        let _ = SmtpReply::parse("");
    }

    #[test]
    fn queue_ids_look_like_postfix_and_differ() {
        let a = fake_queue_id(1, 1);
        assert_eq!(a.len(), 10);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, fake_queue_id(1, 2));
        assert_ne!(a, fake_queue_id(2, 1));
    }
}
