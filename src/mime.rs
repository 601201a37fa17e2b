//! Attachment-name extraction from a MIME message, for the attachments check.
//!
//! The structure is parsed with mailparse 0.18; what it does not do, or does in a way a
//! mail client would not, is handled here (each place says why):
//!
//! * it does not descend into `message/rfc822` bodies: we decode and parse them;
//! * RFC 2231 values with a charset it does not know stay raw under `name*` /
//!   `name*0*` keys: we percent-decode and join them ourselves;
//! * it decodes RFC 2047 words over the whole header *before* splitting parameters
//!   and keeps only the last of duplicate parameters: we also split the raw value
//!   first and decode each value, and judge every interpretation;
//! * it matches header names exactly (`Content-Type :` is not its Content-Type) and
//!   does not trim `Content-Transfer-Encoding`: a part whose structure we read
//!   differently, a multipart without a usable boundary, or a parse error is
//!   "malformed", and then every `Content-Type:`/`Content-Disposition:` line in it is
//!   read on its own ("salvage"), so a name cannot hide behind a broken structure;
//! * it fails the whole parse beyond 100 nested multiparts: the salvage scan covers it.
//!
//! Nothing here panics on any input (see the fuzz target and the randomized test);
//! work is bounded by the input size, [`Limits::max_depth`] and [`Limits::decode_budget`].

pub mod zip;

use mailparse::{MailHeader, ParsedMail};
use std::borrow::Cow;

/// Bounds for one scan.
#[derive(Clone, Debug)]
pub struct Limits {
    /// MIME levels descended (multipart children and message/rfc822 bodies each count one).
    pub max_depth: usize,
    /// Bytes decoded from base64/quoted-printable in all (rfc822 bodies, zip archives).
    pub decode_budget: usize,
    /// List zip archive members (central directory only).
    pub zip: bool,
    /// Central-directory entries read per archive.
    pub zip_max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            decode_budget: 10 * 1024 * 1024,
            zip: true,
            zip_max_entries: 1000,
        }
    }
}

/// Where a name was found.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Source {
    /// A `Content-Disposition` `filename` or `Content-Type` `name` parameter.
    Header,
    /// A member of a zip archive attached under this name.
    Zip(String),
    /// A MIME header line read outside a well-formed structure (malformed part).
    Salvaged,
}

/// One attachment name, decoded.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Found {
    /// The decoded name, as a mail client would show it (not yet normalised).
    pub name: String,
    /// Where it came from.
    pub source: Source,
    /// MIME depth of the part (0: the message itself).
    pub depth: usize,
}

/// What a scan found.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// Every name found, in message order, without duplicates per part.
    pub names: Vec<Found>,
    /// Why the structure is malformed (empty: well-formed as far as we read).
    pub malformed: Vec<String>,
    /// What was left unread because of a limit (depth is "malformed"; this is the
    /// decode budget, the name cap and zip entry caps).
    pub limited: Vec<String>,
}

/// Most names kept per message; a message with more is pathological.
const MAX_NAMES: usize = 10_000;
/// Longest header gathered by the salvage scan (longer ones are cut there).
const MAX_SALVAGE_HEADER: usize = 16 * 1024;
/// Problems kept per message (the first ones say enough).
const MAX_PROBLEMS: usize = 20;

/// Rebuilds the raw message from the headers as the milter got them and the body.
///
/// Values keep their folding; a bare LF (how the MTA passes folded lines) becomes
/// CRLF so the parts use one line ending.
pub fn build_raw(headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let hlen: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 8).sum();
    let mut raw = Vec::with_capacity(hlen + body.len() + 2);
    for (name, value) in headers {
        raw.extend_from_slice(name.as_bytes());
        raw.extend_from_slice(b": ");
        // Copied a line at a time (a byte at a time cost ~14 instructions per byte);
        // a bare LF gets its CR.
        let mut v = value.as_bytes();
        while let Some(i) = v.iter().position(|&b| b == b'\n') {
            raw.extend_from_slice(&v[..i]);
            if i == 0 || v[i - 1] != b'\r' {
                raw.push(b'\r');
            }
            raw.push(b'\n');
            v = &v[i + 1..];
        }
        raw.extend_from_slice(v);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    raw
}

