//! An envelope or header address split once into local part and domain, so that no
//! check splits on `@` by hand (and each agrees on the null sender, a missing domain,
//! a quoted local part containing `@`, and case).

use std::fmt;

/// A mailbox `local@domain` as given in MAIL FROM / RCPT TO (angle brackets removed).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub struct Address<'a> {
    /// The whole address, as given.
    pub full: &'a str,
    /// Everything before the last `@` (the whole address when it has none).
    pub local: &'a str,
    /// Everything after the last `@`, without a trailing dot; empty when there is none.
    pub domain: &'a str,
}

impl<'a> Address<'a> {
    /// Splits at the last `@` (a quoted local part may contain `@`; a domain cannot).
    /// The null sender (`""` or `<>`) is None.
    pub fn parse(addr: &'a str) -> Option<Address<'a>> {
        let a = addr.trim();
        let a = a.strip_prefix('<').unwrap_or(a);
        let a = a.strip_suffix('>').unwrap_or(a).trim();
        if a.is_empty() {
            return None;
        }
        let (local, domain) = match a.rsplit_once('@') {
            Some((l, d)) => (l, d.strip_suffix('.').unwrap_or(d)),
            None => (a, ""),
        };
        Some(Address {
            full: a,
            local,
            domain,
        })
    }

    /// True when the domain equals `name` (ASCII case-insensitive, trailing dot ignored).
    pub fn domain_is(&self, name: &str) -> bool {
        let name = name.strip_suffix('.').unwrap_or(name);
        !self.domain.is_empty() && self.domain.eq_ignore_ascii_case(name)
    }
}

impl fmt::Display for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_last_at() {
        let a = Address::parse("<\"a@b\"@Example.COM.>").unwrap();
        assert_eq!((a.local, a.domain), ("\"a@b\"", "Example.COM"));
        assert!(a.domain_is("example.com."));
        assert_eq!(Address::parse("<>"), None);
        assert_eq!(Address::parse(" "), None);
        let bare = Address::parse("postmaster").unwrap();
        assert_eq!((bare.local, bare.domain), ("postmaster", ""));
        assert!(!bare.domain_is(""));
        let utf8 = Address::parse("ü@bücher.example").unwrap();
        assert_eq!(utf8.domain, "bücher.example");
    }
}
