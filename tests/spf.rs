//! The SPF check (`[checks.spf]`) over the real daemon and milter protocol, against
//! the in-process DNS server serving tests/fixtures/zones/spf.test.zone (its comments
//! say which name gives which result), with faults injected for temperror. The
//! expectations are in tests/sessions/spf/*.session.

mod support;

use mxgate::dns::{Dns, DnsConfig};
use mxgate::spf_lookup::SpfLookup;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::daemon::{dns_section, replay, session_file};
use support::dns::{fixture_zone, DnsServer, Fault};
use viaspf::lookup::{Lookup, LookupError, Name};

const TEMPERROR_NAME: &str = "temperror.spf.test.";

async fn spf_dns() -> DnsServer {
    let zone = fixture_zone("spf.test.zone");
    DnsServer::start(&[("spf.test.", zone.as_str())]).await
}

/// The test DNS server, `[checks.spf]` with `spf_extra` lines, and `extra` after it.
fn config(dns: &DnsServer, spf_extra: &str, extra: &str) -> String {
    format!(
        "{}\n[checks.spf]\n{spf_extra}\n{extra}\n",
        dns_section(dns.addr(), 1000)
    )
}

async fn replay_ok(config: &str, file: &str) {
    replay(config, &[session_file(file)])
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn every_result_with_default_actions_and_headers() {
    let dns = spf_dns().await;
    replay_ok(&config(&dns, "", ""), "spf/results.session").await;
}

#[tokio::test]
async fn temperror_tempfails_with_451_4_7_24() {
    let dns = spf_dns().await;
    dns.set_fault(TEMPERROR_NAME, Fault::ServFail);
    replay_ok(&config(&dns, "", ""), "spf/temperror.session").await;
    assert!(
        dns.query_count(TEMPERROR_NAME) > 0,
        "the faulted name was never asked"
    );
}

#[tokio::test]
async fn temperror_continues_with_on_error_continue() {
    let dns = spf_dns().await;
    dns.set_fault(TEMPERROR_NAME, Fault::ServFail);
    replay_ok(
        &config(&dns, "on_error = \"continue\"", ""),
        "spf/temperror-continue.session",
    )
    .await;
}

#[tokio::test]
async fn a_dns_timeout_is_a_temperror_within_the_session_budget() {
    let dns = spf_dns().await;
    dns.set_fault(TEMPERROR_NAME, Fault::Timeout);
    // The session budget (300 ms) ends the evaluation long before the resolver's
    // per-query timeout (5 s) or viaspf's 20 s.
    let cfg = format!(
        "{}session_budget_ms = 300\n[checks.spf]\n",
        dns_section(dns.addr(), 5000)
    );
    let started = Instant::now();
    replay_ok(&cfg, "spf/temperror-timeout.session").await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn per_result_actions_are_configurable() {
    let dns = spf_dns().await;
    let spf = "softfail = \"reject\"\nnone = \"tempfail\"\npermerror = \"reject\"\n\
               neutral = \"discard\"\nhelo_fail = \"continue\"\n";
    replay_ok(&config(&dns, spf, ""), "spf/actions.session").await;
}

#[tokio::test]
async fn forged_authentication_results_are_removed() {
    let dns = spf_dns().await;
    replay_ok(&config(&dns, "", ""), "spf/forged.session").await;
}

#[tokio::test]
async fn configured_authserv_id_is_used_and_protected() {
    // With another authserv-id the mx.test headers are not ours: nothing is deleted.
    let dns = spf_dns().await;
    let r = replay(
        &config(&dns, "authserv_id = \"mx.example\"", ""),
        &[session_file("spf/forged.session")],
    )
    .await;
    assert_eq!(r.failed, 2, "{}", r.report);
    assert!(
        r.report
            .contains("insert-header #0 Authentication-Results: mx.example; spf=pass"),
        "{}",
        r.report
    );
    // An action is shown as `delete-header NAME[INDEX]`; none was requested.
    assert!(
        !r.report.contains("delete-header Authentication-Results["),
        "{}",
        r.report
    );
}

#[tokio::test]
async fn skip_clients_are_not_checked() {
    let dns = spf_dns().await;
    replay_ok(
        &config(
            &dns,
            "skip_clients = [\"192.0.2.0/24\", \"2001:db8::/32\"]",
            "",
        ),
        "spf/skip.session",
    )
    .await;
}

#[tokio::test]
async fn log_mode_only_logs_but_still_adds_headers() {
    let dns = spf_dns().await;
    let r = replay(
        &config(&dns, "mode = \"log\"", ""),
        &[session_file("spf/results.session")],
    )
    .await;
    // The four sessions that expect a rejection now see continue; the others,
    // which check the added headers, still pass.
    assert_eq!((r.passed, r.failed), (8, 4), "{}", r.report);
    assert_eq!(r.report.matches("got continue").count(), 4, "{}", r.report);
}

#[tokio::test]
async fn bad_config_values_are_refused_at_load() {
    for (bad, needle) in [
        ("skip_clients = [\"192.0.2.0/33\"]", "prefix"),
        ("authserv_id = \"two words\"", "authserv-id"),
        ("permerror = \"maybe\"", "unknown variant"),
        (
            "reply = { code = 451, xcode = \"4.7.23\", text = \"x\" }",
            "temporary",
        ),
    ] {
        let text = format!("[checks.spf]\n{bad}\n");
        let err = mxgate::config::parse(&text, std::path::Path::new("t.toml"))
            .expect_err(bad)
            .to_string();
        assert!(err.starts_with("t.toml:2:"), "{bad}: {err}");
        assert!(err.contains(needle), "{bad}: {err}");
    }
}

/// The adapter's error classes against real DNS answers.
#[tokio::test]
async fn lookup_adapter_maps_dns_answers() {
    let server = spf_dns().await;
    let dns = Dns::new(&DnsConfig {
        nameservers: vec![server.addr().to_string()],
        timeout: mxgate::values::TimeSpanMs::from_millis(300),
        attempts: 1,
        cache_size: 0,
        ..DnsConfig::default()
    })
    .expect("resolver");
    let lookup = SpfLookup::new(Arc::new(dns));
    let name = |s: &str| Name::new(s).expect("name");

    let txt = lookup
        .lookup_txt(&name("split.spf.test"))
        .await
        .expect("txt");
    assert_eq!(txt, vec!["v=spf1 ip4:192.0.2.0/24 -all".to_string()]);
    let txt = lookup
        .lookup_txt(&name("utf8.spf.test"))
        .await
        .expect("txt");
    assert_eq!(txt, vec!["caf\u{e9}".to_string()]);

    let a = lookup.lookup_a(&name("mail.spf.test")).await.expect("a");
    assert_eq!(a, vec!["192.0.2.10".parse::<std::net::Ipv4Addr>().unwrap()]);
    let aaaa = lookup
        .lookup_aaaa(&name("mail.spf.test"))
        .await
        .expect("aaaa");
    assert_eq!(
        aaaa,
        vec!["2001:db8::10".parse::<std::net::Ipv6Addr>().unwrap()]
    );

    // NXDOMAIN and NODATA are "no records" (void lookups), never errors.
    assert!(matches!(
        lookup.lookup_txt(&name("missing.spf.test")).await,
        Err(LookupError::NoRecords)
    ));
    assert!(matches!(
        lookup.lookup_mx(&name("pass.spf.test")).await,
        Err(LookupError::NoRecords)
    ));

    server.set_fault(TEMPERROR_NAME, Fault::ServFail);
    assert!(matches!(
        lookup.lookup_txt(&name(TEMPERROR_NAME)).await,
        Err(LookupError::Dns(_))
    ));
    server.set_fault(TEMPERROR_NAME, Fault::Timeout);
    assert!(matches!(
        lookup.lookup_txt(&name(TEMPERROR_NAME)).await,
        Err(LookupError::Timeout)
    ));
}
