//! checks.dnsbl over the real milter protocol (mxgate in-process, session files under
//! tests/sessions/dnsbl/) and through its API, against the in-process DNS server with the
//! dnsbl*/dnswl* fixture zones.

mod support;

use mxgate::checks::dnsbl::DnsblCheck;
use mxgate::checks::{Check, CheckError, Finding, Services};
use mxgate::session::{Fact, Session, Stage};
use support::daemon::{dns_section, replay, sessions};
use support::dns::{fixture_zone, DnsServer, Fault};

/// Every zone these tests use: (origin, fixture file).
const ZONES: &[(&str, &str)] = &[
    ("dnsbl.test.", "dnsbl.test.zone"),
    ("dnsbl2.test.", "dnsbl2.test.zone"),
    ("dnswl.test.", "dnswl.test.zone"),
    ("dnsbl-all.test.", "dnsbl-all.test.zone"),
    ("dnsbl-dead.test.", "dnsbl-dead.test.zone"),
];

async fn dns() -> DnsServer {
    let texts: Vec<(&str, String)> = ZONES.iter().map(|(o, f)| (*o, fixture_zone(f))).collect();
    let zones: Vec<(&str, &str)> = texts.iter().map(|(o, t)| (*o, t.as_str())).collect();
    DnsServer::start(&zones).await
}

/// A config with only checks.dnsbl, resolving through `dns`.
fn config(dns: &DnsServer, dnsbl: &str) -> String {
    format!("{}\n{dnsbl}", dns_section(dns.addr(), 1000))
}

const SINGLE: &str = "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"dnsbl.test\"\n";

const TWO_LISTS: &str = r#"[checks.dnsbl]
threshold = 2
[[checks.dnsbl.lists]]
zone = "dnsbl.test"
[[checks.dnsbl.lists]]
zone = "dnsbl2.test"
"#;

const SELF_TEST_LISTS: &str = r#"[[checks.dnsbl.lists]]
zone = "dnsbl.test"
[[checks.dnsbl.lists]]
zone = "dnsbl-dead.test"
[[checks.dnsbl.lists]]
zone = "dnsbl-all.test"
"#;

#[tokio::test]
async fn single_list_listings_error_codes_ipv6_and_postmaster() {
    let dns = dns().await;
    replay(&config(&dns, SINGLE), &sessions("dnsbl/single.session"))
        .await
        .assert_all_passed();
    // TXT is fetched only for listed clients (the reply shows it), never for clean ones.
    assert_eq!(
        dns.query_count("10.2.0.192.dnsbl.test."),
        2,
        "{:?}",
        dns.queries()
    );
    assert_eq!(
        dns.query_count("30.2.0.192.dnsbl.test."),
        1,
        "{:?}",
        dns.queries()
    );
}

