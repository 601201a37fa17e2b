//! Capture mode: every session the daemon sees is written as a replay session file,
//! so a session captured in production replays verbatim with `mxgate replay`.

use crate::session::Session;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Headers kept per message when capturing.
const MAX_HEADERS: usize = 1000;
/// Body bytes kept per message when capturing; the rest is counted, not stored.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// Writes captured sessions into a directory, one file per session.
pub struct Capture {
    dir: PathBuf,
}

impl Capture {
    /// Capture into `dir` (created on first write).
    pub fn new(dir: PathBuf) -> Self {
        Capture { dir }
    }

    /// Most headers kept per message.
    pub fn limit(&self) -> usize {
        MAX_HEADERS
    }

    /// Most body bytes kept per message.
    pub fn body_limit(&self) -> usize {
        MAX_BODY
    }

    /// Writes the session; failures are logged, never fatal to mail flow.
    pub fn write(&self, session: &Session) {
        let text = to_session_text(session);
        let path = self.dir.join(format!("{}.session", session.id));
        let result = std::fs::create_dir_all(&self.dir).and_then(|_| {
            // Write then rename, so a reader never sees half a file.
            let tmp = path.with_extension("tmp");
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            std::fs::rename(&tmp, &path)
        });
        if let Err(e) = result {
            tracing::warn!(session = %session.id, path = %path.display(), error = %e, "capture failed");
        }
    }
}

/// The session in the replay format (see tests/sessions/README.md).
pub fn to_session_text(s: &Session) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# captured by mxgate");
    let _ = writeln!(out, "session {}", s.id);
    let addr = s
        .client_addr
        .map(|a| a.to_string())
        .unwrap_or_else(|| "unknown".into());
    let _ = writeln!(
        out,
        "connect {addr} port {} name {}",
        s.client_port,
        one_word(&s.client_name)
    );
    let mut macros: Vec<_> = s.macros.iter().filter(|(k, _)| k.as_str() != "i").collect();
    macros.sort();
    for (k, v) in macros {
        let _ = writeln!(out, "macro {k} {}", one_line(v));
    }
    if let Some(helo) = &s.helo {
        let _ = writeln!(out, "helo {}", one_word(helo));
    }
    for tx in &s.done {
        let mut mail = format!("mail <{}>", clean(&tx.sender));
        for a in &tx.mail_args {
            mail.push(' ');
            mail.push_str(&one_word(a));
        }
        let _ = writeln!(out, "{mail}");
        for r in &tx.rcpts {
            let mut line = format!("rcpt <{}>", one_word(&r.addr));
            for a in &r.args {
                line.push(' ');
                line.push_str(&one_word(a));
            }
            let _ = writeln!(out, "{line}");
        }
        if tx.headers.is_empty() && tx.body.is_empty() {
            continue;
        }
        for (name, value) in &tx.headers {
            // Postfix passes folded values with their CRLF; keep the folding as
            // continuation lines.
            let value = value.replace("\r\n", "\n");
            let mut lines = value.split('\n');
            let _ = writeln!(
                out,
                "header {}: {}",
                one_word(name),
                lines.next().unwrap_or("")
            );
            for cont in lines {
                let cont = if cont.starts_with([' ', '\t']) {
                    cont.to_owned()
                } else {
                    format!("\t{cont}")
                };
                let _ = writeln!(out, "{cont}");
            }
        }
        let _ = writeln!(out, "body");
        let body = String::from_utf8_lossy(&tx.body).replace("\r\n", "\n");
        let body = body.strip_suffix('\n').unwrap_or(&body);
        if !body.is_empty() {
            for line in body.split('\n') {
                if line.starts_with('.') {
                    out.push('.');
                }
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out, ".");
    }
    out
}

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn one_word(s: &str) -> String {
    let w = clean(s);
    if w.is_empty() {
        "unknown".into()
    } else {
        w
    }
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
