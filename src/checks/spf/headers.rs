//! Received-SPF (RFC 7208 §9.1) and Authentication-Results (RFC 8601) header values,
//! and finding incoming Authentication-Results that claim to be ours.
//!
//! Everything that comes from the client (MAIL FROM, HELO) is made safe for a header:
//! printable ASCII only, quoted or replaced where the grammar needs it.

use super::eval::{Evaluation, Identity};
use crate::address::Address;
use crate::auth_results::{push_ar_value, push_comment_safe, push_quoted, MAX_FIELD};
pub use crate::auth_results::{ar_value, comment_safe, forged_authentication_results};
use std::fmt::Write as _;
use std::net::IpAddr;

/// The Received-SPF value for `e`:
/// `pass (mx.example: domain of a@b designates 192.0.2.1 as permitted sender)
/// client-ip=192.0.2.1; envelope-from="a@b"; helo=mail.b; receiver=mx.example;
/// identity=mailfrom`.
///
/// Built in one buffer: this runs for every message, and the pieces used to be
/// separate `format!` strings (a measurable share of the check's cost).
pub fn received_spf(
    e: &Evaluation,
    ip: IpAddr,
    sender: &str,
    helo: &str,
    receiver: &str,
) -> String {
    let name = e.result_name();
    let problem = e.problem();
    let mut v = String::with_capacity(
        200 + 2 * (receiver.len() + sender.len()) + helo.len() + e.subject.len(),
    );
    v.push_str(name);
    v.push_str(" (");
    push_comment_safe(&mut v, receiver.chars());
    v.push_str(": ");
    let who = |v: &mut String| {
        v.push_str("domain of ");
        match e.identity {
            Identity::MailFrom => push_comment_safe(v, e.subject.chars()),
            // `postmaster@HELO` for the HELO identity, as RFC 7208 §2.3 defines it
            // (limited as one field, like the address it stands for).
            Identity::Helo if e.subject.is_empty() => push_comment_safe(v, "unknown".chars()),
            Identity::Helo => push_comment_safe(v, "postmaster@".chars().chain(e.subject.chars())),
        }
    };
    // Writing to a String cannot fail.
    match name {
        "pass" => {
            who(&mut v);
            let _ = write!(v, " designates {ip} as permitted sender");
        }
        "fail" | "softfail" => {
            who(&mut v);
            let _ = write!(v, " does not designate {ip} as permitted sender");
            if name == "softfail" {
                v.push_str(" (transitioning)");
            }
        }
        "neutral" => {
            let _ = write!(v, "{ip} is neither permitted nor denied by ");
            who(&mut v);
        }
        "temperror" => {
            v.push_str("temporary error evaluating ");
            who(&mut v);
            v.push_str(": ");
            push_comment_safe(&mut v, problem.as_deref().unwrap_or("DNS error").chars());
        }
        "permerror" => {
            v.push_str("permanent error in the SPF record of ");
            who(&mut v);
            v.push_str(": ");
            push_comment_safe(
                &mut v,
                problem.as_deref().unwrap_or("invalid record").chars(),
            );
        }
        _ => {
            who(&mut v);
            v.push_str(" does not designate permitted sender hosts");
        }
    }
    // An IPv6 address has colons, so it is never a dot-atom: always quoted.
    let _ = match ip {
        IpAddr::V4(_) => write!(v, ") client-ip={ip}; envelope-from="),
        IpAddr::V6(_) => write!(v, ") client-ip=\"{ip}\"; envelope-from="),
    };
    push_kv_value(&mut v, sender);
    v.push_str("; helo=");
    push_kv_value(&mut v, helo);
    v.push(';');
    if let Some(m) = e.mechanism() {
        v.push_str(" mechanism=");
        push_kv_value(&mut v, &m);
        v.push(';');
    }
    if let Some(p) = &problem {
        v.push_str(" problem=");
        push_kv_value(&mut v, p);
        v.push(';');
    }
    v.push_str(" receiver=");
    push_kv_value(&mut v, receiver);
    v.push_str("; identity=");
    v.push_str(e.identity.as_str());
    v
}

/// The Authentication-Results value: `mx.example; spf=pass smtp.mailfrom=a@b;
/// spf=none smtp.helo=mail.b` (one resinfo per identity evaluated).
pub fn authentication_results(authserv_id: &str, evals: &[&Evaluation]) -> String {
    if evals.is_empty() {
        return format!("{authserv_id}; none");
    }
    format!("{authserv_id}; {}", resinfo(evals))
}

/// The resinfo part (`spf=pass smtp.mailfrom=a@b; spf=none smtp.helo=mail.b`), merged
/// with other checks' into one header at end of message; empty without evaluations.
pub fn resinfo(evals: &[&Evaluation]) -> String {
    let mut v = String::with_capacity(64 * evals.len().max(1));
    for e in evals {
        if !v.is_empty() {
            v.push_str("; ");
        }
        v.push_str("spf=");
        v.push_str(e.result_name());
        if let Some(p) = e.problem() {
            v.push_str(" (");
            push_comment_safe(&mut v, p.chars());
            v.push(')');
        }
        match e.identity {
            Identity::MailFrom => {
                v.push_str(" smtp.mailfrom=");
                push_mailfrom_pvalue(&mut v, e);
            }
            Identity::Helo => {
                v.push_str(" smtp.helo=");
                push_ar_value(&mut v, &e.subject);
            }
        }
    }
    v
}

