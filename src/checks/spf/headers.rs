//! Received-SPF (RFC 7208 §9.1) and Authentication-Results (RFC 8601) header values,
//! and finding incoming Authentication-Results that claim to be ours.
//!
//! Everything that comes from the client (MAIL FROM, HELO) is made safe for a header:
//! printable ASCII only, quoted or replaced where the grammar needs it.

use super::eval::{Evaluation, Identity};
use std::net::IpAddr;

/// Longest client-supplied text put into a header or reply.
const MAX_FIELD: usize = 256;

/// The Received-SPF value for `e`:
/// `pass (mx.example: domain of a@b designates 192.0.2.1 as permitted sender)
/// client-ip=192.0.2.1; envelope-from="a@b"; helo=mail.b; receiver=mx.example;
/// identity=mailfrom`.
pub fn received_spf(
    e: &Evaluation,
    ip: IpAddr,
    sender: &str,
    helo: &str,
    receiver: &str,
) -> String {
    let who = match e.identity {
        Identity::MailFrom => format!("domain of {}", comment_safe(&e.subject)),
        Identity::Helo => format!("domain of {}", comment_safe(&helo_subject(e))),
    };
    let rcv = comment_safe(receiver);
    let comment = match e.result_name() {
        "pass" => format!("{rcv}: {who} designates {ip} as permitted sender"),
        "fail" => format!("{rcv}: {who} does not designate {ip} as permitted sender"),
        "softfail" => {
            format!("{rcv}: {who} does not designate {ip} as permitted sender (transitioning)")
        }
        "neutral" => format!("{rcv}: {ip} is neither permitted nor denied by {who}"),
        "temperror" => format!(
            "{rcv}: temporary error evaluating {who}: {}",
            comment_safe(&e.problem().unwrap_or_else(|| "DNS error".into()))
        ),
        "permerror" => format!(
            "{rcv}: permanent error in the SPF record of {who}: {}",
            comment_safe(&e.problem().unwrap_or_else(|| "invalid record".into()))
        ),
        _ => format!("{rcv}: {who} does not designate permitted sender hosts"),
    };
    let mut v = format!(
        "{} ({comment}) client-ip={}; envelope-from={}; helo={};",
        e.result_name(),
        kv_value(&ip.to_string()),
        kv_value(sender),
        kv_value(helo),
    );
    if let Some(m) = e.mechanism() {
        v.push_str(&format!(" mechanism={};", kv_value(&m)));
    }
    if let Some(p) = e.problem() {
        v.push_str(&format!(" problem={};", kv_value(&p)));
    }
    v.push_str(&format!(
        " receiver={}; identity={}",
        kv_value(receiver),
        e.identity.as_str()
    ));
    v
}

/// `postmaster@HELO` for the HELO identity, as RFC 7208 §2.3 defines it.
fn helo_subject(e: &Evaluation) -> String {
    if e.subject.is_empty() {
        "unknown".into()
    } else {
        format!("postmaster@{}", e.subject)
    }
}

/// The Authentication-Results value: `mx.example; spf=pass smtp.mailfrom=a@b;
/// spf=none smtp.helo=mail.b` (one resinfo per identity evaluated).
pub fn authentication_results(authserv_id: &str, evals: &[&Evaluation]) -> String {
    let mut v = authserv_id.to_owned();
    if evals.is_empty() {
        v.push_str("; none");
    }
    for e in evals {
        let (prop, value) = match e.identity {
            Identity::MailFrom => ("smtp.mailfrom", mailfrom_pvalue(e)),
            Identity::Helo => ("smtp.helo", ar_value(&e.subject)),
        };
        v.push_str(&format!("; spf={}", e.result_name()));
        if let Some(p) = e.problem() {
            v.push_str(&format!(" ({})", comment_safe(&p)));
        }
        v.push_str(&format!(" {prop}={value}"));
    }
    v
}

/// The MAIL FROM as an RFC 8601 pvalue: the address when it is a plain
/// `dot-atom@domain`, else only the domain (which is what SPF vouches for).
fn mailfrom_pvalue(e: &Evaluation) -> String {
    if let Some((local, domain)) = e.subject.rsplit_once('@') {
        if is_dot_atom(local) && is_dot_atom(domain) && e.subject.len() <= MAX_FIELD {
            return e.subject.clone();
        }
    }
    ar_value(&e.domain)
}

/// `dot-atom` (RFC 5322) when possible, else a quoted-string: Received-SPF's
/// key-value-pair grammar (IPv6 addresses and empty values must be quoted).
pub fn kv_value(s: &str) -> String {
    if is_dot_atom(s) && s.len() <= MAX_FIELD {
        s.to_owned()
    } else {
        quoted(s)
    }
}

