//! checks.greylist: one behavioural suite run against both stores (SQLite in a temp dir,
//! PostgreSQL on a throwaway cluster) with a manual clock, so time travels without
//! sleeping; then the daemon over the real milter protocol (session files under
//! tests/sessions/greylist/), two mxgate instances sharing one PostgreSQL database, a
//! database that is down, and `kill -9` of `mxgate run` with the SQLite store.

mod support;

use mxgate::checks::greylist::cache::PASS_TTL;
use mxgate::checks::greylist::logic::{
    Expired, GreylistStore, Key, ListFilter, Listed, ListedClient, Params, Stats, Status,
    StoreFuture, Triplet,
};
use mxgate::checks::greylist::pg::PgStore;
use mxgate::checks::greylist::sqlite::SqliteStore;
use mxgate::checks::greylist::{GreylistCheck, GreylistConfig, ManualClock, SystemClock};
use mxgate::checks::{Check, Finding};
use mxgate::session::{Recipient, Session, SpfFact, SpfResult, Stage};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::daemon::{replay, replay_at, sessions};
use support::pg::PgCluster;

const T0: i64 = 1_700_000_000;

/// A store under test, a way to open a second handle on the same data (another
/// process or MX host), and the clock the checks use.
struct Fixture {
    store: Arc<dyn GreylistStore>,
    clock: Arc<ManualClock>,
    reopen: Box<dyn Fn() -> Arc<dyn GreylistStore> + Send + Sync>,
    _tmp: Option<tempfile::TempDir>,
}

impl Fixture {
    fn sqlite() -> Fixture {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("greylist.sqlite");
        let open = move || -> Arc<dyn GreylistStore> {
            Arc::new(SqliteStore::open(&path).expect("open sqlite store"))
        };
        Fixture {
            store: open(),
            clock: Arc::new(ManualClock::new(T0)),
            reopen: Box::new(open),
            _tmp: Some(tmp),
        }
    }

    async fn postgres(pg: &PgCluster) -> Fixture {
        let db = pg.db_config();
        let open = move || -> Arc<dyn GreylistStore> {
            Arc::new(PgStore::new(
                db.pool().expect("pool"),
                db.query_timeout(),
                true,
            ))
        };
        Fixture {
            store: open(),
            clock: Arc::new(ManualClock::new(T0)),
            reopen: Box::new(open),
            _tmp: None,
        }
    }

    /// A check over this fixture's store with `extra` TOML keys of [checks.greylist].
    fn check(&self, extra: &str) -> GreylistCheck {
        self.check_on(Arc::clone(&self.store), extra)
    }

    fn check_on(&self, store: Arc<dyn GreylistStore>, extra: &str) -> GreylistCheck {
        let cfg: GreylistConfig =
            toml::from_str(extra).unwrap_or_else(|e| panic!("bad test config {extra:?}: {e}"));
        GreylistCheck::new(cfg, store, self.clock.clone())
    }

    fn advance(&self, secs: i64) {
        self.clock.advance(secs);
    }
}

/// An SMTP session at RCPT.
fn session(client: &str, sender: &str, rcpt: &str) -> Session {
    let mut s = Session::new(
        Some(client.parse().expect("client ip")),
        25,
        "unknown".into(),
    );
    s.tx.started = true;
    s.tx.sender = sender.into();
    s.tx.rcpts.push(Recipient {
        addr: rcpt.into(),
        ..Recipient::default()
    });
    s
}

#[derive(Debug, PartialEq)]
enum R {
    Grey,
    Pass,
}

async fn run(check: &GreylistCheck, s: &Session) -> R {
    match check.check(Stage::Rcpt, s).await {
        Ok(o) => match o.finding {
            Finding::Pass => R::Pass,
            Finding::Hit(h) => {
                let reply = h.reply.expect("greylisting carries its reply");
                assert_eq!(
                    (reply.code, reply.xcode.as_str(), reply.text.as_str()),
                    (450, "4.2.0", "Greylisted, try again later")
                );
                R::Grey
            }
        },
        Err(e) => panic!("store failed: {e}"),
    }
}

async fn rows(store: &Arc<dyn GreylistStore>) -> Vec<Listed> {
    store
        .list(ListFilter {
            limit: 1000,
            ..ListFilter::default()
        })
        .await
        .expect("list")
}

// ---- the behavioural suite ----------------------------------------------------------------

async fn first_attempt_early_retry_delayed_retry_known(f: Fixture) {
    let c = f.check("");
    let s = session("192.0.2.10", "alice@example.org", "bob@example.net");
    assert_eq!(run(&c, &s).await, R::Grey, "first attempt");
    f.advance(60);
    assert_eq!(run(&c, &s).await, R::Grey, "retry after 60 s < delay");
    f.advance(239);
    assert_eq!(run(&c, &s).await, R::Grey, "retry at 299 s");
    f.advance(1);
    assert_eq!(run(&c, &s).await, R::Pass, "retry at 300 s");
    f.advance(20 * 86400);
    assert_eq!(run(&c, &s).await, R::Pass, "known triplet 20 days later");
    let r = rows(&f.store).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].triplet.passed);
    assert_eq!(r[0].triplet.first_seen, T0);
    assert_eq!(
        r[0].triplet.last_seen,
        T0 + 300 + 20 * 86400,
        "refreshed on use"
    );
    assert_eq!(r[0].triplet.attempts, 4);
    assert_eq!(
        r[0].key,
        Key {
            client: "192.0.2.0/24".into(),
            sender: "alice@example.org".into(),
            rcpt: "bob@example.net".into()
        }
    );
    // Another recipient is another triplet.
    let s2 = session("192.0.2.10", "alice@example.org", "carol@example.net");
    assert_eq!(run(&c, &s2).await, R::Grey);
    let counters = c.counters();
    assert_eq!((counters.greylisted, counters.passed), (4, 2));
}