/// The MAIL FROM as an RFC 8601 pvalue: the address when it is a plain
/// `dot-atom@domain`, else only the domain (which is what SPF vouches for).
fn push_mailfrom_pvalue(out: &mut String, e: &Evaluation) {
    if let (local, Some(domain)) = Address::split(&e.subject) {
        if is_dot_atom(local) && is_dot_atom(domain) && e.subject.len() <= MAX_FIELD {
            out.push_str(&e.subject);
            return;
        }
    }
    push_ar_value(out, &e.domain);
}

/// `dot-atom` (RFC 5322) when possible, else a quoted-string: Received-SPF's
/// key-value-pair grammar (IPv6 addresses and empty values must be quoted).
pub fn kv_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_kv_value(&mut out, s);
    out
}

fn push_kv_value(out: &mut String, s: &str) {
    if is_dot_atom(s) && s.len() <= MAX_FIELD {
        out.push_str(s);
    } else {
        push_quoted(out, s);
    }
}

/// Printable ASCII and spaces only, at most [`MAX_FIELD`] characters; anything else
/// becomes `?`, so a client cannot inject line breaks or control characters.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|a| !a.is_empty() && a.chars().all(is_atext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth_results::authserv_id_of;
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

    /// The header text as it was built before it went into one buffer (format! per
    /// piece): the new builders must give the same bytes.
    mod reference {
        use super::super::{is_dot_atom, MAX_FIELD};
        use crate::auth_results::is_token_char;
        use crate::checks::spf::eval::{Evaluation, Identity};
        use std::net::IpAddr;

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
                    format!(
                        "{rcv}: {who} does not designate {ip} as permitted sender (transitioning)"
                    )
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
        pub fn helo_subject(e: &Evaluation) -> String {
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
        pub fn mailfrom_pvalue(e: &Evaluation) -> String {
            // The reference splits by itself, so a bug in Address::split shows up here.
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

        pub fn quoted(s: &str) -> String {
            let mut out = String::with_capacity(s.len() + 2);
            out.push('"');
            for c in crate::text::printable(s, MAX_FIELD).chars() {
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
            crate::text::printable(s, MAX_FIELD)
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
    }

    #[test]
    fn builders_give_the_same_bytes_as_before() {
        use viaspf::record::SpfRecord;
        use viaspf::{ErrorCause, ExplanationString, SpfResultCause};
        let record: SpfRecord =
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:mx.example.test mx -all"
                .parse()
                .unwrap();
        let mut causes: Vec<Option<SpfResultCause>> = vec![None];
        causes.extend(
            record
                .directives()
                .map(|d| Some(SpfResultCause::Match(d.mechanism.clone()))),
        );
        for e in [
            ErrorCause::Timeout,
            ErrorCause::Dns,
            ErrorCause::NoSpfRecord,
            ErrorCause::InvalidSpfRecordSyntax,
        ] {
            causes.push(Some(SpfResultCause::Error(e)));
        }
        let results = [
            SpfResult::None,
            SpfResult::Neutral,
            SpfResult::Pass,
            SpfResult::Fail(ExplanationString::Default),
            SpfResult::Fail(ExplanationString::External("no (really)".into())),
            SpfResult::Softfail,
            SpfResult::Temperror,
            SpfResult::Permerror,
        ];
        let long = format!("{}@example.test", "x".repeat(300));
        let long_helo = format!("{}.test", "h".repeat(300));
        let subjects = [
            ("a@example.test", "example.test"),
            ("", ""),
            ("\"j d\"@example.test", "example.test"),
            ("x(y)\r\n@evil.test", "evil.test"),
            ("caf\u{e9}\\\"@ex.test", "ex.test"),
            (long.as_str(), "example.test"),
            ("mail.example.test", "mail.example.test"),
            ("[192.0.2.1]", ""),
            (long_helo.as_str(), long_helo.as_str()),
        ];
        let ips: [IpAddr; 3] = [
            "192.0.2.10".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
            "::ffff:192.0.2.1".parse().unwrap(),
        ];
        let mut n = 0;
        for identity in [Identity::MailFrom, Identity::Helo] {
            for result in &results {
                for cause in &causes {
                    for (subject, domain) in subjects {
                        let e = Evaluation {
                            identity,
                            subject: subject.into(),
                            domain: domain.into(),
                            result: result.clone(),
                            cause: cause.clone(),
                        };
                        for ip in ips {
                            for (helo, receiver) in [
                                ("mail.example.test", "mx.test"),
                                ("", "mx (x)"),
                                (subject, "r\u{e9}"),
                            ] {
                                assert_eq!(
                                    received_spf(&e, ip, subject, helo, receiver),
                                    reference::received_spf(&e, ip, subject, helo, receiver),
                                    "{e:?} {ip} {helo:?} {receiver:?}"
                                );
                                n += 1;
                            }
                        }
                        let h = Evaluation {
                            identity: Identity::Helo,
                            ..e.clone()
                        };
                        for evals in [&[][..], &[&e][..], &[&e, &h][..]] {
                            assert_eq!(
                                authentication_results("mx.test", evals),
                                reference::authentication_results("mx.test", evals),
                                "{evals:?}"
                            );
                        }
                    }
                }
            }
        }
        assert!(n > 1000, "{n} cases");
        for s in subjects.iter().map(|s| s.0).chain(["", "a b", "a\"b"]) {
            assert_eq!(kv_value(s), reference::kv_value(s));
            assert_eq!(ar_value(s), reference::ar_value(s));
            assert_eq!(comment_safe(s), reference::comment_safe(s));
            assert_eq!(crate::text::printable(s, MAX_FIELD), reference::printable(s));
        }
    }
}
