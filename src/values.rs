//! Value types of the config shared by several sections: durations ([`TimeSpan`]),
//! CIDR ranges, address patterns, prefix lengths, and the range checks every numeric
//! key goes through at load.
//!
//! Durations are written one way everywhere: a whole number and a unit, `"300ms"`,
//! `"30s"`, `"5m"`, `"2h"`, `"1d"`, `"1w"`. Older configs wrote bare numbers
//! (milliseconds in the former `*_ms` keys, seconds elsewhere); those still load, and
//! every such spelling is noted ([`collect_spellings`]) so the config loader can warn
//! with its file and line. A former `*_ms` key is a serde alias of the new one, so it
//! also takes a value with a unit (`timeout_ms = "2s"` is 2 s, with a warning to
//! rename the key); a bare number there still counts milliseconds.

use crate::address::Address;
use crate::net::Cidr;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::RefCell;
use std::fmt;
use std::ops::{Range, RangeInclusive};
use std::str::FromStr;
use std::time::Duration;

/// A problem with a section's settings, found at load or while building the check.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SetupError {
    /// The key inside the check's section (`map`, `lists[2].zone`), None for the whole section.
    pub key: Option<String>,
    /// What is wrong, in the operator's terms.
    pub message: String,
}

impl SetupError {
    /// A problem with one key of the section.
    pub fn key(key: impl Into<String>, message: impl Into<String>) -> Self {
        SetupError {
            key: Some(key.into()),
            message: message.into(),
        }
    }

    /// A problem with the section as a whole.
    pub fn section(message: impl Into<String>) -> Self {
        SetupError {
            key: None,
            message: message.into(),
        }
    }
}

/// The units a duration can be written in, largest first, with their length in ms.
const UNITS: [(&str, u64); 6] = [
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1000),
    ("ms", 1),
];

/// What a duration looks like, for error messages.
const ACCEPTED: &str = "a whole number and a unit: ms, s, m, h, d or w (\"300ms\", \"30s\", \"5m\", \"2h\", \"1d\", \"1w\")";

/// A duration in the config: `"300ms"`, `"30s"`, `"5m"`, `"2h"`, `"1d"` or `"1w"`,
/// printed back in the largest unit that is exact (`"5m"`, `"2d"`, `"300ms"`).
///
/// `BARE_MS` is how many milliseconds a bare number counts, for configs written before
/// durations had units: 1 for the former `*_ms` keys, 1000 (the default) for keys that
/// counted seconds. A bare number still loads and is noted as a deprecated spelling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeSpan<const BARE_MS: u64 = 1000>(Duration);

/// A duration whose deprecated bare-number spelling counted milliseconds.
pub type TimeSpanMs = TimeSpan<1>;

impl<const BARE_MS: u64> TimeSpan<BARE_MS> {
    /// This many milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        TimeSpan(Duration::from_millis(ms))
    }

    /// This many seconds.
    pub const fn from_secs(s: u64) -> Self {
        TimeSpan(Duration::from_secs(s))
    }

    /// The duration.
    pub const fn get(self) -> Duration {
        self.0
    }

    /// Whole milliseconds (the finest unit a config can write).
    pub fn as_millis(self) -> u64 {
        u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX)
    }

    /// The duration in seconds, if it is a whole number of them.
    pub fn whole_secs(self) -> Option<u64> {
        (self.0.subsec_nanos() == 0).then_some(self.0.as_secs())
    }

    /// A bare number from an old config, in this key's old unit.
    fn from_bare(n: i64) -> Result<Self, String> {
        let n = u64::try_from(n).map_err(|_| format!("a duration cannot be negative ({n})"))?;
        n.checked_mul(BARE_MS)
            .map(Self::from_millis)
            .ok_or_else(|| format!("{n} is too large for a duration"))
    }

    /// Refuses a value outside `min..=max`, naming the bounds.
    pub fn within(self, min: Self, max: Self) -> Result<(), String> {
        if self < min || self > max {
            return Err(format!("must be between {min} and {max}, not {self}"));
        }
        Ok(())
    }

    /// [`TimeSpan::within`] for key `key` of a check's section.
    pub fn check(self, key: &str, min: Self, max: Self) -> Result<(), SetupError> {
        self.within(min, max).map_err(|m| SetupError::key(key, m))
    }
}

