//! Greylisting at RCPT: a (client, sender, recipient) triplet seen for the first time
//! gets 450 4.2.0; a retry after `delay` and within `retry_window` passes and is
//! remembered for `max_age`.
//!
//! What makes big senders not notice: the client part of the key follows the sender's
//! infrastructure rather than one address (the SPF-pass domain, else the organisational
//! domain of the verified client name, else the address masked to /24 or /64), so a
//! retry from another outbound host of the same provider still matches; the sender is
//! normalised (BATV, SRS, VERP, `+ext`, digit runs); a client whose triplets passed
//! `auto_allowlist` times skips greylisting altogether.
//!
//! Order: the policy stops at the first enforced verdict, so listing this check after
//! the checks that reject (last in the file) means a recipient another check rejects
//! is never greylisted, and the SPF and rDNS facts the key uses are known.
//!
//! Storage: SQLite (WAL, embedded) or PostgreSQL (shared by several MX hosts). Both
//! decide with the same pure function ([`logic::decide`]) under a row or file lock.
//! Each check remembers passes for up to a minute ([`cache::PassCache`]), so mail that
//! keeps passing costs one store round trip per minute per triplet, not one per RCPT.

pub mod cache;
pub mod key;
pub mod logic;
pub mod pg;
pub mod sqlite;

use super::{
    BuildEnv, Check, CheckError, CheckFuture, CheckSpec, Finding, Hit, Outcome, SetupError,
};
use crate::org_domain::OrgDomains;
use crate::session::{Session, Stage};
use crate::task::AbortOnDrop;
use crate::verdict::{Action, Reply};
use key::KeySource;
use logic::{GreylistStore, Key, Params, Status};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::values::{check_count, TimeSpan};
pub use crate::values::{AddrPattern, CidrEntry, PrefixLen};

/// Where greylist state lives.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// An SQLite file on this host (`path`).
    #[default]
    Sqlite,
    /// The `[database]` PostgreSQL, shared by several MX hosts.
    Postgres,
}

crate::check_config! {
    /// `[checks.greylist]`.
    pub struct GreylistConfig {
        action: Action::Tempfail,
        on_error: crate::checks::common::OnError::Continue;
        /// `sqlite` or `postgres` (uses `[database]`).
        pub store: Backend = Backend::Sqlite,
        /// The SQLite file (its directory must be writable: WAL and shared-memory files).
        pub path: PathBuf = PathBuf::from("/var/lib/mxgate/greylist.sqlite"),
        /// A retry passes this long after the first attempt (whole seconds; shorter
        /// than `retry_window`).
        pub delay: TimeSpan = TimeSpan::from_secs(300),
        /// … if it comes within this long; else greylisting starts over (at most
        /// `max_age`).
        pub retry_window: TimeSpan = TimeSpan::from_secs(2 * 86400),
        /// Passed triplets and auto-allowlisted clients are kept this long after last
        /// use (at most 365d).
        pub max_age: TimeSpan = TimeSpan::from_secs(35 * 86400),
        /// Client part of the key: the first available of these.
        pub key: Vec<KeySource> = vec![KeySource::Spf, KeySource::Name, KeySource::Address],
        /// IPv4 client addresses are masked to this prefix.
        pub ipv4_prefix: PrefixLen<32> = PrefixLen(24),
        /// IPv6 client addresses are masked to this prefix.
        pub ipv6_prefix: PrefixLen<128> = PrefixLen(64),
        /// Characters that start an address extension in sender local parts (Postfix's
        /// recipient_delimiter).
        pub recipient_delimiter: String = "+".into(),
        /// A client key whose triplets passed this many times skips greylisting (0: off;
        /// at most 1000000).
        pub auto_allowlist: u32 = 5,
        /// Clients never greylisted (addresses or CIDR ranges).
        pub allow_clients: Vec<CidrEntry> = Vec::new(),
        /// Clients whose verified name is one of these or under one (`google.com`
        /// matches `mail-x.google.com`).
        pub allow_client_names: Vec<String> = Vec::new(),
        /// Senders never greylisted (`user@example.com`, `user@`, `@example.com`).
        pub allow_senders: Vec<AddrPattern> = Vec::new(),
        /// Recipients never greylisted.
        pub allow_recipients: Vec<AddrPattern> = vec![
            AddrPattern::known("postmaster@"),
            AddrPattern::known("abuse@"),
        ],
        /// Greylist only clients another check flagged: no verified client name, or a
        /// DNSBL score of at least `flagged_dnsbl_score`.
        pub only_flagged: bool = false,
        /// With `only_flagged`: the DNSBL score that flags a client (1 to 1000).
        pub flagged_dnsbl_score: i32 = 1,
        /// With `only_flagged`: a client without a verified name counts as flagged.
        pub flag_unverified: bool = true,
        /// How often old entries are deleted (1s to 1d).
        pub expire_interval: TimeSpan = TimeSpan::from_secs(3600),
    }
}

