//! Session → verdict, in process: the real `Policy` built from config text with one
//! check enabled (plus "no checks" and "all checks" as reference points), judging a clean
//! message from a good client through every stage the milter would call. No milter
//! socket, so the figures are the checks' and the policy's own cost.
//!
//! Fixtures:
//! - DNS: the in-process server of tests/support/dns.rs serving tests/fixtures/zones
//!   (negative-caching TTL raised so a miss stays cached for the whole run); the
//!   resolver cache is filled by a warm-up session, and a further session must cause no
//!   DNS query at all, or the bench fails.
//! - Greylisting: SQLite in a temporary directory, the session's triplet pre-passed.
//! - Denylist: PostgreSQL from tests/support/pg.rs (a throwaway cluster; needs the
//!   postgresql-15 server package) with 10,000 entries, the in-memory mirror warm; the
//!   recipient is not listed (the common case).
//!
//! The `dns_cached` group times single lookups through the shared resolver (src/dns.rs)
//! answered from its cache, to tell the DNS checks' own work from the resolver's.
//!
//! Run: `cargo bench --bench policy` (`-- check/spf` for one). `cargo test --benches`
//! runs each benchmark once as a test.

#[allow(dead_code)] // the tests use more of the module than the benches do
#[path = "../tests/support/dns.rs"]
mod dns;
#[allow(dead_code)]
#[path = "../tests/support/pg.rs"]
mod pg;

#[path = "common/denylist_seed.rs"]
mod denylist_seed;

use criterion::{BatchSize, Criterion};
use mxgate::checks::denylist::pg::PgDenylist;
use mxgate::checks::greylist::logic::{GreylistStore, ListFilter};
use mxgate::checks::greylist::sqlite::SqliteStore;
use mxgate::checks::Services;
use mxgate::config::Config;
use mxgate::dns::{Dns, DnsConfig, DnsError};
use mxgate::policy::{EomOutcome, Policy};
use mxgate::session::{Recipient, Session, Stage};
use mxgate::verdict::Verdict;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The good client: forward-confirmed reverse DNS (mail.example.test), not on
/// dnsbl.test, and authorised by the SPF records of its HELO name and sender domain.
const CLIENT: &str = "2001:db8::10";
const CLIENT_NAME: &str = "mail.example.test";
const HELO: &str = "mail.spf.test";
const SENDER: &str = "alice@mail.spf.test";
const RCPT: &str = "bob@example.test";

/// Every check in the order of conf/mxgate.toml, each with what it needs to judge the
/// clean session; `{tmp}` is the fixture directory.
const CHECKS: &[(&str, &str)] = &[
    ("helo", "[checks.helo]\n"),
    ("rdns", "[checks.rdns]\n"),
    (
        "dnsbl",
        "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"dnsbl.test\"\n",
    ),
    ("spf", "[checks.spf]\n"),
    (
        "client_access",
        "[checks.client_access]\nmap = \"{tmp}/client_access.cidr\"\n",
    ),
    (
        "sender_access",
        "[checks.sender_access]\nmap = \"{tmp}/sender_access\"\n",
    ),
    ("sender_domain", "[checks.sender_domain]\n"),
    ("recipient_domain", "[checks.recipient_domain]\n"),
    (
        "relay",
        "[checks.relay]\nmap = \"{tmp}/relay_recipients\"\nrecipient_delimiter = \"+\"\n",
    ),
    (
        "denylist",
        "[checks.denylist]\nbackend = \"postgres\"\nrecipient_delimiter = \"+\"\n",
    ),
    // auto_allowlist off: the measured path is the pre-passed triplet, not the
    // client-level shortcut.
    (
        "greylist",
        "[checks.greylist]\npath = \"{tmp}/greylist.sqlite\"\nauto_allowlist = 0\n",
    ),
    ("attachments", "[checks.attachments]\n"),
];

/// What every benchmark shares: the runtime, DNS, PostgreSQL and the map files.
struct Fixtures {
    dns: dns::DnsServer,
    pg: pg::PgCluster,
    tmp: tempfile::TempDir,
}

fn main() {
    // A subscriber at the daemon's default level, writing nowhere: log calls cost what
    // they cost in the daemon, minus the terminal.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(std::io::sink)
        .init();
    // The daemon's default runtime flavour.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let fx = rt.block_on(fixtures());
    let mut c = Criterion::default().configure_from_args();
    bench_checks(&mut c, &rt, &fx);
    bench_dns(&mut c, &rt, &fx);
    c.final_summary();
    // Policies (and their background tasks) are gone; stop the servers inside the
    // runtime that owns their tasks.
    rt.block_on(async move { drop(fx) });
}

