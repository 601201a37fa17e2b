//! The reverse-DNS check (`[checks.rdns]`) over the real daemon and milter protocol,
//! against the in-process DNS server serving tests/fixtures/zones/, with faults
//! injected to tell permanent answers from temporary failures. The expectations are
//! in tests/sessions/rdns/*.session; the reverse zones' comments list the clients.

mod support;

use mxgate::checks::rdns::{RdnsCheck, RdnsConfig, Require};
use mxgate::checks::{Check, CheckError, Finding, Outcome};
use mxgate::dns::{Dns, DnsConfig};
use mxgate::session::{Fact, Session, Stage};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::daemon::{dns_section, replay, session_file};
use support::dns::{DnsServer, Fault};

/// A config with `[checks.rdns]` (plus `rdns_extra` lines), the test DNS server and
/// `policy_extra` lines under `[policy]`.
fn config(dns: &DnsServer, timeout_ms: u64, policy_extra: &str, rdns_extra: &str) -> String {
    format!(
        "{}\n[policy]\n{policy_extra}\n[checks.rdns]\n{rdns_extra}\n",
        dns_section(dns.addr(), timeout_ms)
    )
}

async fn replay_ok(config: &str, file: &str) {
    replay(config, &[session_file(file)])
        .await
        .assert_all_passed();
}

/// [`config`] with a 2 s DNS timeout and `delay_reject = false` (verdicts at CONNECT).
fn at_connect(dns: &DnsServer, rdns_extra: &str) -> String {
    config(dns, 2000, "delay_reject = false", rdns_extra)
}

/// Makes the PTR query of 192.0.2.20 and the forward lookup of flaky.example.test fail
/// with `fault` (the clients of rdns/tempfail.session).
fn fail_ptr_and_forward(dns: &DnsServer, fault: Fault) {
    dns.set_fault("20.2.0.192.in-addr.arpa", fault);
    dns.set_fault("flaky.example.test", fault);
}

#[tokio::test]
async fn forward_confirmed_clients_pass_v4_v6_and_mapped() {
    let dns = DnsServer::start_fixtures().await;
    replay_ok(&config(&dns, 2000, "", ""), "rdns/pass.session").await;
}

#[tokio::test]
async fn definite_failures_are_held_until_rcpt_and_exempt_recipients_pass() {
    let dns = DnsServer::start_fixtures().await;
    replay_ok(&config(&dns, 2000, "", ""), "rdns/reject-delayed.session").await;
}

#[tokio::test]
async fn without_delay_reject_the_connection_is_rejected() {
    let dns = DnsServer::start_fixtures().await;
    replay_ok(&at_connect(&dns, ""), "rdns/reject-at-connect.session").await;
}

#[tokio::test]
async fn require_ptr_accepts_what_require_fcrdns_rejects() {
    let dns = DnsServer::start_fixtures().await;
    replay_ok(
        &at_connect(&dns, "require = \"ptr\""),
        "rdns/ptr-mode.session",
    )
    .await;
    replay_ok(
        &at_connect(&dns, "require = \"fcrdns\""),
        "rdns/fcrdns-mode.session",
    )
    .await;
}

#[tokio::test]
async fn max_ptr_names_limits_the_names_checked() {
    // 192.0.2.80 has PTRs m1, m2, m3 (sorted); only m3 resolves back.
    let dns = DnsServer::start_fixtures().await;
    let file = support::daemon::session_file("rdns/pass.session");
    let cfg = at_connect(&dns, "max_ptr_names = 2");
    let r = replay(&cfg, &[file]).await;
    assert_eq!(
        r.failed, 1,
        "only the three-PTR client should fail with max_ptr_names = 2:\n{}",
        r.report
    );
    assert!(
        r.report.contains("third-of-three-ptr-names-confirms"),
        "{}",
        r.report
    );
    assert_eq!(
        dns.query_count("m3.example.test"),
        0,
        "m3 must not be looked up"
    );
    assert!(dns.query_count("m1.example.test") > 0);
}

#[tokio::test]
async fn servfail_on_ptr_or_forward_is_temporary() {
    let dns = DnsServer::start_fixtures().await;
    fail_ptr_and_forward(&dns, Fault::ServFail);
    replay_ok(&at_connect(&dns, ""), "rdns/tempfail.session").await;
    assert!(dns.query_count("flaky.example.test") > 0);
}

#[tokio::test]
async fn temporary_failure_is_held_until_rcpt() {
    let dns = DnsServer::start_fixtures().await;
    dns.set_fault("20.2.0.192.in-addr.arpa", Fault::ServFail);
    replay_ok(&config(&dns, 2000, "", ""), "rdns/tempfail-delayed.session").await;
}

#[tokio::test]
async fn refused_is_temporary() {
    let dns = DnsServer::start_fixtures().await;
    fail_ptr_and_forward(&dns, Fault::Refused);
    replay_ok(&at_connect(&dns, ""), "rdns/tempfail.session").await;
}

