//! The small per-recipient and per-client computations, each on its own:
//! - the greylist triplet key (SPF domain, verified-name and masked-address client parts,
//!   with a plain and a BATV-tagged sender), and the SQLite store's answer for a known,
//!   passed triplet — inline and through the runtime's blocking pool, as the check runs it;
//! - the denylist lookup: access(5) keys of a recipient, the PostgreSQL backend's warm
//!   in-memory mirror (PostgreSQL from tests/support/pg.rs; needs the postgresql-15
//!   server package) and the map-file table, each for a hit and a miss;
//! - map lookups: `CidrTable` (longest prefix by a scan of the entries) for small and large
//!   tables, `KeyTable::get`, `address_keys`.
//!
//! Run: `cargo bench --bench lookups`. `cargo test --benches` runs each once as a test;
//! every lookup is first checked to give the expected answer.

#[allow(dead_code)] // the tests use more of the module than the benches do
#[path = "../tests/support/pg.rs"]
mod pg;

#[path = "common/denylist_seed.rs"]
mod denylist_seed;

use criterion::Criterion;
use mxgate::checks::denylist::pg::PgDenylist;
use mxgate::checks::denylist::{now_epoch, DenyAction, DenyTable};
use mxgate::checks::greylist::logic::{GreylistStore, Key, Listed, Params, Status, Triplet};
use mxgate::checks::greylist::sqlite::SqliteStore;
use mxgate::checks::greylist::{GreylistCheck, GreylistConfig, SystemClock};
use mxgate::maps::{address_keys, CidrTable, KeyTable, TableFormat};
use mxgate::session::{Recipient, Session, SpfFact};
use std::future::Future;
use std::hint::black_box;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The listed address the hit finds (the table and file hold denylist_seed::ROWS entries).
const LISTED: &str = "bounced42@example.net";
const NOT_LISTED: &str = "bob+news@example.test";

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let tmp = tempfile::tempdir().expect("temporary directory");
    let mut c = Criterion::default().configure_from_args();
    bench_greylist(&mut c, &rt, tmp.path());
    let pg = rt.block_on(pg::PgCluster::start());
    bench_denylist(&mut c, &rt, &pg);
    bench_maps(&mut c);
    c.final_summary();
    rt.block_on(async move { drop(pg) });
}

fn session(client: &str, name: &str, sender: &str, spf: Option<&str>) -> Session {
    let ip: IpAddr = client.parse().expect("client address");
    let mut s = Session::new(Some(ip), 40001, name.into());
    s.tx.started = true;
    s.tx.sender = sender.into();
    s.tx.spf = spf.map(|d| SpfFact {
        result: mxgate::session::SpfResult::Pass,
        domain: d.into(),
    });
    s.tx.rcpts.push(Recipient {
        addr: "Bob@Example.TEST".into(),
        ..Recipient::default()
    });
    s
}

/// Polls a future that never waits (the store outside a runtime runs its job inline).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("future was expected to complete without waiting"),
    }
}

fn bench_greylist(c: &mut Criterion, rt: &Runtime, dir: &Path) {
    let cfg = GreylistConfig {
        path: dir.join("greylist.sqlite"),
        auto_allowlist: 0,
        ..GreylistConfig::default()
    };
    let store = Arc::new(SqliteStore::open(&cfg.path).expect("greylist store"));
    // Built outside a runtime: no expiry task.
    let check = GreylistCheck::new(cfg, store.clone(), Arc::new(SystemClock));
    let cases = [
        (
            "spf_domain",
            session(
                "2001:db8::10",
                "mail.example.test",
                "alice@mail.spf.test",
                Some("mail.spf.test"),
            ),
            "spf:mail.spf.test",
            "alice@mail.spf.test",
        ),
        (
            "verified_name",
            session(
                "192.0.2.10",
                "mail-out-17.eu.example.co.uk",
                "alice@example.co.uk",
                None,
            ),
            "name:example.co.uk",
            "alice@example.co.uk",
        ),
        (
            "address_batv_sender",
            session(
                "192.0.2.10",
                "unknown",
                "prvs=1234abcd5e=Alice+news@example.org",
                None,
            ),
            "192.0.2.0/24",
            "alice@example.org",
        ),
    ];
    let mut group = c.benchmark_group("greylist_key");
    for (id, s, client, sender) in &cases {
        let key = check.key(s).expect("a key");
        assert_eq!(
            (key.client.as_str(), key.sender.as_str(), key.rcpt.as_str()),
            (*client, *sender, "bob@example.test"),
            "{id}: key"
        );
        group.bench_function(*id, |b| b.iter(|| check.key(black_box(s))));
    }
    group.finish();

    // A known triplet that passed an hour ago: the read-only path of every retry and
    // every later message.
    let key = Key {
        client: "spf:mail.spf.test".into(),
        sender: "alice@mail.spf.test".into(),
        rcpt: "bob@example.test".into(),
    };
    let now = now_epoch();
    let params = Params {
        auto_allowlist: 0,
        ..Params::default()
    };
    ready(store.put(vec![Listed {
        key: key.clone(),
        triplet: Triplet {
            first_seen: now - 3600,
            last_seen: now,
            passed: true,
            attempts: 2,
        },
    }]))
    .expect("put triplet");
    let status = ready(store.check(&key, now_epoch(), &params)).expect("check");
    assert!(
        !status.greylisted(),
        "the passed triplet is greylisted: {status:?}"
    );
    assert!(matches!(status, Status::Known), "{status:?}");
    let mut group = c.benchmark_group("greylist_store");
    group.bench_function("sqlite_known_inline", |b| {
        b.iter(|| ready(store.check(black_box(&key), now, &params)))
    });
    group.bench_function("sqlite_known_blocking_pool", |b| {
        b.to_async(rt)
            .iter(|| store.check(black_box(&key), now, &params))
    });
    group.finish();
}

