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
pub mod template;

use super::{Check, CheckError, CheckFuture, Finding, Hit, Outcome, BuildEnv, CheckSpec, SetupError};
use crate::checks::common::OnError;
use crate::dns::{nibbles, Dns, DnsError};
use crate::session::{Fact, Session, Stage};
use crate::verdict::{Action, Reply};
use answer::{classify, error_hint, is_listing, AnswerClass, AnswerSpec};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use template::{printable_txt, ReplyTemplate, Vars, DEFAULT_TEMPLATE};
use tokio::time::Instant;

crate::check_config! {
    /// `[checks.dnsbl]`: the lists, the threshold and the self-test.
    pub struct DnsblConfig {
        action: Action::Reject,
        on_error: OnError::Continue;
        /// The lists, as `[[checks.dnsbl.lists]]` tables.
        pub lists: Vec<ListConfig> = Vec::new(),
        /// A summed weight at or above this is a hit (postscreen's
        /// postscreen_dnsbl_threshold).
        pub threshold: Threshold = Threshold(1),
        /// Look up the TXT record of the list that caused a hit, when its reply
        /// template shows it (`{txt}`); one more query, only for listed clients.
        pub query_txt: bool = true,
        /// Query each list's RFC 5782 test points at start and every
        /// `self_test_interval` seconds; disable lists that answer wrongly.
        pub self_test: bool = false,
        /// Seconds between self-tests.
        pub self_test_interval: Seconds = Seconds(300),
    }
}

crate::documented! {
/// One `[[checks.dnsbl.lists]]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ListConfig {
    /// The list's DNS zone, e.g. `zen.spamhaus.org`.
    pub zone: Zone,
    /// Name for logs, facts and `{name}`; the zone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ListName>,
    /// Added to the score when the client is listed; negative for allowlists.
    #[serde(default = "default_weight")]
    pub weight: i32,
    /// Answers that count as listed; empty: any 127.0.0.0/8 answer that is not an
    /// error code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<AnswerSpec>,
    /// Reply text template for hits caused by this list (see [`template`]); else the
    /// check's `reply.text`, else [`DEFAULT_TEMPLATE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyTemplate>,
    /// Query the list for IPv4 clients (and IPv4-mapped IPv6 ones).
    #[serde(default = "yes")]
    pub ipv4: bool,
    /// Query the list for IPv6 clients.
    #[serde(default = "yes")]
    pub ipv6: bool,
}
}

fn default_weight() -> i32 {
    1
}

fn yes() -> bool {
    true
}

/// A DNS zone name: letters, digits, `-`, `_`; no empty labels; stored lower-case
/// without the trailing dot.
#[derive(Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Zone(String);

impl TryFrom<String> for Zone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let z = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let ok_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if z.is_empty() || z.len() > 200 || !z.split('.').all(ok_label) {
            return Err(format!(
                "zone {s:?} is not a DNS name such as \"zen.spamhaus.org\""
            ));
        }
        Ok(Zone(z))
    }
}

impl From<Zone> for String {
    fn from(z: Zone) -> String {
        z.0
    }
}

/// A list's name: 1–64 of letters, digits, `.`, `-`, `_` (it appears in logs and
/// may appear in replies).
#[derive(Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ListName(String);

impl TryFrom<String> for ListName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.is_empty()
            || s.len() > 64
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(format!(
                "list name {s:?}: use 1-64 letters, digits, '.', '-' or '_'"
            ));
        }
        Ok(ListName(s))
    }
}

impl From<ListName> for String {
    fn from(n: ListName) -> String {
        n.0
    }
}

/// The score threshold; at least 1, since 0 or less would hit every client.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Threshold(pub i32);

impl TryFrom<i64> for Threshold {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        i32::try_from(v)
            .ok()
            .filter(|v| *v >= 1)
            .map(Threshold)
            .ok_or_else(|| format!("threshold {v}: must be at least 1 (0 would hit every client)"))
    }
}

impl From<Threshold> for i64 {
    fn from(t: Threshold) -> i64 {
        i64::from(t.0)
    }
}

/// A number of seconds, at least 1.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Seconds(pub u64);

impl TryFrom<i64> for Seconds {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        u64::try_from(v)
            .ok()
            .filter(|v| *v >= 1)
            .map(Seconds)
            .ok_or_else(|| format!("{v}: must be at least 1 second"))
    }
}