async fn retry_window_and_max_age(f: Fixture) {
    let c = f.check("delay = \"5m\"\nretry_window = \"1d\"\nmax_age = \"10d\"");
    let s = session("192.0.2.10", "alice@example.org", "bob@example.net");
    assert_eq!(run(&c, &s).await, R::Grey);
    f.advance(86400 + 1);
    assert_eq!(
        run(&c, &s).await,
        R::Grey,
        "retry window missed: starts over"
    );
    f.advance(299);
    assert_eq!(
        run(&c, &s).await,
        R::Grey,
        "the new round has its own delay"
    );
    f.advance(1);
    assert_eq!(run(&c, &s).await, R::Pass);
    f.advance(10 * 86400);
    assert_eq!(run(&c, &s).await, R::Pass, "used within max_age");
    f.advance(10 * 86400 + 1);
    assert_eq!(run(&c, &s).await, R::Grey, "unused for longer than max_age");
}

async fn expiry_deletes_old_entries(f: Fixture) {
    let c = f.check("retry_window = \"1d\"\nmax_age = \"10d\"\ndelay = 0");
    let passed = session("192.0.2.10", "a@example.org", "b@example.net");
    let waiting = session("198.51.100.7", "x@example.org", "y@example.net");
    assert_eq!(run(&c, &passed).await, R::Grey);
    assert_eq!(
        run(&c, &passed).await,
        R::Pass,
        "delay 0: the first retry passes"
    );
    assert_eq!(run(&c, &waiting).await, R::Grey);
    let p = GreylistConfig {
        retry_window: mxgate::values::TimeSpan::from_secs(86400),
        max_age: mxgate::values::TimeSpan::from_secs(10 * 86400),
        ..GreylistConfig::default()
    }
    .params();
    let now = T0 + 86400 + 1;
    let e = f.store.expire(now, &p).await.expect("expire");
    assert_eq!(
        e.triplets, 1,
        "only the greylisted one is past retry_window"
    );
    let left = rows(&f.store).await;
    assert_eq!(left.len(), 1);
    assert!(left[0].triplet.passed);
    let e = f
        .store
        .expire(T0 + 10 * 86400 + 1, &p)
        .await
        .expect("expire");
    assert_eq!(
        (e.triplets, e.clients),
        (1, 1),
        "the passed triplet and its client entry"
    );
    assert!(rows(&f.store).await.is_empty());
}

async fn auto_allowlist_after_n_passes(f: Fixture) {
    let c = f.check("auto_allowlist = 3\ndelay = 0");
    for i in 0..3 {
        let s = session(
            "192.0.2.10",
            "news@example.org",
            &format!("u{i}@example.net"),
        );
        assert_eq!(run(&c, &s).await, R::Grey, "triplet {i} first attempt");
        assert_eq!(run(&c, &s).await, R::Pass, "triplet {i} retry");
    }
    // Same client key (same /24), a new triplet: no greylisting any more.
    let s = session("192.0.2.99", "other@example.org", "new@example.net");
    assert_eq!(run(&c, &s).await, R::Pass, "auto-allowlisted");
    assert_eq!(rows(&f.store).await.len(), 3, "no triplet stored for it");
    // Another client is not.
    let s = session("198.51.100.1", "other@example.org", "new@example.net");
    assert_eq!(run(&c, &s).await, R::Grey);
    let stats = f
        .store
        .stats(
            f.clock_now(),
            &Params {
                auto_allowlist: 3,
                ..Params::default()
            },
        )
        .await
        .expect("stats");
    assert_eq!(
        (stats.auto_allowlisted, stats.passed, stats.greylisted),
        (1, 3, 1)
    );
    // Off: nobody is auto-allowlisted however often they pass.
    let off = f.check("auto_allowlist = 0\ndelay = 0");
    let s = session("192.0.2.99", "other@example.org", "new2@example.net");
    assert_eq!(run(&off, &s).await, R::Grey);
}

