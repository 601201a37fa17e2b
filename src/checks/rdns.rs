//! Reverse DNS of the connecting client, like Postfix's
//! `reject_unknown_reverse_client_hostname` (`require = "ptr"`: some PTR record must
//! exist) and `reject_unknown_client_hostname` (`require = "fcrdns"`: some PTR name
//! must resolve forward to the client's address).
//!
//! Only definite answers (NXDOMAIN/NODATA, addresses that do not match) make a hit;
//! a lookup that failed temporarily makes a [`CheckError::Temporary`] with 450 4.7.25,
//! so a DNS outage never turns into a permanent rejection.

use super::{Check, CheckError, CheckFuture, Finding, Hit, Outcome, BuildEnv, CheckSpec, SetupError};
use crate::dns::{reverse_name, Dns, DnsError};
use crate::session::{Fact, Session, Stage};
use crate::verdict::{Action, Reply};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;
use tokio::time::Instant;

/// What the client's reverse DNS must satisfy.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum Require {
    /// A PTR record must exist (Postfix: reject_unknown_reverse_client_hostname).
    Ptr,
    /// A PTR name must resolve back to the client address (Postfix:
    /// reject_unknown_client_hostname).
    #[default]
    Fcrdns,
}

/// How many PTR names are checked at most: 1 to [`PtrLimit::MAX`]; refused at load
/// otherwise, because 0 would reject every client in fcrdns mode and a large value
/// lets one client fan out into many lookups.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(try_from = "i64", into = "i64")]
pub struct PtrLimit(usize);

impl PtrLimit {
    /// The largest accepted value.
    pub const MAX: usize = 50;

    /// The limit as a count.
    pub fn get(self) -> usize {
        self.0
    }
}

impl TryFrom<i64> for PtrLimit {
    type Error = String;

    fn try_from(v: i64) -> Result<Self, String> {
        match usize::try_from(v) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(PtrLimit(n)),
            _ => Err(format!(
                "max_ptr_names must be between 1 and {}, not {v}",
                Self::MAX
            )),
        }
    }
}

impl From<PtrLimit> for i64 {
    fn from(l: PtrLimit) -> i64 {
        // Bounded by PtrLimit::MAX, so the conversion cannot fail in practice.
        i64::try_from(l.0).unwrap_or(i64::MAX)
    }
}

crate::check_config! {
    /// `[checks.rdns]`.
    pub struct RdnsConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Tempfail;
        /// `fcrdns` (a PTR name must resolve back to the client) or `ptr` (a PTR
        /// record must exist).
        pub require: Require = Require::Fcrdns,
        /// PTR names checked at most (after sorting and removing duplicates).
        pub max_ptr_names: PtrLimit = PtrLimit(10),
    }
}

/// The reverse DNS check as a plugin.
pub struct Rdns;

impl CheckSpec for Rdns {
    const NAME: &'static str = "rdns";
    const STAGES: &'static [Stage] = &[Stage::Connect];
    const SUMMARY: &'static str = "reverse DNS of the client: a PTR must exist (`ptr`) or resolve back (`fcrdns`)";
    type Config = RdnsConfig;

    fn build(cfg: &RdnsConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Ok(Box::new(RdnsCheck::new(cfg.clone(), env.resolver()?)))
    }
}

/// The reverse-DNS check.
pub struct RdnsCheck {
    cfg: RdnsConfig,
    dns: Arc<Dns>,
}

impl RdnsCheck {
    /// A check with this configuration using the shared resolver.
    pub fn new(cfg: RdnsConfig, dns: Arc<Dns>) -> Self {
        RdnsCheck { cfg, dns }
    }