async fn fixtures() -> Fixtures {
    let tmp = tempfile::tempdir().expect("temporary directory");
    write_maps(tmp.path());
    let dns = start_dns().await;
    let pg = pg::PgCluster::start().await;
    denylist_seed::seed(&pg).await;
    Fixtures { dns, pg, tmp }
}

/// The fixture zones the clean session touches, with a negative-caching TTL long
/// enough that NXDOMAIN/NODATA answers (DNSBL miss, MX of the HELO domain) stay cached.
async fn start_dns() -> dns::DnsServer {
    let zones: Vec<(&str, String)> = [
        ("example.test.", "example.test.zone"),
        ("2.0.192.in-addr.arpa.", "2.0.192.in-addr.arpa.zone"),
        ("8.b.d.0.1.0.0.2.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.zone"),
        ("dnsbl.test.", "dnsbl.test.zone"),
        ("spf.test.", "spf.test.zone"),
    ]
    .iter()
    .map(|(origin, file)| {
        let text = dns::fixture_zone(file);
        assert!(
            text.contains(" 86400 5"),
            "{file}: SOA minimum no longer `86400 5`; update the bench's TTL patch"
        );
        (*origin, text.replace(" 86400 5", " 86400 3600"))
    })
    .collect();
    let refs: Vec<(&str, &str)> = zones.iter().map(|(o, t)| (*o, t.as_str())).collect();
    dns::DnsServer::start(&refs).await
}