async fn normalisation(f: Fixture) {
    // No auto-allowlisting: the pairs below share one /24 and would earn it.
    let c = f.check("delay = 0\nauto_allowlist = 0");
    // Each pair: first attempt with A, the retry with B must match the same triplet.
    let pairs = [
        (
            "192.0.2.10",
            "bounce-1234-5678@lists.example.org",
            "192.0.2.10",
            "bounce-999-1@lists.example.org",
        ),
        (
            "192.0.2.11",
            "list-bounces-bob=example.net@lists.example.org",
            "192.0.2.11",
            "list-bounces-carol=example.net@lists.example.org",
        ),
        (
            "192.0.2.12",
            "SRS0=abcd=4F=orig.example=alice@fwd.example",
            "192.0.2.12",
            "SRS0=wxyz=4G=orig.example=alice@fwd.example",
        ),
        (
            "192.0.2.13",
            "prvs=0123456789=bob@example.com",
            "192.0.2.13",
            "prvs=9876543210=bob@example.com",
        ),
        (
            "192.0.2.14",
            "alice+tag1@example.com",
            "192.0.2.14",
            "Alice+other@EXAMPLE.com",
        ),
        // /24: another address in the same network
        (
            "198.51.100.10",
            "a@example.com",
            "198.51.100.250",
            "a@example.com",
        ),
        // /64
        (
            "2001:db8:1:2::10",
            "a@example.com",
            "2001:db8:1:2:ffff::1",
            "a@example.com",
        ),
    ];
    for (i, (ca, sa, cb, sb)) in pairs.iter().enumerate() {
        let rcpt = format!("r{i}@example.net");
        assert_eq!(
            run(&c, &session(ca, sa, &rcpt)).await,
            R::Grey,
            "pair {i} first"
        );
        assert_eq!(
            run(&c, &session(cb, sb, &rcpt)).await,
            R::Pass,
            "pair {i}: {sb} from {cb} is a retry of {sa} from {ca}"
        );
    }
    // Outside the /24 and /64, a different sender: new triplets.
    assert_eq!(
        run(
            &c,
            &session("198.51.101.10", "a@example.com", "r5@example.net")
        )
        .await,
        R::Grey
    );
    assert_eq!(
        run(
            &c,
            &session("2001:db8:1:3::10", "a@example.com", "r6@example.net")
        )
        .await,
        R::Grey
    );
    assert_eq!(
        run(
            &c,
            &session("192.0.2.14", "bob@example.com", "r4@example.net")
        )
        .await,
        R::Grey
    );
    // Null sender: its own key, and case of the recipient does not matter.
    assert_eq!(
        run(&c, &session("192.0.2.20", "", "Post@Example.NET")).await,
        R::Grey
    );
    assert_eq!(
        run(&c, &session("192.0.2.20", "", "post@example.net")).await,
        R::Pass
    );
    let keys: Vec<String> = rows(&f.store)
        .await
        .into_iter()
        .map(|r| r.key.sender)
        .collect();
    assert!(keys.contains(&"<>".to_string()), "{keys:?}");
    // Configurable prefixes: /32 makes the neighbour a new client.
    let narrow = f.check("delay = 0\nipv4_prefix = 32");
    assert_eq!(
        run(
            &narrow,
            &session("203.0.113.1", "a@example.com", "n@example.net")
        )
        .await,
        R::Grey
    );
    assert_eq!(
        run(
            &narrow,
            &session("203.0.113.2", "a@example.com", "n@example.net")
        )
        .await,
        R::Grey
    );
}

async fn key_follows_the_senders_infrastructure(f: Fixture) {
    let c = f.check("delay = 0");
    // SPF pass for the sender's domain: the retry comes from a different provider network.
    let mut a = session("198.51.100.1", "alice@example.com", "bob@example.net");
    a.tx.spf = Some(SpfFact {
        result: SpfResult::Pass,
        domain: "example.com".into(),
    });
    let mut b = session("203.0.113.5", "alice@example.com", "bob@example.net");
    b.tx.spf = a.tx.spf.clone();
    assert_eq!(run(&c, &a).await, R::Grey);
    assert_eq!(
        run(&c, &b).await,
        R::Pass,
        "same SPF-pass domain, other address"
    );
    assert_eq!(rows(&f.store).await[0].key.client, "spf:example.com");
    // SPF not pass: the verified name's organisational domain.
    let mut a = session("198.51.100.2", "x@example.org", "bob@example.net");
    a.tx.spf = Some(SpfFact {
        result: SpfResult::Softfail,
        domain: "example.org".into(),
    });
    a.facts.verified_name = Some("mail-a1.outbound.example.co.uk".into());
    let mut b = session("203.0.113.9", "x@example.org", "bob@example.net");
    b.client_name = "mail-b7.outbound.example.co.uk".into(); // Postfix's verified name
    assert_eq!(run(&c, &a).await, R::Grey);
    assert_eq!(run(&c, &b).await, R::Pass, "same organisational domain");
    // Order is configurable: address first ignores SPF.
    let addr_first = f.check("delay = 0\nkey = [\"address\", \"spf\"]");
    let mut a = session("198.51.100.3", "z@example.com", "bob@example.net");
    a.tx.spf = Some(SpfFact {
        result: SpfResult::Pass,
        domain: "example.com".into(),
    });
    let mut b = session("203.0.113.3", "z@example.com", "bob@example.net");
    b.tx.spf = a.tx.spf.clone();
    assert_eq!(run(&addr_first, &a).await, R::Grey);
    assert_eq!(
        run(&addr_first, &b).await,
        R::Grey,
        "keyed by address: a new client"
    );
}

async fn allowlists_and_gating(f: Fixture) {
    let c = f.check(
        r#"allow_clients = ["192.0.2.128/25"]
allow_client_names = ["trusted.example"]
allow_senders = ["@partner.example", "boss@"]
allow_recipients = ["postmaster@", "open@example.net"]"#,
    );
    let pass = [
        session("192.0.2.200", "a@example.com", "b@example.net"),
        session("192.0.2.10", "a@mx.partner.example", "b@example.net"),
        session("192.0.2.10", "boss@anywhere.example", "b@example.net"),
        session("192.0.2.10", "a@example.com", "Postmaster@example.net"),
        session("192.0.2.10", "a@example.com", "open@example.net"),
    ];
    for s in &pass {
        assert_eq!(
            run(&c, s).await,
            R::Pass,
            "{} {} {:?}",
            s.client_display(),
            s.tx.sender,
            s.tx.rcpts
        );
    }
    let mut named = session("198.51.100.1", "a@example.com", "b@example.net");
    named.facts.verified_name = Some("mx.trusted.example".into());
    assert_eq!(run(&c, &named).await, R::Pass);
    assert!(
        rows(&f.store).await.is_empty(),
        "allowlisted mail leaves no triplet"
    );
    assert_eq!(c.counters().skipped, 6);
    // Not allowlisted.
    assert_eq!(
        run(&c, &session("192.0.2.10", "a@example.com", "b@example.net")).await,
        R::Grey
    );

    // Gating: only clients other checks flagged.
    let g = f.check("only_flagged = true");
    let mut good = session("203.0.113.1", "a@example.com", "c@example.net");
    good.facts.verified_name = Some("mail.example.com".into());
    assert_eq!(
        run(&g, &good).await,
        R::Pass,
        "verified name, DNSBL score 0"
    );
    let mut listed = good.clone();
    listed.facts.dnsbl_score = 1;
    assert_eq!(run(&g, &listed).await, R::Grey, "DNSBL score above zero");
    let nameless = session("203.0.113.2", "a@example.com", "d@example.net");
    assert_eq!(run(&g, &nameless).await, R::Grey, "no verified name");
}

