//! `[checks.sender_access]` with the PostgreSQL table `mxgate_sender_access`, on a
//! throwaway cluster, through the real daemon: the check migrates its own table, file
//! entries come before database rows, a database that is down follows `on_error`.

mod support;

use mxgate::checks::sender_access::SCHEMA;
use mxgate::replay::client::{ClientOptions, SocketSpec};
use mxgate::store::pg::migrate;
use std::path::Path;
use std::time::Duration;
use support::pg::PgCluster;

fn db_section(pg: &PgCluster) -> String {
    format!(
        "{}connect_timeout_ms = 1000\nquery_timeout_ms = 1000\n",
        pg.database_section()
    )
}

/// Starts mxgate with `config`, replays `sessions` (text), stops it; panics with the
/// report unless every session passed.
async fn expect(config: &str, sessions: &str) {
    let cfg = mxgate::config::parse(config, Path::new("t.toml"))
        .unwrap_or_else(|e| panic!("config: {e}\n{config}"));
    let milter = mxgate::daemon::Embedded::start(cfg)
        .await
        .expect("mxgate starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("s.session");
    std::fs::write(&file, sessions).expect("write");
    let sessions = mxgate::replay::load_sessions(&[file]).expect("sessions parse");
    let spec: SocketSpec = milter.socket_spec().parse().expect("spec");
    let opts = ClientOptions {
        timeout: Duration::from_secs(10),
    };
    let results = mxgate::replay::replay_all(&spec, &sessions, &opts).await;
    milter.stop().await;
    let (report, passed, failed) = mxgate::replay::run::report(&results, false);
    assert!(failed == 0 && passed > 0, "{report}");
}

const SESSIONS: &str = "\
session domain-row-rejects
connect 192.0.2.10
helo mail.example.test
mail <x@spam.example.net>
rcpt <postmaster@example.test> expect continue
rcpt <bob@example.test> expect reject 550 5.7.1 ~ <x@spam.example.net>: Sender address rejected: spam from the database

session parent-domain-row
connect 192.0.2.10
helo mail.example.test
mail <x@mail.spam.example.net>
rcpt <bob@example.test> expect reject 550 5.7.1 ~ spam from the database

session address-row-ok-beats-its-domain
connect 192.0.2.10
helo mail.example.test
mail <friend@spam.example.net> expect accept

session file-entry-comes-first
connect 192.0.2.10
helo mail.example.test
mail <x@both.example.net>
rcpt <bob@example.test> expect reject 550 5.7.1 ~ from the file

session file-dunno-still-asks-the-database
connect 192.0.2.10
helo mail.example.test
mail <dunno@example.net>
rcpt <bob@example.test> expect tempfail 450 4.7.1 ~ database says later

session unlisted
connect 192.0.2.10
helo mail.example.test
mail <alice@example.net> expect continue
rcpt <bob@example.test> expect continue
";

#[tokio::test]
async fn database_rows_after_the_file() {
    let pg = PgCluster::start().await;
    let mut client = pg.client().await;
    migrate(&mut client, "sender_access", SCHEMA)
        .await
        .expect("schema");
    client
        .batch_execute(
            "INSERT INTO mxgate_sender_access (pattern, action) VALUES
               ('spam.example.net', 'REJECT spam from the database'),
               ('friend@spam.example.net', 'OK'),
               ('both.example.net', 'OK'),
               ('dunno@example.net', 'DEFER database says later')",
        )
        .await
        .expect("rows");
    // The schema refuses what the check could not use.
    for bad in [
        "INSERT INTO mxgate_sender_access (pattern, action) VALUES ('Upper.example', 'REJECT')",
        "INSERT INTO mxgate_sender_access (pattern, action) VALUES ('x.example', 'HOLD')",
    ] {
        assert!(client.batch_execute(bad).await.is_err(), "{bad} accepted");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sender_access");
    std::fs::write(
        &file,
        "both.example.net REJECT from the file\ndunno@example.net DUNNO\n",
    )
    .expect("write");
    let cfg = format!(
        "{}\n[checks.sender_access]\ndatabase = true\nmap = \"{}\"\n",
        db_section(&pg),
        file.display()
    );
    expect(&cfg, SESSIONS).await;
}

#[tokio::test]
async fn the_check_creates_its_table_on_first_use() {
    let pg = PgCluster::start().await;
    let cfg = format!(
        "{}\n[checks.sender_access]\ndatabase = true\n",
        db_section(&pg)
    );
    expect(
        &cfg,
        "session s\nconnect 192.0.2.10\nhelo mail.example.test\nmail <a@example.net> expect continue\nrcpt <b@example.test> expect continue\n",
    )
    .await;
    let client = pg.client().await;
    let v: i32 = client
        .query_one(
            "SELECT version FROM mxgate_schema WHERE component = 'sender_access'",
            &[],
        )
        .await
        .expect("schema recorded")
        .get(0);
    assert_eq!(usize::try_from(v).ok(), Some(SCHEMA.len()));
    client
        .execute("SELECT 1 FROM mxgate_sender_access", &[])
        .await
        .expect("table exists");
}

#[tokio::test]
async fn database_down_follows_on_error() {
    // A socket directory where no server listens.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!(
        "[database]\nhost = \"{}\"\nport = 5432\nconnect_timeout_ms = 300\nquery_timeout_ms = 300\n",
        dir.path().display()
    );
    let session = "session s\nconnect 192.0.2.10\nhelo mail.example.test\nmail <a@example.net>\nrcpt <b@example.test> expect ";
    // Default on_error = continue: fail open.
    expect(
        &format!("{db}\n[checks.sender_access]\ndatabase = true\n"),
        &format!("{session}continue\n"),
    )
    .await;
    // tempfail: 451 4.3.0 at RCPT (held from MAIL), never a 5xx.
    expect(
        &format!("{db}\n[checks.sender_access]\ndatabase = true\non_error = \"tempfail\"\n"),
        &format!("{session}tempfail 451 4.3.0\n"),
    )
    .await;
    // The map file still decides without the database.
    let file = dir.path().join("sender_access");
    std::fs::write(&file, "example.net REJECT from the file\n").expect("write");
    expect(
        &format!(
            "{db}\n[checks.sender_access]\ndatabase = true\non_error = \"tempfail\"\nmap = \"{}\"\n",
            file.display()
        ),
        &format!("{session}reject 550 5.7.1 ~ from the file\n"),
    )
    .await;
}
