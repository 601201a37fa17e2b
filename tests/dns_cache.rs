//! The resolver's front cache (src/dns.rs): answers hickory already gave are served
//! again without asking, exactly as long as hickory would serve them from its own cache;
//! temporary failures are never kept; `cache_size = 0` keeps nothing; names looked up
//! label by label (SPF) and as host names are kept apart.

mod support;

use hickory_resolver::proto::rr::{Name, RecordType};
use mxgate::dns::{Dns, DnsConfig, DnsError, RecordsError};
use std::time::Duration;
use support::dns::{DnsServer, Fault};
use tokio::time::Instant;

fn dns(server: &DnsServer, cache_size: u64) -> Dns {
    Dns::new(&DnsConfig {
        nameservers: vec![server.addr().to_string()],
        timeout: mxgate::values::TimeSpanMs::from_millis(500),
        attempts: 1,
        cache_size,
        ..DnsConfig::default()
    })
    .expect("resolver")
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

#[tokio::test]
async fn answers_and_nxdomain_are_served_again_without_a_query() {
    let server = DnsServer::start_fixtures().await;
    let d = dns(&server, 100);
    let first = d.a("mail.example.test", deadline()).await;
    assert_eq!(first, Ok(vec!["192.0.2.10".parse().unwrap()]));
    assert_eq!(d.a("mail.example.test", deadline()).await, first);
    // Upper case is the same name to DNS (and to hickory's cache behind ours).
    assert_eq!(d.a("MAIL.Example.TEST", deadline()).await, first);
    assert_eq!(server.query_count("mail.example.test"), 1);

    assert_eq!(
        d.a("gone.example.test", deadline()).await,
        Err(DnsError::NotFound)
    );
    assert_eq!(
        d.a("gone.example.test", deadline()).await,
        Err(DnsError::NotFound)
    );
    assert_eq!(server.query_count("gone.example.test"), 1);
}

#[tokio::test]
async fn temporary_failures_are_not_kept() {
    let server = DnsServer::start_fixtures().await;
    let d = dns(&server, 100);
    server.set_fault("flaky.example.test", Fault::ServFail);
    assert!(d
        .a("flaky.example.test", deadline())
        .await
        .is_err_and(|e| e.is_temporary()));
    server.clear_fault("flaky.example.test");
    assert_eq!(
        d.a("flaky.example.test", deadline()).await,
        Ok(vec!["192.0.2.60".parse().unwrap()])
    );
}

#[tokio::test]
async fn without_a_cache_every_lookup_asks() {
    let server = DnsServer::start_fixtures().await;
    let d = dns(&server, 0);
    assert_eq!(
        d.a("flaky.example.test", deadline()).await,
        Ok(vec!["192.0.2.60".parse().unwrap()])
    );
    server.set_fault("flaky.example.test", Fault::ServFail);
    assert!(d
        .a("flaky.example.test", deadline())
        .await
        .is_err_and(|e| e.is_temporary()));
    // (A SERVFAIL may be asked more than once: hickory retries.)
    assert!(server.query_count("flaky.example.test") >= 2);
}

#[tokio::test]
async fn raw_label_lookups_and_host_name_lookups_are_kept_apart() {
    let server = DnsServer::start_fixtures().await;
    let d = dns(&server, 100);
    // Not a host name: hickory refuses to parse it as one, but SPF may ask it label by label.
    let odd = "a_b.example.test.";
    let before = d.txt(odd, deadline()).await;
    let raw = Name::from_labels(["a_b", "example", "test"].map(str::as_bytes)).expect("name");
    let r = d.records(raw.clone(), odd, RecordType::TXT).await;
    assert!(matches!(r, Err(RecordsError::NotFound)), "{r:?}");
    assert_eq!(d.txt(odd, deadline()).await, before);

    // And a raw lookup finds records like a host-name one, from the cache the second time.
    let name = Name::from_labels(["example", "test"].map(str::as_bytes)).expect("name");
    for _ in 0..2 {
        let r = d
            .records(name.clone(), "example.test.", RecordType::TXT)
            .await
            .expect("TXT records");
        assert_eq!(r.len(), 1);
    }
    assert_eq!(server.query_count("example.test"), 1);
}
