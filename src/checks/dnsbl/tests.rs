//! Unit tests of the DNS list check.

use super::*;
use crate::checks::common::OnError;

#[test]
fn reverse_query_names() {
    let v4: IpAddr = "192.0.2.10".parse().unwrap();
    assert_eq!(query_name(v4, "dnsbl.test"), "10.2.0.192.dnsbl.test");
    assert!(query_prefix(v4).0);
    let mapped: IpAddr = "::ffff:192.0.2.10".parse().unwrap();
    assert_eq!(query_name(mapped, "dnsbl.test"), "10.2.0.192.dnsbl.test");
    assert!(query_prefix(mapped).0);
    let v6: IpAddr = "2001:db8::25".parse().unwrap();
    assert_eq!(
        query_name(v6, "dnsbl.test"),
        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.dnsbl.test"
    );
    assert!(!query_prefix(v6).0);
    // The RFC 5782 IPv6 test point is not IPv4-mapped in the query sense of a client,
    // but the self-test builds it from nibbles directly.
    assert_eq!(
        nibbles(Ipv4Addr::new(127, 0, 0, 2).to_ipv6_mapped()),
        "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
    );
}

fn listed() -> ListResult {
    ListResult::Listed(Ipv4Addr::new(127, 0, 0, 2))
}

fn failed() -> ListResult {
    ListResult::Failed("SERVFAIL".into())
}

#[test]
fn tally_weights_and_threshold() {
    let (l, n, s) = (listed(), ListResult::NotListed, ListResult::Skipped);
    assert_eq!(
        tally(&[(1, &l), (1, &n)], 1),
        Tally::Certain {
            score: 1,
            hit: true
        }
    );
    assert_eq!(
        tally(&[(1, &l), (1, &n)], 2),
        Tally::Certain {
            score: 1,
            hit: false
        }
    );
    assert_eq!(
        tally(&[(1, &l), (1, &l)], 2),
        Tally::Certain {
            score: 2,
            hit: true
        }
    );
    // An allowlist cancels a listing.
    assert_eq!(
        tally(&[(2, &l), (-2, &l)], 1),
        Tally::Certain {
            score: 0,
            hit: false
        }
    );
    // Skipped lists (disabled, other family) do not count either way.
    assert_eq!(
        tally(&[(5, &s), (1, &n)], 1),
        Tally::Certain {
            score: 0,
            hit: false
        }
    );
}

#[test]
fn tally_failures_only_matter_when_they_could_change_the_verdict() {
    let (l, n, f) = (listed(), ListResult::NotListed, failed());
    // Already over the threshold; the failed blocklist could only add.
    assert_eq!(
        tally(&[(1, &l), (1, &f)], 1),
        Tally::Certain {
            score: 1,
            hit: true
        }
    );
    // Below, and the failed list could have pushed it over.
    assert_eq!(tally(&[(1, &l), (1, &f)], 2), Tally::Uncertain { score: 1 });
    // Below, and even a listing on the failed list would not reach it.
    assert_eq!(
        tally(&[(1, &n), (1, &f)], 2),
        Tally::Certain {
            score: 0,
            hit: false
        }
    );
    // A failed allowlist could have cancelled a hit.
    assert_eq!(
        tally(&[(1, &l), (-1, &f)], 1),
        Tally::Uncertain { score: 1 }
    );
    // …but not when the hit is far above.
    assert_eq!(
        tally(&[(3, &l), (-1, &f)], 1),
        Tally::Certain {
            score: 3,
            hit: true
        }
    );
    // A failed allowlist on a clean client changes nothing.
    assert_eq!(
        tally(&[(1, &n), (-1, &f)], 1),
        Tally::Certain {
            score: 0,
            hit: false
        }
    );
}

fn ok(v: &[&str]) -> Result<Vec<Ipv4Addr>, DnsError> {
    Ok(v.iter().map(|s| s.parse().unwrap()).collect())
}

#[test]
fn self_test_judgement() {
    let nx = Err(DnsError::NotFound);
    let tmp = || Err(DnsError::Temporary("timeout".into()));
    assert_eq!(judge_self_test(&ok(&["127.0.0.2"]), &nx), SelfTest::Good);
    assert!(matches!(
        judge_self_test(&ok(&["127.0.0.2"]), &ok(&["127.0.0.2"])),
        SelfTest::Bad(w) if w.contains("127.0.0.1")
    ));
    assert!(
        matches!(judge_self_test(&nx, &nx), SelfTest::Bad(w) if w.contains("does not list"))
    );
    assert!(matches!(
        judge_self_test(&ok(&["127.255.255.254"]), &ok(&["127.255.255.254"])),
        SelfTest::Bad(w) if w.contains("public")
    ));
    assert!(matches!(
        judge_self_test(&ok(&["198.51.100.7"]), &nx),
        SelfTest::Bad(w) if w.contains("outside")
    ));
    assert!(matches!(judge_self_test(&tmp(), &nx), SelfTest::Unknown(_)));
    assert!(matches!(
        judge_self_test(&ok(&["127.0.0.2"]), &tmp()),
        SelfTest::Unknown(_)
    ));
    // A list that lists everything is bad even if 127.0.0.2 timed out.
    assert!(matches!(
        judge_self_test(&tmp(), &ok(&["127.0.0.2"])),
        SelfTest::Bad(_)
    ));
}

