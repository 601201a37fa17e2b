//! The scan itself: walks the structure mailparse reads, descends into multiparts,
//! message/rfc822 bodies and zip archives, and falls back to reading header lines on
//! their own ("salvage") wherever the structure cannot be trusted.

use mailparse::{MailHeader, ParsedMail};
use std::borrow::Cow;

use super::decode::{base64_lenient, qp_lenient};
use super::lines::{starts_with_ci, tokenizer_work, LineIter, MAX_TOKENIZER_WORK};
use super::names::names_from_header;
use super::{normalize, zip, Found, Limits, Scan, Source};

/// Most names kept per message; a message with more is pathological.
const MAX_NAMES: usize = 10_000;
/// Longest header gathered by the salvage scan (longer ones are cut there).
const MAX_SALVAGE_HEADER: usize = 16 * 1024;
/// Problems kept per message (the first ones say enough).
const MAX_PROBLEMS: usize = 20;
/// Why a buffer or header was not handed to mailparse's RFC 2047 tokenizer.
const TOO_LONG: &str = "MIME header lines too long to decode safely";

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
            self.malformed(TOO_LONG.into());
            return false;
        }
        self.work_left -= w;
        true
    }

    fn names_from_header(&mut self, h: &MailHeader<'_>, out: &mut Vec<String>) {
        if !names_from_header(h, out, &mut self.work_left) {
            self.malformed(TOO_LONG.into());
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

    fn unlisted(&mut self, why: String) {
        if self.out.unlisted.len() < MAX_PROBLEMS && !self.out.unlisted.contains(&why) {
            self.out.unlisted.push(why);
        }
    }

    fn push(&mut self, name: String, source: Source, depth: usize) {
        if name.trim().is_empty() {
            return;
        }
        if self.out.names.len() >= MAX_NAMES {
            self.unlisted(format!("more than {MAX_NAMES} attachment names"));
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
            if self.too_deep(part, depth, at_end) {
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
            if self.too_deep(part, depth, at_end) {
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
                        self.unlisted(format!(
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

    /// Descending below `part` would pass [`Limits::max_depth`]: flagged, and its body
    /// salvaged instead.
    fn too_deep(&mut self, part: &ParsedMail<'_>, depth: usize, at_end: bool) -> bool {
        let deep = depth + 1 > self.limits.max_depth;
        if deep {
            self.malformed(format!(
                "MIME nesting deeper than {}",
                self.limits.max_depth
            ));
            self.salvage(body_of(part), depth + 1, at_end);
        }
        deep
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

/// First value of a header, matching the name as mail clients do (white space
/// before the colon tolerated), RFC 2047 words decoded.
fn first_header(headers: &[MailHeader<'_>], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.get_key_ref().trim().eq_ignore_ascii_case(name))
        .map(|h| h.get_value())
}
