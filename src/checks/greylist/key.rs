//! Triplet key normalisation: the client part follows the sender's infrastructure (SPF
//! domain, organisational domain of the verified name) before falling back to the masked
//! address, and the sender loses the per-message tags big senders put in it.

use crate::address::Address;
use crate::org_domain::OrgDomains;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A source of the client part of the key, tried in the configured order.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum KeySource {
    /// The domain SPF passed for (needs `[checks.spf]` before this check).
    Spf,
    /// The organisational domain of the forward-confirmed client name (from
    /// `[checks.rdns]`, else Postfix's own verified `{client_name}`).
    Name,
    /// The client address masked to `ipv4_prefix` / `ipv6_prefix`.
    Address,
}

/// The client address masked to a prefix, as `ADDR/LEN` (IPv4-mapped IPv6 as IPv4).
pub fn masked(ip: IpAddr, v4: u8, v6: u8) -> String {
    let ip = match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let len = v4.min(32);
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            format!("{}/{len}", std::net::Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let len = v6.min(128);
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            format!("{}/{len}", std::net::Ipv6Addr::from(bits & m))
        }
    }
}

/// The organisational domain of a verified client name under the Public Suffix List
/// (the same as DMARC's, [`OrgDomains`]): one key for every host of a sender's
/// infrastructure (`mail-wr1-f54.google.com` and `mail-ej1-f41.google.com`), but one per
/// customer of a shared-hosting suffix the list names. A name that is not a domain name
/// is kept as it came, lower case, so it still keys only itself.
pub fn org_domain(orgs: &OrgDomains, name: &str) -> String {
    orgs.org_domain(name)
        .unwrap_or_else(|| name.trim_end_matches('.').to_ascii_lowercase())
}

/// Normalises an envelope sender: lower-case; BATV (`prvs=TAG=local`, `msprvs1=…`,
/// `btv1==…==local`) and SRS (`SRS0=HASH=TT=domain=local@fwd` → `local@domain`, SRS1
/// likewise) undone; `+ext` (any of `delimiters`) and VERP recipient tags
/// (`bounce-rcpt=example.org`) cut; runs of digits and long hex tokens folded to `#`.
/// The null sender is `<>`.
pub fn normalize_sender(addr: &str, delimiters: &str) -> String {
    let addr = addr.trim().to_ascii_lowercase();
    if addr.is_empty() || addr == "<>" {
        return "<>".into();
    }
    let (local, domain) = Address::split(&addr);
    let (mut local, mut domain) = (local.to_owned(), domain.unwrap_or("").to_owned());
    // BATV: the tag changes with every message.
    for prefix in ["prvs=", "msprvs1=", "msprvs="] {
        if let Some(rest) = local.strip_prefix(prefix) {
            if let Some((_, l)) = rest.split_once('=') {
                local = l.to_owned();
            }
            break;
        }
    }
    if let Some(rest) = local.strip_prefix("btv1==") {
        if let Some((_, l)) = rest.split_once("==") {
            local = l.to_owned();
        }
    }
    // SRS: the hash and timestamp change; the original sender does not.
    if let Some((orig_local, orig_domain)) = srs_original(&local) {
        local = orig_local;
        domain = orig_domain;
    }
    if !delimiters.is_empty() {
        if let Some(i) = local.find(|c: char| delimiters.contains(c)) {
            if i > 0 {
                local.truncate(i);
            }
        }
    }
    // VERP: `list-bounces-rcpt=example.org` carries the recipient after the last '-'.
    if let Some(eq) = local.rfind('=') {
        if local[eq + 1..].contains('.') {
            let cut = local[..eq].rfind(['-', '+', '.']).unwrap_or(0);
            local.truncate(cut);
        }
    }
    let local = fold_tokens(&local);
    if domain.is_empty() {
        local
    } else {
        format!("{local}@{domain}")
    }
}

