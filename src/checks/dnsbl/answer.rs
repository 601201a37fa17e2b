//! Which A answers of a DNS list count as a listing.
//!
//! Two rules come before any configured filter and cannot be configured away:
//! an answer outside 127.0.0.0/8 is never a listing (a list whose domain expired
//! and now resolves everything to a parking page must not reject all mail), and
//! answers in 127.255.255.0/24 are error codes (Spamhaus: 127.255.255.254 "query
//! via a public resolver", 127.255.255.252 "typo in the zone", 127.255.255.255
//! "too many queries"), never listings.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;

/// What an A answer of a DNS list means, before the list's `answers` filter.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum AnswerClass {
    /// In 127.0.0.0/8 and not an error code: a listing (if the filter agrees).
    Listing,
    /// In 127.255.255.0/24: the list refuses or cannot answer the query.
    ErrorCode,
    /// Outside 127.0.0.0/8: not a DNS list answer at all.
    OutsideLoopback,
}

/// Sorts an answer into listing, error code or nonsense.
pub fn classify(ip: Ipv4Addr) -> AnswerClass {
    let o = ip.octets();
    if o[0] != 127 {
        AnswerClass::OutsideLoopback
    } else if o[1] == 255 && o[2] == 255 {
        AnswerClass::ErrorCode
    } else {
        AnswerClass::Listing
    }
}

/// What a known error code means, for the log line an operator reads.
pub fn error_hint(ip: Ipv4Addr) -> &'static str {
    match classify(ip) {
        AnswerClass::OutsideLoopback => {
            "answer outside 127.0.0.0/8: wrong zone name, or an expired list domain that resolves everything"
        }
        AnswerClass::Listing => "",
        AnswerClass::ErrorCode => match ip.octets()[3] {
            254 => "query refused: queries via a public or open resolver are blocked; use your own resolver",
            252 => "typo in the list's zone name or an unsupported query",
            255 => "query refused: excessive number of queries",
            _ => "error code of the list (127.255.255.0/24)",
        },
    }
}

/// One entry of a list's `answers`: `"127.0.0.2"`, `"127.0.0.10-127.0.0.11"`,
/// Postfix's `"127.0.0.[2..11]"` / `"127.0.[0;1].[2;4..6]"`, `"127.0.1.0/24"`, or
/// `"mask:0x04"` (any bit of the mask set in the answer, taken as a 32-bit number).
#[derive(Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AnswerSpec {
    text: String,
    kind: Kind,
}

#[derive(Clone, Debug, Eq, PartialEq)]
enum Kind {
    /// Allowed values per octet as inclusive ranges (an exact address is the
    /// degenerate case).
    Octets([Vec<(u8, u8)>; 4]),
    /// Inclusive range of addresses.
    Range(u32, u32),
    /// Network and netmask.
    Cidr(u32, u32),
    /// Bits of which at least one must be set.
    Mask(u32),
}

impl AnswerSpec {
    /// True if `ip` matches this entry. Callers check [`classify`] first.
    pub fn matches(&self, ip: Ipv4Addr) -> bool {
        let n = u32::from(ip);
        match &self.kind {
            Kind::Octets(sets) => ip
                .octets()
                .iter()
                .zip(sets.iter())
                .all(|(o, set)| set.iter().any(|(lo, hi)| (lo..=hi).contains(&o))),
            Kind::Range(lo, hi) => (*lo..=*hi).contains(&n),
            Kind::Cidr(net, mask) => n & mask == *net,
            Kind::Mask(m) => n & m != 0,
        }
    }
}

/// True if `ip` counts as a listing for a list with these `answers` (empty: any
/// answer in 127.0.0.0/8 that is not an error code).
pub fn is_listing(answers: &[AnswerSpec], ip: Ipv4Addr) -> bool {
    classify(ip) == AnswerClass::Listing
        && (answers.is_empty() || answers.iter().any(|a| a.matches(ip)))
}

impl fmt::Display for AnswerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<AnswerSpec> for String {
    fn from(a: AnswerSpec) -> String {
        a.text
    }
}

impl TryFrom<String> for AnswerSpec {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim();
        let kind = if let Some(m) = t.strip_prefix("mask:") {
            parse_mask(m.trim())?
        } else if let Some((addr, len)) = t.split_once('/') {
            parse_cidr(addr.trim(), len.trim())?
        } else if let Some((lo, hi)) = t.split_once('-').filter(|_| !t.contains('[')) {
            let lo = parse_addr(lo.trim())?;
            let hi = parse_addr(hi.trim())?;
            if lo > hi {
                return Err(format!("answer range {t:?}: first address above the last"));
            }
            in_loopback(t, lo)?;
            in_loopback(t, hi)?;
            Kind::Range(u32::from(lo), u32::from(hi))
        } else {
            parse_octets(t)?
        };
        Ok(AnswerSpec {
            text: t.to_owned(),
            kind,
        })
    }
}

