//! Relay-recipient validation: the map file (wildcards, explicit addresses, unknown
//! users, domains not relayed, live reload, broken file) and the PostgreSQL table.

mod support;

use mxgate::checks::relay::{RelayCheck, SCHEMA};
use mxgate::checks::{Check, Finding, Services};
use mxgate::session::{Recipient, Session, Stage};
use mxgate::store::pg::migrate;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::daemon::{replay, sessions};
use support::pg::PgCluster;

fn map_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/maps/relay_recipients")
}

fn config(extra: &str) -> String {
    format!(
        "[checks.relay]\nmap = \"{}\"\ndomains = [\"listed-only.example\", \".sub.example\"]\nrecipient_delimiter = \"+\"\n{extra}",
        map_path().display()
    )
}

fn check_from(text: &str) -> RelayCheck {
    let config = mxgate::config::parse(text, Path::new("t.toml")).expect("config");
    let cfg = config
        .section::<mxgate::checks::relay::RelayConfig>()
        .expect("section");
    RelayCheck::new(cfg, &config.build_env(&Services::default())).expect("build")
}

/// The reply code of a recipient, 0 when it passes.
async fn code(check: &RelayCheck, addr: &str) -> u16 {
    let mut s = Session::new(Some("192.0.2.10".parse().unwrap()), 1, "unknown".into());
    s.tx.rcpts.push(Recipient {
        addr: addr.into(),
        ..Recipient::default()
    });
    match check
        .check(Stage::Rcpt, &s)
        .await
        .expect("no lookup error")
        .finding
    {
        Finding::Pass => 0,
        // 1: a hit that leaves the reply to the configured `reply`.
        Finding::Hit(h) => h.reply.map(|r| r.code).unwrap_or(1),
    }
}

#[tokio::test]
async fn map_wildcards_explicit_unknown_user_and_domain_not_relayed() {
    replay(&config(""), &sessions("relay/relay.session"))
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn unknown_domain_can_be_left_to_postfix() {
    replay(
        &config("unknown_domain = \"continue\"\n"),
        &sessions("relay/unknown-domain-continue.session"),
    )
    .await
    .assert_all_passed();
}

#[tokio::test]
async fn live_reload_and_a_broken_file_keeps_the_old_table() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("relay");
    std::fs::write(&map, "alice@r.example OK\n").unwrap();
    let check = check_from(&format!(
        "[checks.relay]\nmap = \"{}\"\nreload_interval_ms = 20\n",
        map.display()
    ));
    assert_eq!(code(&check, "alice@r.example").await, 0);
    assert_eq!(code(&check, "bob@r.example").await, 550);
    assert_eq!(code(&check, "bob@other.example").await, 554);

    // A broken line: the old table stays in force.
    std::fs::write(
        &map,
        "alice@r.example OK\nbob@r.example OK\nr2.example OK\n",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        code(&check, "bob@r.example").await,
        550,
        "broken file was used"
    );
    assert_eq!(code(&check, "alice@r.example").await, 0);

    // Fixed (and replaced by rename, as editors and config management do): picked up.
    let tmp = dir.path().join("relay.new");
    std::fs::write(&tmp, "bob@r.example OK\n@other.example OK\n").unwrap();
    std::fs::rename(&tmp, &map).unwrap();
    let t = Instant::now();
    while code(&check, "bob@r.example").await != 0 {
        assert!(t.elapsed() < Duration::from_secs(2), "reload not picked up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(code(&check, "alice@r.example").await, 550);
    assert_eq!(code(&check, "anyone@other.example").await, 0);
}

#[test]
fn broken_file_at_start_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("relay");
    std::fs::write(&map, "# ok\nalice@r.example OK\nnobody@\tOK\n").unwrap();
    let config = mxgate::config::parse(
        &format!("[checks.relay]\nmap = \"{}\"\n", map.display()),
        Path::new("t.toml"),
    )
    .unwrap();
    let e = mxgate::policy::Policy::new(std::sync::Arc::new(config), &Services::default())
        .err()
        .expect("refused");
    assert!(e.contains(&format!("{}:3:", map.display())), "{e}");
    let e = mxgate::config::parse("[checks.relay]\n", Path::new("t.toml"))
        .expect_err("nothing to check against")
        .to_string();
    assert!(e.contains("nothing to check against"), "{e}");
    assert!(e.starts_with("t.toml:1: checks.relay: "), "{e}");
    let e = mxgate::config::parse(
        "[checks.relay]\nunknown_domain = \"maybe\"\n",
        Path::new("t.toml"),
    )
    .unwrap_err();
    assert_eq!(e.line, Some(2));
}

#[tokio::test]
async fn configured_replies() {
    let check = check_from(&config(
        "reply = { code = 550, xcode = \"5.1.1\", text = \"No such user here\" }\nrelay_denied_reply = { code = 550, xcode = \"5.7.1\", text = \"Not our domain\" }\n",
    ));
    assert_eq!(
        code(&check, "mallory@relay.example").await,
        1,
        "configured reply is the check's own"
    );
    assert_eq!(code(&check, "x@elsewhere.example").await, 550);
    let e = mxgate::config::parse(
        &config("relay_denied_reply = { code = 450, xcode = \"4.7.1\", text = \"x\" }\n"),
        Path::new("t.toml"),
    )
    .expect_err("4xx refused at load");
    assert!(e.to_string().contains("relay_denied_reply"), "{e}");
    assert_eq!(e.line, Some(5), "{e}");
}

#[tokio::test]
async fn postgres_table_with_the_map() {
    let pg = PgCluster::start().await;
    let mut c = pg.client().await;
    migrate(&mut c, "relay", SCHEMA).await.expect("schema");
    c.batch_execute(
        "INSERT INTO mxgate_relay (key) VALUES ('dave@table.example'), ('@tablewild.example')",
    )
    .await
    .unwrap();
    // The schema refuses keys that are neither user@domain nor @domain.
    assert!(c
        .execute(
            "INSERT INTO mxgate_relay (key) VALUES ('table.example')",
            &[]
        )
        .await
        .is_err());
    let db = format!(
        "{}connect_timeout_ms = 500\nquery_timeout_ms = 500\n",
        pg.database_section()
    );
    replay(
        &format!("{db}{}", config("table = true\n")),
        &sessions("relay/table.session"),
    )
    .await
    .assert_all_passed();
    drop(c);
    drop(pg);
    replay(
        &format!("{db}{}", config("table = true\n")),
        &sessions("relay/table-down.session"),
    )
    .await
    .assert_all_passed();
}
