//! DNS blocklists and allowlists (connect stage), postscreen style: every list has a
//! weight, the weights of the lists that list the client are summed, and a sum at or
//! above `threshold` is a hit. Allowlists have negative weights.
//!
//! ```toml
//! [checks.dnsbl]
//! threshold = 2
//! [[checks.dnsbl.lists]]
//! zone = "zen.spamhaus.org"
//! answers = ["127.0.0.[2..11]"]
//! weight = 2
//! [[checks.dnsbl.lists]]
//! zone = "list.dnswl.org"
//! answers = ["127.0.[0..255].[1..3]"]
//! weight = -2
//! ```
//!
//! Safety rules that no configuration changes: answers outside 127.0.0.0/8 and the
//! error codes in 127.255.255.0/24 never count as a listing (they are logged and
//! counted per list); a temporary DNS failure never becomes a 5xx — it only matters
//! when the lists that failed could have changed the verdict, and then the check
//! reports a temporary error that `on_error` (default `continue`: fail open)
//! decides. With `self_test`, a list that fails the RFC 5782 test points (lists
//! 127.0.0.1, or does not list 127.0.0.2) is disabled until it answers right again.

pub mod answer;
pub mod config;
pub mod template;

use super::{Check, CheckError, CheckFuture, Finding, Hit, Outcome, BuildEnv, CheckSpec, SetupError};
use crate::values::{check_count, TimeSpan};
use crate::dns::{nibbles, Dns, DnsError};
use crate::session::{Fact, Session, Stage};
use crate::verdict::{Action, Reply};
use answer::{classify, error_hint, is_listing, AnswerClass, AnswerSpec};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
pub use config::{DnsblConfig, ListConfig, ListName, Threshold, Zone};
use crate::task::AbortOnDrop;
use template::{printable_txt, ReplyTemplate, Vars, DEFAULT_TEMPLATE};
use tokio::time::Instant;

/// The DNS list check as a plugin.
pub struct Dnsbl;

impl CheckSpec for Dnsbl {
    const NAME: &'static str = "dnsbl";
    const STAGES: &'static [Stage] = &[Stage::Connect];
    const SUMMARY: &'static str = "DNS blocklists/allowlists: return-code matching, weights and threshold, TXT in the reply, list error codes never counted, RFC 5782 self-test";
    type Config = DnsblConfig;

    fn tables() -> Vec<crate::checks::common::TableDoc> {
        // Defaults of a list with only its required zone.
        let defaults = toml::from_str::<ListConfig>("zone = \"list.example\"")
            .ok()
            .and_then(|l| toml::Table::try_from(l).ok())
            .map(|mut t| {
                t.remove("zone");
                t
            })
            .unwrap_or_default();
        vec![crate::checks::common::TableDoc {
            name: "checks.dnsbl.lists".into(),
            array: true,
            summary: "One table per DNS list; `zone` is required.".into(),
            keys: ListConfig::keys(),
            defaults,
        }]
    }

    fn validate(cfg: &DnsblConfig) -> Result<(), SetupError> {
        DnsblCheck::settings(cfg).map(|_| ())
    }

    fn build(cfg: &DnsblConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        let check = DnsblCheck::new(cfg, env.resolver()?).map_err(SetupError::section)?;
        Ok(Box::new(check))
    }
}

/// Counters and state of one list, for metrics and tests.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ListStats {
    /// The list's name.
    pub name: String,
    /// False while the self-test has the list disabled.
    pub enabled: bool,
    /// Answers that were error codes or outside 127.0.0.0/8.
    pub errors: u64,
    /// Temporary DNS failures (SERVFAIL, timeout, …).
    pub temporary: u64,
}

/// The DNS list check.
pub struct DnsblCheck {
    inner: Arc<Inner>,
    // Aborts the self-test task when the check goes (the policy is rebuilt on SIGHUP).
    _self_test: Option<AbortOnDrop>,
}

struct Inner {
    dns: Arc<Dns>,
    lists: Vec<List>,
    threshold: i64,
    query_txt: bool,
    action: Action,
    reply: Option<Reply>,
    template: ReplyTemplate,
    interval: Duration,
    /// True once the first self-test round is over (or when there is none): until
    /// then a list that lists everything could still be in use.
    ready: tokio::sync::watch::Sender<bool>,
}

struct List {
    zone: String,
    name: String,
    weight: i32,
    answers: Vec<AnswerSpec>,
    template: Option<ReplyTemplate>,
    ipv4: bool,
    ipv6: bool,
    enabled: AtomicBool,
    errors: AtomicU64,
    temporary: AtomicU64,
}

