//! Durations and numeric ranges at load: the spellings accepted, the warnings for the
//! deprecated ones, and the ranges refused with their line.

use super::*;

fn parse_str(s: &str) -> Result<Config, ConfigError> {
    parse(s, Path::new("test.toml"))
}

#[test]
fn durations_are_written_with_a_unit() {
    let c = parse_str("[dns]\ntimeout = \"300ms\"\nsession_budget = \"1m\"\n").unwrap();
    assert_eq!(c.dns.timeout.get(), std::time::Duration::from_millis(300));
    assert_eq!(
        c.dns.session_budget.get(),
        std::time::Duration::from_secs(60)
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let shown = c.to_toml();
    assert!(shown.contains("timeout = \"300ms\""), "{shown}");
    assert!(shown.contains("session_budget = \"1m\""), "{shown}");
    assert!(shown.contains("connection_timeout = \"5m\""), "{shown}");
}

#[test]
fn old_spellings_load_with_a_located_warning() {
    let text = "[daemon]\nconnection_timeout = 120\n\n[dns]\ntimeout_ms = 2000\nsession_budget = 900\n[database]\nquery_timeout_ms = \"2s\"\n[checks.spf]\ntimeout_ms = 5000\n[checks.greylist]\nenabled = false\ndelay = 60\n";
    let c = parse(text, Path::new("t.toml")).unwrap();
    let new = parse_str(
        "[daemon]\nconnection_timeout = \"2m\"\n[dns]\ntimeout = \"2s\"\nsession_budget = \"900ms\"\n[database]\nquery_timeout = \"2s\"\n[checks.spf]\ntimeout = \"5s\"\n[checks.greylist]\nenabled = false\ndelay = \"1m\"\n",
    )
    .unwrap();
    assert_eq!(c.daemon.connection_timeout, new.daemon.connection_timeout);
    assert_eq!(c.dns, new.dns);
    assert_eq!(c.database, new.database);
    assert_eq!(c.to_toml(), new.to_toml());
    assert!(new.warnings.is_empty(), "{:?}", new.warnings);
    assert_eq!(
        c.warnings,
        [
            "t.toml:2: daemon.connection_timeout: deprecated: write connection_timeout = \"2m\"",
            "t.toml:5: dns.timeout_ms: deprecated: write timeout = \"2s\"",
            "t.toml:6: dns.session_budget: deprecated: write session_budget = \"900ms\"",
            "t.toml:8: database.query_timeout_ms: deprecated: write query_timeout = \"2s\"",
            "t.toml:10: checks.spf.timeout_ms: deprecated: write timeout = \"5s\"",
            "t.toml:13: checks.greylist.delay: deprecated: write delay = \"1m\"",
        ]
    );
    // Inline tables and dotted keys name the key too.
    let c = parse_str("dns = { attempts = 1, timeout_ms = 300 }\ndaemon.shutdown_timeout = 5\n")
        .unwrap();
    assert_eq!(
        c.warnings,
        [
            "test.toml:1: dns.timeout_ms: deprecated: write timeout = \"300ms\"",
            "test.toml:2: daemon.shutdown_timeout: deprecated: write shutdown_timeout = \"5s\"",
        ]
    );
}

#[test]
fn bad_durations_are_refused_with_their_line() {
    for (text, line, key) in [
        ("[dns]\n\ntimeout = \"2 s\"\n", 3, "dns.timeout"),
        ("[dns]\ntimeout = \"2sec\"\n", 2, "dns.timeout"),
        ("[dns]\ntimeout_ms = \"5\"\n", 2, "dns.timeout_ms"),
        (
            "[daemon]\nshutdown_timeout = -1\n",
            2,
            "daemon.shutdown_timeout",
        ),
        (
            "[checks.relay]\nreload_interval = 1.5\n",
            2,
            "checks.relay.reload_interval",
        ),
    ] {
        let e = parse_str(text).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(line), Some(key)), "{e}");
    }
    let e = parse_str("[dns]\ntimeout = \"2sec\"\n").unwrap_err();
    assert!(e.message.contains("ms, s, m, h, d or w"), "{e}");
    assert!(e.message.contains("\"30s\""), "{e}");
}

