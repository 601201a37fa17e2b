//! Names from Content-Type and Content-Disposition headers: parameter splitting,
//! RFC 2231 continuations and charsets, RFC 2047 encoded words, each read the ways a
//! mail client might.

use mailparse::MailHeader;

use super::decode::hex;
use super::lines::{contains_ci, line_work};

/// Adds the file names of a Content-Type or Content-Disposition header to `out`,
/// under every interpretation a mail client might take. `work_left`: the tokenizer
/// budget; what it cannot pay for is taken without RFC 2047 decoding (then false).
pub(super) fn names_from_header(
    h: &MailHeader<'_>,
    out: &mut Vec<String>,
    work_left: &mut usize,
) -> bool {
    let key = h.get_key_ref();
    let key = key.trim();
    if !key.eq_ignore_ascii_case("content-type") && !key.eq_ignore_ascii_case("content-disposition")
    {
        return true;
    }
    // Both readings below only take parameters whose name contains `name` (`name`,
    // `filename`, their RFC 2231 `*` forms), and only RFC 2047 words (`=?`) can turn
    // other text into one: without either there is no name to find, and the common
    // `Content-Type: text/plain; charset=...` skips two parameter parsers.
    let value = h.get_value_raw();
    if !contains_ci(value, b"name") && !value.windows(2).any(|w| w == b"=?") {
        return true;
    }
    let mut add = |s: String| {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    let raw = String::from_utf8_lossy(value);
    let unfolded: String = raw.chars().filter(|&c| c != '\r' && c != '\n').collect();
    let mut complete = true;
    // 1. mailparse: RFC 2047 decoded over the whole value, then RFC 2231 parameters.
    // Content-Type and Content-Disposition share its parameter parser. When its
    // tokenizer would take too long, RFC 2231 only (that part is linear).
    let w = raw
        .split('\n')
        .map(|l| line_work(l.as_bytes()))
        .fold(0usize, usize::saturating_add);
    let parsed = if w <= *work_left {
        *work_left -= w;
        mailparse::parse_content_disposition(&h.get_value())
    } else {
        complete = false;
        mailparse::parse_content_disposition(&unfolded)
    };
    for p in ["filename", "name"] {
        if let Some(v) = parsed.params.get(p) {
            add(v.clone());
        }
        // RFC 2231 segments mailparse left raw (unknown charset, or a plain value of
        // the same name next to them).
        for v in rfc2231_leftovers(&parsed.params, p) {
            add(v);
        }
    }
    // 2. Parameters split on the raw value first, each value then RFC 2047 decoded;
    // every occurrence of a duplicated parameter.
    for seg in split_unquoted(&unfolded).into_iter().skip(1) {
        let Some((k, v)) = seg.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.eq_ignore_ascii_case("filename") || k.eq_ignore_ascii_case("name") {
            let v = unquote(v.trim());
            let w = line_work(v.as_bytes());
            if w > *work_left {
                complete = false;
                add(v);
                continue;
            }
            *work_left -= w;
            add(decode_words(&v));
        }
    }
    complete
}

/// Decodes RFC 2231 parameter segments that mailparse did not consume: `p*` and
/// `p*0*`, `p*1`, … (bytes that are not UTF-8 are taken as Latin-1).
fn rfc2231_leftovers(params: &std::collections::BTreeMap<String, String>, p: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = params.get(&format!("{p}*")) {
        out.push(bytes_to_string(&percent_decode(strip_charset(v))));
    }
    let mut segments: Vec<(usize, bool, &str)> = params
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(p)?.strip_prefix('*')?;
            let (num, encoded) = match rest.strip_suffix('*') {
                Some(n) => (n, true),
                None => (rest, false),
            };
            let n: usize = num.parse().ok()?;
            Some((n, encoded, v.as_str()))
        })
        .collect();
    if !segments.is_empty() {
        segments.sort_by_key(|s| s.0);
        let mut bytes = Vec::new();
        for (n, encoded, v) in segments {
            if encoded {
                let v = if n == 0 { strip_charset(v) } else { v };
                bytes.extend_from_slice(&percent_decode(v));
            } else {
                bytes.extend_from_slice(v.as_bytes());
            }
        }
        out.push(bytes_to_string(&bytes));
    }
    out
}

/// `charset'language'value` → `value` (RFC 2231 §4).
fn strip_charset(v: &str) -> &str {
    let mut it = v.splitn(3, '\'');
    match (it.next(), it.next(), it.next()) {
        (Some(_), Some(_), Some(rest)) => rest,
        _ => v,
    }
}

pub(super) fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// UTF-8 if valid, else Latin-1 (every byte a char): never loses an ASCII dot.
pub(crate) fn bytes_to_string(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

/// Splits on `;` outside quoted strings (backslash escapes inside quotes).
fn split_unquoted(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ';' && !quoted {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// Removes surrounding quotes and backslash escapes.
fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"') else {
        return v.to_owned();
    };
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut esc = false;
    for c in inner.chars() {
        if !esc && c == '\\' {
            esc = true;
            continue;
        }
        esc = false;
        out.push(c);
    }
    out
}

/// RFC 2047 words in a parameter value, decoded with mailparse's decoder (clients
/// decode them even inside quotes, where RFC 2047 does not allow them).
fn decode_words(v: &str) -> String {
    if !v.contains("=?") {
        return v.to_owned();
    }
    let line = format!("X: {v}");
    match mailparse::parse_header(line.as_bytes()) {
        Ok((h, _)) => h.get_value(),
        Err(_) => v.to_owned(),
    }
}
