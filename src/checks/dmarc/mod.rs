//! DMARC (RFC 7489) at end of message: the RFC 5322.From domain's policy, identifier
//! alignment of the SPF and DKIM results found earlier ([`crate::session::Transaction::spf`],
//! [`crate::session::Transaction::dkim`]), and what the policy asks for.
//!
//! Policy discovery is RFC 7489's (§6.6.3): `_dmarc.FROM-DOMAIN`, else
//! `_dmarc.ORGANISATIONAL-DOMAIN` with `sp=` applying there, the organisational domain
//! from the Public Suffix List ([`crate::org_domain`]). DMARCbis' DNS tree walk is not
//! done: what senders publish today is written for RFC 7489, and with the suffix list
//! both find the same record for nearly every domain.
//!
//! Temporary failures never become rejections: a lookup that fails, and a message whose
//! only chance of passing was an aligned identifier that could not be verified (an SPF or
//! DKIM temperror, or a DKIM signature the DKIM check left unverified because of its
//! size bound), are `temperror`, for `on_error` to decide.

pub mod align;
pub mod record;

use super::{
    BuildEnv, Check, CheckError, CheckFuture, CheckSpec, Finding, Hit, Outcome, SetupError,
};
use crate::auth_results::{push_ar_value, push_comment_safe, system_host_name, AuthservId};
use crate::checks::common::{Mode, OnError};
use crate::dns::{Dns, DnsError};
use crate::org_domain::OrgDomains;
use crate::session::{DmarcFact, DmarcResult, Fact, Session, Stage};
use crate::values::TimeSpanMs;
use crate::verdict::{Action, HeaderEdit, Reply};
use align::Alignments;
use record::{Parsed, Policy, Record};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::time::Instant;

/// What a DMARC outcome does to the message.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyAction {
    /// Refuse it with the common `action` and `reply` (default 550 5.7.1).
    Reject,
    /// Deliver it with `quarantine_header` added (for the mailbox's filter).
    Header,
    /// Deliver it as it is (the result is still in Authentication-Results).
    Continue,
}

/// The header added to quarantined mail: `"Name: value"`.
#[derive(Clone, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(try_from = "String", into = "String")]
pub struct QuarantineHeader {
    /// Field name.
    pub name: String,
    /// Field value.
    pub value: String,
}

impl TryFrom<String> for QuarantineHeader {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a header: write \"X-Name: value\"");
        let (name, value) = s.split_once(':').ok_or_else(bad)?;
        let (name, value) = (name.trim(), value.trim());
        let name_ok = !name.is_empty()
            && name.len() <= 76
            && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        let value_ok = !value.is_empty()
            && value.len() <= 200
            && value.chars().all(|c| c == ' ' || c.is_ascii_graphic());
        if !name_ok || !value_ok {
            return Err(bad());
        }
        Ok(QuarantineHeader {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }
}

impl From<QuarantineHeader> for String {
    fn from(h: QuarantineHeader) -> String {
        format!("{}: {}", h.name, h.value)
    }
}

impl Default for QuarantineHeader {
    fn default() -> Self {
        QuarantineHeader {
            name: "X-Mxgate-DMARC".into(),
            value: "quarantine".into(),
        }
    }
}

