//! The parser: session text to [`Script`]s.
//!
//! It never panics and never trusts its input: every problem becomes a
//! [`ParseError`] carrying the file and line, so that it can be fuzzed and so
//! that a broken session file tells its author exactly what to fix.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::model::{
    ClientAddr, Connect, Envelope, EomCheck, Expectation, Header, Helo, Macro, MailTransaction,
    Message, Script,
};
use super::syntax::{
    parse_addr, parse_expect, split_expect, split_rfc5322, split_tilde, split_word,
};

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

/// Reads and parses a session file; `message @FILE` is relative to its directory.
pub fn parse_file(path: &Path) -> Result<Vec<Script>, ParseError> {
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
pub fn parse(text: &str, base_dir: &Path) -> Result<Vec<Script>, ParseError> {
    parse_named(text, base_dir, Path::new("<input>"))
}

/// Parses session text, naming `path` in errors and in [`Script::file`].
pub fn parse_named(text: &str, base_dir: &Path, path: &Path) -> Result<Vec<Script>, ParseError> {
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
    sessions: Vec<Script>,
    /// `macro` lines waiting for the phase line they precede.
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

    fn run(mut self) -> Result<Vec<Script>, ParseError> {
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

    fn session_mut(&mut self, lineno: usize, keyword: &str) -> Result<&mut Script, ParseError> {
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

    /// One directive line: dispatches on its keyword.
    fn line(&mut self, lineno: usize, keyword: &str, rest: &str) -> Result<(), ParseError> {
        match keyword {
            "session" => self.session_line(lineno, rest),
            "macro" => self.macro_line(lineno, rest),
            "connect" => self.connect_line(lineno, rest),
            "helo" | "ehlo" => self.helo_line(lineno, keyword, rest),
            "mail" => self.mail_line(lineno, rest),
            "rcpt" => self.rcpt_line(lineno, rest),
            "data" => self.data_line(lineno, rest),
            "header" => self.header_line(lineno, rest),
            "headers" => self.headers_line(lineno, rest),
            "eoh" => self.eoh_line(lineno, rest),
            "body" => self.body_line(lineno, rest),
            "message" => self.message_line(lineno, rest),
            "eom" => self.eom_line(lineno, rest),
            other => Err(self.err(lineno, format!("unknown keyword '{other}'"))),
        }
    }

    /// `session NAME`: ends the previous session and starts a new one.
    fn session_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.finish_session(lineno)?;
        if rest.is_empty() {
            return Err(self.err(lineno, "'session' needs a name"));
        }
        self.sessions.push(Script {
            name: rest.to_string(),
            file: self.path.to_path_buf(),
            line: lineno,
            ..Script::default()
        });
        self.state = State::Started;
        Ok(())
    }

    /// `macro NAME VALUE`: session-wide before `connect`, else held for the
    /// phase line that follows.
    fn macro_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.session_mut(lineno, "macro")?;
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
            self.session_mut(lineno, "macro")?.macros.push(m);
        } else {
            self.pending_macros.push((m, lineno));
        }
        Ok(())
    }

    /// `connect ADDR [OPTIONS…] [expect …]`.
    fn connect_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.session_mut(lineno, "connect")?;
        self.require(
            lineno,
            "connect",
            self.state == State::Started,
            "must come once, right after 'session'",
        )?;
        let (args, expect) = split_expect(rest);
        let expect = self.parse_expect_opt(lineno, expect)?;
        let connect = self.parse_connect(lineno, args, expect)?;
        self.session_mut(lineno, "connect")?.connect = connect;
        self.state = State::Connected;
        Ok(())
    }

    /// `helo NAME [expect …]` (or `ehlo`, named as written in errors).
    fn helo_line(&mut self, lineno: usize, keyword: &str, rest: &str) -> Result<(), ParseError> {
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
        Ok(())
    }

    /// `mail <ADDR> [ARGS…] [expect …]`: starts a transaction.
    fn mail_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.session_mut(lineno, "mail")?;
        self.require(
            lineno,
            "mail",
            self.state >= State::Connected,
            "before 'connect'",
        )?;
        let mut env = self.parse_envelope(lineno, rest, true)?;
        env.macros = self.take_macros();
        self.session_mut(lineno, "mail")?
            .transactions
            .push(MailTransaction {
                mail: env,
                rcpts: Vec::new(),
                message: None,
            });
        self.state = State::Envelope;
        Ok(())
    }

    /// `rcpt <ADDR> [ARGS…] [expect …]`.
    fn rcpt_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.session_mut(lineno, "rcpt")?;
        self.require(
            lineno,
            "rcpt",
            self.state == State::Envelope,
            "must follow 'mail' (or another 'rcpt') before the message starts",
        )?;
        let mut env = self.parse_envelope(lineno, rest, false)?;
        env.macros = self.take_macros();
        self.current_transaction(lineno)?.rcpts.push(env);
        Ok(())
    }

    /// `data [expect …]`.
    fn data_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.require(
            lineno,
            "data",
            self.state == State::Envelope,
            "must follow the recipients, once per transaction",
        )?;
        let expect = self.parse_expect_only(lineno, "data", rest)?;
        self.start_message(lineno)?.data_expect = expect;
        self.state = State::Headers;
        Ok(())
    }

    /// `header NAME: value`, with the indented continuation lines after it.
    fn header_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.require(
            lineno,
            "header",
            matches!(self.state, State::Envelope | State::Headers),
            "must come after 'mail'/'rcpt'/'data' and before 'eoh'/'body'",
        )?;
        let Some((name, value)) = rest.split_once(':') else {
            return Err(self.err(lineno, "'header' needs 'NAME: value'"));
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
        Ok(())
    }

    /// `headers expect …`: the expectation over all header answers.
    fn headers_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.require(
            lineno,
            "headers",
            matches!(self.state, State::Envelope | State::Headers),
            "must come before 'eoh'/'body'",
        )?;
        let expect = self.parse_expect_only(lineno, "headers", rest)?;
        if expect.is_none() {
            return Err(self.err(lineno, "'headers' needs 'expect …'"));
        }
        self.start_message(lineno)?.headers_expect = expect;
        self.state = State::Headers;
        Ok(())
    }

    /// `eoh [expect …]`.
    fn eoh_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.require(
            lineno,
            "eoh",
            matches!(self.state, State::Envelope | State::Headers),
            "must come after the headers, once",
        )?;
        let expect = self.parse_expect_only(lineno, "eoh", rest)?;
        self.start_message(lineno)?.eoh_expect = expect;
        self.state = State::AfterEoh;
        Ok(())
    }

    /// `body [base64] [expect …]`, then the body lines up to a lone `.`.
    fn body_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.require(
            lineno,
            "body",
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
        Ok(())
    }

    /// `message @FILE`: headers and body from an RFC 5322 file.
    fn message_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.require(
            lineno,
            "message",
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
        let raw = self.read_message_file(lineno, file)?;
        let (headers, body) = split_rfc5322(&raw, lineno);
        let msg = self.start_message(lineno)?;
        msg.headers = headers;
        msg.body = body;
        self.state = State::AfterBody;
        Ok(())
    }

    /// Reads `file` relative to the base directory, refusing anything but a
    /// regular file of sane size: a session file must not make the replay
    /// read /dev/zero or a FIFO forever.
    fn read_message_file(&self, lineno: usize, file: &str) -> Result<Vec<u8>, ParseError> {
        let full = self.base_dir.join(file);
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
            Err(e) => return Err(self.err(lineno, format!("cannot read {}: {e}", full.display()))),
        }
        std::fs::read(&full)
            .map_err(|e| self.err(lineno, format!("cannot read {}: {e}", full.display())))
    }

    /// `eom [expect …]`: one end-of-message check per line.
    fn eom_line(&mut self, lineno: usize, rest: &str) -> Result<(), ParseError> {
        self.require(
            lineno,
            "eom",
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
        Ok(())
    }

    fn current_transaction(&mut self, lineno: usize) -> Result<&mut MailTransaction, ParseError> {
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
        expect: Option<Expectation>,
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
    ) -> Result<Option<Expectation>, ParseError> {
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
    ) -> Result<Option<Expectation>, ParseError> {
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
            _ => EomCheck::Response(parse_expect(expect, lineno).map_err(|m| self.err(lineno, m))?),
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

/// Decodes a `body base64` block (white space already removed). Padding is
/// optional and stray bits after the last whole byte are ignored, so that
/// hand-edited blocks keep working; anything else outside the alphabet is an
/// error.
pub(super) fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::{alphabet, DecodeError};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let s = s.trim_end_matches('=');
    LENIENT.decode(s).map_err(|e| match e {
        // The crate may name a later bad byte first; report the first one.
        DecodeError::InvalidByte(_, b) => {
            let first = s
                .bytes()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/'))
                .unwrap_or(b);
            format!("invalid character '{}'", first as char)
        }
        DecodeError::InvalidLength(_) => "truncated input".into(),
        other => other.to_string(),
    })
}