const USAGE: &str = "expected \"127.0.0.2\", \"127.0.0.10-127.0.0.11\", \"127.0.0.[2..11]\", \"127.0.1.0/24\" or \"mask:0x04\"";

fn parse_addr(s: &str) -> Result<Ipv4Addr, String> {
    s.parse::<Ipv4Addr>()
        .map_err(|_| format!("{s:?} is not an IPv4 address; {USAGE}"))
}

/// Filters that could only match answers outside 127.0.0.0/8 would silently
/// never match (such answers never count): refuse them at load.
fn in_loopback(spec: &str, ip: Ipv4Addr) -> Result<(), String> {
    if ip.octets()[0] == 127 {
        Ok(())
    } else {
        Err(format!(
            "answer {spec:?} is outside 127.0.0.0/8; such answers never count as listed"
        ))
    }
}

fn parse_mask(m: &str) -> Result<Kind, String> {
    let value = if let Some(hex) = m.strip_prefix("0x").or_else(|| m.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()
    } else if m.contains('.') {
        m.parse::<Ipv4Addr>().ok().map(u32::from)
    } else {
        m.parse::<u32>().ok()
    };
    let Some(value) = value else {
        return Err(format!(
            "mask {m:?} is not a number (0x04, 4 or 0.0.0.4); {USAGE}"
        ));
    };
    if value == 0 {
        return Err("mask:0 never matches".into());
    }
    // Every answer that gets this far starts with 127: bits there match everything.
    if value & 0xff00_0000 != 0 {
        return Err(format!(
            "mask {m:?} has bits in the first octet, which match every 127.x.y.z answer"
        ));
    }
    Ok(Kind::Mask(value))
}

fn parse_cidr(addr: &str, len: &str) -> Result<Kind, String> {
    let ip = parse_addr(addr)?;
    let len: u32 = len
        .parse()
        .ok()
        .filter(|l| *l <= 32)
        .ok_or_else(|| format!("prefix length {len:?} is not 0-32"))?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let net = u32::from(ip);
    if net & !mask != 0 {
        return Err(format!(
            "{addr}/{len} has host bits set; did you mean {}/{len}?",
            Ipv4Addr::from(net & mask)
        ));
    }
    if len < 8 {
        return Err(format!(
            "{addr}/{len} is wider than 127.0.0.0/8; answers outside it never count"
        ));
    }
    in_loopback(&format!("{addr}/{len}"), ip)?;
    Ok(Kind::Cidr(net, mask))
}