    async fn run(&self, session: &Session) -> Result<Outcome, CheckError> {
        // Clients without an address (local socket, unknown family) have nothing to look up.
        let Some(ip) = session.client_addr.map(canonical) else {
            return Ok(Finding::Pass.into());
        };
        let deadline = self.dns.deadline(session.started);
        let raw = match self.dns.ptr(ip, deadline).await {
            Ok(raw) => raw,
            Err(DnsError::NotFound) => {
                return Ok(self.hit(ip, format!("no PTR for {ip}"), Unknown::Reverse, Vec::new()));
            }
            Err(DnsError::Temporary(e)) => {
                return Err(self.temporary(
                    ip,
                    format!(
                        "temporary: {} on {}",
                        short(&e),
                        trim_dot(&reverse_name(ip))
                    ),
                    Vec::new(),
                ));
            }
        };
        let names = normalize_names(raw.clone(), self.cfg.max_ptr_names.get());
        if names.is_empty() {
            // Only names that can never resolve (IP-like, malformed): like Postfix,
            // that is no reverse hostname at all, in both modes.
            let shown: Vec<String> = raw.iter().take(3).map(|n| format!("{n:?}")).collect();
            return Ok(self.hit(
                ip,
                format!("no valid PTR name for {ip} (got {})", shown.join(", ")),
                Unknown::Reverse,
                Vec::new(),
            ));
        }
        let mut facts = vec![Fact::PtrNames(names.clone())];
        let forward = confirm(&self.dns, ip, &names, deadline).await;
        if let Forward::Confirmed(name) = &forward {
            facts.push(Fact::VerifiedName(name.clone()));
        }
        match (self.cfg.require, forward) {
            // In ptr mode the forward lookups only serve the VerifiedName fact (as
            // Postfix computes client_name whatever the restriction); their
            // failures do not count.
            (Require::Ptr, _) | (Require::Fcrdns, Forward::Confirmed(_)) => Ok(Outcome {
                finding: Finding::Pass,
                facts,
                edits: Vec::new(),
            }),
            (Require::Fcrdns, Forward::Temporary(reason)) => {
                Err(self.temporary(ip, format!("temporary: {reason}"), facts))
            }
            (Require::Fcrdns, Forward::Failed(reason)) => {
                Ok(self.hit(ip, reason, Unknown::Forward, facts))
            }
        }
    }

    fn hit(&self, ip: IpAddr, reason: String, kind: Unknown, facts: Vec<Fact>) -> Outcome {
        let mut hit = Hit::new(reason);
        // A configured reply wins in the policy anyway; only fill in our default,
        // and only with the class the action sends (reject 5xx, tempfail 4xx).
        if self.cfg.reply.is_none() {
            hit.reply = default_reply(self.cfg.action, kind, ip);
        }
        Outcome {
            finding: Finding::Hit(hit),
            facts,
            edits: Vec::new(),
        }
    }

    fn temporary(&self, ip: IpAddr, reason: String, facts: Vec<Fact>) -> CheckError {
        CheckError::Temporary {
            reason,
            reply: Some(temp_reply(ip)),
            facts,
            edits: Vec::new(),
        }
    }
}

impl Check for RdnsCheck {
    fn name(&self) -> &'static str {
        "rdns"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Connect]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(self.run(session))
    }
}

/// Which of Postfix's two "unknown" client conditions a hit is.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Unknown {
    /// No (usable) PTR record.
    Reverse,
    /// PTR names exist but none resolves back to the address.
    Forward,
}

/// 550 5.7.25 (RFC 7372: reverse DNS validation failed) for reject, 450 4.7.25 for
/// tempfail, none for actions that send no reply.
pub fn default_reply(action: Action, kind: Unknown, ip: IpAddr) -> Option<Reply> {
    let text = match kind {
        Unknown::Reverse => {
            format!("Client host rejected: cannot find your reverse hostname, [{ip}]")
        }
        Unknown::Forward => format!(
            "Client host rejected: your hostname does not resolve back to your address, [{ip}]"
        ),
    };
    match action {
        Action::Reject => Some(Reply::new(550, "5.7.25", &text)),
        Action::Tempfail => Some(Reply::new(450, "4.7.25", &text)),
        _ => None,
    }
}

/// 450 4.7.25 for a lookup that failed temporarily.
pub fn temp_reply(ip: IpAddr) -> Reply {
    Reply::new(
        450,
        "4.7.25",
        &format!("Client host rejected: cannot find your hostname (temporary DNS failure), [{ip}]"),
    )
}