impl List {
    fn stats(&self) -> ListStats {
        ListStats {
            name: self.name.clone(),
            enabled: self.enabled.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            temporary: self.temporary.load(Ordering::Relaxed),
        }
    }
}

/// What one list said about the client.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ListResult {
    /// Not asked: disabled by the self-test, or not for this address family.
    Skipped,
    /// NXDOMAIN, or only answers that do not count.
    NotListed,
    /// Listed, with the first answer that counted.
    Listed(Ipv4Addr),
    /// Temporary DNS failure.
    Failed(String),
}

/// The sum over all lists and whether it decides.
#[derive(Debug, PartialEq, Eq)]
enum Tally {
    /// The lists that answered decide, whatever the failed ones would have said.
    Certain { score: i64, hit: bool },
    /// The failed lists could have changed the verdict.
    Uncertain { score: i64 },
}

/// Sums the weights of the listing lists and decides whether the failed lists
/// could have turned the verdict either way.
fn tally(weights_results: &[(i32, &ListResult)], threshold: i64) -> Tally {
    let mut score = 0i64;
    let (mut up, mut down) = (0i64, 0i64);
    for (w, r) in weights_results {
        let w = i64::from(*w);
        match r {
            ListResult::Listed(_) => score += w,
            ListResult::Failed(_) if w > 0 => up += w,
            ListResult::Failed(_) => down += w,
            _ => {}
        }
    }
    let hit = score >= threshold;
    if (score + up >= threshold) != hit || (score + down >= threshold) != hit {
        Tally::Uncertain { score }
    } else {
        Tally::Certain { score, hit }
    }
}

/// The query-name prefix for a client: reversed octets for IPv4 (and IPv4-mapped
/// IPv6), reversed nibbles for IPv6; with whether it is IPv4.
pub fn query_prefix(ip: IpAddr) -> (bool, String) {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            (true, format!("{}.{}.{}.{}.", o[3], o[2], o[1], o[0]))
        }
        IpAddr::V6(v6) => (false, nibbles(v6)),
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl DnsblCheck {
    /// What can be judged of the section without DNS: the lists and the reply template.
    fn settings(cfg: &DnsblConfig) -> Result<ReplyTemplate, SetupError> {
        cfg.self_test_interval.check(
            "self_test_interval",
            TimeSpan::from_secs(1),
            TimeSpan::from_secs(86400),
        )?;
        for (i, l) in cfg.lists.iter().enumerate() {
            check_count(&format!("lists[{i}].weight"), l.weight, -1000..=1000)?;
        }
        if cfg.lists.is_empty() {
            return Err(SetupError::key(
                "lists",
                "no lists configured: add [[checks.dnsbl.lists]] tables with a zone",
            ));
        }
        if let Some((i, l)) = cfg.lists.iter().enumerate().find(|(_, l)| !l.ipv4 && !l.ipv6) {
            return Err(SetupError::key(
                format!("lists[{i}]"),
                format!(
                    "list {}: ipv4 and ipv6 are both false, so it is never queried",
                    l.zone.0
                ),
            ));
        }
        match &cfg.reply {
            Some(r) => ReplyTemplate::try_from(r.get_ref().text.clone())
                .map_err(|e| SetupError::key("reply.text", e)),
            None => ReplyTemplate::try_from(DEFAULT_TEMPLATE.to_owned()).map_err(SetupError::section),
        }
    }

    /// Builds the check; starts the self-test task when configured and a tokio
    /// runtime is running (without one, e.g. in unit tests, lists stay enabled).
    pub fn new(cfg: &DnsblConfig, dns: Arc<Dns>) -> Result<DnsblCheck, String> {
        let template = Self::settings(cfg).map_err(|e| match e.key {
            Some(k) => format!("{k}: {}", e.message),
            None => e.message,
        })?;
        let lists = cfg
            .lists
            .iter()
            .map(|l| List {
                zone: l.zone.0.clone(),
                name: l
                    .name
                    .as_ref()
                    .map_or_else(|| l.zone.0.clone(), |n| n.0.clone()),
                weight: l.weight,
                answers: l.answers.clone(),
                template: l.reply.clone(),
                ipv4: l.ipv4,
                ipv6: l.ipv6,
                enabled: AtomicBool::new(true),
                errors: AtomicU64::new(0),
                temporary: AtomicU64::new(0),
            })
            .collect();
        let runtime = tokio::runtime::Handle::try_current().ok();
        let self_test = cfg.self_test && runtime.is_some();
        if cfg.self_test && runtime.is_none() {
            tracing::warn!(
                check = "dnsbl",
                "no async runtime: DNS list self-test not started"
            );
        }
        let (ready, _) = tokio::sync::watch::channel(!self_test);
        let inner = Arc::new(Inner {
            dns,
            lists,
            threshold: i64::from(cfg.threshold.0),
            query_txt: cfg.query_txt,
            action: cfg.action,
            reply: cfg.reply.as_ref().map(|r| r.get_ref().to_reply()),
            template,
            interval: cfg.self_test_interval.get(),
            ready,
        });
        let task = match runtime.filter(|_| self_test) {
            Some(rt) => {
                let weak = Arc::downgrade(&inner);
                Some(AbortOnDrop::new(rt.spawn(self_test_loop(weak)).abort_handle()))
            }
            None => None,
        };
        Ok(DnsblCheck {
            inner,
            _self_test: task,
        })
    }

    /// Per-list state and error counters (for metrics).
    pub fn list_stats(&self) -> Vec<ListStats> {
        self.inner.lists.iter().map(List::stats).collect()
    }

    /// Waits until the first self-test round is over (at once without self-test).
    pub async fn ready(&self) {
        let mut rx = self.inner.ready.subscribe();
        // Err only if the sender is gone, which cannot happen while `self` lives.
        let _ = rx.wait_for(|r| *r).await;
    }
}