impl<const BARE_MS: u64> From<TimeSpan<BARE_MS>> for Duration {
    fn from(t: TimeSpan<BARE_MS>) -> Duration {
        t.0
    }
}

impl<const BARE_MS: u64> FromStr for TimeSpan<BARE_MS> {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let s = text.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let bad = || format!("{text:?} is not a duration: write {ACCEPTED}");
        if num.is_empty() {
            return Err(bad());
        }
        let Some((_, ms)) = UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(bad());
        };
        num.parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(*ms))
            .map(Self::from_millis)
            .ok_or_else(|| format!("{text:?} is too large for a duration"))
    }
}

impl<const BARE_MS: u64> fmt::Display for TimeSpan<BARE_MS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        let (unit, len) = UNITS
            .iter()
            .find(|(_, len)| ms.is_multiple_of(*len))
            .copied()
            .unwrap_or(("ms", 1));
        write!(f, "{}{unit}", ms / len)
    }
}

impl<const BARE_MS: u64> Serialize for TimeSpan<BARE_MS> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How the config spelt one duration: where, the value, and whether as a bare number.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Spelling {
    /// Byte range of the value in the config text.
    pub span: Range<usize>,
    /// The value as it should be written now (`"2s"`).
    pub value: String,
    /// Written as a bare number (the deprecated form).
    pub bare_number: bool,
}

thread_local! {
    static SPELLINGS: RefCell<Option<Vec<Spelling>>> = const { RefCell::new(None) };
}

/// Runs `f` (a config parse on this thread) and returns, with its result, how every
/// duration it read from a TOML document was spelt, so the loader can warn about the
/// deprecated spellings with their line.
pub fn collect_spellings<R>(f: impl FnOnce() -> R) -> (R, Vec<Spelling>) {
    struct Restore(Option<Vec<Spelling>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SPELLINGS.with(|s| *s.borrow_mut() = previous);
        }
    }
    let restore = Restore(SPELLINGS.with(|s| s.borrow_mut().replace(Vec::new())));
    let r = f();
    let spellings = SPELLINGS
        .with(|s| s.borrow_mut().take())
        .unwrap_or_default();
    drop(restore);
    (r, spellings)
}

fn note(spelling: Spelling) {
    SPELLINGS.with(|s| {
        if let Some(v) = s.borrow_mut().as_mut() {
            v.push(spelling);
        }
    });
}

// The names under which the TOML deserialiser hands out a value with its position
// (serde_spanned's protocol, as `toml::Spanned` uses it). Other deserialisers (a
// `toml::Value`) give the plain value instead, which is read the same way.
const SPANNED: &str = "$__serde_spanned_private_Spanned";
const SPAN_START: &str = "$__serde_spanned_private_start";
const SPAN_END: &str = "$__serde_spanned_private_end";
const SPAN_VALUE: &str = "$__serde_spanned_private_value";
const SPAN_FIELDS: &[&str] = &[SPAN_START, SPAN_END, SPAN_VALUE];

/// A duration as written: a bare number or a string.
enum Written {
    Bare(i64),
    Text(String),
}