crate::check_config! {
    /// `[checks.dmarc]`. `action` and `reply` are how a message is refused when a key
    /// below says "reject" (default 550 5.7.1 naming the domain).
    pub struct DmarcConfig {
        action: Action::Reject,
        on_error: OnError::Continue;
        /// What a DMARC fail under `p=reject` does: "reject" (with `action` and
        /// `reply`), "header" (add `quarantine_header`, as for quarantine) or
        /// "continue".
        pub reject: PolicyAction = PolicyAction::Reject,
        /// What a DMARC fail under `p=quarantine` does: "header" (add
        /// `quarantine_header`), "reject" or "continue". Mail that `pct=` leaves out
        /// gets the next-lower policy (reject becomes quarantine, quarantine none).
        pub quarantine: PolicyAction = PolicyAction::Header,
        /// The header that marks quarantined mail, "Name: value".
        pub quarantine_header: QuarantineHeader = QuarantineHeader::default(),
        /// What a From that names no single author does (several From fields, a From
        /// with several addresses, one that does not parse or whose domain is not a
        /// host name, a message with more header fields than are kept): the result is
        /// permerror, and a reader may be shown a domain
        /// that was not evaluated, so by default "reject"; "header" or "continue". A
        /// message without From, or whose From has no domain, is permerror and
        /// continues: it claims no domain.
        pub malformed_from: PolicyAction = PolicyAction::Reject,
        /// Time the policy lookups of one message may take together, 10ms to 5m; the
        /// session's `[dns] session_budget` bounds them too.
        pub timeout: TimeSpanMs = TimeSpanMs::from_secs(10),
        /// Add the result to our Authentication-Results header (RFC 8601), merged
        /// with SPF's and DKIM's: `dmarc=fail (p=quarantine dis=quarantine)
        /// header.from=example.com`. Incoming Authentication-Results with our
        /// authserv-id are then removed.
        pub add_authentication_results: bool = true,
        /// Our authserv-id; default: Postfix's `$myhostname` (macro `j`), else this
        /// host's name, else "mxgate". Set it to the same value as `[checks.spf]`'s, so
        /// that the results share one header.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub authserv_id: Option<AuthservId> = None,
        /// Log one "dmarc report" line per evaluated message with what an aggregate
        /// report (RFC 7489 §7.2) is made of: source IP, header From, envelope From
        /// domain, SPF domain, result and alignment, each DKIM signature's d=, s=, result
        /// and alignment, the published p, sp and pct, and the disposition applied.
        pub report_log: bool = false,
    }
}

/// The DMARC check as a plugin.
pub struct Dmarc;

impl CheckSpec for Dmarc {
    const NAME: &'static str = "dmarc";
    const STAGES: &'static [Stage] = &[Stage::Eom];
    // It judges the SPF and DKIM results of the message.
    const AFTER: &'static [&'static str] = &["spf", "dkim"];
    const SUMMARY: &'static str = "DMARC (RFC 7489): the From domain's policy over aligned SPF and DKIM results, reject/quarantine per policy and pct, `Authentication-Results`, per-domain counters (off by default; needs `spf` and `dkim`)";
    const DESCRIPTION: &'static str = "Enforcing DMARC refuses mail that the From domain's owner asks to refuse, including mail that forwarders and mailing lists broke; the shipped config leaves it off so that the operator decides (start with mode = \"log\" and report_log = true).\n\nWithout [checks.spf] and [checks.dkim] enabled there is only part of the evidence, and mail that would pass can fail. The organisational domain comes from the Public Suffix List ([policy] public_suffix_list). A temporary failure (policy lookup, or an aligned SPF or DKIM result that could not be verified, a DKIM signature left unverified by the DKIM check's size bound included) is temperror and goes to on_error: by default the message continues with dmarc=temperror in Authentication-Results.";
    type Config = DmarcConfig;

    fn validate(cfg: &DmarcConfig) -> Result<(), SetupError> {
        cfg.timeout.check(
            "timeout",
            TimeSpanMs::from_millis(10),
            TimeSpanMs::from_secs(300),
        )?;
        crate::checks::common::check_eom_action(cfg.action)
    }

    fn build(cfg: &DmarcConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Ok(Box::new(DmarcCheck::new(
            cfg.clone(),
            env.resolver()?,
            env.org_domains()?,
        )))
    }
}

/// Where the policy came from.
#[derive(Clone, Debug)]
pub struct Found {
    /// The record.
    pub record: Record,
    /// The domain whose `_dmarc` name had it: the From domain or its organisational domain.
    pub domain: String,
    /// True when it is the organisational domain's record for a subdomain (`sp=` applies).
    pub subdomain: bool,
}

impl Found {
    /// The policy for the From domain, before `pct=` sampling.
    pub fn policy(&self) -> Policy {
        if self.subdomain {
            self.record.sp.unwrap_or(self.record.p)
        } else {
            self.record.p
        }
    }
}

/// Why a From header names no author domain.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum FromProblem {
    /// No From field, or one with no address.
    Missing,
    /// An address without a domain (a bare local part, an address literal).
    NoDomain,
    /// More than one From field.
    Several,
    /// One From field with more than one address.
    SeveralAddresses,
    /// A From field that does not parse, or whose domain is not a host name.
    Unusable,
    /// More header fields than the milter keeps: a From may be among those not kept.
    TooManyHeaders,
}