/// `127.0.0.2`, `127.0.0.[2..11]`, `127.0.[0;1].[2;4..6]` (Postfix's syntax).
fn parse_octets(t: &str) -> Result<Kind, String> {
    // Dots inside `[2..11]` are not octet separators.
    let mut parts: Vec<&str> = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in t.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                parts.push(&t[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&t[start..]);
    if parts.len() != 4 {
        return Err(format!("{t:?}: {USAGE}"));
    }
    let mut sets: [Vec<(u8, u8)>; 4] = Default::default();
    for (set, part) in sets.iter_mut().zip(parts) {
        *set = parse_octet(part).ok_or_else(|| format!("{t:?}: bad octet {part:?}; {USAGE}"))?;
    }
    if sets[0] != [(127, 127)] {
        return Err(format!(
            "answer {t:?} is outside 127.0.0.0/8; such answers never count as listed"
        ));
    }
    Ok(Kind::Octets(sets))
}

fn parse_octet(part: &str) -> Option<Vec<(u8, u8)>> {
    let num = |s: &str| -> Option<u8> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some(inner) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
        inner
            .split(';')
            .map(|item| match item.split_once("..") {
                Some((lo, hi)) => {
                    let (lo, hi) = (num(lo.trim())?, num(hi.trim())?);
                    (lo <= hi).then_some((lo, hi))
                }
                None => num(item.trim()).map(|n| (n, n)),
            })
            .collect()
    } else {
        num(part).map(|n| vec![(n, n)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> AnswerSpec {
        AnswerSpec::try_from(s.to_string()).unwrap()
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn classes() {
        assert_eq!(classify(ip("127.0.0.2")), AnswerClass::Listing);
        assert_eq!(classify(ip("127.0.0.1")), AnswerClass::Listing);
        assert_eq!(classify(ip("127.255.255.254")), AnswerClass::ErrorCode);
        assert_eq!(classify(ip("127.255.255.252")), AnswerClass::ErrorCode);
        assert_eq!(classify(ip("127.255.254.1")), AnswerClass::Listing);
        assert_eq!(classify(ip("192.0.2.1")), AnswerClass::OutsideLoopback);
        assert_eq!(classify(ip("128.0.0.2")), AnswerClass::OutsideLoopback);
        assert!(error_hint(ip("127.255.255.254")).contains("public"));
        assert!(error_hint(ip("127.255.255.252")).contains("typo"));
        assert!(error_hint(ip("198.51.100.1")).contains("outside"));
    }

    #[test]
    fn exact() {
        let s = spec("127.0.0.2");
        assert!(s.matches(ip("127.0.0.2")));
        assert!(!s.matches(ip("127.0.0.3")));
        assert_eq!(s.to_string(), "127.0.0.2");
    }

    #[test]
    fn ranges() {
        let s = spec("127.0.0.10-127.0.0.11");
        assert!(!s.matches(ip("127.0.0.9")));
        assert!(s.matches(ip("127.0.0.10")));
        assert!(s.matches(ip("127.0.0.11")));
        assert!(!s.matches(ip("127.0.0.12")));
        let s = spec("127.0.0.250 - 127.0.1.3");
        assert!(s.matches(ip("127.0.1.0")));
    }

    #[test]
    fn postfix_patterns() {
        let s = spec("127.0.0.[2..11]");
        assert!(!s.matches(ip("127.0.0.1")));
        assert!(s.matches(ip("127.0.0.2")));
        assert!(s.matches(ip("127.0.0.11")));
        assert!(!s.matches(ip("127.0.0.12")));
        assert!(!s.matches(ip("127.0.1.5")));
        let s = spec("127.0.[0;1].[2;4..6]");
        assert!(s.matches(ip("127.0.1.2")));
        assert!(s.matches(ip("127.0.0.5")));
        assert!(!s.matches(ip("127.0.0.3")));
        assert!(!s.matches(ip("127.0.2.2")));
    }

    #[test]
    fn cidr() {
        let s = spec("127.0.1.0/24");
        assert!(s.matches(ip("127.0.1.0")));
        assert!(s.matches(ip("127.0.1.255")));
        assert!(!s.matches(ip("127.0.2.0")));
        assert!(!s.matches(ip("127.0.0.2")));
        assert!(spec("127.0.0.0/8").matches(ip("127.1.2.3")));
    }

    #[test]
    fn masks() {
        let s = spec("mask:0x04");
        assert!(s.matches(ip("127.0.0.4")));
        assert!(s.matches(ip("127.0.0.6")));
        assert!(!s.matches(ip("127.0.0.2")));
        assert!(!s.matches(ip("127.0.0.8")));
        // The whole address is the number, as rspamd's returnbits: other octets count too.
        let s = spec("mask:0x0100");
        assert!(s.matches(ip("127.0.1.0")));
        assert!(!s.matches(ip("127.0.0.255")));
        assert!(spec("mask:4").matches(ip("127.0.0.4")));
        assert!(spec("mask:0.0.0.4").matches(ip("127.0.0.4")));
    }

    #[test]
    fn error_codes_never_list() {
        let all = [spec("127.0.0.0/8")];
        assert!(is_listing(&all, ip("127.0.0.2")));
        assert!(!is_listing(&all, ip("127.255.255.254")));
        assert!(!is_listing(&[], ip("127.255.255.254")));
        assert!(!is_listing(&[], ip("127.255.255.252")));
        assert!(!is_listing(&[], ip("192.0.2.2")));
        assert!(is_listing(&[], ip("127.0.0.10")));
        assert!(!is_listing(
            &[spec("mask:0x00ffffff")],
            ip("127.255.255.254")
        ));
        let only_10 = [spec("127.0.0.10")];
        assert!(!is_listing(&only_10, ip("127.0.0.2")));
        assert!(is_listing(&only_10, ip("127.0.0.10")));
    }

    #[test]
    fn refused_specs() {
        for bad in [
            "192.0.2.1",
            "10.0.0.0/8",
            "127.0.0.0/7",
            "127.0.1.5/24",
            "127.0.0.0/33",
            "127.0.0.11-127.0.0.10",
            "127.0.0.1-192.0.2.1",
            "127.0.0.[11..2]",
            "127.0.0.[2..300]",
            "127.0.0",
            "127.0.0.x",
            "mask:0",
            "mask:0x7f000000",
            "mask:zz",
            "",
        ] {
            assert!(
                AnswerSpec::try_from(bad.to_string()).is_err(),
                "{bad:?} accepted"
            );
        }
        let e = AnswerSpec::try_from("192.0.2.1".to_string()).unwrap_err();
        assert!(e.contains("never count"), "{e}");
    }
}
