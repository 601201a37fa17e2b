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
    /// The raw split at the last `@` (a quoted local part may contain `@`; a domain
    /// cannot): `(local, Some(domain))`, or `(s, None)` when `s` has no `@`. Nothing is
    /// trimmed, unbracketed, lower-cased or stripped of a trailing dot, and either side
    /// may be empty (`"@d"` is `("", Some("d"))`, `"u@"` is `("u", Some(""))`).
    ///
    /// For text that is not an envelope address as given — map and lookup keys, SPF's
    /// sender (RFC 7208 takes the local part and domain as they are), addresses from
    /// bounce notifications — where [`Address::parse`]'s clean-up would change what is
    /// compared. `@` is ASCII, so both halves are always on character boundaries.
    pub fn split(s: &'a str) -> (&'a str, Option<&'a str>) {
        match s.rsplit_once('@') {
            Some((local, domain)) => (local, Some(domain)),
            None => (s, None),
        }
    }

    /// The raw domain of `s`: everything after the last `@`, empty when there is no
    /// `@` (as [`Address::split`]: nothing trimmed, trailing dot kept).
    pub fn domain_of(s: &'a str) -> &'a str {
        Address::split(s).1.unwrap_or("")
    }

    /// Splits at the last `@` (a quoted local part may contain `@`; a domain cannot).
    /// The null sender (`""` or `<>`) is None.
    pub fn parse(addr: &'a str) -> Option<Address<'a>> {
        let a = addr.trim();
        let a = a.strip_prefix('<').unwrap_or(a);
        let a = a.strip_suffix('>').unwrap_or(a).trim();
        if a.is_empty() {
            return None;
        }
        let (local, domain) = Address::split(a);
        let domain = domain.map_or("", |d| d.strip_suffix('.').unwrap_or(d));
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

    #[test]
    fn split_is_raw() {
        assert_eq!(Address::split("a@b@c."), ("a@b", Some("c.")));
        assert_eq!(
            Address::split(" <U@Example.COM.> "),
            (" <U", Some("Example.COM.> "))
        );
        assert_eq!(Address::split("postmaster"), ("postmaster", None));
        assert_eq!(Address::split(""), ("", None));
        assert_eq!(Address::split("@"), ("", Some("")));
        assert_eq!(Address::split("@example.com"), ("", Some("example.com")));
        assert_eq!(Address::split("user@"), ("user", Some("")));
        assert_eq!(Address::split("\"a@b\"@x"), ("\"a@b\"", Some("x")));
    }

    #[test]
    fn split_non_ascii() {
        // 8-bit addresses (SMTPUTF8): multi-byte characters either side of the `@`.
        assert_eq!(
            Address::split("ü@bücher.example"),
            ("ü", Some("bücher.example"))
        );
        assert_eq!(
            Address::split("用户@例子.广告"),
            ("用户", Some("例子.广告"))
        );
        assert_eq!(Address::split("é@"), ("é", Some("")));
        assert_eq!(Address::split("@é"), ("", Some("é")));
        assert_eq!(Address::split("ü"), ("ü", None));
        assert_eq!(Address::split("😀@😀@😀"), ("😀@😀", Some("😀")));
        // Invalid UTF-8 decoded lossily by the milter reaches us as U+FFFD.
        assert_eq!(
            Address::split("\u{FFFD}@\u{FFFD}."),
            ("\u{FFFD}", Some("\u{FFFD}."))
        );
        let p = Address::parse("<用户@例子.广告.>").unwrap();
        assert_eq!((p.local, p.domain), ("用户", "例子.广告"));
        assert!(p.domain_is("例子.广告."));
    }

    #[test]
    fn domain_of_is_raw() {
        assert_eq!(Address::domain_of("u@Example.COM."), "Example.COM.");
        assert_eq!(Address::domain_of("a@b@[192.0.2.1]"), "[192.0.2.1]");
        assert_eq!(Address::domain_of("postmaster"), "");
        assert_eq!(Address::domain_of(""), "");
        assert_eq!(Address::domain_of("u@"), "");
        assert_eq!(Address::domain_of("ü@bücher.example"), "bücher.example");
        assert_eq!(Address::domain_of("用户"), "");
    }
}
