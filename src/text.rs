//! Char-boundary-safe helpers for text that comes from the wire.
//!
//! Slicing a `&str` at a byte offset panics when the offset falls inside a multi-byte
//! character, and envelope addresses are 8-bit under SMTPUTF8. Prefix tests and cuts on
//! input-derived strings go through these helpers, which never slice inside a character.

/// `s` without `prefix`, compared ASCII case-insensitively; None when `s` does not start
/// with it. The cut is always on a char boundary: the matched bytes equal an ASCII-only
/// `prefix` up to case, so they are whole characters.
pub fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    debug_assert!(prefix.is_ascii(), "prefix must be ASCII");
    let head = s.as_bytes().get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix.as_bytes()) {
        return None;
    }
    // A non-ASCII prefix could match only part of a character; refuse rather than panic.
    s.get(prefix.len()..)
}

/// The longest head of `s` of at most `max` bytes that ends on a char boundary.
pub fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// At most `max` characters of `s` with every character outside printable ASCII shown as
/// `?`: safe in a reply text, a header field and a log line, whatever the client sent.
pub fn printable(s: &str, max: usize) -> String {
    printable_chars(s.chars(), max).collect()
}

/// [`printable`] as an iterator, for callers that write into a buffer of their own.
pub fn printable_chars(s: impl Iterator<Item = char>, max: usize) -> impl Iterator<Item = char> {
    s.take(max).map(|c| {
        if c == ' ' || c.is_ascii_graphic() {
            c
        } else {
            '?'
        }
    })
}

/// At most `max` characters of `s`, quoted with Rust's escapes (`"a\u{7f}b"`): for log
/// reasons, where the exact bytes matter more than readability.
pub fn quoted(s: &str, max: usize) -> String {
    let cut: String = s.chars().take(max).collect();
    format!("{cut:?}")
}

/// Cuts `s` to at most `max` bytes, at a char boundary (`String::truncate` panics
/// inside a character).
pub fn truncate_string(s: &mut String, max: usize) {
    let keep = truncate_bytes(s, max).len();
    s.truncate(keep);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_case_insensitive_and_boundary_safe() {
        assert_eq!(strip_prefix_ci("SRS0=x", "srs0"), Some("=x"));
        assert_eq!(strip_prefix_ci("srs0ß", "srs0"), Some("ß"));
        assert_eq!(strip_prefix_ci("sr", "srs0"), None);
        assert_eq!(strip_prefix_ci("ßrs0", "srs0"), None);
        assert_eq!(strip_prefix_ci("😀", "ab"), None);
    }

    #[test]
    fn printable_and_quoted() {
        assert_eq!(printable("a\r\nb ü", 10), "a??b ?");
        assert_eq!(printable("abcdef", 3), "abc");
        assert_eq!(quoted("a\nb", 80), "\"a\\nb\"");
        assert_eq!(quoted("abcdef", 2), "\"ab\"");
    }

    #[test]
    fn truncation_never_splits_a_char() {
        assert_eq!(truncate_bytes("abc", 10), "abc");
        assert_eq!(truncate_bytes("aß", 2), "a");
        assert_eq!(truncate_bytes("😀x", 3), "");
        for n in 0..12 {
            let _ = truncate_bytes("é😀ßx", n);
            let mut owned = String::from("é😀ßx");
            truncate_string(&mut owned, n);
            assert!(owned.len() <= n);
        }
    }
}