impl FromProblem {
    /// For the log and the header comment.
    pub fn as_str(self) -> &'static str {
        match self {
            FromProblem::Missing => "no From",
            FromProblem::NoDomain => "From without a domain",
            FromProblem::Several => "several From",
            FromProblem::SeveralAddresses => "From with several addresses",
            FromProblem::Unusable => "From does not parse",
            FromProblem::TooManyHeaders => "too many header fields to find From",
        }
    }

    /// True when a reader may be shown a domain other than the one evaluated.
    fn ambiguous(self) -> bool {
        !matches!(self, FromProblem::Missing | FromProblem::NoDomain)
    }
}

/// The RFC 5322.From domain: exactly one From field with exactly one address whose domain
/// is a domain name, lower case, A-labels, no trailing dot (RFC 7489 §6.6.1: mail whose
/// author domain cannot be told is not evaluated as if it had one).
pub fn author_domain(headers: &[(String, String)]) -> Result<String, FromProblem> {
    // The milter stops keeping fields at this bound; a message that reaches it could hide
    // its (real or second) From behind a thousand others.
    if headers.len() >= crate::capture::MAX_HEADERS {
        return Err(FromProblem::TooManyHeaders);
    }
    let mut froms = headers
        .iter()
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case("From"));
    let value = froms.next().map(|(_, v)| v).ok_or(FromProblem::Missing)?;
    if froms.next().is_some() {
        return Err(FromProblem::Several);
    }
    let list = mailparse::addrparse(value).map_err(|_| {
        // Text without an `@` (`From: root`) names no domain that could be forged.
        if value.contains('@') {
            FromProblem::Unusable
        } else {
            FromProblem::NoDomain
        }
    })?;
    let mut addrs = list.iter().flat_map(|a| match a {
        mailparse::MailAddr::Single(s) => std::slice::from_ref(s).iter(),
        mailparse::MailAddr::Group(g) => g.addrs.iter(),
    });
    let addr = addrs.next().ok_or(FromProblem::Missing)?;
    if addrs.next().is_some() {
        return Err(FromProblem::SeveralAddresses);
    }
    let domain = match addr.addr.rsplit_once('@') {
        Some((_, d)) if !d.trim().is_empty() && !d.trim().starts_with('[') => d,
        _ => return Err(FromProblem::NoDomain),
    };
    // Only a host name can have a policy record; anything else a reader might still
    // take for one (`paypal.com>`) must not pass as a domain without a policy.
    crate::org_domain::normalize(domain)
        .filter(|d| {
            d.split('.').all(|l| {
                l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
        })
        .ok_or(FromProblem::Unusable)
}

/// Everything one message's evaluation found, for the verdict, the header and the log.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The author domain, or why there is none.
    pub from: Result<String, FromProblem>,
    /// The result.
    pub result: DmarcResult,
    /// Why, for the log.
    pub reason: String,
    /// The policy record that applies, when one was found.
    pub found: Option<Found>,
    /// What the SPF and DKIM results align with.
    pub alignments: Alignments,
}

/// The built check.
pub struct DmarcCheck {
    cfg: DmarcConfig,
    dns: Arc<Dns>,
    orgs: Arc<OrgDomains>,
    host_name: Option<String>,
}

/// What a result led to.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Disposition {
    None,
    Quarantine,
    Reject,
}

impl Disposition {
    fn as_str(self) -> &'static str {
        match self {
            Disposition::None => "none",
            Disposition::Quarantine => "quarantine",
            Disposition::Reject => "reject",
        }
    }
}

impl DmarcCheck {
    /// The check over the shared resolver and organisational domains.
    pub fn new(cfg: DmarcConfig, dns: Arc<Dns>, orgs: Arc<OrgDomains>) -> Self {
        DmarcCheck {
            cfg,
            dns,
            orgs,
            host_name: system_host_name(),
        }
    }