/// What the forward lookups of the PTR names found.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Forward {
    /// This name (lower-case, no trailing dot) resolves to the client address.
    Confirmed(String),
    /// None confirmed and at least one lookup failed temporarily: the reason.
    Temporary(String),
    /// Every lookup gave a definite answer and none matched: the reason.
    Failed(String),
}

/// Looks up every name concurrently (A for IPv4 clients, AAAA for IPv6) and returns
/// the first name in `names` order that resolves to `ip`. Returns as soon as that
/// name is known (all names before it answered and did not match), so one slow name
/// does not delay a client another name already confirms.
pub async fn confirm(dns: &Arc<Dns>, ip: IpAddr, names: &[String], deadline: Instant) -> Forward {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, name) in names.iter().enumerate() {
        let dns = Arc::clone(dns);
        let name = name.clone();
        tasks.spawn(async move {
            let r = match ip {
                IpAddr::V4(_) => dns
                    .a(&name, deadline)
                    .await
                    .map(|v| v.into_iter().map(IpAddr::V4).collect()),
                IpAddr::V6(_) => dns
                    .aaaa(&name, deadline)
                    .await
                    .map(|v| v.into_iter().map(IpAddr::V6).collect()),
            };
            (i, r)
        });
    }
    let mut slots: Vec<Option<Result<Vec<IpAddr>, DnsError>>> = vec![None; names.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, r)) => {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(r);
                }
            }
            // A task that panicked or was cancelled says nothing about the client; its
            // slot stays empty and counts as a temporary failure below.
            Err(e) => tracing::warn!(error = %e, "rdns: forward lookup task failed"),
        }
        if let Some(name) = first_confirmed(ip, names, &slots) {
            // Dropping the JoinSet aborts the lookups still running.
            return Forward::Confirmed(name);
        }
    }
    judge(ip, names, &slots)
}

/// The first name in order that confirms, once every name before it has answered.
fn first_confirmed(
    ip: IpAddr,
    names: &[String],
    slots: &[Option<Result<Vec<IpAddr>, DnsError>>],
) -> Option<String> {
    for (name, slot) in names.iter().zip(slots) {
        match slot {
            None => return None,
            Some(Ok(addrs)) if addrs.iter().any(|a| canonical(*a) == ip) => {
                return Some(name.clone())
            }
            Some(_) => {}
        }
    }
    None
}

/// The verdict over all forward answers (`None` = no answer, counted as temporary).
pub fn judge(
    ip: IpAddr,
    names: &[String],
    slots: &[Option<Result<Vec<IpAddr>, DnsError>>],
) -> Forward {
    if let Some(name) = first_confirmed(ip, names, slots) {
        return Forward::Confirmed(name);
    }
    let rtype = if ip.is_ipv4() { "A" } else { "AAAA" };
    let mut details = Vec::new();
    for (name, slot) in names.iter().zip(slots) {
        match slot {
            None => {
                return Forward::Temporary(format!("forward lookup of {name} did not finish"));
            }
            Some(Err(DnsError::Temporary(e))) => {
                return Forward::Temporary(format!("{} on {name} ({rtype})", short(e)));
            }
            Some(Err(DnsError::NotFound)) => details.push(format!("{name}: no {rtype} record")),
            Some(Ok(addrs)) => {
                let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                details.push(format!("{name}: {rtype} {}", list.join(" ")));
            }
        }
    }
    let subject = match names {
        [one] => format!("PTR {one} does not"),
        many => format!("PTR names {} do not", many.join(", ")),
    };
    Forward::Failed(format!(
        "{subject} resolve to {ip} ({})",
        details.join("; ")
    ))
}

/// IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is the IPv4 client it stands for.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Lower-case, without trailing dot, only names that could be a host name, sorted
/// and without duplicates, at most `max`. Sorting makes the checked subset and the
/// verified name independent of the order DNS servers rotate answers in, so later
/// checks keyed on the name (greylisting) see the same one every time.
pub fn normalize_names(names: Vec<String>, max: usize) -> Vec<String> {
    let mut out: Vec<String> = names
        .into_iter()
        .map(|n| trim_dot(&n).to_ascii_lowercase())
        .filter(|n| plausible_hostname(n))
        .collect();
    out.sort();
    out.dedup();
    out.truncate(max);
    out
}

