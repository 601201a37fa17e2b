//! The access checks (`[checks.client_access]`, `[checks.sender_access]`,
//! `[checks.sender_domain]`, `[checks.recipient_domain]`) over the real daemon and milter
//! protocol. Expectations are in tests/sessions/access/*.session; the tables in
//! tests/fixtures/maps/; DNS from the in-process server with the fixture zones plus
//! tests/fixtures/zones/access.example.test.zone (read its comments).

mod support;

use mxgate::checks::client_access::AccessMap;
use mxgate::checks::Services;
use mxgate::maps::{CidrTable, MapFile};
use mxgate::replay::client::{ClientOptions, SocketSpec};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::daemon::{dns_section, replay, session_file};
use support::dns::{fixture_zone, DnsServer, Fault, FIXTURE_ZONES};

fn map(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/maps")
        .join(name)
        .display()
        .to_string()
}

/// The standard fixture zones plus access.example.test, with flaky.access.example.test
/// answering SERVFAIL.
async fn dns() -> DnsServer {
    let mut texts: Vec<(&str, String)> = FIXTURE_ZONES
        .iter()
        .map(|(origin, file)| (*origin, fixture_zone(file)))
        .collect();
    texts.push((
        "access.example.test.",
        fixture_zone("access.example.test.zone"),
    ));
    let zones: Vec<(&str, &str)> = texts.iter().map(|(o, t)| (*o, t.as_str())).collect();
    let dns = DnsServer::start(&zones).await;
    dns.set_fault("flaky.access.example.test", Fault::ServFail);
    dns
}

async fn replay_ok(config: &str, file: &str) {
    replay(config, &[session_file(file)])
        .await
        .assert_all_passed();
}

// ---- client access ------------------------------------------------------------------------

#[tokio::test]
async fn client_table_v4_v6_longest_prefix_held_until_rcpt() {
    let cfg = format!(
        "[checks.client_access]\nmap = \"{}\"\n[checks.helo]\n",
        map("client_access.cidr")
    );
    replay_ok(&cfg, "access/client.session").await;
}

#[tokio::test]
async fn client_table_without_delay_reject_refuses_the_connection() {
    let cfg = format!(
        "[policy]\ndelay_reject = false\n[checks.client_access]\nmap = \"{}\"\n",
        map("client_access.cidr")
    );
    replay_ok(&cfg, "access/client-immediate.session").await;
}

#[tokio::test]
async fn client_table_in_log_mode_decides_nothing() {
    let cfg = format!(
        "[policy]\ndelay_reject = false\n[checks.client_access]\nmode = \"log\"\nmap = \"{}\"\n",
        map("client_access.cidr")
    );
    let r = replay(&cfg, &[session_file("access/client-immediate.session")]).await;
    // Every session there expects a decision at connect; in log mode none is made, so
    // the rejecting and tempfailing sessions must fail and the accepting one too.
    assert_eq!((r.passed, r.failed), (0, 3), "{}", r.report);
}