impl<'de> Deserialize<'de> for Written {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct W;
        impl Visitor<'_> for W {
            type Value = Written;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a duration, {ACCEPTED}")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Written, E> {
                Ok(Written::Bare(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Written, E> {
                i64::try_from(v)
                    .map(Written::Bare)
                    .map_err(|_| E::custom(format!("{v} is too large for a duration")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Written, E> {
                Ok(Written::Text(v.to_owned()))
            }
        }
        d.deserialize_any(W)
    }
}

impl Written {
    fn read<const BARE_MS: u64>(self) -> Result<(TimeSpan<BARE_MS>, bool), String> {
        match self {
            Written::Bare(n) => TimeSpan::from_bare(n).map(|t| (t, true)),
            Written::Text(s) => s.parse().map(|t| (t, false)),
        }
    }
}

impl<'de, const BARE_MS: u64> Deserialize<'de> for TimeSpan<BARE_MS> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<const B: u64>;
        impl<'de, const B: u64> Visitor<'de> for V<B> {
            type Value = TimeSpan<B>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a duration, {ACCEPTED}")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TimeSpan<B>, E> {
                Written::Bare(v).read().map(|(t, _)| t).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimeSpan<B>, E> {
                let v = i64::try_from(v)
                    .map_err(|_| E::custom(format!("{v} is too large for a duration")))?;
                self.visit_i64(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeSpan<B>, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TimeSpan<B>, A::Error> {
                let (mut start, mut end, mut written) = (None, None, None);
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        SPAN_START => start = Some(map.next_value::<usize>()?),
                        SPAN_END => end = Some(map.next_value::<usize>()?),
                        SPAN_VALUE => written = Some(map.next_value::<Written>()?),
                        _ => return Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
                    }
                }
                let Some(written) = written else {
                    return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
                };
                let (t, bare_number) = written.read::<B>().map_err(de::Error::custom)?;
                if let (Some(start), Some(end)) = (start, end) {
                    note(Spelling {
                        span: start..end,
                        value: t.to_string(),
                        bare_number,
                    });
                }
                Ok(t)
            }
        }
        d.deserialize_struct(SPANNED, SPAN_FIELDS, V::<BARE_MS>)
    }
}

/// `reload_interval` of a map-file check: 10ms to 1d.
pub fn check_reload_interval(t: TimeSpanMs) -> Result<(), SetupError> {
    t.check(
        "reload_interval",
        TimeSpan::from_millis(10),
        TimeSpan::from_secs(86400),
    )
}

/// Refuses a count outside `range`, naming the bounds.
pub fn within<T: PartialOrd + fmt::Display>(
    value: T,
    range: RangeInclusive<T>,
) -> Result<(), String> {
    if !range.contains(&value) {
        return Err(format!(
            "must be between {} and {}, not {value}",
            range.start(),
            range.end()
        ));
    }
    Ok(())
}

/// [`within`] for key `key` of a check's section.
pub fn check_count<T: PartialOrd + fmt::Display>(
    key: &str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<(), SetupError> {
    within(value, range).map_err(|m| SetupError::key(key, m))
}

/// A CIDR range in the config (validated at load).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct CidrEntry(Cidr, String);

impl CidrEntry {
    /// The range.
    pub fn cidr(&self) -> &Cidr {
        &self.0
    }
}

impl TryFrom<String> for CidrEntry {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        Ok(CidrEntry(s.parse()?, s))
    }
}

impl From<CidrEntry> for String {
    fn from(c: CidrEntry) -> String {
        c.1
    }
}

/// An address pattern: `user@example.com`, `user@` (any domain), `@example.com` (that
/// domain and its subdomains).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct AddrPattern(String);

impl TryFrom<String> for AddrPattern {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if !s.contains('@') || s == "@" {
            return Err(format!("{s:?} must be an address, `local@` or `@domain`"));
        }
        Ok(AddrPattern(s.to_ascii_lowercase()))
    }
}

impl From<AddrPattern> for String {
    fn from(a: AddrPattern) -> String {
        a.0
    }
}

impl AddrPattern {
    /// A pattern known to be well-formed (for defaults in code).
    pub(crate) fn known(s: &str) -> Self {
        AddrPattern(s.to_ascii_lowercase())
    }

    /// True if `addr` (lower-case) matches.
    pub fn matches(&self, addr: &str) -> bool {
        let p = &self.0;
        if let Some(domain) = p.strip_prefix('@') {
            let (_, Some(d)) = Address::split(addr) else {
                return false;
            };
            return d == domain || d.ends_with(&format!(".{domain}"));
        }
        if p.ends_with('@') {
            return addr.starts_with(p.as_str());
        }
        addr == p
    }
}

/// An IP prefix length for masking, checked against the address family at load.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(try_from = "i64", into = "i64")]
pub struct PrefixLen<const MAX: u8>(pub u8);

impl<const MAX: u8> TryFrom<i64> for PrefixLen<MAX> {
    type Error = String;

    fn try_from(v: i64) -> Result<Self, String> {
        u8::try_from(v)
            .ok()
            .filter(|n| *n <= MAX)
            .map(PrefixLen)
            .ok_or_else(|| format!("a prefix length must be between 0 and {MAX}, not {v}"))
    }
}

