//! The attachments check's fast path: a message that provably holds no name is not
//! rebuilt or scanned at all.

use super::lines::{contains_ci, is_mime_line, starts_with_ci, tokenizer_work, MAX_TOKENIZER_WORK};

/// True when [`scan`](super::scan) of the message [`build_raw`](super::build_raw) makes from `headers` and `body` is
/// certain to come back empty (no name, nothing malformed, nothing limited), whatever
/// `truncated` is: the caller may then skip both. Conservative — false only costs the
/// full scan. Each condition, and why it is enough:
///
/// 1. Every header reads back as itself: its name is 1+ printable ASCII characters
///    without `:` and every line break in its value is a fold (followed by a space or
///    tab). Then mailparse sees exactly these headers under exactly these names (no
///    lone-CR or leading-space parse error, no header block ended early by an empty
///    line), and every non-folded line of the header block starts with a name.
/// 2. No `=?` in a header whose name starts with `Content-Type`, `Content-Disposition`
///    or `Content-Transfer-Encoding` (any case): those are the lines the tokenizer
///    budget counts ([`tokenizer_work`]), so the header block costs nothing of it; and
///    without an RFC 2047 word the values are read as written.
/// 3. No `name` (any case) in a `Content-Type` or `Content-Disposition` value: every
///    parameter that gives a name (`name`, `filename`, their RFC 2231 `*`/`*0*`
///    forms) contains it, so neither header yields a name (the same shortcut
///    [`names_from_header`](super::names::names_from_header) takes).
/// 4. Every `Content-Type` value starts (after white space) with `text/`, any case:
///    the part's media type, ours and mailparse's alike (both take the first header,
///    trimmed and lower-cased), is `text/…` — not multipart (no parts, boundary or
///    preamble to read), not message/rfc822 or message/global (no inner message to
///    decode), not a zip type; with no name either, no archive is listed and no
///    transfer encoding is undone, so base64 errors are never looked at. No
///    Content-Type at all means text/plain (mailparse's default; ours is then absent
///    and nothing is compared).
/// 5. The body's tokenizer work stays within the budget, checked as [`scan`](super::scan) checks
///    the whole message (the blank line before the body resets the header state, so
///    header and body work add up, and condition 2 made the headers' zero); beyond
///    it the full scan reports the message malformed.
///
/// Then the scan of the top-level part finds no name, no type disagreement and
/// nothing to descend into or decode, and the salvage scan is never reached.
pub fn nameless_single_part(headers: &[(String, String)], body: &[u8]) -> bool {
    for (name, value) in headers {
        let (n, v) = (name.as_bytes(), value.as_bytes());
        // 1.
        if n.is_empty() || !n.iter().all(|&b| b.is_ascii_graphic() && b != b':') {
            return false;
        }
        let mut breaks = v.iter().enumerate().filter(|(_, &b)| b == b'\n');
        if breaks.any(|(i, _)| !matches!(v.get(i + 1), Some(b' ' | b'\t'))) {
            return false;
        }
        // 2.
        if is_mime_line(n) && (has_word_start(n) || has_word_start(v)) {
            return false;
        }
        // 3. and 4.
        let ctype = n.eq_ignore_ascii_case(b"content-type");
        if ctype || n.eq_ignore_ascii_case(b"content-disposition") {
            if contains_ci(v, b"name") {
                return false;
            }
            if ctype && !starts_with_ci(v.trim_ascii_start(), b"text/") {
                return false;
            }
        }
    }
    // 5.
    !has_word_start(body) || tokenizer_work(body) <= MAX_TOKENIZER_WORK
}

/// `data` holds `=?` (the start of an RFC 2047 word, and what the tokenizer budget
/// counts). Written without an early exit inside a block so it vectorises: the fast
/// path runs it over every plain body.
fn has_word_start(data: &[u8]) -> bool {
    const BLOCK: usize = 4096;
    let mut start = 0;
    while start + 1 < data.len() {
        let end = (start + BLOCK + 1).min(data.len());
        let block = &data[start..end];
        let hit = block
            .iter()
            .zip(&block[1..])
            .fold(false, |acc, (&a, &b)| acc | ((a == b'=') & (b == b'?')));
        if hit {
            return true;
        }
        // Blocks overlap by one byte so a pair across their border is seen.
        start = end - 1;
    }
    false
}