/// Scans a whole message (headers, blank line, body). `truncated`: the buffer is a
/// prefix of a larger message; names whose header block may be cut off are skipped,
/// so a partial `name.exe.txt` is never judged as `name.exe`.
pub fn scan(raw: &[u8], truncated: bool, limits: &Limits) -> Scan {
    let mut cx = Cx {
        limits,
        out: Scan::default(),
        decoded: 0,
        work_left: MAX_TOKENIZER_WORK,
    };
    if !cx.afford(raw) {
        cx.salvage(raw, 0, truncated);
        return cx.out;
    }
    match mailparse::parse_mail(raw) {
        Ok(mail) => cx.walk(&mail, raw, 0, truncated),
        Err(e) => {
            cx.malformed(format!("MIME parse error: {e}"));
            cx.salvage(raw, 0, truncated);
        }
    }
    cx.out
}

/// True when [`scan`] of the message [`build_raw`] makes from `headers` and `body` is
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
///    [`names_from_header`] takes).
/// 4. Every `Content-Type` value starts (after white space) with `text/`, any case:
///    the part's media type, ours and mailparse's alike (both take the first header,
///    trimmed and lower-cased), is `text/…` — not multipart (no parts, boundary or
///    preamble to read), not message/rfc822 or message/global (no inner message to
///    decode), not a zip type; with no name either, no archive is listed and no
///    transfer encoding is undone, so base64 errors are never looked at. No
///    Content-Type at all means text/plain (mailparse's default; ours is then absent
///    and nothing is compared).
/// 5. The body's tokenizer work stays within the budget, checked as [`scan`] checks
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
        let mime_line = starts_with_ci(n, b"content-type")
            || starts_with_ci(n, b"content-disposition")
            || starts_with_ci(n, b"content-transfer-encoding");
        if mime_line && (has_word_start(n) || has_word_start(v)) {
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

/// mailparse's RFC 2047 tokenizer counts characters from the start of the line at
/// every `=?` (`chars().nth`), so its work grows with the square of a line's length
/// (measured: a 400 KB Content-Type line of `=?` took 47 s). The work it would do on
/// a message's MIME header lines is estimated before it sees them; beyond this
/// (about 40 ms of it) a buffer is not handed to it and counts as malformed.
const MAX_TOKENIZER_WORK: usize = 50_000_000;

/// Estimated tokenizer work on the MIME header lines of `data` (lines of
/// Content-Type, Content-Disposition, Content-Transfer-Encoding and their folds).
fn tokenizer_work(data: &[u8]) -> usize {
    let mut lines = LineIter { data, pos: 0 };
    let mut in_mime = false;
    let mut work = 0usize;
    while let Some((s, e)) = lines.next_line() {
        let line = &data[s..e];
        if !line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            in_mime = starts_with_ci(line, b"content-type")
                || starts_with_ci(line, b"content-disposition")
                || starts_with_ci(line, b"content-transfer-encoding");
        }
        if in_mime {
            work = work.saturating_add(line_work(line));
        }
    }
    work
}

/// Tokenizer work on one line: `=?` markers times its length.
fn line_work(line: &[u8]) -> usize {
    let markers = line.windows(2).filter(|w| w == b"=?").count();
    markers.saturating_mul(line.len())
}

struct Cx<'l> {
    limits: &'l Limits,
    out: Scan,
    decoded: usize,
    /// Tokenizer work still allowed for this message (see [`MAX_TOKENIZER_WORK`]).
    work_left: usize,
}