    /// Evaluates the message of `session` (no verdict yet).
    pub async fn evaluate(&self, session: &Session) -> Evaluation {
        let from = match session.tx.headers_truncated {
            true => Err(FromProblem::TooManyHeaders),
            false => author_domain(&session.tx.headers),
        };
        let mut ev = Evaluation {
            from: from.clone(),
            result: DmarcResult::Permerror,
            reason: String::new(),
            found: None,
            alignments: Alignments::default(),
        };
        let domain = match from {
            Ok(d) => d,
            Err(p) => {
                ev.reason = format!("DMARC permerror: {}", p.as_str());
                return ev;
            }
        };
        let deadline = self
            .dns
            .deadline(session.started)
            .min(Instant::now() + self.cfg.timeout.get());
        let found = match self.discover(&domain, deadline).await {
            Ok(Ok(f)) => f,
            Ok(Err(Discovery::None(why))) => {
                ev.result = DmarcResult::None;
                ev.reason = format!("DMARC none: {why}");
                return ev;
            }
            Ok(Err(Discovery::Invalid(at, why))) => {
                ev.reason = format!("DMARC permerror: the record at _dmarc.{at} has {why}");
                return ev;
            }
            Err(why) => {
                ev.result = DmarcResult::Temperror;
                ev.reason = format!("DMARC temperror: {why}");
                return ev;
            }
        };
        for note in &found.record.notes {
            tracing::debug!(session = %session.id, domain = %found.domain, "dmarc: record: {note}");
        }
        ev.alignments = Alignments::of(&session.tx, &domain, &found.record, &self.orgs);
        let a = &ev.alignments;
        (ev.result, ev.reason) = if let Some(by) = a.passing() {
            (DmarcResult::Pass, format!("DMARC pass for {domain}: {by}"))
        } else if let Some(unverified) = a.unverified() {
            (
                DmarcResult::Temperror,
                format!("DMARC temperror for {domain}: no aligned pass, and {unverified}"),
            )
        } else {
            (
                DmarcResult::Fail,
                format!(
                    "DMARC fail for {domain} (p={}): From not aligned with a passing SPF or DKIM",
                    found.policy()
                ),
            )
        };
        ev.found = Some(found);
        ev
    }

    /// The record for `domain` (RFC 7489 §6.6.3); Err: a temporary failure.
    async fn discover(
        &self,
        domain: &str,
        deadline: Instant,
    ) -> Result<Result<Found, Discovery>, String> {
        match self.lookup(domain, deadline).await? {
            Lookup::One(record) => {
                return Ok(Ok(Found {
                    record,
                    domain: domain.to_owned(),
                    subdomain: false,
                }))
            }
            Lookup::Invalid(why) => return Ok(Err(Discovery::Invalid(domain.to_owned(), why))),
            Lookup::Several => {
                return Ok(Err(Discovery::None(format!(
                    "several DMARC records at _dmarc.{domain}"
                ))))
            }
            Lookup::Nothing => {}
        }
        let org = match self.orgs.org_domain(domain) {
            Some(o) if o != domain => o,
            _ => {
                return Ok(Err(Discovery::None(format!(
                    "no DMARC record for {domain}"
                ))))
            }
        };
        Ok(match self.lookup(&org, deadline).await? {
            Lookup::One(record) => Ok(Found {
                record,
                domain: org,
                subdomain: true,
            }),
            Lookup::Invalid(why) => Err(Discovery::Invalid(org, why)),
            Lookup::Several => Err(Discovery::None(format!(
                "several DMARC records at _dmarc.{org}"
            ))),
            Lookup::Nothing => Err(Discovery::None(format!(
                "no DMARC record for {domain} or {org}"
            ))),
        })
    }

    /// The DMARC records at `_dmarc.DOMAIN`.
    async fn lookup(&self, domain: &str, deadline: Instant) -> Result<Lookup, String> {
        let name = format!("_dmarc.{domain}");
        // A name DNS cannot carry has no record.
        if name.len() > 253 {
            return Ok(Lookup::Nothing);
        }
        let txts = match self.dns.txt(&name, deadline).await {
            Ok(t) => t,
            Err(DnsError::NotFound) => return Ok(Lookup::Nothing),
            Err(DnsError::Temporary(why)) => return Err(format!("looking up {name}: {why}")),
        };
        let mut dmarc = txts.iter().filter(|t| record::is_dmarc(t));
        let Some(first) = dmarc.next() else {
            return Ok(Lookup::Nothing);
        };
        if dmarc.next().is_some() {
            return Ok(Lookup::Several);
        }
        Ok(match record::parse(first) {
            Parsed::Record(r) => Lookup::One(r),
            Parsed::Invalid(why) => Lookup::Invalid(why),
            Parsed::NotDmarc => Lookup::Nothing,
        })
    }

