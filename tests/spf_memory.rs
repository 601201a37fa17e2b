//! The SPF check's memory of recent evaluations (src/checks/spf/memory.rs), over the
//! real daemon and milter protocol: one mxgate instance, sessions replayed one at a
//! time, and the in-process DNS server's query counts read in between.
//!
//! The zone's records have TTL 0 (and a zero negative TTL), so neither hickory's
//! cache nor mxgate's front cache keeps them: any session that evaluates SPF asks
//! the server again. Only the check's own memory can make a session ask nothing.

mod support;

use mxgate::daemon::Embedded;
use mxgate::replay::client::{ClientOptions, SocketSpec};
use std::path::Path;
use std::time::Duration;
use support::daemon::dns_section;
use support::dns::{DnsServer, Fault};

const ZONE: &str = "\
$ORIGIN mem.test.
$TTL 0
@      IN SOA  ns.mem.test. hostmaster.mem.test. 1 3600 600 86400 0
@      IN NS   ns.mem.test.
ns     IN A    192.0.2.53
mail   IN A    192.0.2.10
mail   IN TXT  \"v=spf1 a -all\"
pass   IN TXT  \"v=spf1 ip4:192.0.2.0/24 -all\"
fail   IN TXT  \"v=spf1 ip4:198.51.100.0/24 -all\"
";

const PASS_TXT: &str = "pass.mem.test.";
const FAIL_TXT: &str = "fail.mem.test.";
const HELO_TXT: &str = "mail.mem.test.";

/// The Received-SPF value the first session gets, in full: a remembered result must
/// give the same bytes.
const PASS_HEADER: &str = "pass (mx.test: domain of alice@pass.mem.test designates \
     192.0.2.10 as permitted sender) client-ip=192.0.2.10; \
     envelope-from=\"alice@pass.mem.test\"; helo=mail.mem.test; \
     mechanism=\"ip4:192.0.2.0/24\"; receiver=mx.test; identity=mailfrom";

/// mxgate with `[checks.spf]` against the test server; `dns_extra` goes into `[dns]`.
struct Daemon {
    milter: Embedded,
    spec: SocketSpec,
}

impl Daemon {
    async fn start(dns: &DnsServer, dns_extra: &str) -> Daemon {
        let text = format!(
            "{}{dns_extra}\n[checks.spf]\n",
            dns_section(dns.addr(), 1000)
        );
        let cfg = mxgate::config::parse(&text, Path::new("test-config.toml"))
            .unwrap_or_else(|e| panic!("test config does not validate: {e}\n{text}"));
        let milter = Embedded::start(cfg)
            .await
            .unwrap_or_else(|e| panic!("cannot start mxgate: {e:#}"));
        let spec = milter
            .socket_spec()
            .parse()
            .unwrap_or_else(|e| panic!("socket spec: {e}"));
        Daemon { milter, spec }
    }

    /// Replays one session (text in the session-file format) and panics with the
    /// report unless every expectation held.
    async fn session(&self, text: &str) {
        let sessions = mxgate::replay::format::parse(text, Path::new("."))
            .unwrap_or_else(|e| panic!("session does not parse: {e}\n{text}"));
        let opts = ClientOptions {
            timeout: Duration::from_secs(20),
        };
        let results = mxgate::replay::replay_all(&self.spec, &sessions, &opts).await;
        let (report, passed, failed) = mxgate::replay::run::report(&results, false);
        assert!(
            failed == 0 && passed == 1,
            "{passed} passed, {failed} failed\n{report}\n{text}"
        );
    }

    async fn stop(self) {
        self.milter.stop().await;
    }
}

/// A session from `client` with HELO mail.mem.test and MAIL FROM `sender`, whose RCPT
/// gets `rcpt_expect` and, when it is accepted, whose message carries `header`.
fn session(client: &str, sender: &str, rcpt_expect: &str, header: &str) -> String {
    let mut s = format!(
        "session memory\n\
         connect {client} port 41000 name mail.mem.test\n\
         helo mail.mem.test\n\
         mail <{sender}> expect continue\n\
         rcpt <bob@example.net> expect {rcpt_expect}\n"
    );
    if rcpt_expect == "continue" {
        s.push_str("header Subject: memory\neom expect continue\n");
        s.push_str(&format!("eom expect header Received-SPF ~ {header}\n"));
    }
    s
}

fn pass_session(client: &str, sender: &str) -> String {
    session(client, sender, "continue", PASS_HEADER)
}

async fn zone() -> DnsServer {
    DnsServer::start(&[("mem.test.", ZONE)]).await
}