impl Cx<'_> {
    /// Takes the tokenizer work for `data` from the budget, or flags the message.
    fn afford(&mut self, data: &[u8]) -> bool {
        let w = tokenizer_work(data);
        if w > self.work_left {
            self.malformed("MIME header lines too long to decode safely".into());
            return false;
        }
        self.work_left -= w;
        true
    }

    fn names_from_header(&mut self, h: &MailHeader<'_>, out: &mut Vec<String>) {
        if !names_from_header(h, out, &mut self.work_left) {
            self.malformed("MIME header lines too long to decode safely".into());
        }
    }

    fn malformed(&mut self, why: String) {
        if self.out.malformed.len() < MAX_PROBLEMS && !self.out.malformed.contains(&why) {
            self.out.malformed.push(why);
        }
    }

    fn limited(&mut self, why: String) {
        if self.out.limited.len() < MAX_PROBLEMS && !self.out.limited.contains(&why) {
            self.out.limited.push(why);
        }
    }

    fn push(&mut self, name: String, source: Source, depth: usize) {
        if name.trim().is_empty() {
            return;
        }
        if self.out.names.len() >= MAX_NAMES {
            self.limited(format!("more than {MAX_NAMES} attachment names"));
            return;
        }
        let f = Found {
            name,
            source,
            depth,
        };
        if !self.out.names.contains(&f) {
            self.out.names.push(f);
        }
    }

    /// `buf` is the buffer `part` was parsed from; `tail`: that buffer is cut off at
    /// its end (scan limit), so a part reaching the end may be incomplete.
    fn walk(&mut self, part: &ParsedMail<'_>, buf: &[u8], depth: usize, tail: bool) {
        let at_end = tail && ends_together(part.raw_bytes, buf);
        let header_bytes = part.get_headers().get_raw_bytes();
        let complete = !at_end || headers_terminated(header_bytes);
        let mut own_names = Vec::new();
        if complete {
            for h in &part.headers {
                self.names_from_header(h, &mut own_names);
            }
        }
        for n in &own_names {
            self.push(n.clone(), Source::Header, depth);
        }

        // Our own reading of the content type: a disagreement with mailparse means
        // a mail client may see a structure mailparse did not.
        let ours = first_header(&part.headers, "content-type")
            .map(|v| mailparse::parse_content_type(&v).mimetype);
        if let Some(ours) = ours {
            if ours != part.ctype.mimetype {
                self.malformed(format!(
                    "content type read as {:?} and {:?}",
                    crate::text::printable(&part.ctype.mimetype, 80),
                    crate::text::printable(&ours, 80)
                ));
                self.salvage(part.raw_bytes, depth, at_end);
                return;
            }
        }

        let mime = part.ctype.mimetype.as_str();
        if mime.starts_with("multipart/") {
            if !part.ctype.params.contains_key("boundary") {
                self.malformed(format!(
                    "{} without boundary",
                    crate::text::printable(mime, 80)
                ));
                self.salvage(body_of(part), depth + 1, at_end);
                return;
            }
            if part.subparts.is_empty() {
                // A cut-off message may end before the first boundary.
                if !at_end && !body_of(part).iter().all(u8::is_ascii_whitespace) {
                    self.malformed(format!(
                        "{} boundary never found",
                        crate::text::printable(mime, 80)
                    ));
                }
                self.salvage(body_of(part), depth + 1, at_end);
                return;
            }
            if depth + 1 > self.limits.max_depth {
                self.malformed(format!(
                    "MIME nesting deeper than {}",
                    self.limits.max_depth
                ));
                self.salvage(body_of(part), depth + 1, at_end);
                return;
            }
            for sub in &part.subparts {
                self.walk(sub, buf, depth + 1, tail);
            }
            // mailparse matches boundaries by line prefix and stops at the first
            // `--boundary--`-prefixed line; a client may read the lines before the
            // first part or after that line differently, so MIME headers there are
            // judged too.
            let base = part.raw_bytes.as_ptr() as usize;
            let offset = |p: &ParsedMail<'_>| p.raw_bytes.as_ptr() as usize - base;
            let body_start = part.raw_bytes.len() - body_of(part).len();
            let first = part.subparts.first().map_or(body_start, &offset);
            let last_end = part
                .subparts
                .last()
                .map_or(body_start, |p| offset(p) + p.raw_bytes.len());
            let preamble = part.raw_bytes.get(body_start..first).unwrap_or(&[]);
            let epilogue = part.raw_bytes.get(last_end..).unwrap_or(&[]);
            let found = self.salvage(preamble, depth + 1, false)
                + self.salvage(epilogue, depth + 1, at_end);
            if found > 0 {
                self.malformed(format!(
                    "attachment headers outside the parts of {}",
                    crate::text::printable(mime, 80)
                ));
            }
            return;
        }
        if is_message(mime) {
            if depth + 1 > self.limits.max_depth {
                self.malformed(format!(
                    "MIME nesting deeper than {}",
                    self.limits.max_depth
                ));
                self.salvage(body_of(part), depth + 1, at_end);
                return;
            }
            let Some(inner) = self.decode(part) else {
                return;
            };
            if !self.afford(&inner) {
                self.salvage(&inner, depth + 1, at_end);
                return;
            }
            match mailparse::parse_mail(&inner) {
                Ok(m) => self.walk(&m, &inner, depth + 1, at_end),
                Err(e) => {
                    self.malformed(format!(
                        "MIME parse error in {}: {e}",
                        crate::text::printable(mime, 80)
                    ));
                    self.salvage(&inner, depth + 1, at_end);
                }
            }
            return;
        }
        if self.limits.zip && is_zip(mime, &own_names) {
            if at_end {
                self.limited("zip archive cut off by the scan limit".into());
                return;
            }
            let Some(data) = self.decode(part) else {
                return;
            };
            let archive = own_names
                .iter()
                .find(|n| normalize(n).to_lowercase().ends_with(".zip"))
                .or(own_names.first())
                .cloned()
                .unwrap_or_else(|| "(unnamed zip)".into());
            match zip::members(&data, self.limits.zip_max_entries) {
                Ok(list) => {
                    if list.more {
                        self.limited(format!(
                            "zip {:?} has more than {} entries",
                            crate::text::printable(&archive, 80),
                            self.limits.zip_max_entries
                        ));
                    }
                    for m in list.names {
                        self.push(m, Source::Zip(archive.clone()), depth);
                    }
                }
                Err(e) => self.malformed(format!(
                    "zip {:?}: {e}",
                    crate::text::printable(&archive, 80)
                )),
            }
        }
    }

    /// The part's body with its transfer encoding undone, within the decode budget.
    fn decode<'p>(&mut self, part: &'p ParsedMail<'_>) -> Option<Cow<'p, [u8]>> {
        let body = body_of(part);
        let cte = first_header(&part.headers, "content-transfer-encoding")
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let room = self.limits.decode_budget.saturating_sub(self.decoded);
        let decoded = match cte.as_str() {
            "base64" => {
                if body.len() / 4 * 3 > room {
                    self.limited("decode budget exhausted".into());
                    return None;
                }
                let (data, clean) = base64_lenient(body);
                if !clean {
                    self.malformed("invalid characters in base64".into());
                }
                Cow::Owned(data)
            }
            "quoted-printable" => {
                if body.len() > room {
                    self.limited("decode budget exhausted".into());
                    return None;
                }
                Cow::Owned(qp_lenient(body))
            }
            _ => Cow::Borrowed(body),
        };
        if let Cow::Owned(d) = &decoded {
            self.decoded += d.len();
        }
        Some(decoded)
    }

    /// Reads every `Content-Type:`/`Content-Disposition:` header line in `data` on
    /// its own, for structures we could not (or would not) parse as a client might.
    /// Returns how many names it found.
    fn salvage(&mut self, data: &[u8], depth: usize, at_end: bool) -> usize {
        let before = self.out.names.len();
        let mut lines = LineIter { data, pos: 0 };
        let mut pending: Option<(usize, usize)> = None;
        while let Some((start, end)) = lines.next_line() {
            let line = &data[start..end];
            let folded = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
            if let Some((s, _)) = pending {
                if folded {
                    pending = Some((s, end));
                    continue;
                }
                self.salvage_header(&data[s..pending.map_or(s, |p| p.1)], depth);
                pending = None;
            }
            if starts_with_ci(line, b"content-type:")
                || starts_with_ci(line, b"content-disposition:")
                || starts_with_ci(line, b"content-type ")
                || starts_with_ci(line, b"content-disposition ")
            {
                pending = Some((start, end));
            }
        }
        // A header reaching the end of a cut-off buffer may itself be cut off.
        if let Some((s, e)) = pending {
            if !at_end {
                self.salvage_header(&data[s..e], depth);
            }
        }
        self.out.names.len() - before
    }

    fn salvage_header(&mut self, bytes: &[u8], depth: usize) {
        let bytes = &bytes[..bytes.len().min(MAX_SALVAGE_HEADER)];
        if let Ok((h, _)) = mailparse::parse_header(bytes) {
            let mut names = Vec::new();
            self.names_from_header(&h, &mut names);
            for n in names {
                self.push(n, Source::Salvaged, depth);
            }
        }
    }
}