impl GreylistConfig {
    /// The timing parameters, in seconds (validation at load has checked
    /// that they are whole seconds within a year).
    pub fn params(&self) -> Params {
        let secs = |t: TimeSpan| i64::try_from(t.get().as_secs()).unwrap_or(i64::MAX);
        Params {
            delay: secs(self.delay),
            retry_window: secs(self.retry_window),
            max_age: secs(self.max_age),
            auto_allowlist: i64::from(self.auto_allowlist),
        }
    }

    fn validate(&self) -> Result<(), SetupError> {
        for (key, t) in [
            ("delay", self.delay),
            ("retry_window", self.retry_window),
            ("max_age", self.max_age),
            ("expire_interval", self.expire_interval),
        ] {
            if t.whole_secs().is_none() {
                return Err(SetupError::key(
                    key,
                    format!("{t}: greylisting counts whole seconds"),
                ));
            }
        }
        if self.retry_window <= self.delay {
            return Err(SetupError::key(
                "retry_window",
                format!(
                    "retry_window ({}) must be longer than delay ({})",
                    self.retry_window, self.delay
                ),
            ));
        }
        if self.max_age < self.retry_window {
            return Err(SetupError::key(
                "max_age",
                format!(
                    "max_age ({}) must be at least retry_window ({})",
                    self.max_age, self.retry_window
                ),
            ));
        }
        self.max_age.check(
            "max_age",
            TimeSpan::from_secs(1),
            TimeSpan::from_secs(365 * 86400),
        )?;
        self.expire_interval.check(
            "expire_interval",
            TimeSpan::from_secs(1),
            TimeSpan::from_secs(86400),
        )?;
        check_count("auto_allowlist", self.auto_allowlist, 0..=1_000_000)?;
        check_count("flagged_dnsbl_score", self.flagged_dnsbl_score, 1..=1000)?;
        if self.key.is_empty() {
            return Err(SetupError::key(
                "key",
                "key must name at least one of \"spf\", \"name\", \"address\"",
            ));
        }
        Ok(())
    }
}