/// Like Postfix's valid_hostname plus its refusal of numeric names: a PTR of
/// `192.0.2.1` or `bad name` is no reverse hostname (and must not be looked up).
fn plausible_hostname(name: &str) -> bool {
    if name.is_empty() || name.len() > 253 || name.parse::<IpAddr>().is_ok() {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    let shaped = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    // An all-numeric last label is an address in disguise (`1.2.3.4.5`).
    let numeric_tld = labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    shaped && !numeric_tld
}

fn trim_dot(s: &str) -> &str {
    s.strip_suffix('.').unwrap_or(s)
}

/// The DNS failure in the words an operator greps for.
fn short(e: &str) -> String {
    let lower = e.to_ascii_lowercase();
    if lower.contains("server failure") || lower.contains("servfail") {
        "SERVFAIL".into()
    } else if lower.contains("refused") {
        "REFUSED".into()
    } else if lower.contains("timeout") || lower.contains("timed out") {
        "timeout".into()
    } else {
        e.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_are_normalized_sorted_limited() {
        let got = normalize_names(
            names(&[
                "Mail.Example.TEST.",
                "b.example.test",
                "mail.example.test",
                "192.0.2.1",
                "bad name.example",
                "1.2.3.4.5",
                "",
                "-x.example",
            ]),
            10,
        );
        assert_eq!(got, names(&["b.example.test", "mail.example.test"]));
        let many: Vec<String> = (0..20).map(|i| format!("h{i:02}.example.test")).collect();
        let got = normalize_names(many, 3);
        assert_eq!(
            got,
            names(&["h00.example.test", "h01.example.test", "h02.example.test"])
        );
    }

    #[test]
    fn mapped_v6_is_v4() {
        assert_eq!(canonical(ip("::ffff:192.0.2.10")), ip("192.0.2.10"));
        assert_eq!(canonical(ip("2001:db8::10")), ip("2001:db8::10"));
        assert_eq!(canonical(ip("192.0.2.10")), ip("192.0.2.10"));
    }

    #[test]
    fn judge_confirms_in_name_order() {
        let n = names(&["a.example", "b.example"]);
        let slots = vec![
            Some(Ok(vec![ip("192.0.2.10")])),
            Some(Ok(vec![ip("192.0.2.99"), ip("192.0.2.10")])),
        ];
        assert_eq!(
            judge(ip("192.0.2.10"), &n, &slots),
            Forward::Confirmed("a.example".into())
        );
        // b confirms, but a has not answered yet: no early answer.
        let partial = vec![None, Some(Ok(vec![ip("192.0.2.10")]))];
        assert_eq!(first_confirmed(ip("192.0.2.10"), &n, &partial), None);
        // a answered without a match: b is the verified name.
        let later = vec![
            Some(Err(DnsError::NotFound)),
            Some(Ok(vec![ip("192.0.2.10")])),
        ];
        assert_eq!(
            first_confirmed(ip("192.0.2.10"), &n, &later),
            Some("b.example".into())
        );
    }

    #[test]
    fn confirmation_beats_temporary_and_temporary_beats_failure() {
        let n = names(&["a.example", "b.example"]);
        let confirmed = vec![
            Some(Err(DnsError::Temporary("Server Failure".into()))),
            Some(Ok(vec![ip("192.0.2.10")])),
        ];
        assert_eq!(
            judge(ip("192.0.2.10"), &n, &confirmed),
            Forward::Confirmed("b.example".into())
        );
        let temp = vec![
            Some(Ok(vec![ip("192.0.2.99")])),
            Some(Err(DnsError::Temporary("Server Failure".into()))),
        ];
        assert_eq!(
            judge(ip("192.0.2.10"), &n, &temp),
            Forward::Temporary("SERVFAIL on b.example (A)".into())
        );
        assert!(matches!(
            judge(ip("192.0.2.10"), &n, &[None, Some(Err(DnsError::NotFound))]),
            Forward::Temporary(_)
        ));
    }

    #[test]
    fn definite_negatives_fail_with_details() {
        let one = names(&["liar.example.test"]);
        assert_eq!(
            judge(ip("192.0.2.20"), &one, &[Some(Ok(vec![ip("192.0.2.99")]))]),
            Forward::Failed(
                "PTR liar.example.test does not resolve to 192.0.2.20 (liar.example.test: A 192.0.2.99)"
                    .into()
            )
        );
        let two = names(&["a.example", "b.example"]);
        let Forward::Failed(r) = judge(
            ip("2001:db8::20"),
            &two,
            &[
                Some(Err(DnsError::NotFound)),
                Some(Ok(vec![ip("2001:db8::99")])),
            ],
        ) else {
            panic!("expected a failure");
        };
        assert_eq!(
            r,
            "PTR names a.example, b.example do not resolve to 2001:db8::20 \
             (a.example: no AAAA record; b.example: AAAA 2001:db8::99)"
        );
    }

    #[test]
    fn mapped_forward_answer_matches_v4_client() {
        let n = names(&["a.example"]);
        assert_eq!(
            judge(
                ip("192.0.2.10"),
                &n,
                &[Some(Ok(vec![ip("::ffff:192.0.2.10")]))]
            ),
            Forward::Confirmed("a.example".into())
        );
    }

    #[test]
    fn replies_follow_action_class() {
        let a = ip("192.0.2.30");
        let r = default_reply(Action::Reject, Unknown::Reverse, a).unwrap();
        assert_eq!((r.code, r.xcode.as_str()), (550, "5.7.25"));
        assert!(r.text.contains("cannot find your reverse hostname"));
        r.validate().unwrap();
        let r = default_reply(Action::Tempfail, Unknown::Forward, a).unwrap();
        assert_eq!((r.code, r.xcode.as_str()), (450, "4.7.25"));
        assert!(r.text.contains("does not resolve back"));
        r.validate().unwrap();
        assert_eq!(default_reply(Action::Discard, Unknown::Forward, a), None);
        let t = temp_reply(ip("2001:db8::1"));
        assert_eq!((t.code, t.xcode.as_str()), (450, "4.7.25"));
        t.validate().unwrap();
    }

    #[test]
    fn dns_errors_in_short_words() {
        assert_eq!(short("Server Failure"), "SERVFAIL");
        assert_eq!(short("error response: Refused"), "REFUSED");
        assert_eq!(short("timeout"), "timeout");
        assert_eq!(
            short("session DNS budget spent"),
            "session DNS budget spent"
        );
    }

    fn parse(toml: &str) -> Result<crate::config::Config, crate::config::ConfigError> {
        crate::config::parse(toml, std::path::Path::new("t.toml"))
    }

    #[test]
    fn config_keys_and_defaults() {
        let c = parse("[checks.rdns]\n").unwrap();
        let r = c.section::<RdnsConfig>().unwrap().clone();
        assert_eq!(r.require, Require::Fcrdns);
        assert_eq!(r.max_ptr_names.get(), 10);
        assert_eq!(r.action, Action::Reject);
        assert_eq!(r.on_error, crate::checks::common::OnError::Tempfail);
        let c = parse("[checks.rdns]\nrequire = \"ptr\"\nmax_ptr_names = 3\n").unwrap();
        let r = c.section::<RdnsConfig>().unwrap().clone();
        assert_eq!(r.require, Require::Ptr);
        assert_eq!(r.max_ptr_names.get(), 3);
    }

    #[test]
    fn bad_config_values_are_refused_with_line() {
        let e = parse("[checks.rdns]\nrequire = \"ptr\"\nmax_ptr_names = 0\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("between 1 and 50"), "{e}");
        let e = parse("[checks.rdns]\n\nrequire = \"forward\"\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("fcrdns"), "{e}");
    }
}