#[tokio::test]
async fn timeouts_are_temporary_and_do_not_hang() {
    let dns = DnsServer::start_fixtures().await;
    fail_ptr_and_forward(&dns, Fault::Timeout);
    let started = Instant::now();
    replay_ok(
        &config(&dns, 300, "delay_reject = false", ""),
        "rdns/tempfail.session",
    )
    .await;
    // A hang guard, not a performance claim: five sessions, each with at most a few
    // 300 ms timeouts.
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}

#[tokio::test]
async fn session_budget_bounds_a_slow_lookup() {
    // The per-query timeout is long; the session's DNS budget (300 ms) must cut it.
    let dns = DnsServer::start_fixtures().await;
    fail_ptr_and_forward(&dns, Fault::Timeout);
    let cfg = format!(
        "{}session_budget_ms = 300\n[policy]\ndelay_reject = false\n[checks.rdns]\n",
        dns_section(dns.addr(), 20_000)
    );
    let started = Instant::now();
    let r = replay(&cfg, &[session_file("rdns/tempfail.session")]).await;
    let elapsed = started.elapsed();
    assert!(
        r.report.contains("servfail-on-ptr") && r.failed == 0,
        "{}",
        r.report
    );
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}

#[tokio::test]
async fn log_mode_continues() {
    let dns = DnsServer::start_fixtures().await;
    let cfg = at_connect(&dns, "mode = \"log\"");
    replay_ok(&cfg, "rdns/continues.session").await;
    replay_ok(&cfg, "rdns/log-mode.session").await;
}

#[tokio::test]
async fn on_error_continue_lets_a_servfail_through_but_not_a_missing_ptr() {
    let dns = DnsServer::start_fixtures().await;
    dns.set_fault("20.2.0.192.in-addr.arpa", Fault::ServFail);
    let cfg = at_connect(&dns, "on_error = \"continue\"");
    replay_ok(&cfg, "rdns/continues.session").await;
    // A definite answer is no error: on_error does not apply to it.
    dns.clear_faults();
    replay_ok(&cfg, "rdns/reject-at-connect.session").await;
}

#[tokio::test]
async fn configured_reply_and_action_are_used() {
    let dns = DnsServer::start_fixtures().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("custom.session");
    std::fs::write(
        &file,
        "session custom-reject\n\
         connect 192.0.2.30 expect reject 554 5.7.25 ~ go away\n\
         session custom-reject-mismatch\n\
         connect 192.0.2.20 expect reject 554 5.7.25 ~ go away\n",
    )
    .expect("write session");
    let cfg = at_connect(
        &dns,
        "reply = { code = 554, xcode = \"5.7.25\", text = \"go away\" }",
    );
    replay(&cfg, std::slice::from_ref(&file))
        .await
        .assert_all_passed();

    std::fs::write(
        &file,
        "session tempfail-action\n\
         connect 192.0.2.20 expect tempfail 450 4.7.25 ~ does not resolve back\n",
    )
    .expect("write session");
    let cfg = at_connect(&dns, "action = \"tempfail\"");
    replay(&cfg, &[file]).await.assert_all_passed();
}

// --- The check itself, for the facts it reports (the policy records them). ---

fn check(dns: &DnsServer, require: Require) -> RdnsCheck {
    let resolver = Dns::new(&DnsConfig {
        nameservers: vec![dns.addr().to_string()],
        timeout: mxgate::values::TimeSpanMs::from_millis(1000),
        attempts: 1,
        cache_size: 0,
        ..DnsConfig::default()
    })
    .expect("resolver");
    RdnsCheck::new(
        RdnsConfig {
            require,
            ..RdnsConfig::default()
        },
        Arc::new(resolver),
    )
}

fn client(ip: &str) -> Session {
    Session::new(Some(ip.parse::<IpAddr>().expect("ip")), 1, "unknown".into())
}

fn ptr_names(v: &[&str]) -> Fact {
    Fact::PtrNames(v.iter().map(|s| s.to_string()).collect())
}

/// The facts of a pass: the PTR names, then the one that resolves back.
fn verified(names: &[&str], name: &str) -> Vec<Fact> {
    vec![ptr_names(names), Fact::VerifiedName(name.into())]
}

/// The check at CONNECT from `ip`; panics on an error.
async fn connect(c: &RdnsCheck, ip: &str) -> Outcome {
    c.check(Stage::Connect, &client(ip))
        .await
        .expect("no error")
}

/// The check at CONNECT from `ip`; panics unless it fails.
async fn connect_err(c: &RdnsCheck, ip: &str) -> CheckError {
    c.check(Stage::Connect, &client(ip))
        .await
        .expect_err("temporary")
}