/// Lines of a buffer as (start, end) without the line end.
struct LineIter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl LineIter<'_> {
    fn next_line(&mut self) -> Option<(usize, usize)> {
        if self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.data[start..];
        let (end, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (start + i, start + i + 1),
            None => (self.data.len(), self.data.len()),
        };
        self.pos = next;
        let end = if end > start && self.data[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Some((start, end))
    }
}

fn starts_with_ci(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The body bytes of a part (after its header block).
fn body_of<'a>(part: &ParsedMail<'a>) -> &'a [u8] {
    let h = part.get_headers().get_raw_bytes().len();
    part.raw_bytes.get(h..).unwrap_or(&[])
}

/// True if `part` ends where `buf` ends (both from the same allocation).
fn ends_together(part: &[u8], buf: &[u8]) -> bool {
    part.as_ptr_range().end == buf.as_ptr_range().end
}

/// The header block ends with its blank line (it was not cut off).
fn headers_terminated(h: &[u8]) -> bool {
    h == b"\n" || h == b"\r\n" || h.ends_with(b"\n\n") || h.ends_with(b"\n\r\n")
}

fn is_message(mime: &str) -> bool {
    matches!(mime, "message/rfc822" | "message/global")
}

fn is_zip(mime: &str, names: &[String]) -> bool {
    matches!(
        mime,
        "application/zip" | "application/x-zip-compressed" | "application/x-zip"
    ) || names
        .iter()
        .any(|n| normalize(n).to_lowercase().ends_with(".zip"))
}