    fn authserv_id(&self, session: &Session) -> String {
        crate::auth_results::authserv_id(
            self.cfg.authserv_id.as_ref(),
            session,
            self.host_name.as_deref(),
        )
    }

    async fn at_eom(&self, session: &Session) -> Result<Outcome, CheckError> {
        let ev = self.evaluate(session).await;
        let domain = ev.from.as_deref().unwrap_or("");
        // What the result asks for, after pct sampling, and what this server does.
        let (asked, setting) = match (&ev.result, &ev.found, &ev.from) {
            (DmarcResult::Fail, Some(found), _) => {
                let mut policy = found.policy();
                if !sampled(found.record.pct, &session.id) {
                    policy = policy.lower();
                }
                match policy {
                    Policy::Reject => (Some(policy), self.cfg.reject),
                    Policy::Quarantine => (Some(policy), self.cfg.quarantine),
                    Policy::None => (Some(policy), PolicyAction::Continue),
                }
            }
            (_, _, Err(p)) if p.ambiguous() => (None, self.cfg.malformed_from),
            _ => (None, PolicyAction::Continue),
        };
        let enforced = self.cfg.mode == Mode::Enforce;
        let disposition = match setting {
            _ if !enforced => Disposition::None,
            PolicyAction::Reject => Disposition::Reject,
            PolicyAction::Header => Disposition::Quarantine,
            PolicyAction::Continue => Disposition::None,
        };

        let facts = vec![Fact::Dmarc(DmarcFact {
            result: ev.result,
            from_domain: domain.to_owned(),
            policy: ev.found.as_ref().map(|f| f.policy().as_str().to_owned()),
        })];
        let mut edits = Vec::new();
        if self.cfg.add_authentication_results {
            let ours = self.authserv_id(session);
            edits.extend(crate::auth_results::remove_forged(session, &ours, Dmarc::NAME));
            edits.push(HeaderEdit::AuthResult {
                authserv_id: ours,
                resinfo: resinfo(&ev, disposition),
            });
        }
        // The header is the quarantine itself: in log mode nothing may change.
        if setting == PolicyAction::Header && enforced {
            let h = &self.cfg.quarantine_header;
            edits.push(HeaderEdit::Add(h.name.clone(), h.value.clone()));
            tracing::info!(
                session = %session.id, queue_id = session.queue_id(), check = Dmarc::NAME,
                header_from = domain, reason = %ev.reason, header = %h.name,
                "dmarc: quarantined with a header"
            );
        }
        crate::metrics::global()
            .count_dmarc(ev.found.as_ref().map(|f| f.domain.as_str()), ev.result);
        if self.cfg.report_log && ev.from.is_ok() {
            report_line(session, &ev, disposition);
        }

        if ev.result == DmarcResult::Temperror {
            return Err(CheckError::Temporary {
                reason: ev.reason,
                reply: Some(Reply::new(
                    451,
                    "4.7.1",
                    &format!(
                        "DMARC: temporary error evaluating {}, try again later",
                        reply_domain(domain)
                    ),
                )),
                facts,
                edits,
            });
        }
        let finding = match setting {
            PolicyAction::Reject => {
                let text = match (asked, &ev.from) {
                    (Some(p), _) => format!(
                        "DMARC: {}'s policy {} this message (From not aligned with a passing SPF or DKIM)",
                        reply_domain(domain),
                        match p {
                            Policy::Reject => "rejects",
                            _ => "quarantines",
                        }
                    ),
                    (None, Err(p)) => format!(
                        "DMARC: {}; the author's domain cannot be told",
                        p.as_str()
                    ),
                    (None, Ok(_)) => "DMARC: message refused".to_owned(),
                };
                // A configured reply applies as it is; otherwise ours, naming the domain.
                let reply = if self.cfg.reply.is_some() {
                    None
                } else {
                    match self.cfg.action {
                        Action::Reject => Some(Reply::new(550, "5.7.1", &text)),
                        Action::Tempfail => Some(Reply::new(451, "4.7.1", &text)),
                        _ => None,
                    }
                };
                Finding::Hit(Hit {
                    reason: ev.reason,
                    action: None,
                    reply,
                })
            }
            PolicyAction::Header | PolicyAction::Continue => Finding::Pass,
        };
        Ok(Outcome {
            finding,
            facts,
            edits,
        })
    }
}