/// `SRS0=HHH=TT=domain=local` / `SRS1=HHH=fwd==HHH=TT=domain=local` → (local, domain).
fn srs_original(local: &str) -> Option<(String, String)> {
    // Matched on bytes: the separator after `SRS0` must be ASCII, so the slice after
    // it is on a char boundary whatever the sender wrote (`srs0ß…` is not SRS).
    let tail = if let Some(rest) = crate::text::strip_prefix_ci(local, "srs0") {
        rest.strip_prefix(['=', '+', '-'])?
    } else if crate::text::strip_prefix_ci(local, "srs1").is_some() {
        // SRS1 wraps an SRS0 address of the first forwarder after "==".
        local.split_once("==")?.1
    } else {
        return None;
    };
    let mut parts = tail.splitn(4, '=');
    let (_hash, _ts, domain, orig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (!domain.is_empty() && !orig.is_empty()).then(|| (orig.to_owned(), domain.to_owned()))
}

/// Digit runs, and hex tokens of 8 or more characters with a digit, become `#`.
fn fold_tokens(local: &str) -> String {
    let mut out = String::with_capacity(local.len());
    let bytes = local.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i > start {
            let tok = &local[start..i];
            let hexlike = tok.len() >= 8
                && tok.bytes().all(|b| b.is_ascii_hexdigit())
                && tok.bytes().any(|b| b.is_ascii_digit());
            if hexlike {
                out.push('#');
            } else {
                fold_digits(tok, &mut out);
            }
        }
        if i < bytes.len() {
            // A non-alphanumeric byte (or the start of a multi-byte character): copy the char.
            let ch_len = local[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&local[i..i + ch_len]);
            i += ch_len;
        }
    }
    out
}

fn fold_digits(tok: &str, out: &mut String) {
    let mut in_digits = false;
    for c in tok.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
                in_digits = true;
            }
        } else {
            in_digits = false;
            out.push(c);
        }
    }
}

