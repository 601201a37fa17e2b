//! Sender address syntax and domain existence at MAIL, like Postfix's
//! `reject_non_fqdn_sender` (504 5.5.2) and `reject_unknown_sender_domain`: a sender
//! domain with no MX and no A/AAAA record gets 550 5.1.8 when DNS says so definitely
//! (NXDOMAIN/NODATA), a null MX (RFC 7505 `MX 0 .`) 550 5.7.27, and a temporary DNS
//! failure 450 4.1.8 through `on_error` — never a 5xx. The null sender and address
//! literals (`user@[192.0.2.1]`) are exempt.
//!
//! The domain helpers ([`fqdn_problem`], [`mail_domain`]) are shared with the
//! recipient domain check.

use super::{Check, CheckError, CheckFuture, Finding, Hit, Outcome, BuildEnv, CheckSpec, SetupError};
use crate::address::Address;
use crate::dns::{Dns, DnsError};
use crate::session::{Session, Stage};
use crate::verdict::{Action, Reply};
use std::sync::Arc;
use tokio::time::Instant;

crate::check_config! {
    /// `[checks.sender_domain]`.
    pub struct SenderDomainConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Tempfail;
        /// Reject a sender whose domain is not fully qualified (504 5.5.2), including a
        /// sender without a domain.
        pub require_fqdn: bool = true,
        /// Reject a sender domain without MX and A/AAAA records, or with a null MX.
        pub require_dns: bool = true,
    }
}

/// The sender domain check as a plugin.
pub struct SenderDomain;

impl CheckSpec for SenderDomain {
    const NAME: &'static str = "sender_domain";
    const STAGES: &'static [Stage] = &[Stage::Mail];
    const SUMMARY: &'static str = "sender syntax and domain: non-FQDN 504 5.5.2, no MX/A/AAAA or null MX 550, temporary 450";
    type Config = SenderDomainConfig;

    fn build(cfg: &SenderDomainConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        let dns = if cfg.require_dns {
            Some(env.resolver()?)
        } else {
            None
        };
        Ok(Box::new(SenderDomainCheck {
            cfg: cfg.clone(),
            dns,
        }))
    }
}

/// The sender domain check.
pub struct SenderDomainCheck {
    cfg: SenderDomainConfig,
    dns: Option<Arc<Dns>>,
}

/// Which side of the envelope a domain check is about: it picks Postfix's wording and
/// the RFC 3463 codes.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Side {
    /// MAIL FROM.
    Sender,
    /// RCPT TO.
    Recipient,
}

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::Sender => "Sender address rejected",
            Side::Recipient => "Recipient address rejected",
        }
    }

    /// Detail of X.1.D for a bad domain: 5.1.8 (sender), 5.1.2 (recipient).
    fn domain_detail(self) -> &'static str {
        match self {
            Side::Sender => "1.8",
            Side::Recipient => "1.2",
        }
    }

    /// RFC 7505 §4: 5.7.27 for a sender domain with a null MX, 5.1.10 for a recipient's.
    fn null_mx_detail(self) -> &'static str {
        match self {
            Side::Sender => "7.27",
            Side::Recipient => "1.10",
        }
    }
}

/// Why a domain failed, with the reply Postfix would give.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Problem {
    NotFqdn,
    NoDomain,
    NullMx,
}

/// A hit for `problem` on `addr`, with a reply of the class the configured action
/// sends (a configured `reply` wins, so the hit carries none then).
fn domain_hit(
    side: Side,
    problem: Problem,
    addr: &str,
    domain: &str,
    reason: String,
    common: &crate::checks::common::CheckCommon,
) -> Finding {
    let shown = crate::text::printable(addr, 400);
    let domain = crate::text::printable(domain, 400);
    let (code5, detail, text) = match problem {
        Problem::NotFqdn => (
            504,
            "5.2",
            format!("<{shown}>: {}: need fully-qualified address", side.label()),
        ),
        Problem::NoDomain => (
            550,
            side.domain_detail(),
            format!("<{shown}>: {}: Domain {domain} not found", side.label()),
        ),
        Problem::NullMx => (
            550,
            side.null_mx_detail(),
            format!(
                "<{shown}>: {}: Domain {domain} does not accept mail (null MX)",
                side.label()
            ),
        ),
    };
    let reply = if common.reply.is_some() {
        None
    } else {
        match common.action {
            Action::Reject => Some(Reply::new(code5, &format!("5.{detail}"), &text)),
            Action::Tempfail => Some(Reply::new(450, &format!("4.{detail}"), &text)),
            _ => None,
        }
    };
    Finding::Hit(Hit {
        reason,
        action: None,
        reply,
    })
}

/// The temporary error for a failed lookup: 450 4.1.8 / 4.1.2.
fn temporary(side: Side, addr: &str, domain: &str, why: &str) -> CheckError {
    let shown = crate::text::printable(addr, 400);
    CheckError::temporary(
        format!("domain {domain} of <{shown}>: {why}"),
        Some(Reply::new(
            450,
            &format!("4.{}", side.domain_detail()),
            &format!(
                "<{shown}>: {}: Domain {} not found (temporary DNS failure)",
                side.label(),
                crate::text::printable(domain, 400)
            ),
        )),
    )
}

