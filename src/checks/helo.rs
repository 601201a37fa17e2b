//! HELO/EHLO name sanity: empty, bad syntax, not fully qualified, or an address
//! literal that is not the client's address.

use super::{BuildEnv, Check, CheckFuture, CheckSpec, Finding, Hit, SetupError};
use crate::session::{Session, Stage};
use crate::verdict::Action;
use std::net::IpAddr;

crate::check_config! {
    /// `[checks.helo]`.
    pub struct HeloConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Continue;
        /// A name must have a dot and a non-numeric top-level label.
        pub require_fqdn: bool = true,
        /// Labels of letters, digits, `-` and `_`, 1–63 characters, 255 in all.
        pub check_syntax: bool = true,
        /// `[192.0.2.1]` / `[IPv6:…]` must be the client's own address.
        pub check_literal: bool = true,
    }
}

/// The HELO check as a plugin.
pub struct Helo;

impl CheckSpec for Helo {
    const NAME: &'static str = "helo";
    const STAGES: &'static [Stage] = &[Stage::Helo];
    const SUMMARY: &'static str = "HELO/EHLO name sanity: FQDN, syntax, address literal matching the client";
    type Config = HeloConfig;

    fn build(cfg: &HeloConfig, _env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Ok(Box::new(HeloCheck { cfg: cfg.clone() }))
    }
}

/// The HELO check.
pub struct HeloCheck {
    cfg: HeloConfig,
}

impl Check for HeloCheck {
    fn name(&self) -> &'static str {
        "helo"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Helo]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        let finding = match judge(
            &self.cfg,
            session.helo.as_deref().unwrap_or(""),
            session.client_addr,
        ) {
            Some(reason) => Finding::Hit(Hit::new(reason)),
            None => Finding::Pass,
        };
        Box::pin(std::future::ready(Ok(finding.into())))
    }
}

/// The reason a HELO name fails, if it does.
pub fn judge(cfg: &HeloConfig, helo: &str, client: Option<IpAddr>) -> Option<String> {
    let name = helo.trim();
    if name.is_empty() {
        return Some("empty HELO name".into());
    }
    if let Some(inner) = name.strip_prefix('[') {
        let Some(inner) = inner.strip_suffix(']') else {
            return cfg
                .check_syntax
                .then(|| format!("invalid address literal {name:?}"));
        };
        let parsed = match inner.get(..5) {
            Some(p) if p.eq_ignore_ascii_case("ipv6:") => inner[5..]
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .map(IpAddr::V6),
            _ => inner.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
        };
        let Some(literal) = parsed else {
            return cfg
                .check_syntax
                .then(|| format!("invalid address literal {name:?}"));
        };
        if cfg.check_literal {
            if let Some(client) = client {
                if !same_ip(literal, client) {
                    return Some(format!(
                        "address literal {name} does not match client address {client}"
                    ));
                }
            }
        }
        return None;
    }
    if name.parse::<IpAddr>().is_ok() {
        return (cfg.check_syntax || cfg.require_fqdn)
            .then(|| format!("bare IP address {name:?} instead of an address literal"));
    }
    let host = name.strip_suffix('.').unwrap_or(name);
    if cfg.check_syntax {
        if let Some(problem) = hostname_problem(host) {
            return Some(format!("invalid HELO name {}: {problem}", crate::text::quoted(name, 80)));
        }
    }
    if cfg.require_fqdn {
        let tld = host.rsplit('.').next().unwrap_or("");
        if !host.contains('.') || tld.is_empty() || tld.bytes().all(|b| b.is_ascii_digit()) {
            return Some(format!(
                "HELO name {} is not fully qualified",
                crate::text::quoted(name, 80)
            ));
        }
    }
    None
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    let canon = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    canon(a) == canon(b)
}

fn hostname_problem(host: &str) -> Option<&'static str> {
    if host.len() > 255 {
        return Some("longer than 255 characters");
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Some("empty label");
        }
        if label.len() > 63 {
            return Some("label longer than 63 characters");
        }
        // Underscores are invalid in host names but common in Windows HELOs; Postfix
        // accepts them too, so rejecting would only cost legitimate mail.
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Some("character outside letters, digits, '-' and '_'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("label starts or ends with '-'");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(helo: &str, client: &str) -> Option<String> {
        judge(&HeloConfig::default(), helo, client.parse().ok())
    }

    #[test]
    fn good_names_pass() {
        assert_eq!(j("mail.example.com", "192.0.2.1"), None);
        assert_eq!(j("mail.example.com.", "192.0.2.1"), None);
        assert_eq!(j("WIN_HOST.corp.example", "192.0.2.1"), None);
        assert_eq!(j("[192.0.2.1]", "192.0.2.1"), None);
        assert_eq!(j("[IPv6:2001:db8::1]", "2001:db8::1"), None);
        assert_eq!(j("[192.0.2.1]", "::ffff:192.0.2.1"), None);
    }

    #[test]
    fn bad_names_hit() {
        assert!(j("", "192.0.2.1").unwrap().contains("empty"));
        assert!(j("localhost", "192.0.2.1")
            .unwrap()
            .contains("not fully qualified"));
        assert!(j("host.123", "192.0.2.1")
            .unwrap()
            .contains("not fully qualified"));
        assert!(j("bad..example.com", "192.0.2.1")
            .unwrap()
            .contains("empty label"));
        assert!(j("bad!name.example", "192.0.2.1")
            .unwrap()
            .contains("character"));
        assert!(j("-x.example.com", "192.0.2.1").unwrap().contains("'-'"));
        assert!(j("192.0.2.1", "192.0.2.1").unwrap().contains("bare IP"));
        assert!(j("[192.0.2.9]", "192.0.2.1")
            .unwrap()
            .contains("does not match"));
        assert!(j("[300.1.1.1]", "192.0.2.1")
            .unwrap()
            .contains("invalid address literal"));
        assert!(j("[192.0.2.1", "192.0.2.1")
            .unwrap()
            .contains("invalid address literal"));
        let long = format!("{}.example", "a".repeat(64));
        assert!(j(&long, "192.0.2.1").unwrap().contains("63"));
    }

    #[test]
    fn switches_turn_off_parts() {
        let cfg = HeloConfig {
            require_fqdn: false,
            check_literal: false,
            ..HeloConfig::default()
        };
        assert_eq!(judge(&cfg, "localhost", None), None);
        assert_eq!(judge(&cfg, "[192.0.2.9]", "192.0.2.1".parse().ok()), None);
        assert!(judge(&cfg, "bad!name", None).is_some());
    }
}
