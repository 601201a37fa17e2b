//! Our Authentication-Results header (RFC 8601): the authserv-id, the value syntax every
//! check's resinfo uses, the one header the parts of all checks are merged into, and
//! finding incoming headers that claim to be ours.
//!
//! Everything that comes from the client is made safe for a header: printable ASCII
//! only, quoted or replaced where the grammar needs it.

use crate::session::Session;
use crate::verdict::HeaderEdit;
use serde::{Deserialize, Serialize};

/// Longest client-supplied text put into a header or reply.
pub const MAX_FIELD: usize = 256;

/// The authserv-id of our Authentication-Results: an RFC 2045 token (a host name).
#[derive(Clone, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(try_from = "String", into = "String")]
pub struct AuthservId(pub String);

impl TryFrom<String> for AuthservId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.is_empty() || s.len() > 255 || !s.chars().all(is_token_char) {
            return Err(format!(
                "{s:?} is not a valid authserv-id: use a host name such as \"mx.example.com\""
            ));
        }
        Ok(AuthservId(s))
    }
}

impl From<AuthservId> for String {
    fn from(a: AuthservId) -> String {
        a.0
    }
}

/// The machine's host name, when it is a valid authserv-id.
pub fn system_host_name() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty() && s.chars().all(is_token_char))
}

/// Our authserv-id for a session: the configured one, else Postfix's `{j}` (its
/// `myhostname`), else `host_name`, else `mxgate`. Every check that writes a resinfo
/// uses this, so their parts merge into one header.
pub fn authserv_id(
    configured: Option<&AuthservId>,
    session: &Session,
    host_name: Option<&str>,
) -> String {
    if let Some(a) = configured {
        return a.0.clone();
    }
    session
        .macros
        .get("j")
        .map(|j| j.trim())
        .filter(|j| !j.is_empty() && j.chars().all(is_token_char))
        .or(host_name)
        .unwrap_or("mxgate")
        .to_owned()
}

/// Merges the [`HeaderEdit::AuthResult`] parts into one `Authentication-Results` header
/// per authserv-id, placed where its first part was, and drops repeated deletions (two
/// checks may both remove the same forged header).
pub fn merge(edits: Vec<HeaderEdit>) -> Vec<HeaderEdit> {
    let mut out: Vec<HeaderEdit> = Vec::with_capacity(edits.len());
    // (authserv-id, index in `out` of its header)
    let mut headers: Vec<(String, usize)> = Vec::new();
    for edit in edits {
        match edit {
            HeaderEdit::AuthResult {
                authserv_id,
                resinfo,
            } => {
                let resinfo = resinfo.trim();
                match headers
                    .iter()
                    .find(|(id, _)| id.eq_ignore_ascii_case(&authserv_id))
                {
                    Some(&(_, at)) => {
                        if let HeaderEdit::Add(_, value) = &mut out[at] {
                            if value.ends_with("; none") {
                                value.truncate(value.len() - "; none".len());
                            }
                            if !resinfo.is_empty() && resinfo != "none" {
                                value.push_str("; ");
                                value.push_str(resinfo);
                            } else if !value.contains(';') {
                                value.push_str("; none");
                            }
                        }
                    }
                    None => {
                        let value = if resinfo.is_empty() {
                            format!("{authserv_id}; none")
                        } else {
                            format!("{authserv_id}; {resinfo}")
                        };
                        headers.push((authserv_id, out.len()));
                        out.push(HeaderEdit::Add("Authentication-Results".into(), value));
                    }
                }
            }
            HeaderEdit::Delete(name, index) => {
                let seen = out.iter().any(|e| {
                    matches!(e, HeaderEdit::Delete(n, i) if *i == index && n.eq_ignore_ascii_case(&name))
                });
                if !seen {
                    out.push(HeaderEdit::Delete(name, index));
                }
            }
            add @ HeaderEdit::Add(..) => out.push(add),
        }
    }
    out
}

/// RFC 2045 token when possible, else a quoted-string (RFC 8601 `value`).
pub fn ar_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_ar_value(&mut out, s);
    out
}

pub(crate) fn push_ar_value(out: &mut String, s: &str) {
    if !s.is_empty() && s.len() <= MAX_FIELD && s.chars().all(is_token_char) {
        out.push_str(s);
    } else {
        push_quoted(out, s);
    }
}