impl Check for DmarcCheck {
    fn name(&self) -> &'static str {
        Dmarc::NAME
    }

    fn stages(&self) -> &'static [Stage] {
        Dmarc::STAGES
    }

    fn check<'a>(&'a self, stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(async move {
            match stage {
                Stage::Eom => self.at_eom(session).await,
                _ => Ok(Finding::Pass.into()),
            }
        })
    }
}

enum Lookup {
    Nothing,
    One(Record),
    Several,
    Invalid(String),
}

enum Discovery {
    /// No record applies (why, for the log).
    None(String),
    /// The record at this domain cannot be used (why).
    Invalid(String, String),
}

/// `pct=` sampling (RFC 7489 §6.6.4): true when the policy applies to this message.
fn sampled(pct: u8, salt: &str) -> bool {
    use std::hash::BuildHasher;
    if pct >= 100 {
        return true;
    }
    if pct == 0 {
        return false;
    }
    // RandomState is keyed randomly per process and per instance: enough for a sample,
    // without a random-number crate.
    let roll = std::collections::hash_map::RandomState::new().hash_one(salt) % 100;
    roll < u64::from(pct)
}

/// A domain for a reply text: printable, no `%` (Postfix would take it for a format).
fn reply_domain(domain: &str) -> String {
    let d = crate::checks::spf::sanitize_explanation(domain);
    if d.is_empty() {
        "the sender".into()
    } else {
        d
    }
}

/// `dmarc=RESULT (p=… dis=…) header.from=DOMAIN` (RFC 8601 §2.7, RFC 7489 §11.2).
fn resinfo(ev: &Evaluation, dis: Disposition) -> String {
    let mut out = format!("dmarc={}", ev.result);
    out.push_str(" (");
    match &ev.found {
        Some(f) => {
            out.push_str("p=");
            out.push_str(f.record.p.as_str());
            if let (true, Some(sp)) = (f.subdomain, f.record.sp) {
                out.push_str(" sp=");
                out.push_str(sp.as_str());
            }
            out.push_str(" dis=");
            out.push_str(dis.as_str());
        }
        None => match &ev.from {
            Err(p) => push_comment_safe(&mut out, p.as_str().chars()),
            Ok(_) => push_comment_safe(&mut out, ev.result_comment().chars()),
        },
    }
    out.push(')');
    if let Ok(d) = &ev.from {
        out.push_str(" header.from=");
        push_ar_value(&mut out, d);
    }
    out
}

impl Evaluation {
    fn result_comment(&self) -> &'static str {
        match self.result {
            DmarcResult::None => "no policy",
            DmarcResult::Temperror => "policy lookup failed",
            DmarcResult::Permerror => "unusable policy record",
            DmarcResult::Pass | DmarcResult::Fail => "",
        }
    }
}