#[test]
fn numbers_out_of_range_are_refused_with_their_line() {
    for (text, line, key, needle) in [
        (
            "[daemon]\nlisten = [\"unix:/tmp/x\"]\nmax_connections = 2305843009213693952\n",
            3,
            "daemon.max_connections",
            "between 1 and 100000, not 2305843009213693952",
        ),
        (
            "[daemon]\nmax_connections = 0\n",
            2,
            "daemon.max_connections",
            "between 1 and 100000",
        ),
        (
            "[daemon]\nconnection_timeout = 0\n",
            2,
            "daemon.connection_timeout",
            "between 1s and 1d, not 0s",
        ),
        (
            "[daemon]\nconnection_timeout = \"0s\"\n",
            2,
            "daemon.connection_timeout",
            "between 1s and 1d",
        ),
        (
            "[daemon]\nconnection_timeout = \"999ms\"\n",
            2,
            "daemon.connection_timeout",
            "not 999ms",
        ),
        (
            "[daemon]\nsession_timeout = \"0s\"\n",
            2,
            "daemon.session_timeout",
            "between 1s and 1d",
        ),
        (
            "[daemon]\nshutdown_timeout = \"2h\"\n",
            2,
            "daemon.shutdown_timeout",
            "between 0s and 1h",
        ),
        (
            "[dns]\ntimeout_ms = 5\n",
            2,
            "dns.timeout",
            "between 10ms and 1m, not 5ms",
        ),
        (
            "[dns]\nattempts = 0\n",
            2,
            "dns.attempts",
            "between 1 and 10",
        ),
        (
            "[dns]\ncache_size = 100000000\n",
            2,
            "dns.cache_size",
            "between 0 and 10000000",
        ),
        (
            "[dns]\nsession_budget = \"1h\"\n",
            2,
            "dns.session_budget",
            "between 10ms and 10m",
        ),
        (
            "[dns]\nnameservers = [\"x\"]\n",
            2,
            "dns.nameservers",
            "not IP",
        ),
        (
            "[database]\npool_size = 0\n",
            2,
            "database.pool_size",
            "between 1 and 1000",
        ),
        (
            "[database]\n\nconnect_timeout_ms = 0\n",
            3,
            "database.connect_timeout",
            "between 10ms and 5m",
        ),
        (
            "[database]\nquery_timeout = \"1d\"\n",
            2,
            "database.query_timeout",
            "between 10ms and 5m",
        ),
        (
            "[checks.spf]\ntimeout = \"1h\"\n",
            2,
            "checks.spf.timeout",
            "between 10ms and 5m",
        ),
        (
            "[checks.relay]\nmap = \"/nonexistent\"\nreload_interval_ms = 5\n",
            3,
            "checks.relay.reload_interval",
            "between 10ms and 1d",
        ),
        (
            "[checks.client_access]\nreload_interval = \"2d\"\n",
            2,
            "checks.client_access.reload_interval",
            "between 10ms and 1d",
        ),
        (
            "[checks.sender_access]\nreload_interval = \"0s\"\n",
            2,
            "checks.sender_access.reload_interval",
            "between 10ms",
        ),
        (
            "[checks.recipient_domain]\nreload_interval = \"1ms\"\n",
            2,
            "checks.recipient_domain.reload_interval",
            "between 10ms",
        ),
        (
            "[checks.denylist]\nreload_interval = \"1ms\"\n",
            2,
            "checks.denylist.reload_interval",
            "between 10ms",
        ),
        (
            "[checks.greylist]\ndelay = \"1500ms\"\n",
            2,
            "checks.greylist.delay",
            "whole seconds",
        ),
        (
            "[checks.greylist]\nmax_age = \"2y\"\n",
            2,
            "checks.greylist.max_age",
            "ms, s, m",
        ),
        (
            "[checks.greylist]\nmax_age = \"400d\"\n",
            2,
            "checks.greylist.max_age",
            "between 1s and 365d",
        ),
        (
            "[checks.greylist]\nexpire_interval = 0\n",
            2,
            "checks.greylist.expire_interval",
            "between 1s and 1d",
        ),
        (
            "[checks.greylist]\nauto_allowlist = 2000000\n",
            2,
            "checks.greylist.auto_allowlist",
            "between 0 and 1000000",
        ),
        (
            "[checks.greylist]\nflagged_dnsbl_score = 0\n",
            2,
            "checks.greylist.flagged_dnsbl_score",
            "between 1 and 1000",
        ),
    ] {
        let e = parse_str(text).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(line), Some(key)), "{e}");
        assert!(e.message.contains(needle), "{e}");
    }
}

#[test]
fn every_duration_key_shows_a_string_default_with_a_unit() {
    let durations = [
        "daemon.connection_timeout",
        "daemon.session_timeout",
        "daemon.shutdown_timeout",
        "dns.timeout",
        "dns.session_budget",
        "database.connect_timeout",
        "database.query_timeout",
        "checks.client_access.reload_interval",
        "checks.sender_access.reload_interval",
        "checks.recipient_domain.reload_interval",
        "checks.relay.reload_interval",
        "checks.denylist.reload_interval",
        "checks.spf.timeout",
        "checks.dkim.timeout",
        "checks.dmarc.timeout",
        "checks.dnsbl.self_test_interval",
        "checks.greylist.delay",
        "checks.greylist.retry_window",
        "checks.greylist.max_age",
        "checks.greylist.expire_interval",
    ];
    let schema = crate::docs::schema();
    let mut seen = 0;
    for t in &schema {
        for k in &t.keys {
            let name = format!("{}.{}", t.name, k.name);
            assert!(!k.name.ends_with("_ms"), "{name}: a unit in the key name");
            let default = t.defaults.get(k.name);
            let looks_like_a_duration = [
                "timeout", "interval", "budget", "delay", "window", "max_age",
            ]
            .iter()
            .any(|w| k.name.ends_with(w));
            if !durations.contains(&name.as_str()) {
                assert!(!looks_like_a_duration, "{name}: a duration not in the list");
                continue;
            }
            seen += 1;
            let Some(toml::Value::String(s)) = default else {
                panic!("{name}: default {default:?} is not a string");
            };
            assert!(
                s.parse::<crate::values::TimeSpan>().is_ok()
                    && s.ends_with(|c: char| c.is_ascii_alphabetic()),
                "{name} = {s:?}"
            );
        }
    }
    assert_eq!(seen, durations.len());
}

#[test]
fn old_and_new_name_together_are_refused() {
    let e = parse_str("[dns]\ntimeout = \"2s\"\ntimeout_ms = 2000\n").unwrap_err();
    // The TOML parser reports it at the section.
    assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("dns")), "{e}");
    assert!(e.message.contains("duplicate field `timeout`"), "{e}");
}