impl<const MAX: u8> From<PrefixLen<MAX>> for i64 {
    fn from(p: PrefixLen<MAX>) -> i64 {
        i64::from(p.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct One {
        t: TimeSpan,
        #[serde(default)]
        ms: TimeSpanMs,
    }

    #[test]
    fn parses_every_unit_and_prints_the_largest_exact_one() {
        let p = |s: &str| s.parse::<TimeSpan>().map(|t| t.as_millis());
        assert_eq!(p("300ms"), Ok(300));
        assert_eq!(p("30s"), Ok(30_000));
        assert_eq!(p("5m"), Ok(300_000));
        assert_eq!(p("2h"), Ok(7_200_000));
        assert_eq!(p("1d"), Ok(86_400_000));
        assert_eq!(p("1w"), Ok(7 * 86_400_000));
        for bad in ["", "5", "m", "5 parsecs", "1.5s", "-1s", "5M", "5min"] {
            let e = p(bad).unwrap_err();
            assert!(e.contains("ms, s, m, h, d or w"), "{bad}: {e}");
        }
        assert!(p("99999999999999999999w")
            .unwrap_err()
            .contains("too large"));
        let show = |ms| TimeSpan::<1000>::from_millis(ms).to_string();
        assert_eq!(show(300), "300ms");
        assert_eq!(show(1500), "1500ms");
        assert_eq!(show(300_000), "5m");
        assert_eq!(show(2 * 86_400_000), "2d");
        assert_eq!(show(14 * 86_400_000), "2w");
        assert_eq!(show(0), "0s");
    }

    #[test]
    fn bare_numbers_count_in_the_old_unit_and_are_noted() {
        let (one, notes) =
            collect_spellings(|| toml::from_str::<One>("t = 300\nms = 2000\n").unwrap());
        assert_eq!(one.t, TimeSpan::from_secs(300));
        assert_eq!(one.ms, TimeSpan::from_secs(2));
        assert_eq!(notes.len(), 2);
        assert!(notes.iter().all(|n| n.bare_number));
        assert_eq!(
            (notes[0].span.clone(), notes[0].value.as_str()),
            (4..7, "5m")
        );
        assert_eq!(notes[1].value, "2s");
        let (one, notes) = collect_spellings(|| toml::from_str::<One>("t = \"5m\"\n").unwrap());
        assert_eq!(one.t, TimeSpan::from_secs(300));
        assert!(!notes[0].bare_number);
        // Nothing is noted outside a collection.
        toml::from_str::<One>("t = 1\n").unwrap();
        assert!(collect_spellings(|| ()).1.is_empty());
        assert!(toml::from_str::<One>("t = -1\n").is_err());
    }

    #[test]
    fn reads_from_a_value_and_round_trips() {
        let v: toml::Value = toml::from_str::<toml::Table>("t = \"2h\"\nms = 5\n")
            .unwrap()
            .into();
        let one: One = v.try_into().unwrap();
        assert_eq!(one.t, TimeSpan::from_secs(7200));
        assert_eq!(one.ms, TimeSpan::from_millis(5));
        assert_eq!(toml::to_string(&one).unwrap(), "t = \"2h\"\nms = \"5ms\"\n");
    }

    #[test]
    fn ranges_name_their_bounds() {
        let t = TimeSpan::<1000>::from_millis(5);
        let e = t
            .within(TimeSpan::from_millis(10), TimeSpan::from_secs(60))
            .unwrap_err();
        assert_eq!(e, "must be between 10ms and 1m, not 5ms");
        assert_eq!(
            within(0, 1..=10).unwrap_err(),
            "must be between 1 and 10, not 0"
        );
        assert!(within(10, 1..=10).is_ok());
    }

    #[test]
    fn patterns() {
        let p = |s: &str| AddrPattern::try_from(s.to_owned()).unwrap();
        assert!(p("postmaster@").matches("postmaster@example.net"));
        assert!(!p("postmaster@").matches("xpostmaster@example.net"));
        assert!(p("@example.com").matches("a@example.com"));
        assert!(p("@example.com").matches("a@mx.example.com"));
        assert!(!p("@example.com").matches("a@badexample.com"));
        assert!(p("A@Example.com").matches("a@example.com"));
        assert!(AddrPattern::try_from("nope".to_owned()).is_err());
        assert!(PrefixLen::<32>::try_from(33).is_err());
        assert!(CidrEntry::try_from("10.0.0.0/8".to_owned()).is_ok());
    }
}