async fn manual_allow_and_clear(f: Fixture) {
    let c = f.check("");
    assert!(f
        .store
        .set_manual("192.0.2.0/24", true, T0)
        .await
        .expect("allow"));
    assert!(
        !f.store
            .set_manual("192.0.2.0/24", true, T0)
            .await
            .expect("again"),
        "already there"
    );
    assert_eq!(
        run(&c, &session("192.0.2.10", "a@example.com", "b@example.net")).await,
        R::Pass
    );
    // Manual entries never expire.
    f.store
        .expire(T0 + 1000 * 86400, &Params::default())
        .await
        .expect("expire");
    f.advance(1000 * 86400);
    assert_eq!(
        run(&c, &session("192.0.2.10", "a@example.com", "b@example.net")).await,
        R::Pass
    );
    assert!(f
        .store
        .set_manual("192.0.2.0/24", false, T0)
        .await
        .expect("remove"));
    // The check remembers the allowlisted client for up to PASS_TTL (the documented
    // delay of a removal); after that the store's answer counts again.
    assert_eq!(
        run(&c, &session("192.0.2.10", "a@example.com", "b@example.net")).await,
        R::Pass,
        "still remembered within PASS_TTL"
    );
    f.advance(PASS_TTL);
    assert_eq!(
        run(&c, &session("192.0.2.10", "a@example.com", "b@example.net")).await,
        R::Grey
    );
    let listed = f.store.list_clients(10).await.expect("clients");
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(f.store.clear().await.expect("clear"), 1);
    assert!(rows(&f.store).await.is_empty());
}

/// A store that counts `check` calls (the per-RCPT round trip) and forwards everything.
struct Counting {
    inner: Arc<dyn GreylistStore>,
    checks: std::sync::atomic::AtomicUsize,
}

impl Counting {
    fn checks(&self) -> usize {
        self.checks.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl GreylistStore for Counting {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    fn check<'a>(&'a self, key: &'a Key, now: i64, p: &'a Params) -> StoreFuture<'a, Status> {
        self.checks
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.check(key, now, p)
    }
    fn expire<'a>(&'a self, now: i64, p: &'a Params) -> StoreFuture<'a, Expired> {
        self.inner.expire(now, p)
    }
    fn list(&self, filter: ListFilter) -> StoreFuture<'_, Vec<Listed>> {
        self.inner.list(filter)
    }
    fn list_clients(&self, limit: usize) -> StoreFuture<'_, Vec<ListedClient>> {
        self.inner.list_clients(limit)
    }
    fn stats<'a>(&'a self, now: i64, p: &'a Params) -> StoreFuture<'a, Stats> {
        self.inner.stats(now, p)
    }
    fn set_manual<'a>(&'a self, client: &'a str, allow: bool, now: i64) -> StoreFuture<'a, bool> {
        self.inner.set_manual(client, allow, now)
    }
    fn put(&self, rows: Vec<Listed>) -> StoreFuture<'_, u64> {
        self.inner.put(rows)
    }
    fn clear(&self) -> StoreFuture<'_, u64> {
        self.inner.clear()
    }
}

/// Passes are remembered for PASS_TTL: a passed triplet's next RCPTs within it never
/// reach the store (so even a purge behind the check's back does not greylist them);
/// after the TTL the store is asked again. Greylisted triplets are never remembered.
async fn passes_are_remembered_for_a_minute(f: Fixture) {
    let counting = Arc::new(Counting {
        inner: Arc::clone(&f.store),
        checks: Default::default(),
    });
    let c = f.check_on(counting.clone(), "");
    let s = session("192.0.2.10", "alice@example.org", "bob@example.net");

    // (2) A new triplet is greylisted every time before the delay, each time by the store.
    for i in 0..4 {
        assert_eq!(run(&c, &s).await, R::Grey, "attempt {i} before the delay");
        assert_eq!(
            counting.checks(),
            i + 1,
            "every greylisted RCPT asks the store"
        );
        f.advance(60);
    }
    f.advance(300);
    assert_eq!(run(&c, &s).await, R::Pass, "retry after the delay");
    assert_eq!(counting.checks(), 5);
    let before = rows(&f.store).await;

    // (1) Within the TTL: passes with no store query at all, and nothing written.
    f.advance(PASS_TTL - 1);
    for _ in 0..3 {
        assert_eq!(run(&c, &s).await, R::Pass);
    }
    assert_eq!(
        counting.checks(),
        5,
        "cached passes must not reach the store"
    );
    assert_eq!(rows(&f.store).await, before, "no store write either");
    assert_eq!(c.counters().passed, 4, "a cached pass counts as a pass");
    // Proof by absence: the store forgets everything, the check still lets it through.
    assert_eq!(f.store.clear().await.expect("clear"), 1);
    assert_eq!(
        run(&c, &s).await,
        R::Pass,
        "remembered pass despite the purge"
    );
    assert_eq!(counting.checks(), 5);

    // (3) The TTL runs out: the store is asked again (and, purged, greylists).
    f.advance(1);
    assert_eq!(run(&c, &s).await, R::Grey, "purge effective after PASS_TTL");
    assert_eq!(counting.checks(), 6);
    // And a greylisted result is not remembered either way.
    assert_eq!(run(&c, &s).await, R::Grey);
    assert_eq!(counting.checks(), 7);

    // A fresh pass expires from the memory on its own, with the store intact: asked again.
    f.advance(300);
    assert_eq!(run(&c, &s).await, R::Pass);
    assert_eq!(counting.checks(), 8);
    f.advance(PASS_TTL);
    assert_eq!(run(&c, &s).await, R::Pass, "known triplet from the store");
    assert_eq!(counting.checks(), 9, "TTL expired: the store was asked");
    assert_eq!(
        c.counters().greylisted,
        6,
        "4 before the delay, 2 after the purge"
    );
}

