//! Identifier alignment (RFC 7489 §3.1): which of the message's SPF and DKIM results
//! are about the From domain, strictly (the same name) or relaxed (the same
//! organisational domain).

use super::record::{Alignment, Record};
use crate::org_domain::{normalize, OrgDomains};
use crate::session::{DkimResult, SpfResult, Transaction};

use crate::checks::dkim::{OVER_BODY_BOUND, OVER_HEADER_BOUND};

/// The SPF result against the From domain.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct SpfAlignment {
    /// The domain SPF evaluated (MAIL FROM domain, or the HELO name for the null sender).
    pub domain: String,
    /// Its result.
    pub result: SpfResult,
    /// Its domain is aligned with the From domain (whatever the result).
    pub aligned: bool,
}

/// One DKIM signature against the From domain.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct DkimAlignment {
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// Its result.
    pub result: DkimResult,
    /// `d=` is aligned with the From domain (whatever the result).
    pub aligned: bool,
    /// The DKIM check's reason for a result other than pass.
    pub reason: Option<String>,
}

/// Every result of a message against its From domain.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Alignments {
    /// SPF, when it was evaluated.
    pub spf: Option<SpfAlignment>,
    /// DKIM, one per signature the DKIM check reported.
    pub dkim: Vec<DkimAlignment>,
}

/// True when `id` is aligned with `from` (already normalised) in `mode`.
pub fn aligned(mode: Alignment, from: &str, id: &str, orgs: &OrgDomains) -> bool {
    let Some(id) = normalize(id) else {
        return false;
    };
    match mode {
        Alignment::Strict => id == from,
        Alignment::Relaxed => orgs.same_org(&id, from),
    }
}

impl Alignments {
    /// The results of `tx` against the author domain `from` under `record`'s modes.
    pub fn of(tx: &Transaction, from: &str, record: &Record, orgs: &OrgDomains) -> Self {
        let spf = tx.spf.as_ref().map(|s| SpfAlignment {
            domain: s.domain.clone(),
            result: s.result,
            aligned: aligned(record.aspf, from, &s.domain, orgs),
        });
        let dkim = tx
            .dkim
            .iter()
            .map(|d| DkimAlignment {
                domain: d.domain.clone(),
                selector: d.selector.clone(),
                result: d.result,
                aligned: !d.domain.is_empty() && aligned(record.adkim, from, &d.domain, orgs),
                reason: d.reason.clone(),
            })
            .collect();
        Alignments { spf, dkim }
    }

    /// What makes DMARC pass (an aligned SPF or DKIM pass), for the log.
    pub fn passing(&self) -> Option<String> {
        if let Some(d) = self
            .dkim
            .iter()
            .find(|d| d.aligned && d.result == DkimResult::Pass)
        {
            return Some(format!("aligned DKIM pass d={} s={}", d.domain, d.selector));
        }
        self.spf
            .as_ref()
            .filter(|s| s.aligned && s.result == SpfResult::Pass)
            .map(|s| format!("aligned SPF pass for {}", s.domain))
    }

    /// An aligned identifier that could have passed but could not be verified, for the
    /// log: a DKIM signature over our size bound, a DKIM or SPF temperror.
    pub fn unverified(&self) -> Option<String> {
        if let Some(d) = self.dkim.iter().find(|d| {
            d.aligned
                && (d.result == DkimResult::Temperror
                    || (d.result == DkimResult::Neutral
                        && d.reason.as_deref().is_some_and(|r| {
                            r.starts_with(OVER_BODY_BOUND) || r.starts_with(OVER_HEADER_BOUND)
                        })))
        }) {
            let why = match d.result {
                DkimResult::Temperror => "a temporary error",
                _ if d.reason.as_deref() == Some(OVER_HEADER_BOUND) => {
                    "the header is over what the milter keeps for DKIM"
                }
                _ => "the message is over the DKIM check's max_body_bytes",
            };
            return Some(format!(
                "the aligned DKIM signature d={} s={} was not verified ({why})",
                d.domain, d.selector
            ));
        }
        self.spf
            .as_ref()
            .filter(|s| s.aligned && s.result == SpfResult::Temperror)
            .map(|s| format!("SPF for the aligned {} had a temporary error", s.domain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_and_relaxed() {
        let orgs = OrgDomains::builtin();
        let s = |from, id| aligned(Alignment::Strict, from, id, &orgs);
        let r = |from, id| aligned(Alignment::Relaxed, from, id, &orgs);
        assert!(s("example.com", "Example.COM."));
        assert!(!s("example.com", "mail.example.com"));
        assert!(r("example.com", "mail.example.com"));
        assert!(r("news.example.co.uk", "bounce.example.co.uk"));
        assert!(
            !r("example.co.uk", "other.co.uk"),
            "a public suffix is no organisation"
        );
        assert!(!r("alice.blogspot.com", "bob.blogspot.com"));
        assert!(!r("example.com", ""));
        assert!(!r("example.com", "example.com.evil.test"));
    }
}