#[tokio::test]
async fn a_repeated_session_is_answered_from_memory() {
    let dns = zone().await;
    let d = Daemon::start(&dns, "").await;
    d.session(&pass_session("192.0.2.10", "alice@pass.mem.test"))
        .await;
    let (mail, helo) = (dns.query_count(PASS_TXT), dns.query_count(HELO_TXT));
    assert!(
        mail > 0 && helo > 0,
        "the first session asked nothing (mail {mail}, helo {helo})"
    );
    // Same client, HELO and sender: same verdict and header, no DNS at all.
    let before = dns.queries().len();
    d.session(&pass_session("192.0.2.10", "alice@pass.mem.test"))
        .await;
    assert_eq!(
        dns.queries().len(),
        before,
        "the second session queried: {:?}",
        &dns.queries()[before..]
    );
    // A fail is remembered too, with the same rejection.
    let rejected =
        "reject 550 5.7.23 ~ SPF fail: 192.0.2.10 is not allowed to send mail from fail.mem.test";
    d.session(&session("192.0.2.10", "alice@fail.mem.test", rejected, ""))
        .await;
    let fails = dns.query_count(FAIL_TXT);
    assert!(fails > 0, "the fail domain was never asked");
    d.session(&session("192.0.2.10", "alice@fail.mem.test", rejected, ""))
        .await;
    assert_eq!(
        dns.query_count(FAIL_TXT),
        fails,
        "the fail was not remembered"
    );
    d.stop().await;
}

#[tokio::test]
async fn another_sender_or_client_is_evaluated_afresh() {
    let dns = zone().await;
    let d = Daemon::start(&dns, "").await;
    d.session(&pass_session("192.0.2.10", "alice@pass.mem.test"))
        .await;
    let first = dns.query_count(PASS_TXT);
    // Another local part of the same domain (macros can use it): asked again. This
    // also shows that the DNS caches do not keep the TTL-0 records.
    let header = PASS_HEADER.replace("alice@", "carol@");
    d.session(&session(
        "192.0.2.10",
        "carol@pass.mem.test",
        "continue",
        &header,
    ))
    .await;
    let second = dns.query_count(PASS_TXT);
    assert!(second > first, "another sender was not evaluated afresh");
    // Another client address: the MAIL FROM and HELO identities are asked again.
    let helo = dns.query_count(HELO_TXT);
    let header = PASS_HEADER.replace("client-ip=192.0.2.10", "client-ip=192.0.2.11");
    let header = header.replace("designates 192.0.2.10", "designates 192.0.2.11");
    // The HELO identity fails for .11 (`a` is .10), which rejects at RCPT.
    d.session(&session(
        "192.0.2.11",
        "alice@pass.mem.test",
        "reject 550 5.7.23 ~ HELO mail.mem.test",
        &header,
    ))
    .await;
    assert!(
        dns.query_count(PASS_TXT) > second,
        "another client was not evaluated afresh (MAIL FROM)"
    );
    assert!(
        dns.query_count(HELO_TXT) > helo,
        "another client was not evaluated afresh (HELO)"
    );
    d.stop().await;
}

#[tokio::test]
async fn a_temperror_is_not_remembered() {
    let dns = zone().await;
    let d = Daemon::start(&dns, "").await;
    dns.set_fault(PASS_TXT, Fault::ServFail);
    let temp = "tempfail 451 4.7.24";
    d.session(&session("192.0.2.10", "alice@pass.mem.test", temp, ""))
        .await;
    let first = dns.query_count(PASS_TXT);
    assert!(first > 0, "the faulted name was never asked");
    d.session(&session("192.0.2.10", "alice@pass.mem.test", temp, ""))
        .await;
    let second = dns.query_count(PASS_TXT);
    assert!(second > first, "a temperror was remembered");
    // Once the server answers again, so does the check, at once.
    dns.clear_fault(PASS_TXT);
    d.session(&pass_session("192.0.2.10", "alice@pass.mem.test"))
        .await;
    assert!(dns.query_count(PASS_TXT) > second);
    d.stop().await;
}

#[tokio::test]
async fn dns_cache_size_0_turns_the_memory_off() {
    let dns = zone().await;
    let d = Daemon::start(&dns, "cache_size = 0").await;
    let mut last = (0, 0);
    for i in 0..3 {
        d.session(&pass_session("192.0.2.10", "alice@pass.mem.test"))
            .await;
        let now = (dns.query_count(PASS_TXT), dns.query_count(HELO_TXT));
        assert!(
            now.0 > last.0 && now.1 > last.1,
            "session {i} did not query: {last:?} -> {now:?}"
        );
        last = now;
    }
    d.stop().await;
}