#[test]
fn a_broken_table_at_start_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("client.cidr");
    std::fs::write(&path, "192.0.2.0/24 REJECT\n\n192.0.2.300 OK\n").expect("write");
    let cfg = mxgate::config::parse(
        &format!("[checks.client_access]\nmap = \"{}\"\n", path.display()),
        Path::new("t.toml"),
    )
    .expect("config parses");
    let err = mxgate::policy::Policy::new(Arc::new(cfg), &Services::default())
        .err()
        .expect("a broken table must stop the start");
    let want = format!("t.toml:2: checks.client_access.map: {}:3:", path.display());
    assert!(err.starts_with(&want), "{err}");

    // An action mxgate does not know is refused the same way.
    std::fs::write(&path, "192.0.2.0/24 REJECT\n192.0.2.1 HOLD\n").expect("write");
    let cfg = mxgate::config::parse(
        &format!("[checks.sender_access]\nmap = \"{}\"\n", path.display()),
        Path::new("t.toml"),
    )
    .expect("config parses");
    let err = mxgate::policy::Policy::new(Arc::new(cfg), &Services::default())
        .err()
        .expect("an unknown action must stop the start");
    assert!(
        err.contains(&format!(
            "{}:2: 192.0.2.1: HOLD is a Postfix action",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn missing_sources_and_bad_values_are_config_errors() {
    // Found at load, before anything is built or bound.
    let load_error = |toml: &str| {
        mxgate::config::parse(toml, Path::new("t.toml"))
            .err()
            .map(|e| e.to_string())
    };
    let e = load_error("[checks.client_access]\n").expect("no map");
    assert!(
        e.contains("t.toml:1: checks.client_access.map: is not set"),
        "{e}"
    );
    let e = load_error("[checks.sender_access]\n").expect("no source");
    assert!(e.contains("neither map nor database"), "{e}");
    let e = mxgate::config::parse(
        "[checks.sender_access]\nmap = \"x\"\nrecipient_delimiter = \"+-\"\n",
        Path::new("t.toml"),
    )
    .expect_err("two delimiters");
    assert_eq!(e.line, Some(3), "{e}");
    let e = mxgate::config::parse(
        "[checks.recipient_domain]\nrelay_domains = [\"ok.test\", \"a@b.test\"]\n",
        Path::new("t.toml"),
    )
    .expect_err("address as relay domain");
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.to_string().contains("not a domain"), "{e}");
}

/// mxgate running with `config`, replaying session text on demand.
struct Running {
    milter: mxgate::daemon::Embedded,
    dir: tempfile::TempDir,
    n: usize,
}

impl Running {
    async fn start(config: &str) -> Running {
        let cfg = mxgate::config::parse(config, Path::new("t.toml")).expect("config");
        let milter = mxgate::daemon::Embedded::start(cfg)
            .await
            .expect("mxgate starts");
        Running {
            milter,
            dir: tempfile::tempdir().expect("tempdir"),
            n: 0,
        }
    }

    /// Replays `text` (one or more sessions); panics with the report unless all passed.
    async fn expect(&mut self, text: &str) {
        self.n += 1;
        let file: PathBuf = self.dir.path().join(format!("s{}.session", self.n));
        std::fs::write(&file, text).expect("write session");
        let sessions = mxgate::replay::load_sessions(&[file]).expect("sessions parse");
        let spec: SocketSpec = self.milter.socket_spec().parse().expect("spec");
        let opts = ClientOptions {
            timeout: Duration::from_secs(10),
        };
        let results = mxgate::replay::replay_all(&spec, &sessions, &opts).await;
        let (report, passed, failed) = mxgate::replay::run::report(&results, false);
        assert!(failed == 0 && passed > 0, "{report}");
    }

    async fn stop(self) {
        self.milter.stop().await;
    }
}

#[tokio::test]
async fn a_table_broken_while_running_keeps_the_old_one_until_fixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("client.cidr");
    std::fs::write(&path, "192.0.2.0/24 REJECT first table\n").expect("write");
    let cfg = format!(
        "[policy]\ndelay_reject = false\n[checks.client_access]\nmap = \"{}\"\nreload_interval_ms = 20\n",
        path.display()
    );
    let mut mx = Running::start(&cfg).await;
    let rejected = "session s\nconnect 192.0.2.5 expect reject 550 5.7.1 ~ first table\n";
    mx.expect(rejected).await;

    std::fs::write(&path, "192.0.2.0/24 OK\n192.0.2.0/33 REJECT broken\n").expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    mx.expect(rejected).await;

    std::fs::write(&path, "192.0.2.0/24 OK\n").expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    mx.expect("session s\nconnect 192.0.2.5 expect accept\n")
        .await;
    mx.stop().await;
}

#[test]
fn a_reload_error_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("client.cidr");
    std::fs::write(&path, "192.0.2.0/24 REJECT\n").expect("write");
    let map = MapFile::<AccessMap<CidrTable>>::open(&path).expect("opens");
    std::fs::write(&path, "192.0.2.0/24 REJECT\n2001:db8::/32 BOUNCE\n").expect("write");
    let e = map.reload_if_changed().expect_err("bad action on reload");
    assert_eq!(e.line, Some(2));
    assert!(
        e.to_string().starts_with(&format!("{}:2:", path.display())),
        "{e}"
    );
    let t = map.table();
    let (_, entry) = t
        .table
        .lookup("192.0.2.1".parse().expect("ip"))
        .expect("old entry");
    assert_eq!(entry.value, "REJECT");
}

// ---- sender access ------------------------------------------------------------------------

#[tokio::test]
async fn sender_table_with_parent_domains_and_delimiter() {
    let dns = dns().await;
    let cfg = format!(
        "{}\n[checks.sender_access]\nmap = \"{}\"\nrecipient_delimiter = \"+\"\n[checks.sender_domain]\n",
        dns_section(dns.addr(), 2000),
        map("sender_access")
    );
    replay_ok(&cfg, "access/sender.session").await;
}

#[tokio::test]
async fn sender_table_without_parent_domains_or_null_sender_key() {
    let cfg = format!(
        "[checks.sender_access]\nmap = \"{}\"\nparent_domains = false\nnull_sender_key = \"\"\n",
        map("sender_access")
    );
    replay_ok(&cfg, "access/sender-no-parents.session").await;
}