/// Two handles on one store (two MX hosts on one PostgreSQL database, two connections
/// to one SQLite file) racing: first attempts insert one row, and a retry after the
/// delay is never greylisted by either.
async fn concurrent_hosts_never_both_greylist_a_retry(f: Fixture) {
    let other = (f.reopen)();
    let c1 = f.check("");
    let c2 = f.check_on(other, "");
    for round in 0..5 {
        let s = session(
            "192.0.2.10",
            "a@example.com",
            &format!("race{round}@example.net"),
        );
        let firsts: Vec<_> = futures_join(&c1, &c2, &s, 8).await;
        assert!(
            firsts.iter().all(|r| *r == R::Grey),
            "first attempts: {firsts:?}"
        );
        f.advance(300);
        let retries = futures_join(&c1, &c2, &s, 8).await;
        assert!(
            retries.iter().all(|r| *r == R::Pass),
            "round {round}: a retry was greylisted: {retries:?}"
        );
    }
    let r = rows(&f.store).await;
    assert_eq!(r.len(), 5);
    for row in &r {
        assert!(row.triplet.passed);
        assert_eq!(
            row.triplet.attempts, 9,
            "8 first attempts and the one that passed: {row:?}"
        );
    }
    let clients = f.store.list_clients(10).await.expect("clients");
    assert_eq!(clients.len(), 1);
    assert_eq!(
        clients[0].entry.passes, 5,
        "one pass per triplet, not per racing host"
    );
}

/// `n` concurrent checks of `s`, alternating between the two checks.
async fn futures_join(c1: &GreylistCheck, c2: &GreylistCheck, s: &Session, n: usize) -> Vec<R> {
    let mut set = Vec::new();
    for i in 0..n {
        let c = if i % 2 == 0 { c1 } else { c2 };
        set.push(run(c, s));
    }
    // Polled together, so the round trips interleave.
    join_all(set).await
}

use futures_util::future::join_all;

impl Fixture {
    fn clock_now(&self) -> i64 {
        use mxgate::checks::greylist::Clock;
        self.clock.now()
    }
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Fixture::sqlite()).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let pg = super::PgCluster::start().await;
                super::$name(super::Fixture::postgres(&pg).await).await
            }
        }
    )* };
}

both_backends!(
    first_attempt_early_retry_delayed_retry_known,
    retry_window_and_max_age,
    expiry_deletes_old_entries,
    auto_allowlist_after_n_passes,
    normalisation,
    key_follows_the_senders_infrastructure,
    allowlists_and_gating,
    manual_allow_and_clear,
    concurrent_hosts_never_both_greylist_a_retry,
    passes_are_remembered_for_a_minute,
);

// ---- through the daemon ---------------------------------------------------------------------

fn sqlite_config(path: &Path, extra: &str) -> String {
    format!(
        "[checks.greylist]\npath = \"{}\"\nexpire_interval = 3600\n{extra}\n",
        path.display()
    )
}

#[tokio::test]
async fn daemon_greylists_then_passes_the_retry() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("g.sqlite");
    replay(
        &sqlite_config(&db, "delay = 0"),
        &sessions("greylist/flow.session"),
    )
    .await
    .assert_all_passed();
    // The state is on disk: a restarted daemon still knows the passed triplet.
    replay(
        &sqlite_config(&db, "delay = 0"),
        &sessions("greylist/known.session"),
    )
    .await
    .assert_all_passed();
}

#[tokio::test]
async fn daemon_with_preseeded_state_uses_the_real_delay() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("g.sqlite");
    let now = SystemClock.now_secs();
    let store = SqliteStore::open(&db).expect("open");
    let row = |rcpt: &str, first_seen: i64| Listed {
        key: Key {
            client: "192.0.2.0/24".into(),
            sender: "alice@example.org".into(),
            rcpt: rcpt.into(),
        },
        triplet: Triplet {
            first_seen,
            last_seen: first_seen,
            passed: false,
            attempts: 1,
        },
    };
    store
        .put(vec![
            row("old@example.net", now - 400),
            row("young@example.net", now - 100),
        ])
        .await
        .expect("seed");
    drop(store);
    replay(
        &sqlite_config(&db, ""),
        &sessions("greylist/preseeded.session"),
    )
    .await
    .assert_all_passed();
}