/// The current time as Unix seconds; injectable so tests need not wait.
pub trait Clock: Send + Sync {
    /// Unix time in seconds.
    fn now(&self) -> i64;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A clock tests set and advance.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock at `t`.
    pub fn new(t: i64) -> Self {
        ManualClock(AtomicI64::new(t))
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets the time.
    pub fn set(&self, t: i64) {
        self.0.store(t, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Counters since the check was built.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Counters {
    /// RCPTs greylisted.
    pub greylisted: u64,
    /// RCPTs that passed through the store (retried, known, auto-allowlisted).
    pub passed: u64,
    /// RCPTs skipped by a static allowlist or gating.
    pub skipped: u64,
    /// Store failures (handled by on_error).
    pub errors: u64,
}

/// Publishes the counters of the current check (a reload re-registers them; the old
/// check's values vanish with it, so the series restart from zero as counters do).
fn register_gauges(inner: &Arc<Inner>) {
    type Pick = fn(&AtomicCounters) -> &AtomicU64;
    let series: [(&'static str, &'static str, Pick); 4] = [
        (
            "mxgate_greylist_greylisted",
            "RCPTs greylisted since start or reload.",
            |c| &c.greylisted,
        ),
        (
            "mxgate_greylist_passed",
            "RCPTs that passed the greylist since start or reload.",
            |c| &c.passed,
        ),
        (
            "mxgate_greylist_skipped",
            "RCPTs skipped by allowlists or gating since start or reload.",
            |c| &c.skipped,
        ),
        (
            "mxgate_greylist_store_errors",
            "Greylist store failures since start or reload.",
            |c| &c.errors,
        ),
    ];
    for (name, help, pick) in series {
        let weak = Arc::downgrade(inner);
        crate::metrics::global().register_gauge(name, help, move || {
            weak.upgrade()
                .map(|i| pick(&i.counters).load(Ordering::Relaxed) as f64)
        });
    }
}

#[derive(Default)]
struct AtomicCounters {
    greylisted: AtomicU64,
    passed: AtomicU64,
    skipped: AtomicU64,
    errors: AtomicU64,
}

/// Opens the configured store.
pub fn open_store(
    cfg: &GreylistConfig,
    env: &BuildEnv<'_>,
) -> Result<Arc<dyn GreylistStore>, SetupError> {
    match cfg.store {
        Backend::Sqlite => sqlite::SqliteStore::open(&cfg.path)
            .map(|s| Arc::new(s) as Arc<dyn GreylistStore>)
            .map_err(|e| SetupError::key("path", e.to_string())),
        Backend::Postgres => Ok(Arc::new(pg::PgStore::new(
            env.pool()?,
            env.database.query_timeout(),
            env.database.migrate_on_start,
        ))),
    }
}

/// The greylist check as a plugin.
pub struct Greylist;

impl CheckSpec for Greylist {
    const NAME: &'static str = "greylist";
    const STAGES: &'static [Stage] = &[Stage::Rcpt];
    // A recipient another RCPT check refuses must never create a triplet.
    const AFTER: &'static [&'static str] = &["recipient_domain", "relay", "denylist"];
    const SUMMARY: &'static str = "greylisting keyed on the sender's infrastructure (SPF-pass domain, verified name, /24 or /64), SQLite or PostgreSQL shared across MX hosts";
    type Config = GreylistConfig;

    fn validate(cfg: &GreylistConfig) -> Result<(), SetupError> {
        cfg.validate()
    }

    fn build(cfg: &GreylistConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        let store = open_store(cfg, env)?;
        Ok(Box::new(GreylistCheck::with_org_domains(
            cfg.clone(),
            store,
            Arc::new(SystemClock),
            env.org_domains()?,
        )))
    }
}

/// The greylist check.
pub struct GreylistCheck {
    inner: Arc<Inner>,
    // Stops the expiry task when the check goes (the policy is rebuilt on SIGHUP).
    _expiry: Option<AbortOnDrop>,
}

struct Inner {
    cfg: GreylistConfig,
    params: Params,
    store: Arc<dyn GreylistStore>,
    clock: Arc<dyn Clock>,
    counters: AtomicCounters,
    passes: cache::PassCache,
    /// Organisational domains for `name:` keys.
    orgs: Arc<OrgDomains>,
}

impl GreylistCheck {
    /// Builds the check over `store` with `clock`; starts the expiry task when a tokio
    /// runtime is running.
    pub fn new(cfg: GreylistConfig, store: Arc<dyn GreylistStore>, clock: Arc<dyn Clock>) -> Self {
        Self::with_org_domains(cfg, store, clock, Arc::new(OrgDomains::builtin()))
    }

    /// Like [`GreylistCheck::new`], with the organisational domains of `[policy]
    /// public_suffix_list`.
    pub fn with_org_domains(
        cfg: GreylistConfig,
        store: Arc<dyn GreylistStore>,
        clock: Arc<dyn Clock>,
        orgs: Arc<OrgDomains>,
    ) -> Self {
        let params = cfg.params();
        let passes = cache::PassCache::new(&params);
        let interval = cfg.expire_interval.get().max(Duration::from_secs(1));
        let inner = Arc::new(Inner {
            cfg,
            params,
            store,
            clock,
            counters: AtomicCounters::default(),
            passes,
            orgs,
        });
        register_gauges(&inner);
        let expiry = tokio::runtime::Handle::try_current().ok().map(|rt| {
            let weak = Arc::downgrade(&inner);
            AbortOnDrop::new(rt.spawn(expiry_loop(weak, interval)).abort_handle())
        });
        GreylistCheck {
            inner,
            _expiry: expiry,
        }
    }

    /// Counters since the check was built.
    pub fn counters(&self) -> Counters {
        let c = &self.inner.counters;
        Counters {
            greylisted: c.greylisted.load(Ordering::Relaxed),
            passed: c.passed.load(Ordering::Relaxed),
            skipped: c.skipped.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn GreylistStore> {
        &self.inner.store
    }

    /// The triplet key for the session's current recipient (None without a recipient).
    pub fn key(&self, session: &Session) -> Option<Key> {
        self.inner.key(session)
    }

    /// Judges the current recipient: Ok(None) when greylisting is skipped (allowlist,
    /// gating), else the store's status (always asked: the pass cache is not used).
    pub async fn judge(
        &self,
        session: &Session,
    ) -> Result<Option<Status>, crate::store::pg::StoreError> {
        self.inner.judge(session).await
    }
}

async fn expiry_loop(inner: std::sync::Weak<Inner>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let now = inner.clock.now();
        match inner.store.expire(now, &inner.params).await {
            Ok(e) if e.triplets > 0 || e.clients > 0 => tracing::info!(
                check = "greylist",
                triplets = e.triplets,
                clients = e.clients,
                "expired old greylist entries"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(check = "greylist", error = %e, "greylist expiry failed"),
        }
    }
}

/// The verified client name: the rdns check's fact, else Postfix's `{client_name}`
/// (Postfix only reports a name it confirmed forward, else `unknown`).
fn verified_name(session: &Session) -> Option<&str> {
    session.facts.verified_name.as_deref().or_else(|| {
        let n = session.client_name.as_str();
        (!n.is_empty() && n != "unknown" && !n.starts_with('[')).then_some(n)
    })
}

fn name_matches(name: &str, suffix: &str) -> bool {
    let name = name.trim_end_matches('.');
    let suffix = suffix.trim_end_matches('.').trim_start_matches('.');
    name.eq_ignore_ascii_case(suffix)
        || (name.len() > suffix.len()
            && name.as_bytes()[name.len() - suffix.len() - 1] == b'.'
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix))
}

impl Inner {
    fn key(&self, session: &Session) -> Option<Key> {
        let rcpt = session.current_rcpt()?;
        let cfg = &self.cfg;
        let mut client = None;
        for source in &cfg.key {
            client = match source {
                KeySource::Spf => session
                    .tx
                    .spf
                    .as_ref()
                    .filter(|s| s.result == crate::session::SpfResult::Pass && !s.domain.is_empty())
                    .map(|s| {
                        format!(
                            "spf:{}",
                            s.domain.trim_end_matches('.').to_ascii_lowercase()
                        )
                    }),
                KeySource::Name => verified_name(session)
                    .map(|n| key::org_domain(&self.orgs, n))
                    .filter(|d| !d.is_empty())
                    .map(|d| format!("name:{d}")),
                KeySource::Address => session
                    .client_addr
                    .map(|ip| key::masked(ip, cfg.ipv4_prefix.0, cfg.ipv6_prefix.0)),
            };
            if client.is_some() {
                break;
            }
        }
        Some(Key {
            // A non-IP client with no other source: one key for all of them.
            client: client.unwrap_or_else(|| "unknown".into()),
            sender: key::normalize_sender(&session.tx.sender, &cfg.recipient_delimiter),
            rcpt: key::normalize_rcpt(&rcpt.addr),
        })
    }

    /// Why greylisting is skipped for this session and recipient, if it is.
    fn skip_reason(&self, session: &Session) -> Option<&'static str> {
        let cfg = &self.cfg;
        if let Some(ip) = session.client_addr {
            if cfg.allow_clients.iter().any(|c| c.cidr().contains(ip)) {
                return Some("client allowlisted");
            }
        }
        let name = verified_name(session);
        if let Some(n) = name {
            if cfg.allow_client_names.iter().any(|s| name_matches(n, s)) {
                return Some("client name allowlisted");
            }
        }
        let sender = session.tx.sender.to_ascii_lowercase();
        if !sender.is_empty() && cfg.allow_senders.iter().any(|p| p.matches(&sender)) {
            return Some("sender allowlisted");
        }
        if let Some(r) = session.current_rcpt() {
            let r = r.addr.to_ascii_lowercase();
            if cfg.allow_recipients.iter().any(|p| p.matches(&r)) {
                return Some("recipient allowlisted");
            }
        }
        if cfg.only_flagged {
            let flagged = (cfg.flag_unverified && name.is_none())
                || session.facts.dnsbl_score >= cfg.flagged_dnsbl_score;
            if !flagged {
                return Some("client not flagged by other checks");
            }
        }
        None
    }

    async fn judge(
        &self,
        session: &Session,
    ) -> Result<Option<Status>, crate::store::pg::StoreError> {
        if self.skip_reason(session).is_some() {
            return Ok(None);
        }
        let Some(key) = self.key(session) else {
            return Ok(None);
        };
        let now = self.clock.now();
        self.store.check(&key, now, &self.params).await.map(Some)
    }
}

/// 450 4.2.0 for tempfail (RFC 6647's customary code), the action's default otherwise.
fn default_reply(action: Action) -> Option<Reply> {
    match action {
        Action::Tempfail => Some(Reply::new(450, "4.2.0", "Greylisted, try again later")),
        other => Reply::default_for(other),
    }
}

impl Check for GreylistCheck {
    fn name(&self) -> &'static str {
        "greylist"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Rcpt]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(async move {
            let inner = &self.inner;
            let c = &inner.counters;
            if let Some(why) = inner.skip_reason(session) {
                c.skipped.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(session = %session.id, check = "greylist", reason = why, "skipped");
                return Ok(Outcome::from(Finding::Pass));
            }
            let Some(key) = inner.key(session) else {
                return Ok(Outcome::from(Finding::Pass));
            };
            let now = inner.clock.now();
            // A recent pass of this triplet or client key: the store would say the same
            // (see cache.rs for why and for the bound on a purge's delay).
            if let Some(status) = inner.passes.get(&key, now) {
                c.passed.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    session = %session.id, check = "greylist", client = %key.client,
                    status = %status.describe(), cached = true, "pass"
                );
                return Ok(Outcome::from(Finding::Pass));
            }
            match inner.store.check(&key, now, &inner.params).await {
                Ok(status) if status.greylisted() => {
                    c.greylisted.fetch_add(1, Ordering::Relaxed);
                    let mut hit = Hit::new(format!(
                        "{} ({} {} {})",
                        status.describe(),
                        key.client,
                        key.sender,
                        key.rcpt
                    ));
                    // The configured reply, when there is one, must win: a hit's own
                    // reply would override it.
                    if inner.cfg.reply.is_none() {
                        hit.reply = default_reply(inner.cfg.action);
                    }
                    Ok(Outcome::from(Finding::Hit(hit)))
                }
                Ok(status) => {
                    inner.passes.record(&key, &status, now);
                    c.passed.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        session = %session.id, check = "greylist", client = %key.client,
                        status = %status.describe(), "pass"
                    );
                    Ok(Outcome::from(Finding::Pass))
                }
                Err(e) => {
                    c.errors.fetch_add(1, Ordering::Relaxed);
                    Err(CheckError::temporary(
                        format!("greylist {} store: {e}", inner.store.backend()),
                        None,
                    ))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names() {
        assert!(name_matches("mail-x.google.com", "google.com"));
        assert!(name_matches("google.com", ".google.com"));
        assert!(!name_matches("evilgoogle.com", "google.com"));
    }
}