#[tokio::test]
async fn sender_table_immediate_reject_at_mail() {
    let cfg = format!(
        "[policy]\ndelay_reject = false\n[checks.sender_access]\nmap = \"{}\"\n",
        map("sender_access")
    );
    let mut mx = Running::start(&cfg).await;
    mx.expect(
        "session s\nconnect 192.0.2.10\nhelo mail.example.test\n\
         mail <x@spam.access.example.test> expect reject 550 5.7.1 ~ spamming domain\n\
         mail <carol@a-only.access.example.test> expect tempfail 450 4.7.2\n\
         mail <alice@example.test> expect continue\nrcpt <bob@example.test> expect continue\n",
    )
    .await;
    mx.stop().await;
}

// ---- sender and recipient domains -----------------------------------------------------------

#[tokio::test]
async fn sender_domain_existence_null_mx_fqdn_and_servfail() {
    let dns = dns().await;
    let cfg = format!(
        "{}\n[checks.sender_domain]\n",
        dns_section(dns.addr(), 2000)
    );
    replay_ok(&cfg, "access/sender-domain.session").await;
    assert!(dns.query_count("flaky.access.example.test") > 0);
    // MX was enough for mx-only: no address lookups for it.
    assert_eq!(
        dns.queries()
            .iter()
            .filter(|(name, rtype)| name.contains("mx-only.access.example.test")
                && rtype.to_string() != "MX")
            .count(),
        0,
        "{:?}",
        dns.queries()
    );
}

#[tokio::test]
async fn sender_domain_on_error_continue_fails_open_only_on_temporary_errors() {
    let dns = dns().await;
    let cfg = format!(
        "{}\n[checks.sender_domain]\non_error = \"continue\"\n",
        dns_section(dns.addr(), 2000)
    );
    replay_ok(&cfg, "access/sender-domain-continue.session").await;
}

#[tokio::test]
async fn sender_domain_tempfail_action_never_sends_5xx() {
    // Like Postfix's unknown_address_reject_code = 450: every hit is a 4xx.
    let dns = dns().await;
    let cfg = format!(
        "{}\n[policy]\ndelay_reject = false\n[checks.sender_domain]\naction = \"tempfail\"\n",
        dns_section(dns.addr(), 2000)
    );
    let mut mx = Running::start(&cfg).await;
    mx.expect(
        "session s\nconnect 192.0.2.10\nhelo mail.example.test\n\
         mail <a@gone.access.example.test> expect tempfail 450 4.1.8 ~ not found\n\
         mail <a@nullmx.access.example.test> expect tempfail 450 4.7.27\n\
         mail <bob> expect tempfail 450 4.5.2\n\
         mail <a@example.test> expect continue\n",
    )
    .await;
    mx.stop().await;
}

#[tokio::test]
async fn recipient_domain_per_recipient_with_relay_domains_skipped() {
    let dns = dns().await;
    let cfg = format!(
        "{}\n[checks.recipient_domain]\nrelay_domains = [\"relayed.test\", \".sub.relayed.test\"]\nrelay_domains_file = \"{}\"\n",
        dns_section(dns.addr(), 2000),
        map("relay_domains")
    );
    replay_ok(&cfg, "access/recipient-domain.session").await;
    for skipped in ["relayed.test", "from-file.test", "dot-file.test"] {
        assert_eq!(
            dns.queries()
                .iter()
                .filter(|(name, _)| name.contains(skipped))
                .count(),
            0,
            "{skipped} must not be looked up: {:?}",
            dns.queries()
        );
    }
}

#[tokio::test]
async fn fqdn_only_without_dns() {
    // require_dns = false: no resolver is needed or asked; only syntax is judged.
    let cfg = "[policy]\ndelay_reject = false\n\
               [checks.sender_domain]\nrequire_dns = false\n\
               [checks.recipient_domain]\nrequire_dns = false\n\
               [dns]\nnameservers = [\"127.0.0.1:9\"]\ntimeout_ms = 100\nattempts = 1\n";
    let mut mx = Running::start(cfg).await;
    mx.expect(
        "session s\nconnect 192.0.2.10\nhelo mail.example.test\n\
         mail <bob@localhost> expect reject 504 5.5.2\n\
         mail <a@gone.invalid.test> expect continue\n\
         rcpt <x@nowhere.invalid.test> expect continue\n\
         rcpt <x> expect reject 504 5.5.2 ~ Recipient address rejected\n",
    )
    .await;
    mx.stop().await;
}