/// One structured line with what an aggregate report row needs (RFC 7489 §7.2,
/// appendix C).
fn report_line(session: &Session, ev: &Evaluation, dis: Disposition) {
    let a = &ev.alignments;
    let dkim: Vec<serde_json::Value> = a
        .dkim
        .iter()
        .map(|d| {
            serde_json::json!({
                "d": d.domain, "s": d.selector, "result": d.result.as_str(), "aligned": d.aligned,
            })
        })
        .collect();
    let found = ev.found.as_ref();
    let sender = session.tx.sender.as_str();
    tracing::info!(
        session = %session.id,
        queue_id = session.queue_id(),
        check = Dmarc::NAME,
        source_ip = %session.client_addr.map(|a| a.to_string()).unwrap_or_default(),
        header_from = ev.from.as_deref().unwrap_or(""),
        envelope_from = crate::address::Address::domain_of(sender),
        spf_domain = a.spf.as_ref().map_or("", |s| s.domain.as_str()),
        spf_result = a.spf.as_ref().map_or("none", |s| s.result.as_str()),
        spf_aligned = a.spf.as_ref().is_some_and(|s| s.aligned),
        dkim = %serde_json::Value::Array(dkim),
        policy_domain = found.map_or("", |f| f.domain.as_str()),
        p = found.map_or("", |f| f.record.p.as_str()),
        sp = found.and_then(|f| f.record.sp).map_or("", |p| p.as_str()),
        pct = found.map_or(100, |f| f.record.pct),
        adkim = found.map_or("", |f| f.record.adkim.as_str()),
        aspf = found.map_or("", |f| f.record.aspf.as_str()),
        result = ev.result.as_str(),
        disposition = dis.as_str(),
        "dmarc report"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_author_domain_needs_one_from_with_one_address() {
        let one = |v: &str| author_domain(&headers(&[("Subject", "x"), ("From", v)]));
        assert_eq!(
            one("Alice <alice@Mail.Example.COM.>"),
            Ok("mail.example.com".into())
        );
        assert_eq!(one("alice@example.com"), Ok("example.com".into()));
        assert_eq!(one("\"a@b\" <a@example.org>"), Ok("example.org".into()));
        assert_eq!(
            one("=?utf-8?q?J=C3=B6rg?= <j@bücher.de>"),
            Ok("xn--bcher-kva.de".into())
        );
        assert_eq!(one("Team: a@example.com;"), Ok("example.com".into()));
        assert_eq!(
            one("a@example.com, b@example.com"),
            Err(FromProblem::SeveralAddresses)
        );
        assert_eq!(one("undisclosed-recipients:;"), Err(FromProblem::Missing));
        assert_eq!(one("root"), Err(FromProblem::NoDomain));
        assert_eq!(one("a@[192.0.2.1]"), Err(FromProblem::NoDomain));
        assert_eq!(one("a@exa..mple.com"), Err(FromProblem::Unusable));
        assert_eq!(one("a@exa*mple.com"), Err(FromProblem::Unusable));
        let mut many = headers(&[("Received", "x"); 999]);
        many.push(("From".into(), "a@example.com".into()));
        assert_eq!(author_domain(&many), Err(FromProblem::TooManyHeaders));
        many.remove(0);
        assert_eq!(author_domain(&many), Ok("example.com".into()));
        assert_eq!(
            author_domain(&headers(&[("Subject", "x")])),
            Err(FromProblem::Missing)
        );
        assert_eq!(
            author_domain(&headers(&[
                ("From", "a@example.com"),
                ("from", "b@example.org")
            ])),
            Err(FromProblem::Several)
        );
    }

    #[test]
    fn hostile_from_values_give_a_result() {
        for v in [
            "",
            "<",
            "<<<@>>>",
            "\"",
            "@",
            "a@",
            "(((",
            "a@b@c",
            &"x".repeat(100_000),
            "é@ü.例え",
            "a@\u{0}",
        ] {
            let _ = author_domain(&headers(&[("From", v)]));
        }
    }

    #[test]
    fn pct_sampling_bounds() {
        assert!((0..100).all(|i| sampled(100, &i.to_string())));
        assert!((0..100).all(|i| !sampled(0, &i.to_string())));
        let hits = (0..2000).filter(|i| sampled(50, &i.to_string())).count();
        assert!((700..1300).contains(&hits), "{hits}");
    }

    #[test]
    fn quarantine_headers_are_checked_at_load() {
        let h = QuarantineHeader::try_from("X-Spam-Flag: YES".to_string()).unwrap();
        assert_eq!((h.name.as_str(), h.value.as_str()), ("X-Spam-Flag", "YES"));
        for bad in ["X-Spam-Flag", ": x", "X Y: z", "X-A:", "X-A: a\r\nB: c"] {
            assert!(
                QuarantineHeader::try_from(bad.to_string()).is_err(),
                "{bad:?}"
            );
        }
        let e = crate::config::parse(
            "[checks.dmarc]\n\nquarantine_header = \"nope\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = crate::config::parse(
            "[checks.dmarc]\naction = \"accept\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("checks.dmarc.action"), "{e}");
    }
}
