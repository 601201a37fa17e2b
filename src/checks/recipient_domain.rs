//! Recipient address syntax and domain existence at RCPT, like Postfix's
//! `reject_non_fqdn_recipient` (504 5.5.2) and `reject_unknown_recipient_domain`
//! (550 5.1.2 when DNS says so definitely; a null MX 550 5.1.10; 450 4.1.2 on a
//! temporary failure, through `on_error`). Domains mxgate relays itself
//! (`relay_domains`, `relay_domains_file`) skip the DNS test, as Postfix skips its
//! own destinations. Only the current recipient is judged: a rejection refuses just it.

use super::sender_domain::{judge_address, Side};
use super::{Check, CheckFuture, Finding, BuildEnv, CheckSpec, SetupError};
use crate::address::Address;
use crate::dns::Dns;
use crate::maps::{KeyTable, MapFile};
use crate::session::{Session, Stage};
use crate::verdict::Action;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use crate::values::{check_reload_interval, TimeSpanMs};

crate::check_config! {
    /// `[checks.recipient_domain]`.
    pub struct RecipientDomainConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Tempfail;
        /// Reject a recipient whose domain is not fully qualified (504 5.5.2),
        /// including a recipient without a domain.
        pub require_fqdn: bool = true,
        /// Reject a recipient domain without MX and A/AAAA records, or with a null MX.
        pub require_dns: bool = true,
        /// Domains mxgate relays itself (no DNS test): `example.com` matches that
        /// domain, `.example.com` its subdomains.
        pub relay_domains: Vec<RelayDomain> = Vec::new(),
        /// A map file of more such domains (`domain anything` lines, like Postfix's
        /// relay_domains hash: files), reloaded when it changes.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub relay_domains_file: Option<PathBuf> = None,
        /// How often relay_domains_file is checked for changes, 10ms to 1d (formerly
        /// `reload_interval_ms`, a number of milliseconds).
        #[serde(alias = "reload_interval_ms")]
        pub reload_interval: TimeSpanMs = TimeSpanMs::from_secs(1),
    }
}

/// A relay domain (`example.com` or `.example.com`), lower-cased; refused at load when
/// it is not a domain name.
#[derive(Clone, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(try_from = "String", into = "String")]
pub struct RelayDomain(String);

impl TryFrom<String> for RelayDomain {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let lower = s.trim().to_lowercase();
        let bare = lower.strip_prefix('.').unwrap_or(&lower);
        if bare.is_empty() || bare.contains('@') || bare.split('.').any(str::is_empty) {
            return Err(format!(
                "relay_domains entry {s:?} is not a domain (`example.com` or `.example.com`)"
            ));
        }
        Ok(RelayDomain(lower))
    }
}

impl From<RelayDomain> for String {
    fn from(d: RelayDomain) -> String {
        d.0
    }
}

/// The recipient domain check as a plugin.
pub struct RecipientDomain;

impl CheckSpec for RecipientDomain {
    const NAME: &'static str = "recipient_domain";
    const STAGES: &'static [Stage] = &[Stage::Rcpt];
    const SUMMARY: &'static str = "recipient domain: non-FQDN 504 5.5.2, no MX/A/AAAA 550 5.1.2, temporary 450 4.1.2";
    type Config = RecipientDomainConfig;

    fn validate(cfg: &RecipientDomainConfig) -> Result<(), SetupError> {
        check_reload_interval(cfg.reload_interval)
    }

    fn build(cfg: &RecipientDomainConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        let dns = if cfg.require_dns {
            Some(env.resolver()?)
        } else {
            None
        };
        let relay_file = match cfg.relay_domains_file.as_deref() {
            Some(path) => {
                let map = MapFile::<KeyTable>::open(path)
                    .map_err(|e| SetupError::key("relay_domains_file", e.to_string()))?;
                map.watch(cfg.reload_interval.get());
                Some(map)
            }
            None => None,
        };
        Ok(Box::new(RecipientDomainCheck {
            cfg: cfg.clone(),
            dns,
            relay_file,
        }))
    }
}

/// The recipient domain check.
pub struct RecipientDomainCheck {
    cfg: RecipientDomainConfig,
    dns: Option<Arc<Dns>>,
    relay_file: Option<Arc<MapFile<KeyTable>>>,
}

impl RecipientDomainCheck {
    /// True if mxgate relays `domain` itself (configured list or file).
    pub fn is_relay_domain(&self, domain: &str) -> bool {
        let domain = domain.strip_suffix('.').unwrap_or(domain).to_lowercase();
        if self
            .cfg
            .relay_domains
            .iter()
            .any(|d| matches_domain(&d.0, &domain))
        {
            return true;
        }
        let Some(file) = &self.relay_file else {
            return false;
        };
        let table = file.table();
        if table.get(&domain).is_some() {
            return true;
        }
        // `.example.com` entries cover subdomains, as in Postfix's relay_domains.
        let mut rest = domain.as_str();
        while let Some((_, parent)) = rest.split_once('.') {
            if table.get(&format!(".{parent}")).is_some() {
                return true;
            }
            rest = parent;
        }
        false
    }
}

fn matches_domain(entry: &str, domain: &str) -> bool {
    match entry.strip_prefix('.') {
        Some(parent) => domain
            .strip_suffix(parent)
            .is_some_and(|head| head.ends_with('.') && head.len() > 1),
        None => entry == domain,
    }
}

impl Check for RecipientDomainCheck {
    fn name(&self) -> &'static str {
        "recipient_domain"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Rcpt]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(async move {
            let Some(rcpt) = session.current_rcpt() else {
                return Ok(Finding::Pass.into());
            };
            let addr = rcpt.addr.as_str();
            // RFC 5321 4.5.1: `postmaster` without a domain must be accepted.
            if addr.eq_ignore_ascii_case("postmaster") {
                return Ok(Finding::Pass.into());
            }
            let domain = Address::domain_of(addr);
            let dns = if !domain.is_empty() && self.is_relay_domain(domain) {
                tracing::debug!(rcpt = %crate::text::printable(addr, 400), "relay domain: no DNS test");
                None
            } else {
                self.dns
                    .as_deref()
                    .map(|d| (d, d.deadline(session.started)))
            };
            judge_address(
                Side::Recipient,
                addr,
                self.cfg.require_fqdn,
                dns,
                &self.cfg.common(),
            )
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_domain_matching() {
        assert!(matches_domain("example.com", "example.com"));
        assert!(!matches_domain("example.com", "a.example.com"));
        assert!(matches_domain(".example.com", "a.example.com"));
        assert!(matches_domain(".example.com", "b.a.example.com"));
        assert!(!matches_domain(".example.com", "example.com"));
        assert!(!matches_domain(".example.com", "badexample.com"));
        assert!(RelayDomain::try_from("a@b".to_owned()).is_err());
        assert!(RelayDomain::try_from("a..b".to_owned()).is_err());
        assert_eq!(
            RelayDomain::try_from("Example.COM".to_owned()).unwrap().0,
            "example.com"
        );
    }
}