#[tokio::test]
async fn daemon_reply_override_log_mode_and_order() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("g.sqlite");
    let cfg = format!(
        "[checks.helo]\n{}reply = {{ code = 451, xcode = \"4.7.1\", text = \"Please retry\" }}\n",
        sqlite_config(&db, "")
    );
    replay(&cfg, &sessions("greylist/reply-and-order.session"))
        .await
        .assert_all_passed();
    let store = SqliteStore::open(&db).expect("open");
    let keys: Vec<String> = rows_of(&store)
        .await
        .into_iter()
        .map(|r| r.key.rcpt)
        .collect();
    assert_eq!(
        keys,
        ["dave@example.net"],
        "the rejected recipient left no triplet"
    );
    let log = sqlite_config(&tmp.path().join("log.sqlite"), "mode = \"log\"");
    replay(&log, &sessions("greylist/log-mode.session"))
        .await
        .assert_all_passed();
    // Log mode still records the triplet (the retry would pass).
    let store = SqliteStore::open(&tmp.path().join("log.sqlite")).expect("open");
    assert_eq!(rows_of(&store).await.len(), 1);
}

async fn rows_of(store: &dyn GreylistStore) -> Vec<Listed> {
    store
        .list(ListFilter {
            limit: 100,
            ..ListFilter::default()
        })
        .await
        .expect("list")
}

#[tokio::test]
async fn database_down_fails_open_or_tempfails_per_on_error() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let down = format!(
        "[database]\nhost = \"{}\"\nport = 1\nconnect_timeout_ms = 300\n",
        tmp.path().display()
    );
    let cont = format!("{down}[checks.greylist]\nstore = \"postgres\"\n");
    replay(&cont, &sessions("greylist/store-down-continue.session"))
        .await
        .assert_all_passed();
    let temp = format!("{down}[checks.greylist]\nstore = \"postgres\"\non_error = \"tempfail\"\n");
    replay(&temp, &sessions("greylist/store-down-tempfail.session"))
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn unwritable_sqlite_path_is_refused_at_start() {
    let cfg = mxgate::config::parse(
        "[checks.greylist]\npath = \"/nonexistent-dir/x/greylist.sqlite\"\n",
        Path::new("t.toml"),
    )
    .expect("parses");
    let err = match mxgate::policy::Policy::new(Arc::new(cfg), &mxgate::checks::Services::default())
    {
        Ok(_) => panic!("policy built with an unopenable store"),
        Err(e) => e,
    };
    assert!(
        err.contains("checks.greylist") && err.contains("cannot open"),
        "{err}"
    );
    // Refused at load (before any socket is bound), naming the file and section line.
    let err = mxgate::config::parse("[checks.greylist]\ndelay = \"3d\"\n", Path::new("t.toml"))
        .expect_err("delay beyond retry_window accepted")
        .to_string();
    assert!(err.contains("retry_window"), "{err}");
    assert!(
        err.starts_with("t.toml:1: checks.greylist.retry_window: "),
        "{err}"
    );
    let err = mxgate::config::parse(
        "[checks.greylist]\ndelay = \"5 minutes\"\n",
        Path::new("t.toml"),
    )
    .expect_err("bad duration");
    assert_eq!(
        (err.line, err.key.as_deref()),
        (Some(2), Some("checks.greylist.delay")),
        "{err}"
    );
    let err = mxgate::config::parse("[checks.greylist]\nipv4_prefix = 33\n", Path::new("t.toml"))
        .expect_err("bad prefix");
    assert_eq!(err.line, Some(2), "{err}");
    let err = mxgate::config::parse("[checks.greylist]\nkey = [\"ptr\"]\n", Path::new("t.toml"))
        .expect_err("bad key source");
    assert_eq!(err.line, Some(2), "{err}");
}

#[tokio::test]
async fn two_instances_share_one_postgres_greylist() {
    let pg = PgCluster::start().await;
    let cfg = format!(
        "{}[checks.greylist]\nstore = \"postgres\"\ndelay = 0\n",
        pg.database_section()
    );
    let parse = || mxgate::config::parse(&cfg, Path::new("t.toml")).expect("config");
    let mx1 = mxgate::daemon::Embedded::start(parse()).await.expect("mx1");
    let mx2 = mxgate::daemon::Embedded::start(parse()).await.expect("mx2");
    let r = replay_at(
        &mx1.socket_spec(),
        &sessions("greylist/shared-first.session"),
    )
    .await;
    assert!(r.failed == 0 && r.passed > 0, "mx1:\n{}", r.report);
    let r = replay_at(
        &mx2.socket_spec(),
        &sessions("greylist/shared-retry.session"),
    )
    .await;
    assert!(r.failed == 0 && r.passed > 0, "mx2:\n{}", r.report);
    mx1.stop().await;
    mx2.stop().await;
}

trait NowSecs {
    fn now_secs(&self) -> i64;
}

impl NowSecs for SystemClock {
    fn now_secs(&self) -> i64 {
        use mxgate::checks::greylist::Clock;
        self.now()
    }
}

/// `mxgate run` as a separate process on the unix socket `sock`, with the config `conf`.
struct Daemon {
    conf: PathBuf,
    sock: PathBuf,
}

impl Daemon {
    /// Writes `dir`/mxgate.toml: `dir`/mx.sock, the SQLite store at `db` with the `extra`
    /// keys of [checks.greylist]. Nothing runs yet.
    fn new(dir: &Path, db: &Path, extra: &str) -> Daemon {
        let d = Daemon {
            conf: dir.join("mxgate.toml"),
            sock: dir.join("mx.sock"),
        };
        std::fs::write(
            &d.conf,
            format!(
                "[daemon]\nlisten = [\"unix:{}\"]\nlog_level = \"warn\"\n{}",
                d.sock.display(),
                sqlite_config(db, extra)
            ),
        )
        .expect("write config");
        d
    }