async fn self_test_loop(weak: Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else {
            return;
        };
        inner.self_test_round().await;
        inner.ready.send_replace(true);
        let interval = inner.interval;
        // Do not keep the lists alive while sleeping.
        drop(inner);
        tokio::time::sleep(interval).await;
    }
}

/// What a self-test round found out about a list.
#[derive(Debug, PartialEq, Eq)]
enum SelfTest {
    /// 127.0.0.2 listed, 127.0.0.1 not.
    Good,
    /// Answers wrongly: disable.
    Bad(String),
    /// Could not tell (temporary failure): keep the current state.
    Unknown(String),
}

/// Judges the answers for the RFC 5782 test points: `listed` for 127.0.0.2 (or
/// ::ffff:127.0.0.2), `clean` for 127.0.0.1 (or ::ffff:127.0.0.1). The list's
/// `answers` filter is not applied: lists answer their test point with codes of
/// their own choosing (zen: 127.0.0.2, .4, .10), which a filter for one sublist
/// need not match; any valid 127.0.0.0/8 answer shows the list works.
fn judge_self_test(
    listed: &Result<Vec<Ipv4Addr>, DnsError>,
    clean: &Result<Vec<Ipv4Addr>, DnsError>,
) -> SelfTest {
    let valid = |v: &[Ipv4Addr]| {
        v.iter()
            .copied()
            .find(|a| classify(*a) == AnswerClass::Listing)
    };
    if let Ok(v) = clean {
        if let Some(a) = valid(v) {
            return SelfTest::Bad(format!(
                "lists the test point 127.0.0.1 (answer {a}): it would list every client"
            ));
        }
        if let Some(a) = v.first() {
            return SelfTest::Bad(format!(
                "answers {a} for the test point 127.0.0.1: {}",
                error_hint(*a)
            ));
        }
    }
    match listed {
        Ok(v) => match valid(v) {
            Some(_) => match clean {
                Err(DnsError::Temporary(e)) => {
                    SelfTest::Unknown(format!("127.0.0.1 test point: {e}"))
                }
                _ => SelfTest::Good,
            },
            None => SelfTest::Bad(format!(
                "answers {} for the test point 127.0.0.2: {}",
                v.first().map(|a| a.to_string()).unwrap_or_default(),
                v.first().map(|a| error_hint(*a)).unwrap_or("")
            )),
        },
        Err(DnsError::NotFound) => SelfTest::Bad(
            "does not list the test point 127.0.0.2: wrong zone name, or the list is not working"
                .into(),
        ),
        Err(DnsError::Temporary(e)) => SelfTest::Unknown(format!("127.0.0.2 test point: {e}")),
    }
}

impl Inner {
    async fn self_test_round(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let futs = self
            .lists
            .iter()
            .map(|l| self.self_test_list(l, deadline));
        futures_util::future::join_all(futs).await;
    }