/// `needle` (lower-case ASCII) occurs in `hay`, ignoring ASCII case.
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// First value of a header, matching the name as mail clients do (white space
/// before the colon tolerated), RFC 2047 words decoded.
fn first_header(headers: &[MailHeader<'_>], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.get_key_ref().trim().eq_ignore_ascii_case(name))
        .map(|h| h.get_value())
}

/// Adds the file names of a Content-Type or Content-Disposition header to `out`,
/// under every interpretation a mail client might take. `work_left`: the tokenizer
/// budget; what it cannot pay for is taken without RFC 2047 decoding (then false).
fn names_from_header(h: &MailHeader<'_>, out: &mut Vec<String>, work_left: &mut usize) -> bool {
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

fn percent_decode(s: &str) -> Vec<u8> {
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

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
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

/// Lenient base64 as mail clients decode it: characters outside the alphabet are
/// skipped; the flag says whether there were any besides white space and padding.
/// `=` is skipped wherever it is (it does not end the data), bits that do not
/// make a whole byte are dropped, and so is a lone last symbol.
fn base64_lenient(data: &[u8]) -> (Vec<u8>, bool) {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let mut symbols = Vec::with_capacity(data.len());
    let mut clean = true;
    for &c in data {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => symbols.push(c),
            b'=' | b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => clean = false,
        }
    }
    // Six bits make no byte; the crate calls that an error, mail clients drop them.
    if symbols.len() % 4 == 1 {
        symbols.pop();
    }
    // Only alphabet symbols in a valid length remain, so decoding cannot fail.
    (LENIENT.decode(&symbols).unwrap_or_default(), clean)
}

/// Lenient quoted-printable: `=XX` and soft line breaks; anything else literal.
fn qp_lenient(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'=' {
            if let (Some(&a), Some(&b)) = (data.get(i + 1), data.get(i + 2)) {
                if let (Some(h), Some(l)) = (hex(a), hex(b)) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                if a == b'\r' && b == b'\n' {
                    i += 3;
                    continue;
                }
            }
            if data.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

/// Characters that change how a name displays or compares but not what it is:
/// zero-width, bidi controls (the right-to-left override of `invoice<U+202E>fdp.exe`),
/// soft hyphen, variation selectors, tags and other format characters.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
        || c.is_control()
}

/// The name as a file system would store it: invisible characters removed, the
/// last path component, trailing dots and white space dropped (as Windows does).
pub fn normalize(name: &str) -> String {
    let visible: String = name.chars().filter(|&c| !invisible(c)).collect();
    let base = visible.rsplit(['/', '\\']).next().unwrap_or("");
    base.trim_start()
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned()
}

/// The last extension of a normalised name, lower case, without the dot.
pub fn extension(normalized: &str) -> Option<String> {
    let (_, ext) = normalized.rsplit_once('.')?;
    let ext = ext.trim();
    (!ext.is_empty()).then(|| ext.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(raw: &str) -> Vec<String> {
        scan(raw.as_bytes(), false, &Limits::default())
            .names
            .into_iter()
            .map(|f| f.name)
            .collect()
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize("a.exe. . "), "a.exe");
        assert_eq!(normalize("C:\\x\\a.EXE"), "a.EXE");
        assert_eq!(normalize("in\u{202E}fdp.exe"), "infdp.exe");
        assert_eq!(normalize("a.e\u{200B}xe"), "a.exe");
        assert_eq!(extension("a.pdf.exe").as_deref(), Some("exe"));
        assert_eq!(extension("a.exe.pdf").as_deref(), Some("pdf"));
        assert_eq!(extension("noext"), None);
        assert_eq!(extension(".exe").as_deref(), Some("exe"));
        assert_eq!(extension("a.").as_deref(), None);
    }

    #[test]
    fn params_all_interpretations() {
        let n = names(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
             Content-Disposition: attachment; filename=\"a.exe\"; filename=\"b.pdf\"\r\n\r\nx\r\n--b--\r\n",
        );
        assert!(n.contains(&"a.exe".to_string()), "{n:?}");
        assert!(n.contains(&"b.pdf".to_string()), "{n:?}");
    }

    #[test]
    fn unknown_charset_2231() {
        let n = names(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
             Content-Disposition: attachment; filename*=x-nonsense''evil%2Eexe\r\n\r\nx\r\n--b--\r\n",
        );
        assert_eq!(n, vec!["evil.exe".to_string()]);
        let n = names(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
             Content-Disposition: attachment; filename*0*=x-nonsense''ev; filename*1=il.e;\r\n filename*2*=%78e\r\n\r\nx\r\n--b--\r\n",
        );
        assert_eq!(n, vec!["evil.exe".to_string()]);
    }

    /// The decoder written by hand before the base64 crate was used.
    fn reference_base64(data: &[u8]) -> (Vec<u8>, bool) {
        let (mut out, mut acc, mut bits, mut clean) = (Vec::new(), 0u32, 0, true);
        for &c in data {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' | b' ' | b'\t' | b'\r' | b'\n' => continue,
                _ => {
                    clean = false;
                    continue;
                }
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        (out, clean)
    }

    #[test]
    fn base64_lenient_matches_the_former_decoder() {
        const PIECES: &[&[u8]] = &[
            b"aGVs", b"bG8", b"Z", b"=", b"==", b"\r\n", b" ", b"*", b"/+", b"\xff", b"-", b"\t",
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..5000 {
            let n = next() % 9;
            let input: Vec<u8> = (0..n)
                .flat_map(|_| {
                    PIECES[(next() % PIECES.len() as u64) as usize]
                        .iter()
                        .copied()
                })
                .collect();
            assert_eq!(
                base64_lenient(&input),
                reference_base64(&input),
                "{input:?}"
            );
        }
    }

    #[test]
    fn lenient_decoders() {
        assert_eq!(base64_lenient(b"aGVs\r\nbG8=").0, b"hello");
        assert!(!base64_lenient(b"aGVs*bG8=").1);
        assert_eq!(qp_lenient(b"a=3Db=\r\nc"), b"a=bc");
        assert_eq!(percent_decode("a%2Eb%"), b"a.b%");
    }

    #[test]
    fn names_only_where_a_name_parameter_or_encoded_word_can_be() {
        // The shortcut for values without "name" or "=?" must not hide upper-case or
        // RFC 2231 forms, nor names only an RFC 2047 word reveals.
        let n = names(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
             Content-Type: application/octet-stream; NAME=\"a.exe\"\r\n\r\nx\r\n--b\r\n\
             Content-Disposition: attachment; FileName*=utf-8''b%2Eexe\r\n\r\nx\r\n--b\r\n\
             Content-Disposition: =?utf-8?q?attachment=3B_filename=3Dc=2Eexe?=\r\n\r\nx\r\n--b--\r\n",
        );
        for want in ["a.exe", "b.exe", "c.exe"] {
            assert!(n.contains(&want.to_string()), "{want} not in {n:?}");
        }
        let plain = scan(
            b"Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n",
            false,
            &Limits::default(),
        );
        assert!(plain.names.is_empty() && plain.malformed.is_empty() && plain.limited.is_empty());
    }

    #[test]
    fn raw_rebuild_folds_with_crlf() {
        let raw = build_raw(&[("Subject".into(), "a\n\tb".into())], b"x");
        assert_eq!(raw, b"Subject: a\r\n\tb\r\n\r\nx");
        let raw = build_raw(
            &[
                ("X".into(), "\n a\r\n b\n\n".into()),
                ("Y".into(), "y".into()),
            ],
            b"",
        );
        assert_eq!(raw, b"X: \r\n a\r\n b\r\n\r\n\r\nY: y\r\n\r\n");
    }
}