/// RFC 2045 token when possible, else a quoted-string (RFC 8601 `value`).
pub fn ar_value(s: &str) -> String {
    if !s.is_empty() && s.len() <= MAX_FIELD && s.chars().all(is_token_char) {
        s.to_owned()
    } else {
        quoted(s)
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in printable(s).chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Text for inside a header comment: no parentheses or backslashes, which would
/// unbalance or escape it.
pub fn comment_safe(s: &str) -> String {
    printable(s)
        .chars()
        .map(|c| {
            if matches!(c, '(' | ')' | '\\') {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// Printable ASCII and spaces only, at most [`MAX_FIELD`] characters; anything else
/// becomes `?`, so a client cannot inject line breaks or control characters.
pub fn printable(s: &str) -> String {
    s.chars()
        .take(MAX_FIELD)
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|a| !a.is_empty() && a.chars().all(is_atext))
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
    use viaspf::SpfResult;

    fn ev(identity: Identity, subject: &str, domain: &str, result: SpfResult) -> Evaluation {
        Evaluation {
            identity,
            subject: subject.into(),
            domain: domain.into(),
            result,
            cause: None,
        }
    }

    #[test]
    fn received_spf_values() {
        let e = ev(
            Identity::MailFrom,
            "a@example.test",
            "example.test",
            SpfResult::Pass,
        );
        let v = received_spf(
            &e,
            "192.0.2.10".parse().unwrap(),
            "a@example.test",
            "mail.example.test",
            "mx.test",
        );
        assert_eq!(
            v,
            "pass (mx.test: domain of a@example.test designates 192.0.2.10 as permitted sender) \
             client-ip=192.0.2.10; envelope-from=\"a@example.test\"; helo=mail.example.test; \
             receiver=mx.test; identity=mailfrom"
        );
        let e = ev(
            Identity::MailFrom,
            "x(y)\r\n@evil.test",
            "evil.test",
            SpfResult::Softfail,
        );
        let v = received_spf(
            &e,
            "2001:db8::1".parse().unwrap(),
            "x(y)\r\n@evil.test",
            "[192.0.2.1]",
            "mx.test",
        );
        assert!(v.starts_with("softfail ("), "{v}");
        assert!(v.contains("client-ip=\"2001:db8::1\";"), "{v}");
        assert!(v.contains("envelope-from=\"x(y)??@evil.test\";"), "{v}");
        assert!(v.contains("helo=\"[192.0.2.1]\";"), "{v}");
        assert!(v.contains("domain of x?y???@evil.test"), "{v}");
        assert!(!v.contains('\r') && !v.contains('\n'));
    }

    #[test]
    fn authentication_results_values() {
        let m = ev(
            Identity::MailFrom,
            "a@example.test",
            "example.test",
            SpfResult::Pass,
        );
        let h = ev(
            Identity::Helo,
            "mail.example.test",
            "mail.example.test",
            SpfResult::None,
        );
        assert_eq!(
            authentication_results("mx.test", &[&m, &h]),
            "mx.test; spf=pass smtp.mailfrom=a@example.test; spf=none smtp.helo=mail.example.test"
        );
        let odd = ev(
            Identity::MailFrom,
            "\"j d\"@example.test",
            "example.test",
            SpfResult::Pass,
        );
        assert_eq!(
            authentication_results("mx.test", &[&odd]),
            "mx.test; spf=pass smtp.mailfrom=example.test"
        );
        let lit = ev(Identity::Helo, "[192.0.2.1]", "", SpfResult::None);
        assert!(authentication_results("mx.test", &[&lit]).ends_with("smtp.helo=\"[192.0.2.1]\""));
    }

    #[test]
    fn authserv_ids() {
        assert_eq!(
            authserv_id_of(" mx.test; spf=pass").as_deref(),
            Some("mx.test")
        );
        assert_eq!(
            authserv_id_of("mx.test 1; none").as_deref(),
            Some("mx.test")
        );
        assert_eq!(
            authserv_id_of(" (c (nested)) \"mx.test\"; spf=pass").as_deref(),
            Some("mx.test")
        );
        assert_eq!(authserv_id_of("(only a comment)"), None);
        assert_eq!(authserv_id_of(""), None);
    }

    #[test]
    fn forged_headers_highest_first() {
        let h = |n: &str, v: &str| (n.to_string(), v.to_string());
        let headers = vec![
            h("Authentication-Results", "mx.test; spf=pass"),
            h("Subject", "x"),
            h("authentication-results", "other.example; spf=fail"),
            h("Authentication-Results", "MX.TEST; dkim=pass"),
        ];
        assert_eq!(
            forged_authentication_results(&headers, "mx.test"),
            vec![
                ("Authentication-Results".to_string(), 3),
                ("Authentication-Results".to_string(), 1)
            ]
        );
        assert!(forged_authentication_results(&headers, "mx.example").is_empty());
    }
}