impl From<Seconds> for i64 {
    fn from(s: Seconds) -> i64 {
        i64::try_from(s.0).unwrap_or(i64::MAX)
    }
}

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

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
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
            interval: Duration::from_secs(cfg.self_test_interval.0),
            ready,
        });
        let task = match runtime.filter(|_| self_test) {
            Some(rt) => {
                let weak = Arc::downgrade(&inner);
                Some(AbortOnDrop(rt.spawn(self_test_loop(weak)).abort_handle()))
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
            .map(|l| self.self_test_list(l, deadline))
            .collect();
        crate::join::join_all(futs).await;
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
        let futs = self
            .lists
            .iter()
            .map(|l| self.query(l, &prefix, v4, deadline))
            .collect();
        let results = crate::join::join_all(futs).await;

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
mod tests {
    use super::*;

    #[test]
    fn reverse_query_names() {
        let v4: IpAddr = "192.0.2.10".parse().unwrap();
        assert_eq!(query_name(v4, "dnsbl.test"), "10.2.0.192.dnsbl.test");
        assert!(query_prefix(v4).0);
        let mapped: IpAddr = "::ffff:192.0.2.10".parse().unwrap();
        assert_eq!(query_name(mapped, "dnsbl.test"), "10.2.0.192.dnsbl.test");
        assert!(query_prefix(mapped).0);
        let v6: IpAddr = "2001:db8::25".parse().unwrap();
        assert_eq!(
            query_name(v6, "dnsbl.test"),
            "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.dnsbl.test"
        );
        assert!(!query_prefix(v6).0);
        // The RFC 5782 IPv6 test point is not IPv4-mapped in the query sense of a client,
        // but the self-test builds it from nibbles directly.
        assert_eq!(
            nibbles(Ipv4Addr::new(127, 0, 0, 2).to_ipv6_mapped()),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
        );
    }

    fn listed() -> ListResult {
        ListResult::Listed(Ipv4Addr::new(127, 0, 0, 2))
    }

    fn failed() -> ListResult {
        ListResult::Failed("SERVFAIL".into())
    }

    #[test]
    fn tally_weights_and_threshold() {
        let (l, n, s) = (listed(), ListResult::NotListed, ListResult::Skipped);
        assert_eq!(
            tally(&[(1, &l), (1, &n)], 1),
            Tally::Certain {
                score: 1,
                hit: true
            }
        );
        assert_eq!(
            tally(&[(1, &l), (1, &n)], 2),
            Tally::Certain {
                score: 1,
                hit: false
            }
        );
        assert_eq!(
            tally(&[(1, &l), (1, &l)], 2),
            Tally::Certain {
                score: 2,
                hit: true
            }
        );
        // An allowlist cancels a listing.
        assert_eq!(
            tally(&[(2, &l), (-2, &l)], 1),
            Tally::Certain {
                score: 0,
                hit: false
            }
        );
        // Skipped lists (disabled, other family) do not count either way.
        assert_eq!(
            tally(&[(5, &s), (1, &n)], 1),
            Tally::Certain {
                score: 0,
                hit: false
            }
        );
    }

    #[test]
    fn tally_failures_only_matter_when_they_could_change_the_verdict() {
        let (l, n, f) = (listed(), ListResult::NotListed, failed());
        // Already over the threshold; the failed blocklist could only add.
        assert_eq!(
            tally(&[(1, &l), (1, &f)], 1),
            Tally::Certain {
                score: 1,
                hit: true
            }
        );
        // Below, and the failed list could have pushed it over.
        assert_eq!(tally(&[(1, &l), (1, &f)], 2), Tally::Uncertain { score: 1 });
        // Below, and even a listing on the failed list would not reach it.
        assert_eq!(
            tally(&[(1, &n), (1, &f)], 2),
            Tally::Certain {
                score: 0,
                hit: false
            }
        );
        // A failed allowlist could have cancelled a hit.
        assert_eq!(
            tally(&[(1, &l), (-1, &f)], 1),
            Tally::Uncertain { score: 1 }
        );
        // …but not when the hit is far above.
        assert_eq!(
            tally(&[(3, &l), (-1, &f)], 1),
            Tally::Certain {
                score: 3,
                hit: true
            }
        );
        // A failed allowlist on a clean client changes nothing.
        assert_eq!(
            tally(&[(1, &n), (-1, &f)], 1),
            Tally::Certain {
                score: 0,
                hit: false
            }
        );
    }

    fn ok(v: &[&str]) -> Result<Vec<Ipv4Addr>, DnsError> {
        Ok(v.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn self_test_judgement() {
        let nx = Err(DnsError::NotFound);
        let tmp = || Err(DnsError::Temporary("timeout".into()));
        assert_eq!(judge_self_test(&ok(&["127.0.0.2"]), &nx), SelfTest::Good);
        assert!(matches!(
            judge_self_test(&ok(&["127.0.0.2"]), &ok(&["127.0.0.2"])),
            SelfTest::Bad(w) if w.contains("127.0.0.1")
        ));
        assert!(
            matches!(judge_self_test(&nx, &nx), SelfTest::Bad(w) if w.contains("does not list"))
        );
        assert!(matches!(
            judge_self_test(&ok(&["127.255.255.254"]), &ok(&["127.255.255.254"])),
            SelfTest::Bad(w) if w.contains("public")
        ));
        assert!(matches!(
            judge_self_test(&ok(&["198.51.100.7"]), &nx),
            SelfTest::Bad(w) if w.contains("outside")
        ));
        assert!(matches!(judge_self_test(&tmp(), &nx), SelfTest::Unknown(_)));
        assert!(matches!(
            judge_self_test(&ok(&["127.0.0.2"]), &tmp()),
            SelfTest::Unknown(_)
        ));
        // A list that lists everything is bad even if 127.0.0.2 timed out.
        assert!(matches!(
            judge_self_test(&tmp(), &ok(&["127.0.0.2"])),
            SelfTest::Bad(_)
        ));
    }

    fn parse(text: &str) -> Result<crate::config::Config, crate::config::ConfigError> {
        crate::config::parse(text, std::path::Path::new("t.toml"))
    }

    const LISTS: &str = r#"[checks.dnsbl]
threshold = 2
[[checks.dnsbl.lists]]
zone = "Zen.Example."
name = "zen"
weight = 2
answers = ["127.0.0.2", "127.0.0.[4..7]", "127.0.1.0/24", "mask:0x08"]
reply = "Blocked by {name}{txt:: }"
[[checks.dnsbl.lists]]
zone = "wl.example"
weight = -2
ipv6 = false
"#;

    #[test]
    fn config_parses_with_defaults() {
        let c = parse(LISTS).unwrap();
        let d = c.section::<DnsblConfig>().unwrap();
        assert_eq!(d.threshold, Threshold(2));
        assert_eq!(d.on_error, OnError::Continue);
        assert_eq!(d.action, Action::Reject);
        assert!(d.query_txt && !d.self_test);
        assert_eq!(d.self_test_interval, Seconds(300));
        assert_eq!(d.lists[0].zone, Zone("zen.example".into()));
        assert_eq!(d.lists[0].answers.len(), 4);
        assert_eq!(d.lists[1].weight, -2);
        assert!(d.lists[1].ipv4 && !d.lists[1].ipv6);
        assert_eq!(d.lists[1].name, None);
        // The effective config prints and reads back the same.
        let again = parse(&c.to_toml()).unwrap();
        let a = again.section::<DnsblConfig>().unwrap().clone();
        assert_eq!(a.lists[0].answers, d.lists[0].answers);
        assert_eq!(a.lists[0].reply, d.lists[0].reply);
        assert_eq!(a.threshold, d.threshold);
    }

    #[test]
    fn bad_values_refused_at_load_with_line() {
        for (text, line, needle) in [
            (
                "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\nanswers = [\"192.0.2.1\"]\n",
                4,
                "never count",
            ),
            (
                "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"bad zone\"\n",
                3,
                "not a DNS name",
            ),
            ("[checks.dnsbl]\nthreshold = 0\n", 2, "at least 1"),
            (
                "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\nreply = \"{rbl}\"\n",
                4,
                "unknown placeholder",
            ),
            (
                "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\nwieght = 1\n",
                4,
                "unknown field",
            ),
            ("[checks.dnsbl]\nself_test_interval = 0\n", 2, "at least 1"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, Some(line), "{e}");
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn builds_without_runtime_and_refuses_no_lists() {
        let c = parse(&LISTS.replace("threshold = 2", "threshold = 2\nself_test = true")).unwrap();
        let dns = Arc::new(
            Dns::new(&crate::dns::DnsConfig {
                nameservers: vec!["127.0.0.1:9".into()],
                ..Default::default()
            })
            .unwrap(),
        );
        let check = DnsblCheck::new(c.section::<DnsblConfig>().unwrap(), Arc::clone(&dns)).unwrap();
        // No runtime here: the self-test is not started and lists stay enabled.
        assert!(check._self_test.is_none());
        assert!(*check.inner.ready.borrow());
        assert!(check
            .list_stats()
            .iter()
            .all(|s| s.enabled && s.errors == 0));
        assert_eq!(check.list_stats()[0].name, "zen");
        assert_eq!(check.list_stats()[1].name, "wl.example");
        // Refused at load, before any socket is bound, with the line of the list.
        let e = parse("[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\nipv4 = false\nipv6 = false\n").unwrap_err();
        assert!(e.message.contains("never queried"), "{e}");
        assert_eq!(e.line, Some(2), "{e}");
        let e = parse("[checks.dnsbl]\n").unwrap_err();
        assert!(e.message.contains("no lists"), "{e}");
        assert_eq!(e.line, Some(1), "{e}");
    }
}