    /// Starts the daemon; returns once its socket is connectable, not merely present (a
    /// killed daemon leaves a stale socket).
    fn start(&self) -> Killed {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_mxgate"))
            .args(["run", "--config"])
            .arg(&self.conf)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start mxgate");
        let child = Killed(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::os::unix::net::UnixStream::connect(&self.sock).is_err() {
            assert!(
                Instant::now() < deadline,
                "mxgate did not listen on its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    /// `mxgate replay --socket unix:SOCK FILE`.
    fn replay(&self, file: &Path) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_mxgate"))
            .arg("replay")
            .arg("--socket")
            .arg(format!("unix:{}", self.sock.display()))
            .arg(file)
            .output()
            .expect("run mxgate replay")
    }

    /// Replays, through `mxgate replay`, session `name` from `client`, MAIL FROM
    /// `<sender>`, RCPT TO `<rcpt>`, whose RCPT must get `expect`; the file goes to `dir`.
    fn expect_rcpt(
        &self,
        dir: &Path,
        name: &str,
        client: &str,
        sender: &str,
        rcpt: &str,
        expect: &str,
    ) {
        let f = dir.join(format!("{name}.session"));
        std::fs::write(
            &f,
            format!("session {name}\nconnect {client} port 1 name unknown\nhelo h.example.test\nmail <{sender}>\nrcpt <{rcpt}> expect {expect}\n"),
        )
        .expect("write session");
        let out = self.replay(&f);
        assert!(
            out.status.success(),
            "expect {expect}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// `mxgate run` with the SQLite store, killed with SIGKILL in the middle of a load of new
/// triplets: every triplet whose 450 a client saw before the kill is still there after a
/// restart (so its retry passes), and the file passes SQLite's integrity check.
#[test]
fn kill_9_during_load_keeps_committed_triplets() {
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("g.sqlite");
    let mx = Daemon::new(tmp.path(), &db, "delay = 0");
    // Phase 1: 200 distinct triplets, each answered 450 (expectations checked).
    let phase1 = tmp.path().join("phase1.session");
    let phase1_retry = tmp.path().join("phase1-retry.session");
    let mut first = String::new();
    let mut retry = String::new();
    for i in 0..200 {
        let body = format!(
            "connect 192.0.2.{} port 1 name unknown\nhelo h.example.test\nmail <s{i}@example.org>\n",
            i % 250
        );
        first.push_str(&format!(
            "session p{i}\n{body}rcpt <r{i}@example.net> expect tempfail 450 4.2.0\n\n"
        ));
        retry.push_str(&format!(
            "session p{i}\n{body}rcpt <r{i}@example.net> expect continue\n\n"
        ));
    }
    std::fs::write(&phase1, first).expect("write");
    std::fs::write(&phase1_retry, retry).expect("write");
    // Phase 2: load with other new triplets, killed in the middle.
    let load = tmp.path().join("load.session");
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!(
            "session l{i}\nconnect 198.51.100.{} port 1 name unknown\nhelo h.example.test\nmail <l{i}@example.org>\nrcpt <l{i}@example.net>\n\n",
            i % 250
        ));
    }
    std::fs::write(&load, text).expect("write");

    let mut daemon = mx.start();
    let out = mx.replay(&phase1);
    assert!(
        out.status.success(),
        "phase 1:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let load_client = Command::new(env!("CARGO_BIN_EXE_mxgate"))
        .args([
            "replay",
            "--load",
            "--connections",
            "10",
            "--sessions",
            "5000",
            "--socket",
        ])
        .arg(format!("unix:{}", mx.sock.display()))
        .arg(&load)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start load");
    let mut load_client = Killed(load_client);
    std::thread::sleep(Duration::from_millis(400));
    daemon.0.kill().expect("SIGKILL mxgate");
    daemon.0.wait().expect("reap mxgate");
    let _ = load_client.0.wait();

    // Integrity and content, read while nobody has the file open (WAL recovery).
    let conn = rusqlite::Connection::open(&db).expect("open after kill");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(ok, "ok");
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM greylist WHERE client LIKE '192.0.2.%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 200, "phase-1 triplets after kill -9");
    let during: i64 = conn
        .query_row(
            "SELECT count(*) FROM greylist WHERE client LIKE '198.51.100.%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert!(during > 0, "the load had reached the store before the kill");
    drop(conn);

    // Restart on the stale socket: the retries of phase 1 pass.
    let daemon = mx.start();
    let out = mx.replay(&phase1_retry);
    drop(daemon);
    assert!(
        out.status.success(),
        "retries after restart:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A child process killed (SIGKILL) and reaped when dropped, so a failing test leaves
/// no daemon behind.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli(conf: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mxgate"))
        .arg("greylist")
        .arg("--config")
        .arg(conf)
        .args(args)
        .output()
        .expect("run mxgate greylist");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `mxgate greylist` reads and writes the SQLite store while `mxgate run` has it open.
#[test]
fn cli_works_on_sqlite_while_the_daemon_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("g.sqlite");
    let mx = Daemon::new(tmp.path(), &db, "");
    let conf = mx.conf.clone();
    let _daemon = mx.start();
    let session = |expect: &str| {
        mx.expect_rcpt(
            tmp.path(),
            "s",
            "192.0.2.10",
            "alice@example.org",
            "bob@example.net",
            expect,
        )
    };
    let session2 = |client: &str, expect: &str| {
        mx.expect_rcpt(
            tmp.path(),
            "s2",
            client,
            "new@example.org",
            "new@example.net",
            expect,
        )
    };
    session("tempfail 450 4.2.0");

    let (ok, out) = cli(&conf, &["list"]);
    assert!(ok, "{out}");
    let line = out.lines().next().unwrap_or_default();
    let cols: Vec<&str> = line.split('\t').collect();
    assert_eq!(cols.len(), 7, "{out}");
    assert_eq!(
        (cols[0], cols[3], cols[4], cols[5], cols[6]),
        (
            "greylisted",
            "1",
            "192.0.2.0/24",
            "alice@example.org",
            "bob@example.net"
        ),
        "{out}"
    );
    let (ok, out) = cli(&conf, &["list", "--passed"]);
    assert!(ok && out.is_empty(), "{out}");
    let (ok, out) = cli(&conf, &["stats"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("store\tsqlite") && out.contains("greylisted\t1") && out.contains("passed\t0"),
        "{out}"
    );
    assert!(out.contains("size_bytes\t"), "{out}");

    // A manual allowlist entry written by the CLI takes effect in the running daemon.
    let (ok, out) = cli(&conf, &["allow", "192.0.2.99"]);
    assert!(ok && out.contains("192.0.2.0/24\tallowlisted"), "{out}");
    let (ok, out) = cli(&conf, &["allow", "198.51.100.99"]);
    assert!(ok && out.contains("198.51.100.0/24\tallowlisted"), "{out}");
    session2("192.0.2.10", "continue");
    let (ok, out) = cli(&conf, &["list", "--clients"]);
    assert!(
        ok && out.starts_with("manual\t0\t") && out.contains("192.0.2.0/24"),
        "{out}"
    );
    let (ok, out) = cli(&conf, &["allow", "--remove", "192.0.2.0/24"]);
    assert!(ok && out.contains("removed"), "{out}");
    let (ok, out) = cli(&conf, &["allow", "--remove", "198.51.100.0/24"]);
    assert!(ok && out.contains("removed"), "{out}");
    // A removal takes effect at once for a client the daemon has not just seen pass;
    // 192.0.2.0/24 may still pass for up to PASS_TTL (remembered passes, see
    // passes_are_remembered_for_a_minute), so it is not asserted here.
    session2("198.51.100.10", "tempfail 450 4.2.0");

    let (ok, out) = cli(&conf, &["purge"]);
    assert!(ok && out.contains("expired\t0 triplets"), "{out}");
    let (ok, out) = cli(&conf, &["purge", "--all"]);
    assert!(ok && out.contains("deleted\t2 triplets"), "{out}");
    let (ok, out) = cli(&conf, &["list"]);
    assert!(ok && out.is_empty(), "{out}");
    // Mistakes are refused with a message.
    let (ok, out) = cli(&conf, &["allow", "example.com"]);
    assert!(!ok && out.contains("expected an IP address"), "{out}");
}

#[tokio::test]
async fn cli_works_on_postgres() {
    let pg = PgCluster::start().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let conf = tmp.path().join("mxgate.toml");
    std::fs::write(
        &conf,
        format!(
            "{}[checks.greylist]\nstore = \"postgres\"\n",
            pg.database_section()
        ),
    )
    .expect("write config");
    let f = Fixture::postgres(&pg).await;
    let c = f.check("");
    assert_eq!(
        run(
            &c,
            &session("198.51.100.7", "a@example.org", "b@example.net")
        )
        .await,
        R::Grey
    );
    let conf2 = conf.clone();
    let (ok, out) =
        tokio::task::spawn_blocking(move || cli(&conf2, &["list", "--match", "198.51.100"]))
            .await
            .expect("cli");
    assert!(
        ok && out.starts_with("greylisted\t") && out.contains("198.51.100.0/24"),
        "{out}"
    );
    let conf2 = conf.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || cli(&conf2, &["stats"]))
        .await
        .expect("cli");
    assert!(
        ok && out.contains("store\tpostgres") && out.contains("greylisted\t1"),
        "{out}"
    );
}

/// `name` keys are organisational domains under the Public Suffix List: the built-in one
/// (`example.co.uk` under `co.uk`), or the one `[policy] public_suffix_list` names.
#[tokio::test]
async fn name_keys_follow_the_public_suffix_list() {
    use mxgate::org_domain::OrgDomains;
    let f = Fixture::sqlite();
    let mut s = session("198.51.100.2", "x@example.org", "bob@example.net");
    s.facts.verified_name = Some("mx2.mail.Example.CO.UK.".into());
    let builtin = f.check("key = [\"name\", \"address\"]");
    assert_eq!(builtin.key(&s).expect("key").client, "name:example.co.uk");
    // A list that makes mail.example.co.uk a suffix (as a provider's private entry would).
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("psl.dat");
    std::fs::write(
        &path,
        "// ===BEGIN ICANN DOMAINS===\nuk\nco.uk\n// ===END ICANN DOMAINS===\n// ===BEGIN PRIVATE DOMAINS===\nmail.example.co.uk\n// ===END PRIVATE DOMAINS===\n",
    )
    .expect("write list");
    let cfg: GreylistConfig = toml::from_str("key = [\"name\", \"address\"]").expect("config");
    let custom = GreylistCheck::with_org_domains(
        cfg,
        Arc::clone(&f.store),
        f.clock.clone(),
        Arc::new(OrgDomains::load(&path).expect("list")),
    );
    assert_eq!(
        custom.key(&s).expect("key").client,
        "name:mx2.mail.example.co.uk"
    );
}