pub(crate) fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in crate::text::printable_chars(s.chars(), MAX_FIELD) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Text for inside a header comment: no parentheses or backslashes, which would
/// unbalance or escape it.
pub fn comment_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_FIELD));
    push_comment_safe(&mut out, s.chars());
    out
}

pub(crate) fn push_comment_safe(out: &mut String, s: impl Iterator<Item = char>) {
    out.extend(crate::text::printable_chars(s, MAX_FIELD).map(|c| {
        if matches!(c, '(' | ')' | '\\') {
            '?'
        } else {
            c
        }
    }));
}

/// RFC 2045 token characters: printable ASCII except space and tspecials.
pub fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c)
}

/// The authserv-id of an Authentication-Results value: the first `value` after
/// optional comments and white space (RFC 8601 §2.2), unquoted.
pub fn authserv_id_of(value: &str) -> Option<String> {
    let rest = skip_cfws(value);
    if let Some(q) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = q.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => out.push(chars.next()?),
                c => out.push(c),
            }
        }
        return None;
    }
    let id: String = rest.chars().take_while(|c| is_token_char(*c)).collect();
    (!id.is_empty()).then_some(id)
}

/// Skips white space and (nested) comments.
fn skip_cfws(s: &str) -> &str {
    let mut rest = s.trim_start();
    while rest.starts_with('(') {
        let mut depth = 0usize;
        let mut end = rest.len();
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = rest[end..].trim_start();
    }
    rest
}

/// Deletions of the incoming Authentication-Results that claim our authserv-id `ours`
/// (RFC 8601 §5: a reader must be able to trust the ones with our name), one log line
/// each naming `check`. Several checks may ask; the merge keeps one deletion each.
pub fn remove_forged(session: &Session, ours: &str, check: &'static str) -> Vec<HeaderEdit> {
    forged_authentication_results(&session.tx.headers, ours)
        .into_iter()
        .map(|(name, index)| {
            tracing::info!(
                session = %session.id, queue_id = session.queue_id(), check, index,
                authserv_id = %ours, "removing forged Authentication-Results"
            );
            HeaderEdit::Delete(name, index)
        })
        .collect()
}

/// The Authentication-Results headers that claim our authserv-id, as (name,
/// 1-based index among the headers of that name), highest index first so that
/// deleting one never shifts the index of the next.
pub fn forged_authentication_results(
    headers: &[(String, String)],
    ours: &str,
) -> Vec<(String, u32)> {
    let mut found = Vec::new();
    let mut index = 0u32;
    for (name, value) in headers {
        if !name.trim().eq_ignore_ascii_case("Authentication-Results") {
            continue;
        }
        index += 1;
        if authserv_id_of(value).is_some_and(|id| id.eq_ignore_ascii_case(ours)) {
            found.push(("Authentication-Results".to_owned(), index));
        }
    }
    found.reverse();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: &str, r: &str) -> HeaderEdit {
        HeaderEdit::AuthResult {
            authserv_id: id.into(),
            resinfo: r.into(),
        }
    }

    #[test]
    fn parts_merge_into_one_header_per_authserv_id() {
        let edits = vec![
            HeaderEdit::Add("Received-SPF".into(), "pass".into()),
            part("mx.test", "spf=pass smtp.mailfrom=a@b.test"),
            HeaderEdit::Delete("Authentication-Results".into(), 1),
            part("MX.test", "dkim=pass header.d=b.test"),
            HeaderEdit::Delete("Authentication-Results".into(), 1),
            part("mx.test", "dmarc=pass header.from=b.test"),
        ];
        assert_eq!(
            merge(edits),
            vec![
                HeaderEdit::Add("Received-SPF".into(), "pass".into()),
                HeaderEdit::Add(
                    "Authentication-Results".into(),
                    "mx.test; spf=pass smtp.mailfrom=a@b.test; dkim=pass header.d=b.test; \
                     dmarc=pass header.from=b.test"
                        .into()
                ),
                HeaderEdit::Delete("Authentication-Results".into(), 1),
            ]
        );
    }

    #[test]
    fn none_only_when_no_check_had_a_result() {
        assert_eq!(
            merge(vec![part("mx.test", ""), part("mx.test", "none")]),
            vec![HeaderEdit::Add(
                "Authentication-Results".into(),
                "mx.test; none".into()
            )]
        );
        assert_eq!(
            merge(vec![part("mx.test", ""), part("mx.test", "dkim=none")]),
            vec![HeaderEdit::Add(
                "Authentication-Results".into(),
                "mx.test; dkim=none".into()
            )]
        );
    }
}