/// Map files of a plausible size; the clean session matches none of their entries
/// except its own recipient in the relay table.
fn write_maps(dir: &Path) {
    let mut cidr = String::new();
    for i in 0..=255 {
        cidr.push_str(&format!("198.51.100.{i}/32 REJECT listed host\n"));
    }
    for i in 0..64 {
        cidr.push_str(&format!("2001:db8:ffff:{i:x}::/64 REJECT listed network\n"));
    }
    cidr.push_str("192.0.2.0/24 DUNNO\n");
    write(dir, "client_access.cidr", &cidr);

    let mut sender = String::new();
    for i in 0..200 {
        sender.push_str(&format!("spammer{i}.example.org REJECT spamming domain\n"));
        sender.push_str(&format!("user{i}@example.org REJECT blocked sender\n"));
    }
    write(dir, "sender_access", &sender);

    let mut relay = String::from("bob@example.test OK\n@wild.example.test OK\n");
    for i in 0..500 {
        relay.push_str(&format!("user{i}@example.test OK\n"));
    }
    write(dir, "relay_recipients", &relay);
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn config_text(fx: &Fixtures, sections: &[&str]) -> String {
    let mut text = format!(
        "[dns]\nnameservers = [\"{}\"]\ntimeout = \"2s\"\ncache_size = 10000\n\
         [database]\nhost = \"{}\"\nport = {}\nuser = \"postgres\"\ndbname = \"postgres\"\n",
        fx.dns.addr(),
        fx.pg.socket_dir().display(),
        fx.pg.port()
    );
    let tmp = fx.tmp.path().display().to_string();
    for s in sections {
        text.push_str(&s.replace("{tmp}", &tmp));
    }
    text
}

/// A clean message with a small PDF attachment, as headers and body reach the milter.
fn message() -> (Vec<(String, String)>, Vec<u8>) {
    let headers = [
        (
            "Received",
            "from mail.example.test (mail.example.test [2001:db8::10])\n\tby mx.example.test (Postfix) with ESMTPS id 4Xy1z2AbCd\n\tfor <bob@example.test>; Mon,  1 Jan 2024 10:00:00 +0000 (UTC)",
        ),
        ("From", "Alice <alice@mail.spf.test>"),
        ("To", "Bob <bob@example.test>"),
        ("Subject", "Quarterly report"),
        ("Date", "Mon, 1 Jan 2024 10:00:00 +0000"),
        ("Message-ID", "<20240101100000.12345@mail.spf.test>"),
        ("MIME-Version", "1.0"),
        (
            "Content-Type",
            "multipart/mixed;\n\tboundary=\"----=_Part_12345_67890.1704103200000\"",
        ),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let pdf: String =
        "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n".repeat(32);
    let body = format!(
        "This is a multi-part message in MIME format.\r\n\
         ------=_Part_12345_67890.1704103200000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n\
         Hello Bob,\r\n\r\nplease find the report attached.\r\n\r\nAlice\r\n\r\n\
         ------=_Part_12345_67890.1704103200000\r\n\
         Content-Type: application/pdf; name=\"report-q4.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"report-q4.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n\
         {pdf}\r\n\
         ------=_Part_12345_67890.1704103200000--\r\n"
    );
    (headers, body.into_bytes())
}

/// The session as the milter has filled it by end of message (filled up front: the
/// connect-stage checks do not look at later fields).
fn clean_session(headers: &[(String, String)], body: &[u8]) -> Session {
    let ip: IpAddr = CLIENT.parse().expect("client address");
    let mut s = Session::new(Some(ip), 40001, CLIENT_NAME.into());
    s.macros.insert("j".into(), "mx.example.test".into());
    s.macros.insert("{daemon_name}".into(), "smtpd".into());
    s.helo = Some(HELO.into());
    s.tx.started = true;
    s.tx.sender = SENDER.into();
    s.tx.rcpts.push(Recipient {
        addr: RCPT.into(),
        ..Recipient::default()
    });
    s.tx.headers = headers.to_vec();
    s.tx.body = body.to_vec();
    s.tx.body_len = body.len() as u64;
    s
}

/// What a session came to: the first stage that did not continue, or the end-of-message
/// outcome.
#[derive(Debug, PartialEq)]
enum Ended {
    Stopped(Stage, Verdict),
    Eom(EomOutcome),
}

/// The stages in the order the milter calls them (connect, MAIL, RCPT and end of
/// message always; HELO and end of headers only when a check uses them).
async fn run(policy: &Policy, mut s: Session) -> Ended {
    let mut l = mxgate::policy::Ledger::default();
    policy.classify_client(&s, &mut l);
    for stage in [
        Stage::Connect,
        Stage::Helo,
        Stage::Mail,
        Stage::Rcpt,
        Stage::Eoh,
    ] {
        if matches!(stage, Stage::Helo | Stage::Eoh) && !policy.uses_stage(stage) {
            continue;
        }
        if stage == Stage::Mail {
            policy.note_auth(&s, &mut l);
        }
        let v = policy.run(stage, &mut s, &mut l).await;
        if v != Verdict::Continue {
            return Ended::Stopped(stage, v);
        }
    }
    Ended::Eom(policy.end_of_message(&mut s, &mut l).await)
}

/// Builds the policy and brings it to its steady state: resolver cache filled, the
/// greylist triplet passed, the denylist mirror loaded. Panics (failing the bench) when
/// the clean session is not let through or still causes DNS queries.
async fn warm(fx: &Fixtures, name: &str, text: &str, session: &dyn Fn() -> Session) -> Policy {
    let config: Config = mxgate::config::parse(text, Path::new("bench.toml"))
        .unwrap_or_else(|e| panic!("{name}: config: {e}\n{text}"));
    let db = config.database.clone();
    let greylist = config
        .section::<mxgate::checks::greylist::GreylistConfig>()
        .map(|g| g.path.clone());
    let denylist = config
        .section::<mxgate::checks::denylist::DenylistConfig>()
        .is_some();
    let services = Services::default();
    let policy =
        Policy::new(Arc::new(config), &services).unwrap_or_else(|e| panic!("{name}: policy: {e}"));
    if denylist {
        // Joins the mirror the check uses (one per [database]) and waits for it.
        let pool = db.pool().expect("database pool");
        let mirror = PgDenylist::new(&db, pool, true).expect("denylist mirror");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !mirror.cache_warm() {
            assert!(
                Instant::now() < deadline,
                "{name}: denylist cache never loaded"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let first = run(&policy, session()).await;
    if let Some(path) = greylist {
        pass_greylist(&path).await;
    } else {
        assert_clean(name, &first);
    }
    assert_clean(name, &run(&policy, session()).await);
    fx.dns.clear_queries();
    assert_clean(name, &run(&policy, session()).await);
    let queries = fx.dns.queries();
    assert!(
        queries.is_empty(),
        "{name}: the resolver cache is not warm; a repeated session still asked {queries:?}"
    );
    policy
}

/// Let through with nothing refused or dropped (trace headers may be added).
fn assert_clean(name: &str, r: &Ended) {
    let clean =
        matches!(r, Ended::Eom(out) if out.verdict.is_none() && out.delete_rcpts.is_empty());
    assert!(
        clean,
        "{name}: the clean session was not let through: {r:?}"
    );
}

/// Marks every triplet the first session left greylisted as passed a while ago.
async fn pass_greylist(path: &Path) {
    let store = SqliteStore::open(path).expect("greylist store");
    let mut rows = store
        .list(ListFilter {
            limit: 100,
            ..ListFilter::default()
        })
        .await
        .expect("list triplets");
    assert!(!rows.is_empty(), "the first session left no triplet");
    let now = mxgate::checks::denylist::now_epoch();
    for r in &mut rows {
        r.triplet.passed = true;
        r.triplet.first_seen = now - 3600;
        r.triplet.last_seen = now;
        r.triplet.attempts = 2;
    }
    store.put(rows).await.expect("pass triplets");
}

fn bench_checks(c: &mut Criterion, rt: &Runtime, fx: &Fixtures) {
    let (headers, body) = message();
    let session = || clean_session(&headers, &body);
    let mut cases: Vec<(&str, Vec<&str>)> = vec![("no_checks", Vec::new())];
    cases.extend(CHECKS.iter().map(|(name, section)| (*name, vec![*section])));
    cases.push(("all_checks", CHECKS.iter().map(|(_, s)| *s).collect()));

    let mut group = c.benchmark_group("check");
    for (name, sections) in cases {
        let text = config_text(fx, &sections);
        let policy = rt.block_on(warm(fx, name, &text, &session));
        group.bench_function(name, |b| {
            b.to_async(rt)
                .iter_batched(session, |s| run(&policy, s), BatchSize::SmallInput)
        });
        // Drops the check's background tasks (map watchers, greylist expiry) inside
        // the runtime.
        rt.block_on(async move { drop(policy) });
    }
    group.finish();
}

/// Single lookups answered from the resolver cache: (id, type, name, records expected;
/// 0 for NXDOMAIN/NODATA).
const LOOKUPS: &[(&str, &str, &str, usize)] = &[
    ("ptr_v4", "PTR", "192.0.2.10", 1),
    ("ptr_v6", "PTR", CLIENT, 1),
    ("a", "A", "mail.example.test", 1),
    ("aaaa", "AAAA", "mail.example.test", 1),
    ("txt", "TXT", "mail.spf.test", 1),
    ("mx_nodata", "MX", "mail.spf.test", 0),
    ("a_nxdomain", "A", "1.2.0.192.dnsbl.test", 0),
];

/// One lookup through the public resolver API; the number of records (0: definitely
/// none).
async fn lookup(dns: &Dns, rtype: &str, name: &str) -> Result<usize, DnsError> {
    let deadline = dns.deadline(std::time::Instant::now());
    let n = match rtype {
        "PTR" => dns
            .ptr(name.parse().expect("address"), deadline)
            .await
            .map(|v| v.len()),
        "A" => dns.a(name, deadline).await.map(|v| v.len()),
        "AAAA" => dns.aaaa(name, deadline).await.map(|v| v.len()),
        "TXT" => dns.txt(name, deadline).await.map(|v| v.len()),
        "MX" => dns.mx(name, deadline).await.map(|v| v.len()),
        other => panic!("no lookup for {other}"),
    };
    match n {
        Err(DnsError::NotFound) => Ok(0),
        other => other,
    }
}

fn bench_dns(c: &mut Criterion, rt: &Runtime, fx: &Fixtures) {
    let cfg = DnsConfig {
        nameservers: vec![fx.dns.addr().to_string()],
        ..DnsConfig::default()
    };
    let dns = Dns::new(&cfg).expect("resolver");
    let mut group = c.benchmark_group("dns_cached");
    for &(id, rtype, name, want) in LOOKUPS {
        assert_eq!(rt.block_on(lookup(&dns, rtype, name)), Ok(want), "dns {id}");
        fx.dns.clear_queries();
        assert_eq!(rt.block_on(lookup(&dns, rtype, name)), Ok(want), "dns {id}");
        let queries = fx.dns.queries();
        assert!(
            queries.is_empty(),
            "dns {id}: not answered from the cache: {queries:?}"
        );
        group.bench_function(id, |b| b.to_async(rt).iter(|| lookup(&dns, rtype, name)));
    }
    group.finish();
}