#[tokio::test]
async fn facts_on_pass_name_the_verified_ptr() {
    let dns = DnsServer::start_fixtures().await;
    let c = check(&dns, Require::Fcrdns);
    let out = connect(&c, "192.0.2.50").await;
    assert_eq!(out.finding, Finding::Pass);
    assert_eq!(
        out.facts,
        verified(
            &["liar.example.test", "two.example.test"],
            "two.example.test"
        )
    );
    // An IPv4 client needs only A records.
    assert!(
        dns.queries()
            .iter()
            .all(|(_, t)| *t != hickory_proto::rr::RecordType::AAAA),
        "{:?}",
        dns.queries()
    );

    dns.clear_queries();
    let out = connect(&c, "2001:db8::10").await;
    assert_eq!(out.finding, Finding::Pass);
    assert_eq!(
        out.facts,
        verified(&["mail.example.test"], "mail.example.test")
    );
    // An IPv6 client needs only AAAA records.
    assert!(
        dns.queries()
            .iter()
            .all(|(_, t)| *t != hickory_proto::rr::RecordType::A),
        "{:?}",
        dns.queries()
    );
}

#[tokio::test]
async fn facts_and_reasons_on_hits_and_errors() {
    let dns = DnsServer::start_fixtures().await;
    let c = check(&dns, Require::Fcrdns);

    let out = connect(&c, "192.0.2.20").await;
    assert_eq!(out.facts, vec![ptr_names(&["liar.example.test"])]);
    let Finding::Hit(hit) = out.finding else {
        panic!("mismatch must hit");
    };
    assert!(
        hit.reason
            .starts_with("PTR liar.example.test does not resolve to 192.0.2.20"),
        "{}",
        hit.reason
    );
    let reply = hit.reply.expect("default reply");
    assert_eq!((reply.code, reply.xcode.as_str()), (550, "5.7.25"));

    let out = connect(&c, "192.0.2.30").await;
    assert!(out.facts.is_empty());
    assert!(matches!(&out.finding, Finding::Hit(h) if h.reason == "no PTR for 192.0.2.30"));

    dns.set_fault("flaky.example.test", Fault::ServFail);
    let err = connect_err(&c, "192.0.2.62").await;
    let CheckError::Temporary {
        reason,
        reply,
        facts,
        ..
    } = err;
    assert_eq!(reason, "temporary: SERVFAIL on flaky.example.test (A)");
    let reply = reply.expect("own 4xx reply");
    assert_eq!((reply.code, reply.xcode.as_str()), (450, "4.7.25"));
    assert_eq!(
        facts,
        vec![ptr_names(&["flaky.example.test", "liar.example.test"])]
    );

    dns.set_fault("20.2.0.192.in-addr.arpa", Fault::ServFail);
    let err = connect_err(&c, "192.0.2.20").await;
    assert_eq!(
        err.to_string(),
        "temporary failure: temporary: SERVFAIL on 20.2.0.192.in-addr.arpa"
    );
}

#[tokio::test]
async fn ptr_mode_still_reports_the_verified_name_and_ignores_forward_failures() {
    let dns = DnsServer::start_fixtures().await;
    let c = check(&dns, Require::Ptr);
    let out = connect(&c, "::ffff:192.0.2.10").await;
    assert_eq!(out.finding, Finding::Pass);
    assert_eq!(
        out.facts,
        verified(&["mail.example.test"], "mail.example.test")
    );
    dns.set_fault("flaky.example.test", Fault::ServFail);
    let out = c
        .check(Stage::Connect, &client("192.0.2.60"))
        .await
        .expect("forward failures do not count in ptr mode");
    assert_eq!(out.finding, Finding::Pass);
    assert_eq!(out.facts, vec![ptr_names(&["flaky.example.test"])]);
}

#[tokio::test]
async fn clients_without_an_address_pass_without_lookups() {
    let dns = DnsServer::start_fixtures().await;
    let c = check(&dns, Require::Fcrdns);
    let s = Session::new(None, 0, "unknown".into());
    let out = c.check(Stage::Connect, &s).await.expect("no error");
    assert_eq!(out.finding, Finding::Pass);
    assert!(out.facts.is_empty());
    assert!(dns.queries().is_empty(), "{:?}", dns.queries());
}

#[tokio::test]
async fn timeout_and_budget_reasons() {
    let dns = DnsServer::start_fixtures().await;
    dns.set_fault("20.2.0.192.in-addr.arpa", Fault::Timeout);
    let c = check(&dns, Require::Fcrdns);
    let err = connect_err(&c, "192.0.2.20").await;
    assert_eq!(
        err.to_string(),
        "temporary failure: temporary: timeout on 20.2.0.192.in-addr.arpa"
    );

    // A session whose DNS budget (15 s by default) is already spent gets no verdict
    // from DNS, only a temporary failure.
    dns.clear_faults();
    dns.clear_queries();
    let mut s = client("192.0.2.10");
    s.started = Instant::now()
        .checked_sub(Duration::from_secs(60))
        .expect("clock far enough from its origin");
    let err = c.check(Stage::Connect, &s).await.expect_err("temporary");
    assert!(err.to_string().contains("budget"), "{err}");
}