fn parse(text: &str) -> Result<crate::config::Config, crate::config::ConfigError> {
    crate::config::parse(text, std::path::Path::new("t.toml"))
}

const LISTS: &str = r#"[checks.dnsbl]
threshold = 2
[[checks.dnsbl.lists]]
zone = "Zen.Example."
name = "zen"
weight = 2
answers = ["127.0.0.2", "127.0.0.[4..7]", "127.0.1.0/24", "mask:0x08"]
reply = "Blocked by {name}{txt:: }"
[[checks.dnsbl.lists]]
zone = "wl.example"
weight = -2
ipv6 = false
"#;

#[test]
fn config_parses_with_defaults() {
    let c = parse(LISTS).unwrap();
    let d = c.section::<DnsblConfig>().unwrap();
    assert_eq!(d.threshold, Threshold(2));
    assert_eq!(d.on_error, OnError::Continue);
    assert_eq!(d.action, Action::Reject);
    assert!(d.query_txt && !d.self_test);
    assert_eq!(d.self_test_interval, crate::values::TimeSpan::from_secs(300));
    assert_eq!(d.lists[0].zone, Zone("zen.example".into()));
    assert_eq!(d.lists[0].answers.len(), 4);
    assert_eq!(d.lists[1].weight, -2);
    assert!(d.lists[1].ipv4 && !d.lists[1].ipv6);
    assert_eq!(d.lists[1].name, None);
    // The effective config prints and reads back the same.
    let again = parse(&c.to_toml()).unwrap();
    let a = again.section::<DnsblConfig>().unwrap().clone();
    assert_eq!(a.lists[0].answers, d.lists[0].answers);
    assert_eq!(a.lists[0].reply, d.lists[0].reply);
    assert_eq!(a.threshold, d.threshold);
}

#[test]
fn bad_values_refused_at_load_with_line() {
    for (text, line, needle) in [
        (
            "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\nanswers = [\"192.0.2.1\"]\n",
            4,
            "never count",
        ),
        (
            "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"bad zone\"\n",
            3,
            "not a DNS name",
        ),
        ("[checks.dnsbl]\nthreshold = 0\n", 2, "between 1 and 1000"),
        ("[checks.dnsbl]\nthreshold = 1001\n", 2, "between 1 and 1000"),
        (
            "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\n[[checks.dnsbl.lists]]\nzone = \"y.example\"\nweight = 5000\n",
            4,
            "lists[1].weight: must be between -1000 and 1000, not 5000",
        ),
        (
            "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\nreply = \"{rbl}\"\n",
            4,
            "unknown placeholder",
        ),
        (
            "[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\nwieght = 1\n",
            4,
            "unknown field",
        ),
        ("[checks.dnsbl]\nself_test_interval = 0\n", 2, "between 1s and 1d"),
        (
            "[checks.dnsbl]\n\nself_test_interval = \"2d\"\n",
            3,
            "self_test_interval: must be between 1s and 1d, not 2d",
        ),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, Some(line), "{e}");
        assert!(e.to_string().contains(needle), "{e}");
    }
}

#[test]
fn builds_without_runtime_and_refuses_no_lists() {
    let c = parse(&LISTS.replace("threshold = 2", "threshold = 2\nself_test = true")).unwrap();
    let dns = Arc::new(
        Dns::new(&crate::dns::DnsConfig {
            nameservers: vec!["127.0.0.1:9".into()],
            ..Default::default()
        })
        .unwrap(),
    );
    let check = DnsblCheck::new(c.section::<DnsblConfig>().unwrap(), Arc::clone(&dns)).unwrap();
    // No runtime here: the self-test is not started and lists stay enabled.
    assert!(check._self_test.is_none());
    assert!(*check.inner.ready.borrow());
    assert!(check
        .list_stats()
        .iter()
        .all(|s| s.enabled && s.errors == 0));
    assert_eq!(check.list_stats()[0].name, "zen");
    assert_eq!(check.list_stats()[1].name, "wl.example");
    // Refused at load, before any socket is bound, with the line of the list.
    let e = parse("[checks.dnsbl]\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\nipv4 = false\nipv6 = false\n").unwrap_err();
    assert!(e.message.contains("never queried"), "{e}");
    assert_eq!(e.line, Some(2), "{e}");
    let e = parse("[checks.dnsbl]\n").unwrap_err();
    assert!(e.message.contains("no lists"), "{e}");
    assert_eq!(e.line, Some(1), "{e}");
}