/// Lower-cased recipient.
pub fn normalize_rcpt(addr: &str) -> String {
    addr.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A remote sender chose these: 8-bit MAIL FROM under SMTPUTF8. `&local[5..]` after
    /// a byte-wise `srs0` test used to panic ("byte index 5 is not a char boundary").
    #[test]
    fn non_ascii_srs_lookalikes_do_not_panic() {
        for local in [
            "srs0ß",
            "SRS0😀",
            "srs0ßx=y=z=w",
            "SRS1é==a=b=c=d",
            "srs0=😀=é=ß=ü",
            "sRs0\u{301}",
            "prvs=ß",
            "btv1==é",
            "é=ß.x",
            "😀123abc",
            "srs1",
            "srs0",
            "s",
            "",
        ] {
            for domain in ["", "@example.com", "@exämple.com"] {
                let _ = normalize_sender(&format!("{local}{domain}"), "+-");
            }
        }
        assert_eq!(s("srs0ß@fwd.example"), "srs#ß@fwd.example");
        assert_eq!(
            s("SRS0+HHH=TT=orig.example=alice@fwd.example"),
            "alice@orig.example"
        );
    }

    fn s(a: &str) -> String {
        normalize_sender(a, "+")
    }

    #[test]
    fn masks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(masked(ip("192.0.2.77"), 24, 64), "192.0.2.0/24");
        assert_eq!(masked(ip("192.0.2.77"), 32, 64), "192.0.2.77/32");
        assert_eq!(masked(ip("::ffff:192.0.2.77"), 24, 64), "192.0.2.0/24");
        assert_eq!(
            masked(ip("2001:db8:1:2:3:4:5:6"), 24, 64),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            masked(ip("2001:db8:1:2:3:4:5:6"), 24, 48),
            "2001:db8:1::/48"
        );
        assert_eq!(masked(ip("2001:db8::1"), 0, 0), "::/0");
    }

    #[test]
    fn org_domains() {
        let orgs = OrgDomains::builtin();
        let org_domain = |n| org_domain(&orgs, n);
        assert_eq!(org_domain("mail-wr1-f54.google.com"), "google.com");
        assert_eq!(org_domain("a8-1.smtp-out.amazonses.com."), "amazonses.com");
        assert_eq!(org_domain("mx.example.co.uk"), "example.co.uk");
        assert_eq!(org_domain("mail.Example.COM.AU"), "example.com.au");
        assert_eq!(org_domain("mx1.example.de"), "example.de");
        assert_eq!(org_domain("example.com"), "example.com");
        assert_eq!(org_domain("localhost"), "localhost");
        assert_eq!(org_domain("a..b"), "a..b");
    }

    /// What the suffix list fixes over the old two-or-three-label guess.
    #[test]
    fn org_domains_follow_the_suffix_list() {
        let orgs = OrgDomains::builtin();
        let org_domain = |n| org_domain(&orgs, n);
        assert_eq!(org_domain("mx2.mail.example.co.uk"), "example.co.uk");
        assert_eq!(org_domain("mail.example.ltd.uk"), "example.ltd.uk");
        // A short company name under a country code is not a second-level suffix.
        assert_eq!(org_domain("mx.abc.de"), "abc.de");
        assert_eq!(org_domain("smtp.ibm.fr"), "ibm.fr");
        // Shared hosting: two customers are two keys.
        assert_ne!(
            org_domain("alice.blogspot.com"),
            org_domain("bob.blogspot.com")
        );
        // Three-label public suffixes.
        assert_eq!(
            org_domain("mail.example.pvt.k12.ma.us"),
            "example.pvt.k12.ma.us"
        );
    }

    #[test]
    fn senders() {
        assert_eq!(s("Alice@Example.COM"), "alice@example.com");
        assert_eq!(s(""), "<>");
        assert_eq!(s("<>"), "<>");
        // +ext
        assert_eq!(s("alice+news@example.com"), "alice@example.com");
        assert_eq!(
            normalize_sender("alice-news@example.com", "+-"),
            "alice@example.com"
        );
        // BATV
        assert_eq!(s("prvs=1234abcdef=bob@example.com"), "bob@example.com");
        assert_eq!(s("msprvs1=17abcdefgh=bob@example.com"), "bob@example.com");
        assert_eq!(s("btv1==abc123==bob@example.com"), "bob@example.com");
        // SRS0 and SRS1: the original sender
        assert_eq!(
            s("SRS0=HHH=TT=orig.example=alice@forwarder.example"),
            "alice@orig.example"
        );
        assert_eq!(
            s("SRS0=ab12=4F=orig.example=alice@forwarder.example"),
            s("SRS0=zz99=5A=orig.example=alice@forwarder.example")
        );
        assert_eq!(
            s("SRS1=XXX=fwd1.example==HHH=TT=orig.example=alice@fwd2.example"),
            "alice@orig.example"
        );
        // VERP: the encoded recipient goes, numbers fold
        assert_eq!(
            s("list-bounces-bob=example.net@lists.example.org"),
            "list-bounces@lists.example.org"
        );
        assert_eq!(
            s("bounce-12345-678@mailer.example"),
            "bounce-#-#@mailer.example"
        );
        assert_eq!(
            s("bounce-12345-679@mailer.example"),
            s("bounce-99-1@mailer.example")
        );
        // SES-style hex ids fold
        assert_eq!(
            s("0100018f3c2a5b6d-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000@amazonses.com"),
            s("0100018f3c2a9999-9a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6e-000000@amazonses.com")
        );
        // a plain name is not folded
        assert_eq!(s("deadbeef@example.com"), "deadbeef@example.com");
        assert_eq!(s("user2@example.com"), "user#@example.com");
        // a leading delimiter is not an extension
        assert_eq!(s("+x@example.com"), "+x@example.com");
    }

    #[test]
    fn recipients() {
        assert_eq!(normalize_rcpt("Bob@Example.NET"), "bob@example.net");
    }
}
