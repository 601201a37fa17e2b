//! DMARC policy records (RFC 7489 §6.3, §6.4): the TXT record at `_dmarc.DOMAIN`.
//!
//! Only what a receiver that enforces and logs needs is kept (`p`, `sp`, `adkim`,
//! `aspf`, `pct`, and whether `rua` names a usable URI); `ruf`, `fo`, `rf`, `ri` and
//! unknown tags are skipped, as §6.3 says unknown tags must be.

use std::fmt;

/// A requested Mail Receiver policy (`p=`, `sp=`).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// Monitor only.
    None,
    /// Treat failing mail as suspicious.
    Quarantine,
    /// Refuse failing mail.
    Reject,
}

impl Policy {
    /// The keyword as in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    /// The next-lower policy, applied to mail `pct=` does not select (RFC 7489 §6.6.4).
    pub fn lower(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }

    fn parse(v: &str) -> Option<Policy> {
        // ABNF literal strings are case-insensitive (RFC 5234 §2.3).
        [Policy::None, Policy::Quarantine, Policy::Reject]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(v))
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifier alignment mode (`adkim=`, `aspf=`; RFC 7489 §3.1).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum Alignment {
    /// Same organisational domain.
    #[default]
    Relaxed,
    /// The same domain name.
    Strict,
}

impl Alignment {
    /// `r` or `s`, as in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            Alignment::Relaxed => "r",
            Alignment::Strict => "s",
        }
    }

    fn parse(v: &str) -> Option<Alignment> {
        match v {
            "r" | "R" => Some(Alignment::Relaxed),
            "s" | "S" => Some(Alignment::Strict),
            _ => None,
        }
    }
}

/// A usable DMARC record.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Record {
    /// `p=`: the policy for the domain itself.
    pub p: Policy,
    /// `sp=`: the policy for its subdomains (None: `p` applies).
    pub sp: Option<Policy>,
    /// `adkim=`.
    pub adkim: Alignment,
    /// `aspf=`.
    pub aspf: Alignment,
    /// `pct=`: the percentage of failing mail the policy applies to, 0 to 100.
    pub pct: u8,
    /// Tags the record got wrong that were tolerated (ignored, or `p=none` taken
    /// because of `rua`), for the log.
    pub notes: Vec<String>,
}

/// What one TXT record is.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Parsed {
    /// Not a DMARC record (does not start with `v=DMARC1`): discarded (§6.6.3 step 2).
    NotDmarc,
    /// A DMARC record to apply.
    Record(Record),
    /// A DMARC record without a usable policy and without a usable `rua`: no DMARC
    /// processing (§6.3), reported as permerror. The reason is for the log.
    Invalid(String),
}

/// True when `txt` starts with the `v=DMARC1` tag (white space allowed around `=`), the
/// test that sorts the TXT records at `_dmarc.DOMAIN` before any is parsed.
pub fn is_dmarc(txt: &str) -> bool {
    let first = txt.split(';').next().unwrap_or("");
    match first.split_once('=') {
        // The version value is case-sensitive (%x44 %x4d %x41 %x52 %x43 %x31).
        Some((tag, value)) => tag.trim() == "v" && value.trim() == "DMARC1",
        None => false,
    }
}

/// Parses one TXT record (its strings joined). A tag with a value it cannot have other
/// than `p` and `sp` is ignored, its default applying (a note says so): RFC 7489 defines
/// consequences only for a bad `p` or `sp`, and the defaults (relaxed, `pct=100`) are the
/// ones that apply the owner's policy. A bad or missing `p`, or a bad `sp`, leaves the
/// record usable as `p=none` only when `rua` names a URI (§6.3), so that the owner still
/// gets reports; otherwise it is [`Parsed::Invalid`].
pub fn parse(txt: &str) -> Parsed {
    if !is_dmarc(txt) {
        return Parsed::NotDmarc;
    }
    let mut p = None;
    let mut p_bad = None;
    let mut sp = None;
    let mut sp_bad = None;
    let mut adkim = None;
    let mut aspf = None;
    let mut pct = None;
    let mut rua_usable = false;
    let mut seen: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for spec in txt.split(';').skip(1) {
        let spec = spec.trim();
        if spec.is_empty() {
            continue;
        }
        let Some((tag, value)) = spec.split_once('=') else {
            notes.push(format!("{:?} is not tag=value; ignored", clip(spec)));
            continue;
        };
        let tag = tag.trim().to_ascii_lowercase();
        let value = value.trim();
        if seen.contains(&tag) {
            notes.push(format!("{tag}= repeated; the first one counts"));
            continue;
        }
        seen.push(tag.clone());
        match tag.as_str() {
            "p" => match Policy::parse(value) {
                Some(v) => p = Some(v),
                None => p_bad = Some(value.to_owned()),
            },
            "sp" => match Policy::parse(value) {
                Some(v) => sp = Some(v),
                None => sp_bad = Some(value.to_owned()),
            },
            "adkim" | "aspf" => match Alignment::parse(value) {
                Some(a) if tag == "adkim" => adkim = Some(a),
                Some(a) => aspf = Some(a),
                None => notes.push(format!("{tag}={:?} is not r or s; ignored", clip(value))),
            },
            "pct" => match value.parse::<u8>() {
                Ok(n) if n <= 100 => pct = Some(n),
                _ => notes.push(format!("pct={:?} is not 0 to 100; ignored", clip(value))),
            },
            "rua" => rua_usable = value.split(',').any(|u| is_uri(u.trim())),
            _ => {}
        }
    }
    let trouble = match (&p, &p_bad, &sp_bad) {
        (None, Some(bad), _) => Some(format!(
            "p={:?} is not none, quarantine or reject",
            clip(bad)
        )),
        (None, None, _) => Some("no p= tag".to_owned()),
        (Some(_), _, Some(bad)) => Some(format!(
            "sp={:?} is not none, quarantine or reject",
            clip(bad)
        )),
        _ => None,
    };
    let (p, sp) = match trouble {
        None => (p.unwrap_or(Policy::None), sp),
        Some(why) if rua_usable => {
            notes.push(format!(
                "{why}; taken as p=none because rua= is given (RFC 7489 §6.3)"
            ));
            (Policy::None, None)
        }
        Some(why) => return Parsed::Invalid(why),
    };
    Parsed::Record(Record {
        p,
        sp,
        adkim: adkim.unwrap_or_default(),
        aspf: aspf.unwrap_or_default(),
        pct: pct.unwrap_or(100),
        notes,
    })
}