    async fn self_test_list(&self, list: &List, deadline: Instant) {
        let (listed, clean) = if list.ipv4 {
            ("2.0.0.127.".to_owned(), "1.0.0.127.".to_owned())
        } else {
            (
                nibbles(Ipv4Addr::new(127, 0, 0, 2).to_ipv6_mapped()),
                nibbles(Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped()),
            )
        };
        let (listed, clean) = (
            format!("{listed}{}", list.zone),
            format!("{clean}{}", list.zone),
        );
        let (a, b) = tokio::join!(self.dns.a(&listed, deadline), self.dns.a(&clean, deadline));
        for v in [&a, &b].into_iter().flatten() {
            let bad = v
                .iter()
                .filter(|a| classify(**a) != AnswerClass::Listing)
                .count();
            list.errors.fetch_add(bad as u64, Ordering::Relaxed);
        }
        match judge_self_test(&a, &b) {
            SelfTest::Good => {
                if !list.enabled.swap(true, Ordering::Relaxed) {
                    tracing::warn!(check = "dnsbl", list = %list.name, zone = %list.zone,
                        "DNS list passed its self-test again; re-enabled");
                } else {
                    tracing::debug!(check = "dnsbl", list = %list.name, "self-test passed");
                }
            }
            SelfTest::Bad(why) => {
                let was = list.enabled.swap(false, Ordering::Relaxed);
                tracing::error!(check = "dnsbl", list = %list.name, zone = %list.zone,
                    problem = %why,
                    "{}", if was { "DNS list FAILED its self-test; DISABLED until it answers right" }
                          else { "DNS list still fails its self-test; stays disabled" });
            }
            SelfTest::Unknown(why) => {
                tracing::warn!(check = "dnsbl", list = %list.name, zone = %list.zone,
                    problem = %why, enabled = list.enabled.load(Ordering::Relaxed),
                    "DNS list self-test inconclusive; state unchanged");
            }
        }
    }

    async fn query(&self, list: &List, prefix: &str, v4: bool, deadline: Instant) -> ListResult {
        if !list.enabled.load(Ordering::Relaxed) || (v4 && !list.ipv4) || (!v4 && !list.ipv6) {
            return ListResult::Skipped;
        }
        let qname = format!("{prefix}{}", list.zone);
        match self.dns.a(&qname, deadline).await {
            Ok(answers) => {
                let mut listed = None;
                for a in answers {
                    if classify(a) != AnswerClass::Listing {
                        list.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(check = "dnsbl", list = %list.name, query = %qname,
                            answer = %a, hint = error_hint(a),
                            "DNS list error: answer not counted as a listing");
                    } else if listed.is_none() && is_listing(&list.answers, a) {
                        listed = Some(a);
                    }
                }
                listed.map_or(ListResult::NotListed, ListResult::Listed)
            }
            Err(DnsError::NotFound) => ListResult::NotListed,
            Err(DnsError::Temporary(e)) => {
                list.temporary.fetch_add(1, Ordering::Relaxed);
                ListResult::Failed(e)
            }
        }
    }

