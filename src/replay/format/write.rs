//! The writer: [`Script`]s to session text that the parser reads back.

use std::fmt::Write as _;

use base64::Engine as _;

use super::model::{Envelope, Expectation, Macro, Message, Script};

/// Writes sessions in the session file format; [`parse`](super::parse) reads the result
/// back to equal sessions (apart from `file`/`line` positions).
///
/// Bodies are written inline and dot-stuffed when they are UTF-8 made of
/// CRLF-terminated lines (what Postfix sends); anything else is written as a
/// `body base64` block so that replay sends exactly the captured bytes.
pub fn write(sessions: &[Script]) -> String {
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

fn expect_suffix(e: &Option<Expectation>) -> String {
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

fn write_session(out: &mut String, s: &Script) {
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

fn write_body(out: &mut String, body: &[u8], expect: &Option<Expectation>) {
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

/// Standard base64 with padding, no line breaks (also used by the benches to build messages).
pub fn base64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}