async fn warm_denylist(pg: &pg::PgCluster) -> PgDenylist {
    denylist_seed::seed(pg).await;
    let db = pg.db_config();
    let pool = db.pool().expect("database pool");
    let denylist = PgDenylist::new(&db, pool, true).expect("denylist");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !denylist.cache_warm() {
        assert!(Instant::now() < deadline, "denylist cache never loaded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    denylist
}

fn bench_denylist(c: &mut Criterion, rt: &Runtime, pg: &pg::PgCluster) {
    let denylist = rt.block_on(warm_denylist(pg));
    let hit = address_keys(LISTED, Some('+'), false);
    let miss = address_keys(NOT_LISTED, Some('+'), false);
    assert_eq!(
        miss,
        [
            "bob+news@example.test",
            "bob@example.test",
            "example.test",
            "bob+news@",
            "bob@"
        ]
    );
    let now = now_epoch();
    let found = rt.block_on(denylist.lookup(&hit, now)).expect("lookup");
    assert_eq!(
        found.map(|(k, e)| (k, e.action)),
        Some((LISTED.to_owned(), DenyAction::Drop))
    );
    assert!(rt
        .block_on(denylist.lookup(&miss, now))
        .expect("lookup")
        .is_none());

    let mut text = String::new();
    for i in 1..=denylist_seed::ROWS {
        text.push_str(&format!(
            "bounced{i}@example.net drop SES permanent bounce\n"
        ));
    }
    let table = DenyTable::parse(&text, Path::new("denylist")).expect("denylist table");
    assert!(table.lookup(&hit, now).is_some() && table.lookup(&miss, now).is_none());

    let mut group = c.benchmark_group("denylist");
    group.bench_function("keys", |b| {
        b.iter(|| address_keys(black_box(NOT_LISTED), Some('+'), false))
    });
    group.bench_function("pg_cache_hit", |b| {
        b.to_async(rt)
            .iter(|| denylist.lookup(black_box(&hit), now))
    });
    group.bench_function("pg_cache_miss", |b| {
        b.to_async(rt)
            .iter(|| denylist.lookup(black_box(&miss), now))
    });
    group.bench_function("file_hit", |b| {
        b.iter(|| table.lookup(black_box(&hit), now).is_some())
    });
    group.bench_function("file_miss", |b| {
        b.iter(|| table.lookup(black_box(&miss), now).is_some())
    });
    group.finish();
    rt.block_on(async move { drop(denylist) });
}

fn cidr_table(entries: usize) -> CidrTable {
    let mut text = String::new();
    for i in 0..entries {
        // Distinct /32s and /64s of the documentation ranges, plus a /24 and a /32 that
        // the hit below finds (so the hit is the most specific of two).
        if i % 2 == 0 {
            text.push_str(&format!(
                "198.51.{}.{}/32 REJECT\n",
                i / 512 % 256,
                i / 2 % 256
            ));
        } else {
            text.push_str(&format!("2001:db8:{:x}::/64 REJECT\n", i));
        }
    }
    text.push_str("192.0.2.0/24 DUNNO\n192.0.2.77 OK\n");
    CidrTable::parse(&text, Path::new("client_access.cidr")).expect("cidr table")
}

fn bench_maps(c: &mut Criterion) {
    let hit_ip: IpAddr = "192.0.2.77".parse().expect("ip");
    let miss_ip: IpAddr = "203.0.113.5".parse().expect("ip");
    let miss_v6: IpAddr = "2001:db8:ffff::10".parse().expect("ip");
    let mut group = c.benchmark_group("maps");
    for n in [16, 1024] {
        let t = cidr_table(n);
        assert_eq!(t.lookup(hit_ip).map(|(_, e)| e.value.as_str()), Some("OK"));
        assert!(t.lookup(miss_ip).is_none() && t.lookup(miss_v6).is_none());
        group.bench_function(format!("cidr_{n}_hit"), |b| {
            b.iter(|| t.lookup(black_box(hit_ip)).is_some())
        });
        group.bench_function(format!("cidr_{n}_miss_v4"), |b| {
            b.iter(|| t.lookup(black_box(miss_ip)).is_some())
        });
        group.bench_function(format!("cidr_{n}_miss_v6"), |b| {
            b.iter(|| t.lookup(black_box(miss_v6)).is_some())
        });
    }
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!(
            "user{i}@example.org REJECT\nspammer{i}.example.org REJECT\n"
        ));
    }
    let keys = KeyTable::parse(&text, Path::new("sender_access")).expect("key table");
    assert!(keys.get("User7@Example.ORG").is_some() && keys.get("alice@example.org").is_none());
    group.bench_function("key_get_hit", |b| {
        b.iter(|| keys.get(black_box("user7@example.org")).is_some())
    });
    group.bench_function("key_get_hit_mixed_case", |b| {
        b.iter(|| keys.get(black_box("User7@Example.ORG")).is_some())
    });
    group.bench_function("key_get_miss", |b| {
        b.iter(|| keys.get(black_box("alice@example.org")).is_some())
    });
    group.bench_function("address_keys", |b| {
        b.iter(|| address_keys(black_box("alice@mail.example.org"), None, false))
    });
    group.bench_function("address_keys_delimiter_parents", |b| {
        b.iter(|| address_keys(black_box("alice+news@mail.eu.example.org"), Some('+'), true))
    });
    group.finish();
}
