//! Line splitting and case-insensitive matching on raw bytes, and the estimate of
//! mailparse's RFC 2047 tokenizer work that decides what is safe to hand to it.

/// mailparse's RFC 2047 tokenizer counts characters from the start of the line at
/// every `=?` (`chars().nth`), so its work grows with the square of a line's length
/// (measured: a 400 KB Content-Type line of `=?` took 47 s). The work it would do on
/// a message's MIME header lines is estimated before it sees them; beyond this
/// (about 40 ms of it) a buffer is not handed to it and counts as malformed.
pub(super) const MAX_TOKENIZER_WORK: usize = 50_000_000;

/// Estimated tokenizer work on the MIME header lines of `data` (lines of
/// Content-Type, Content-Disposition, Content-Transfer-Encoding and their folds).
pub(super) fn tokenizer_work(data: &[u8]) -> usize {
    let mut lines = LineIter { data, pos: 0 };
    let mut in_mime = false;
    let mut work = 0usize;
    while let Some((s, e)) = lines.next_line() {
        let line = &data[s..e];
        if !line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            in_mime = is_mime_line(line);
        }
        if in_mime {
            work = work.saturating_add(line_work(line));
        }
    }
    work
}

/// The line (or header name) starts with `Content-Type`, `Content-Disposition` or
/// `Content-Transfer-Encoding`, any case: the lines the tokenizer budget counts.
pub(super) fn is_mime_line(line: &[u8]) -> bool {
    starts_with_ci(line, b"content-type")
        || starts_with_ci(line, b"content-disposition")
        || starts_with_ci(line, b"content-transfer-encoding")
}

/// Tokenizer work on one line: `=?` markers times its length.
pub(super) fn line_work(line: &[u8]) -> usize {
    let markers = line.windows(2).filter(|w| w == b"=?").count();
    markers.saturating_mul(line.len())
}
/// Lines of a buffer as (start, end) without the line end.
pub(super) struct LineIter<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
}

impl LineIter<'_> {
    pub(super) fn next_line(&mut self) -> Option<(usize, usize)> {
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

pub(super) fn starts_with_ci(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}
/// `needle` (lower-case ASCII) occurs in `hay`, ignoring ASCII case.
pub(super) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}