/// Judges `addr` (without angle brackets, not the null sender): syntax first, then DNS.
pub(crate) async fn judge_address(
    side: Side,
    addr: &str,
    require_fqdn: bool,
    dns: Option<(&Dns, Instant)>,
    common: &crate::checks::common::CheckCommon,
) -> Result<Outcome, CheckError> {
    let domain = Address::domain_of(addr);
    // Address literals cannot be looked up; Postfix lets them pass both checks.
    if domain.starts_with('[') && domain.ends_with(']') {
        return Ok(Finding::Pass.into());
    }
    if let Some(problem) = fqdn_problem(domain) {
        if require_fqdn {
            return Ok(domain_hit(
                side,
                Problem::NotFqdn,
                addr,
                domain,
                format!("<{}>: {problem}", crate::text::printable(addr, 400)),
                common,
            )
            .into());
        }
        // Without the FQDN rule a name like `localhost` is not worth a DNS query.
        return Ok(Finding::Pass.into());
    }
    let Some((dns, deadline)) = dns else {
        return Ok(Finding::Pass.into());
    };
    match mail_domain(dns, domain, deadline).await {
        Ok(MailDomain::Exists) => Ok(Finding::Pass.into()),
        Ok(MailDomain::NullMx) => Ok(domain_hit(
            side,
            Problem::NullMx,
            addr,
            domain,
            format!("domain {domain} has a null MX (RFC 7505)"),
            common,
        )
        .into()),
        Ok(MailDomain::Missing) => Ok(domain_hit(
            side,
            Problem::NoDomain,
            addr,
            domain,
            format!("domain {domain} has no MX, A or AAAA record"),
            common,
        )
        .into()),
        Err(why) => Err(temporary(side, addr, domain, &why)),
    }
}

/// Why `domain` is not a fully-qualified domain name, if it is not: empty, one label,
/// a numeric top-level label, or bad label syntax (letters, digits, `-`, `_` and
/// UTF-8, 1–63 octets, 253 in all). A trailing dot is allowed.
pub fn fqdn_problem(domain: &str) -> Option<String> {
    if domain.is_empty() {
        return Some("no domain".into());
    }
    let name = domain.strip_suffix('.').unwrap_or(domain);
    if name.len() > 253 {
        return Some("domain longer than 253 characters".into());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Some("empty label in domain".into());
        }
        if label.len() > 63 {
            return Some("domain label longer than 63 characters".into());
        }
        if !label
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Some("domain has characters outside letters, digits, '-' and '_'".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("domain label starts or ends with '-'".into());
        }
    }
    let tld = name.rsplit('.').next().unwrap_or("");
    if !name.contains('.') {
        return Some("domain is not fully qualified".into());
    }
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Some("domain has a numeric top-level label".into());
    }
    None
}

/// What DNS says about a domain as a mail domain.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum MailDomain {
    /// An MX, or (without MX) an A or AAAA record.
    Exists,
    /// Only a null MX (RFC 7505): the domain accepts no mail.
    NullMx,
    /// NXDOMAIN or no MX/A/AAAA at all (definite).
    Missing,
}

/// Looks `domain` up as Postfix's reject_unknown_*_domain does: MX first, then A and
/// AAAA. Err is a temporary failure (never to be turned into a 5xx).
pub async fn mail_domain(dns: &Dns, domain: &str, deadline: Instant) -> Result<MailDomain, String> {
    match dns.mx(domain, deadline).await {
        Ok(mx) => {
            // `MX 0 .` comes back as an empty exchange. Other MX records beside it
            // break RFC 7505, and then the real ones count.
            if mx.iter().all(|(_, host)| host.is_empty() || host == ".") {
                return Ok(MailDomain::NullMx);
            }
            return Ok(MailDomain::Exists);
        }
        Err(DnsError::NotFound) => {}
        Err(DnsError::Temporary(e)) => return Err(format!("MX lookup: {e}")),
    }
    match dns.a(domain, deadline).await {
        Ok(_) => return Ok(MailDomain::Exists),
        Err(DnsError::NotFound) => {}
        Err(DnsError::Temporary(e)) => return Err(format!("A lookup: {e}")),
    }
    match dns.aaaa(domain, deadline).await {
        Ok(_) => Ok(MailDomain::Exists),
        Err(DnsError::NotFound) => Ok(MailDomain::Missing),
        Err(DnsError::Temporary(e)) => Err(format!("AAAA lookup: {e}")),
    }
}

impl Check for SenderDomainCheck {
    fn name(&self) -> &'static str {
        "sender_domain"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Mail]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(async move {
            let sender = session.tx.sender.as_str();
            if sender.is_empty() {
                return Ok(Finding::Pass.into());
            }
            let dns = self
                .dns
                .as_deref()
                .map(|d| (d, d.deadline(session.started)));
            judge_address(
                Side::Sender,
                sender,
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
    fn fqdn_rules() {
        for ok in [
            "example.com",
            "mail.example.com.",
            "xn--bcher-kva.example",
            "b\u{fc}cher.example",
            "a_b.example.org",
        ] {
            assert_eq!(fqdn_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "localhost",
            "host.123",
            "a..b.example",
            "-a.example",
            "a b.example",
            "x.example!",
        ] {
            assert!(fqdn_problem(bad).is_some(), "{bad}");
        }
        assert!(fqdn_problem(&format!("{}.example", "a".repeat(64))).is_some());
    }
}