#[tokio::test]
async fn weights_threshold_allowlist() {
    let dns = dns().await;
    let cfg = config(
        &dns,
        r#"[checks.dnsbl]
threshold = 2
reply = { code = 550, xcode = "5.7.1", text = "Listed: {client} on {name} ({zone}){txt:: }" }
[[checks.dnsbl.lists]]
zone = "dnsbl.test"
name = "bl-a"
answers = ["127.0.0.2"]
[[checks.dnsbl.lists]]
zone = "dnsbl2.test"
name = "bl-b"
[[checks.dnsbl.lists]]
zone = "dnsbl.test"
name = "bl-policy"
weight = 2
answers = ["127.0.0.[10..11]"]
reply = "Policy block for {client} by {name}{txt:: }"
[[checks.dnsbl.lists]]
zone = "dnswl.test"
name = "wl"
weight = -2
answers = ["127.0.10.0/24"]
"#,
    );
    replay(&cfg, &sessions("dnsbl/weights.session"))
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn servfail_on_one_list_fails_open_by_default() {
    let dns = dns().await;
    dns.set_fault("*.dnsbl2.test.", Fault::ServFail);
    replay(
        &config(&dns, TWO_LISTS),
        &sessions("dnsbl/servfail-continue.session"),
    )
    .await
    .assert_all_passed();
    assert!(dns.query_count("10.2.0.192.dnsbl2.test.") >= 1);
}

#[tokio::test]
async fn servfail_on_one_list_tempfails_when_it_could_change_the_verdict() {
    let dns = dns().await;
    dns.set_fault("*.dnsbl2.test.", Fault::ServFail);
    let cfg = config(
        &dns,
        &TWO_LISTS.replace("threshold = 2", "threshold = 2\non_error = \"tempfail\""),
    );
    replay(&cfg, &sessions("dnsbl/servfail-tempfail.session"))
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn servfail_on_one_list_does_not_matter_when_already_over_threshold() {
    let dns = dns().await;
    dns.set_fault("*.dnsbl2.test.", Fault::ServFail);
    let cfg = config(
        &dns,
        &TWO_LISTS.replace("threshold = 2", "threshold = 1\non_error = \"tempfail\""),
    );
    replay(&cfg, &sessions("dnsbl/servfail-decided.session"))
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn self_test_disables_broken_lists_and_keeps_the_good_one() {
    let dns = dns().await;
    let cfg = config(
        &dns,
        &format!("[checks.dnsbl]\nself_test = true\n{SELF_TEST_LISTS}"),
    );
    replay(&cfg, &sessions("dnsbl/selftest.session"))
        .await
        .assert_all_passed();
    // The self-test asked every list about both test points.
    for zone in ["dnsbl.test.", "dnsbl-all.test.", "dnsbl-dead.test."] {
        assert!(dns.query_count(&format!("2.0.0.127.{zone}")) >= 1, "{zone}");
        assert!(dns.query_count(&format!("1.0.0.127.{zone}")) >= 1, "{zone}");
    }
    // Disabled lists are not asked about clients.
    assert_eq!(dns.query_count("20.2.0.192.dnsbl-all.test."), 0);
    assert_eq!(dns.query_count("16.2.0.192.dnsbl-dead.test."), 0);
}

#[tokio::test]
async fn without_self_test_the_broken_lists_are_used() {
    let dns = dns().await;
    let cfg = config(&dns, &format!("[checks.dnsbl]\n{SELF_TEST_LISTS}"));
    replay(&cfg, &sessions("dnsbl/selftest-off.session"))
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn log_mode_only_logs() {
    let dns = dns().await;
    let cfg = config(
        &dns,
        &SINGLE.replace("[checks.dnsbl]\n", "[checks.dnsbl]\nmode = \"log\"\n"),
    );
    replay(&cfg, &sessions("dnsbl/log-mode.session"))
        .await
        .assert_all_passed();
    assert!(dns.query_count("10.2.0.192.dnsbl.test.") >= 1);
}

#[tokio::test]
async fn without_delay_reject_the_connection_is_rejected() {
    let dns = dns().await;
    let cfg = config(&dns, &format!("[policy]\ndelay_reject = false\n{SINGLE}"));
    replay(&cfg, &sessions("dnsbl/immediate.session"))
        .await
        .assert_all_passed();
}

// ---------------------------------------------------------------------------------------------
// Through the API: facts, counters, self-test state.

fn build(dns: &DnsServer, dnsbl: &str) -> DnsblCheck {
    build_from(&config(dns, dnsbl))
}

fn build_from(text: &str) -> DnsblCheck {
    let cfg = mxgate::config::parse(text, std::path::Path::new("t.toml"))
        .unwrap_or_else(|e| panic!("config: {e}"));
    let resolver = Services::default()
        .dns(&cfg.dns)
        .unwrap_or_else(|e| panic!("resolver: {e}"));
    DnsblCheck::new(
        cfg.section::<mxgate::checks::dnsbl::DnsblConfig>()
            .expect("dnsbl section"),
        resolver,
    )
    .unwrap_or_else(|e| panic!("build: {e}"))
}

fn client(ip: &str) -> Session {
    Session::new(Some(ip.parse().expect("ip")), 1, "unknown".into())
}

fn dnsbl_fact(facts: &[Fact]) -> (i32, Vec<String>) {
    match facts {
        [Fact::Dnsbl { score, listed }] => (*score, listed.clone()),
        other => panic!("expected one Dnsbl fact, got {other:?}"),
    }
}

#[tokio::test]
async fn facts_report_score_and_lists_even_below_threshold() {
    let dns = dns().await;
    let check = build(
        &dns,
        r#"[checks.dnsbl]
threshold = 3
[[checks.dnsbl.lists]]
zone = "dnsbl.test"
name = "a"
[[checks.dnsbl.lists]]
zone = "dnsbl2.test"
name = "b"
[[checks.dnsbl.lists]]
zone = "dnswl.test"
name = "wl"
weight = -5
"#,
    );
    assert_eq!(check.stages(), &[Stage::Connect]);
    let out = check
        .check(Stage::Connect, &client("192.0.2.10"))
        .await
        .expect("no DNS failure");
    assert_eq!(out.finding, Finding::Pass);
    assert_eq!(dnsbl_fact(&out.facts), (2, vec!["a".into(), "b".into()]));

    let out = check
        .check(Stage::Connect, &client("192.0.2.17"))
        .await
        .expect("no DNS failure");
    assert_eq!(
        dnsbl_fact(&out.facts),
        (-3, vec!["a".into(), "b".into(), "wl".into()])
    );

    let out = check
        .check(Stage::Connect, &client("192.0.2.30"))
        .await
        .expect("no DNS failure");
    assert_eq!(dnsbl_fact(&out.facts), (0, vec![]));

    // A client without an IP address (a local socket): nothing to ask, score 0.
    let local = Session::new(None, 0, "localhost".into());
    let out = check
        .check(Stage::Connect, &local)
        .await
        .expect("no lookup at all");
    assert_eq!(out.finding, Finding::Pass);
    assert_eq!(dnsbl_fact(&out.facts), (0, vec![]));
}

#[tokio::test]
async fn error_answers_are_counted_per_list() {
    let dns = dns().await;
    let check = build(&dns, SINGLE);
    for ip in ["192.0.2.12", "192.0.2.13"] {
        let out = check
            .check(Stage::Connect, &client(ip))
            .await
            .expect("an error code is an answer, not a DNS failure");
        assert_eq!(out.finding, Finding::Pass, "{ip}");
        assert_eq!(dnsbl_fact(&out.facts), (0, vec![]), "{ip}");
    }
    let stats = check.list_stats();
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0].name, "dnsbl.test");
    assert_eq!(stats[0].errors, 2, "{stats:?}");
    assert_eq!(stats[0].temporary, 0, "{stats:?}");
}

#[tokio::test]
async fn temporary_failure_carries_facts_and_a_4xx() {
    let dns = dns().await;
    dns.set_fault("*.dnsbl2.test.", Fault::ServFail);
    let check = build(&dns, TWO_LISTS);
    let err = check
        .check(Stage::Connect, &client("192.0.2.10"))
        .await
        .expect_err("dnsbl2.test could have decided");
    let CheckError::Temporary {
        reason,
        reply,
        facts,
        ..
    } = err;
    assert!(reason.contains("dnsbl2.test"), "{reason}");
    let reply = reply.expect("a 4xx reply");
    assert_eq!((reply.code, reply.xcode.as_str()), (451, "4.7.1"));
    assert_eq!(dnsbl_fact(&facts), (1, vec!["dnsbl.test".into()]));
    assert_eq!(check.list_stats()[1].temporary, 1);
    assert_eq!(check.list_stats()[0].temporary, 0);
}

#[tokio::test]
async fn queries_go_out_concurrently() {
    let dns = dns().await;
    // Every list times out: done in about one timeout, not one per list.
    for zone in ["dnsbl.test", "dnsbl2.test", "dnswl.test"] {
        dns.set_fault(&format!("*.{zone}."), Fault::Timeout);
    }
    let check = build_from(&format!(
        "{}[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"dnsbl.test\"\n[[checks.dnsbl.lists]]\nzone = \"dnsbl2.test\"\n[[checks.dnsbl.lists]]\nzone = \"dnswl.test\"\n",
        dns_section(dns.addr(), 400)
    ));
    let started = std::time::Instant::now();
    let r = check.check(Stage::Connect, &client("192.0.2.30")).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(r, Err(CheckError::Temporary { .. })),
        "all lists failed: {r:?}"
    );
    assert!(
        elapsed < std::time::Duration::from_millis(1100),
        "three 400 ms timeouts took {elapsed:?}: not concurrent"
    );
}

#[tokio::test]
async fn self_test_state_is_visible_and_the_task_ends_with_the_check() {
    let dns = dns().await;
    // No cache, so every round reaches the server.
    let check = build_from(&format!(
        "{}cache_size = 0\n[checks.dnsbl]\nself_test = true\nself_test_interval = 1\n{SELF_TEST_LISTS}",
        dns_section(dns.addr(), 1000)
    ));
    tokio::time::timeout(std::time::Duration::from_secs(10), check.ready())
        .await
        .expect("first self-test round within 10 s");
    let enabled: Vec<(String, bool)> = check
        .list_stats()
        .into_iter()
        .map(|s| (s.name, s.enabled))
        .collect();
    assert_eq!(
        enabled,
        vec![
            ("dnsbl.test".into(), true),
            ("dnsbl-dead.test".into(), false),
            ("dnsbl-all.test".into(), false),
        ]
    );
    // It runs again every interval…
    let before = dns.query_count("2.0.0.127.dnsbl.test.");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let after = dns.query_count("2.0.0.127.dnsbl.test.");
    assert!(after > before, "no second round: {before} -> {after}");
    // …and stops when the check is dropped (the policy is rebuilt on SIGHUP).
    drop(check);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let at_drop = dns.query_count("2.0.0.127.dnsbl.test.");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        dns.query_count("2.0.0.127.dnsbl.test."),
        at_drop,
        "self-test still running after the check was dropped"
    );
}
