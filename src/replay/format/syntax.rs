//! The small grammar pieces of a directive line: words, `expect` clauses,
//! addresses, expectations; and the RFC 5322 split for `message @FILE`.

use super::model::{Expectation, Header, Response};

/// Splits off the first whitespace-separated word.
pub(super) fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Splits `ARGS expect EXPECTATION` at the first standalone word `expect`
/// outside angle brackets.
pub(super) fn split_expect(s: &str) -> (&str, Option<&str>) {
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

pub(super) fn split_tilde(s: &str) -> (&str, Option<&str>) {
    match s.split_once('~') {
        Some((a, b)) => (a.trim(), Some(b.trim())),
        None => (s.trim(), None),
    }
}

/// Parses `<addr> rest…`; returns the address without brackets and the rest.
pub(super) fn parse_addr(s: &str) -> Result<(String, &str), String> {
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

pub(super) fn is_xcode(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn is_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) && matches!(s.as_bytes()[0], b'4' | b'5')
}

/// Parses `VERDICT [CODE] [XCODE] [~ TEXT]` (the part after `expect`).
pub(super) fn parse_expect(s: &str, line: usize) -> Result<Expectation, String> {
    let (head, text) = split_tilde(s);
    let mut words = head.split_whitespace();
    let Some(v) = words.next() else {
        return Err(
            "'expect' needs a verdict (continue, accept, reject, tempfail, discard)".into(),
        );
    };
    let Some(response) = Response::from_keyword(v) else {
        return Err(format!(
            "unknown verdict '{v}' (continue, accept, reject, tempfail, discard)"
        ));
    };
    let mut e = Expectation {
        response,
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
    let class = match response {
        Response::Reject => Some('5'),
        Response::Tempfail => Some('4'),
        _ => None,
    };
    match class {
        None if e.code.is_some() || e.xcode.is_some() || e.text.is_some() => {
            return Err(format!(
                "a reply code or text only goes with reject or tempfail, not {response}"
            ));
        }
        Some(c) => {
            for x in [&e.code, &e.xcode].into_iter().flatten() {
                if !x.starts_with(c) {
                    return Err(format!("{response} needs a {c}xx reply, got {x}"));
                }
            }
        }
        None => {}
    }
    Ok(e)
}

/// Splits an RFC 5322 message into headers and a CRLF body, as Postfix
/// would present them to a milter.
pub(super) fn split_rfc5322(raw: &[u8], lineno: usize) -> (Vec<Header>, Vec<u8>) {
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
pub(super) fn to_crlf(data: &[u8]) -> Vec<u8> {
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