/// A `dmarc-uri` (RFC 7489 §6.4): a URI with a scheme, an optional `!size` after it.
fn is_uri(u: &str) -> bool {
    let u = u.rsplit_once('!').map_or(u, |(uri, _)| uri);
    let Some((scheme, rest)) = u.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_graphic())
}

/// Record text quoted in a note: bounded, whatever the record holds.
fn clip(s: &str) -> &str {
    crate::text::truncate_bytes(s, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(txt: &str) -> Record {
        match parse(txt) {
            Parsed::Record(r) => r,
            other => panic!("{txt:?}: {other:?}"),
        }
    }

    #[test]
    fn a_full_record() {
        let r = record("v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=s; pct=25; rua=mailto:d@example.com; ruf=mailto:f@example.com; fo=1; ri=86400");
        assert_eq!(r.p, Policy::Reject);
        assert_eq!(r.sp, Some(Policy::Quarantine));
        assert_eq!((r.adkim, r.aspf), (Alignment::Strict, Alignment::Strict));
        assert_eq!(r.pct, 25);
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn defaults_and_spacing() {
        let r = record("v = DMARC1 ;P = Quarantine;");
        assert_eq!(r.p, Policy::Quarantine);
        assert_eq!(r.sp, None);
        assert_eq!((r.adkim, r.aspf), (Alignment::Relaxed, Alignment::Relaxed));
        assert_eq!(r.pct, 100);
        // Unknown tags are ignored without a note (RFC 7489 §6.3).
        assert!(record("v=DMARC1; p=none; np=reject; psd=n; t=y")
            .notes
            .is_empty());
    }

    #[test]
    fn only_records_starting_with_the_version_count() {
        for txt in [
            "v=spf1 -all",
            "p=reject; v=DMARC1",
            "v=DMARC2; p=reject",
            "v=dmarc1; p=reject",
            "v=DMARC1x; p=reject",
            "",
            "v",
            "google-site-verification=abc",
        ] {
            assert_eq!(parse(txt), Parsed::NotDmarc, "{txt:?}");
        }
        assert!(is_dmarc("v=DMARC1"));
        assert!(is_dmarc(" v=DMARC1 ; p=none"));
    }

    #[test]
    fn a_bad_p_falls_back_to_none_only_with_rua() {
        assert_eq!(
            parse("v=DMARC1; p=block"),
            Parsed::Invalid("p=\"block\" is not none, quarantine or reject".into())
        );
        assert_eq!(parse("v=DMARC1"), Parsed::Invalid("no p= tag".into()));
        assert_eq!(
            parse("v=DMARC1; p=reject; sp=maybe"),
            Parsed::Invalid("sp=\"maybe\" is not none, quarantine or reject".into())
        );
        let r = record("v=DMARC1; p=block; rua=mailto:dmarc@example.com!10m");
        assert_eq!(r.p, Policy::None);
        assert_eq!(r.notes.len(), 1);
        assert!(r.notes[0].contains("RFC 7489 §6.3"), "{:?}", r.notes);
        let r = record("v=DMARC1; sp=reject; rua=mailto:dmarc@example.com");
        assert_eq!((r.p, r.sp), (Policy::None, None));
        // An rua without a usable URI does not save it.
        assert!(matches!(
            parse("v=DMARC1; p=x; rua=nothing"),
            Parsed::Invalid(_)
        ));
        assert!(matches!(parse("v=DMARC1; p=x; rua=:x"), Parsed::Invalid(_)));
    }

    #[test]
    fn bad_optional_tags_are_ignored_with_a_note() {
        let r = record("v=DMARC1; p=reject; pct=200; adkim=x; aspf=; junk; p=none");
        assert_eq!(r.p, Policy::Reject, "the first p= counts");
        assert_eq!(r.pct, 100);
        assert_eq!((r.adkim, r.aspf), (Alignment::Relaxed, Alignment::Relaxed));
        assert_eq!(r.notes.len(), 5, "{:?}", r.notes);
        assert_eq!(record("v=DMARC1; p=reject; pct=-1").pct, 100);
        assert_eq!(record("v=DMARC1; p=reject; pct=0").pct, 0);
    }

    #[test]
    fn hostile_records_do_not_panic_and_notes_are_bounded() {
        let long = format!("v=DMARC1; p=reject; pct={}", "9".repeat(10_000));
        let r = record(&long);
        assert!(r.notes[0].len() < 100, "{}", r.notes[0]);
        for txt in [
            "v=DMARC1;;;;",
            "v=DMARC1; =; ==; p==reject",
            "v=DMARC1; p=réjéct; pct=é",
            "v=DMARC1; p=reject; rua=mailto:ä@ü",
            "v=DMARC1\u{0}; p=reject",
        ] {
            let _ = parse(txt);
        }
        assert_eq!(
            lower_chain(Policy::Reject),
            [Policy::Quarantine, Policy::None]
        );
    }

    fn lower_chain(p: Policy) -> [Policy; 2] {
        [p.lower(), p.lower().lower()]
    }
}