    async fn judge(&self, session: &Session) -> Result<Outcome, CheckError> {
        let Some(ip) = session.client_addr else {
            // Nothing to look up for a non-IP client; the score is still reported so
            // later checks never see a stale or missing one.
            return Ok(Outcome {
                finding: Finding::Pass,
                facts: vec![Fact::Dnsbl {
                    score: 0,
                    listed: Vec::new(),
                }],
                edits: Vec::new(),
            });
        };
        let deadline = session_deadline(&self.dns, session);
        // Until the first self-test round is over a broken list may still be enabled.
        if !*self.ready.borrow() {
            let mut rx = self.ready.subscribe();
            let _ = tokio::time::timeout_at(deadline, rx.wait_for(|r| *r)).await;
        }
        let client = canonical(ip);
        let (v4, prefix) = query_prefix(client);
        // Polled together on this task (no spawn): the queries may borrow the check.
        let futs = self
            .lists
            .iter()
            .map(|l| self.query(l, &prefix, v4, deadline));
        let results = futures_util::future::join_all(futs).await;

        let listed: Vec<&List> = self
            .lists
            .iter()
            .zip(&results)
            .filter(|(_, r)| matches!(r, ListResult::Listed(_)))
            .map(|(l, _)| l)
            .collect();
        let listed_names: Vec<String> = listed.iter().map(|l| l.name.clone()).collect();
        let weights: Vec<(i32, &ListResult)> = self
            .lists
            .iter()
            .zip(&results)
            .map(|(l, r)| (l.weight, r))
            .collect();
        let tally = tally(&weights, self.threshold);
        let score = match tally {
            Tally::Certain { score, .. } | Tally::Uncertain { score } => score,
        };
        let fact = Fact::Dnsbl {
            score: i32::try_from(score).unwrap_or(if score < 0 { i32::MIN } else { i32::MAX }),
            listed: listed_names,
        };
        let describe = |filter: fn(&ListResult) -> bool| -> String {
            self.lists
                .iter()
                .zip(&results)
                .filter(|(_, r)| filter(r))
                .map(|(l, r)| match r {
                    ListResult::Listed(a) => format!("{} ({a}, weight {})", l.name, l.weight),
                    ListResult::Failed(e) => format!("{} ({e})", l.name),
                    _ => l.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let listed_text = describe(|r| matches!(r, ListResult::Listed(_)));
        let failed_text = describe(|r| matches!(r, ListResult::Failed(_)));
        match tally {
            Tally::Uncertain { score } => Err(CheckError::Temporary {
                reason: format!(
                    "DNS list lookups failed: {failed_text}; could change the verdict (score {score} from the others{}, threshold {})",
                    if listed_text.is_empty() { String::new() } else { format!(": {listed_text}") },
                    self.threshold
                ),
                reply: Some(Reply::new(
                    451,
                    "4.7.1",
                    "Service temporarily unavailable; DNS blocklist lookup failed, try again later",
                )),
                facts: vec![fact],
                edits: Vec::new(),
            }),
            Tally::Certain { hit: false, score } => {
                if !listed_text.is_empty() || !failed_text.is_empty() {
                    tracing::debug!(session = %session.id, check = "dnsbl", score,
                        listed = %listed_text, failed = %failed_text, "below threshold");
                }
                Ok(Outcome {
                    finding: Finding::Pass,
                    facts: vec![fact],
                    edits: Vec::new(),
                })
            }
            Tally::Certain { hit: true, score } => {
                let mut reason = format!(
                    "listed by {listed_text}; score {score} >= threshold {}",
                    self.threshold
                );
                if !failed_text.is_empty() {
                    reason.push_str(&format!("; not answered: {failed_text}"));
                }
                // The list the reply names: the first listing blocklist in config order.
                let culprit = listed
                    .iter()
                    .find(|l| l.weight > 0)
                    .or(listed.first())
                    .copied();
                let reply = match culprit {
                    Some(list) => self.reply_for(list, client, &prefix, deadline).await,
                    None => None,
                };
                Ok(Outcome {
                    finding: Finding::Hit(Hit {
                        reason,
                        action: None,
                        reply,
                    }),
                    facts: vec![fact],
                    edits: Vec::new(),
                })
            }
        }
    }

    /// The reply for a hit caused by `list`, when the action sends one.
    async fn reply_for(
        &self,
        list: &List,
        client: IpAddr,
        prefix: &str,
        deadline: Instant,
    ) -> Option<Reply> {
        let (code, xcode) = match (&self.reply, self.action) {
            (Some(r), _) => (r.code, r.xcode.clone()),
            (None, Action::Reject) => (554, "5.7.1".to_owned()),
            (None, Action::Tempfail) => (450, "4.7.1".to_owned()),
            _ => return None,
        };
        let template = list.template.as_ref().unwrap_or(&self.template);
        let txt = if self.query_txt && template.uses_txt() {
            match self
                .dns
                .txt(&format!("{prefix}{}", list.zone), deadline)
                .await
            {
                Ok(records) => records.first().map(|t| printable_txt(t)),
                Err(e) => {
                    tracing::debug!(check = "dnsbl", list = %list.name, error = %e, "no TXT record");
                    None
                }
            }
        } else {
            None
        };
        let client = client.to_string();
        let text = template.expand(&Vars {
            client: &client,
            zone: &list.zone,
            name: &list.name,
            txt: txt.as_deref(),
        });
        Some(Reply::new(code, &xcode, &text))
    }
}

fn session_deadline(dns: &Dns, session: &Session) -> Instant {
    dns.deadline(session.started)
}

impl Check for DnsblCheck {
    fn name(&self) -> &'static str {
        "dnsbl"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Connect]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(self.inner.judge(session))
    }
}

/// The reverse query name of `ip` in `zone` (for logs and tests).
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    format!("{}{zone}", query_prefix(ip).1)
}

#[cfg(test)]
mod tests;
