//! The recipient denylist: map-file and PostgreSQL backends through the real milter
//! protocol, the LISTEN/NOTIFY cache, a database that stops, and `mxgate denylist`.

mod support;

use mxgate::checks::denylist::pg::{PgDenylist, SCHEMA};
use mxgate::checks::denylist::{DenyAction, DenylistCheck};
use mxgate::checks::{Check, Finding, Services};
use mxgate::session::{Recipient, Session, Stage};
use mxgate::store::pg::{migrate, DbConfig};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::daemon::{replay, sessions};
use support::pg::PgCluster;

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn file_config(extra: &str) -> String {
    format!(
        "[checks.denylist]\nbackend = \"file\"\nmap = \"{}\"\nrecipient_delimiter = \"+\"\n{extra}",
        manifest("tests/fixtures/maps/denylist").display()
    )
}

fn db_section(pg: &PgCluster) -> String {
    format!(
        "{}connect_timeout_ms = 500\nquery_timeout_ms = 500\n",
        pg.database_section()
    )
}

fn pg_config(pg: &PgCluster, cache: bool, extra: &str) -> String {
    format!(
        "{}[checks.denylist]\nbackend = \"postgres\"\ncache = {cache}\nrecipient_delimiter = \"+\"\n{extra}",
        db_section(pg)
    )
}

/// The settings of [`db_section`] as a [`DbConfig`].
fn db_config(pg: &PgCluster) -> DbConfig {
    DbConfig {
        connect_timeout: mxgate::values::TimeSpanMs::from_millis(500),
        query_timeout: mxgate::values::TimeSpanMs::from_millis(500),
        ..pg.db_config()
    }
}

/// The schema and the entries of tests/fixtures/maps/denylist, plus expired ones.
async fn seed(pg: &PgCluster) -> tokio_postgres::Client {
    let mut c = pg.client().await;
    migrate(&mut c, "denylist", SCHEMA).await.expect("schema");
    c.batch_execute(
        "INSERT INTO mxgate_denylist (key, action, reason, source) VALUES
           ('bounced@example.net', 'drop', 'SES permanent bounce', 'ses-bounce'),
           ('complainer@example.net', 'drop', 'complaint', 'ses-complaint'),
           ('rejected@example.net', 'reject', 'mailbox closed', 'manual'),
           ('trap@example.net', 'discard', 'spam trap', 'manual'),
           ('dead.example', 'reject', 'domain gone', 'manual'),
           ('ok@dead.example', 'ok', 'exception', 'manual'),
           ('noreply@', 'drop', '', 'import');
         INSERT INTO mxgate_denylist (key, action, expires) VALUES
           ('friend@example.net', 'reject', now() - interval '1 second');",
    )
    .await
    .expect("seed");
    c
}

fn check_from(text: &str) -> DenylistCheck {
    let config = mxgate::config::parse(text, Path::new("t.toml")).expect("config");
    let cfg = config
        .section::<mxgate::checks::denylist::DenylistConfig>()
        .expect("section");
    DenylistCheck::new(cfg, &config.build_env(&Services::default())).expect("build")
}

fn rcpt(addr: &str) -> Session {
    let mut s = Session::new(Some("192.0.2.10".parse().unwrap()), 1, "unknown".into());
    s.tx.started = true;
    s.tx.rcpts.push(Recipient {
        addr: addr.into(),
        ..Recipient::default()
    });
    s
}

/// The entry action a recipient gets, None when it passes; Err for a temporary failure.
async fn verdict(check: &DenylistCheck, addr: &str) -> Result<Option<String>, String> {
    match check.check(Stage::Rcpt, &rcpt(addr)).await {
        Ok(o) => Ok(match o.finding {
            Finding::Pass => None,
            Finding::Hit(h) => Some(h.action.map(|a| a.as_str()).unwrap_or("?").to_owned()),
        }),
        Err(e) => Err(e.to_string()),
    }
}

async fn wait_warm(db: &DbConfig) -> PgDenylist {
    // Joins the mirror of any check built for the same [database] in this process.
    let pool = db.pool().expect("pool");
    let handle = PgDenylist::new(db, pool, true).expect("mirror");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !handle.cache_warm() {
        assert!(Instant::now() < deadline, "denylist cache never loaded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle
}

#[tokio::test]
async fn map_file_backend() {
    replay(&file_config(""), &sessions("denylist/denylist.session"))
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn postgres_without_cache_one_query_per_recipient() {
    let pg = PgCluster::start().await;
    let _c = seed(&pg).await;
    replay(
        &pg_config(&pg, false, ""),
        &sessions("denylist/denylist.session"),
    )
    .await
    .assert_all_passed();
    replay(
        &pg_config(&pg, false, ""),
        &sessions("denylist/expired.session"),
    )
    .await
    .assert_all_passed();
}

#[tokio::test]
async fn postgres_warm_cache_serves_while_the_database_is_down() {
    let pg = PgCluster::start().await;
    let c = seed(&pg).await;
    drop(c);
    let config = mxgate::config::parse(&pg_config(&pg, true, ""), Path::new("t.toml")).unwrap();
    let milter = mxgate::daemon::Embedded::start(config)
        .await
        .expect("start");
    let _mirror = wait_warm(&db_config(&pg)).await;
    // Stop the server: from now on nothing can be answered by a query.
    let status = std::process::Command::new("kill")
        .args(["-INT", &pg.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let sock = pg.socket_dir().join(format!(".s.PGSQL.{}", pg.port()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while sock.exists() {
        assert!(Instant::now() < deadline, "PostgreSQL did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let spec = milter.socket_spec().parse().unwrap();
    let list = mxgate::replay::load_sessions(&sessions("denylist/denylist.session")).unwrap();
    let opts = mxgate::replay::client::ClientOptions {
        timeout: Duration::from_secs(20),
    };
    let results = mxgate::replay::replay_all(&spec, &list, &opts).await;
    milter.stop().await;
    let (report, passed, failed) = mxgate::replay::run::report(&results, false);
    assert!(failed == 0 && passed == 6, "{report}");
}

#[tokio::test]
async fn cold_cache_and_database_down_follow_on_error() {
    // A socket directory where no server runs: every connection attempt fails at once.
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "[database]\nhost = \"{}\"\nport = 5999\nconnect_timeout_ms = 300\n",
        dir.path().display()
    );
    let tempfail =
        format!("{db}[checks.denylist]\nbackend = \"postgres\"\non_error = \"tempfail\"\n");
    replay(&tempfail, &sessions("denylist/db-down-tempfail.session"))
        .await
        .assert_all_passed();
    let cont = format!("{db}[checks.denylist]\nbackend = \"postgres\"\non_error = \"continue\"\n");
    replay(&cont, &sessions("denylist/db-down-continue.session"))
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn notify_makes_a_change_visible_within_a_second() {
    let pg = PgCluster::start().await;
    let c = seed(&pg).await;
    let check = check_from(&pg_config(&pg, true, ""));
    let _mirror = wait_warm(&db_config(&pg)).await;
    assert_eq!(verdict(&check, "new@example.org").await, Ok(None));

    // Measures from the commit to the first lookup that sees it.
    async fn until(check: &DenylistCheck, addr: &str, want: Option<&str>) -> Duration {
        let t = Instant::now();
        loop {
            let got = verdict(check, addr).await.expect("lookup");
            if got.as_deref() == want {
                return t.elapsed();
            }
            assert!(
                t.elapsed() < Duration::from_secs(1),
                "{addr}: still {got:?} after 1 s (want {want:?})"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    c.execute(
        "INSERT INTO mxgate_denylist (key, action) VALUES ('new@example.org', 'reject')",
        &[],
    )
    .await
    .unwrap();
    let added = until(&check, "new@example.org", Some("reject")).await;
    c.execute(
        "UPDATE mxgate_denylist SET action = 'discard' WHERE key = 'new@example.org'",
        &[],
    )
    .await
    .unwrap();
    until(&check, "new@example.org", Some("discard")).await;
    c.execute(
        "DELETE FROM mxgate_denylist WHERE key = 'new@example.org'",
        &[],
    )
    .await
    .unwrap();
    let removed = until(&check, "new@example.org", None).await;
    // A bulk change (more than 100 rows) is announced as "reload everything".
    c.execute(
        "INSERT INTO mxgate_denylist (key, action, source)
         SELECT 'bulk' || i || '@example.org', 'drop', 'import' FROM generate_series(1, 500) i",
        &[],
    )
    .await
    .unwrap();
    until(&check, "bulk377@example.org", Some("drop-recipient")).await;
    c.batch_execute("TRUNCATE mxgate_denylist").await.unwrap();
    until(&check, "bulk377@example.org", None).await;
    until(&check, "bounced@example.net", None).await;
    eprintln!("notify: insert visible after {added:?}, delete after {removed:?}");
}

#[tokio::test]
async fn expiry_is_checked_at_lookup_time_in_cache_and_query() {
    let pg = PgCluster::start().await;
    let c = seed(&pg).await;
    let cached = check_from(&pg_config(&pg, true, ""));
    let direct = check_from(&pg_config(&pg, false, ""));
    let _mirror = wait_warm(&db_config(&pg)).await;
    c.execute(
        "INSERT INTO mxgate_denylist (key, action, expires)
         VALUES ('soon@example.org', 'drop', now() + interval '1500 milliseconds')",
        &[],
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for check in [&cached, &direct] {
        assert_eq!(
            verdict(check, "soon@example.org").await,
            Ok(Some("drop-recipient".into()))
        );
        // Expired already at seed time: passes, and does not hide a later key.
        assert_eq!(verdict(check, "friend@example.net").await, Ok(None));
    }
    tokio::time::sleep(Duration::from_millis(1700)).await;
    for check in [&cached, &direct] {
        assert_eq!(verdict(check, "soon@example.org").await, Ok(None));
    }
}

#[tokio::test]
async fn lookup_precedence_address_before_domain_before_user_at() {
    let pg = PgCluster::start().await;
    let c = seed(&pg).await;
    c.batch_execute(
        "INSERT INTO mxgate_denylist (key, action) VALUES
           ('x@prec.test', 'drop'), ('prec.test', 'reject'), ('x@', 'discard'),
           ('y@', 'discard'), ('tagged+one@prec.test', 'ok'), ('tagged@prec.test', 'drop')",
    )
    .await
    .unwrap();
    for cache in [false, true] {
        let check = check_from(&pg_config(&pg, cache, "parent_domains = true\n"));
        if cache {
            let _m = wait_warm(&db_config(&pg)).await;
        }
        let v = |a: &'static str| {
            let check = &check;
            async move { verdict(check, a).await.unwrap() }
        };
        assert_eq!(v("X@Prec.Test").await.as_deref(), Some("drop-recipient"));
        assert_eq!(v("z@prec.test").await.as_deref(), Some("reject"));
        assert_eq!(v("x@other.test").await.as_deref(), Some("discard"));
        assert_eq!(v("y@prec.test").await.as_deref(), Some("reject"));
        assert_eq!(v("z@sub.prec.test").await.as_deref(), Some("reject"));
        assert_eq!(v("tagged+one@prec.test").await, None, "ok exception");
        assert_eq!(
            v("tagged+two@prec.test").await.as_deref(),
            Some("drop-recipient")
        );
        assert_eq!(v("nobody@else.test").await, None);
    }
}

#[test]
fn config_errors_are_reported() {
    let e = mxgate::config::parse(
        "[checks.denylist]\nrecipient_delimiter = \"++\"\n",
        Path::new("t.toml"),
    )
    .unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    let e = mxgate::config::parse(
        "[checks.denylist]\nbackend = \"ldap\"\n",
        Path::new("t.toml"),
    )
    .unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    let e = mxgate::config::parse("[checks.denylist]\n", Path::new("t.toml"))
        .expect_err("a file backend without a map is refused")
        .to_string();
    assert!(e.starts_with("t.toml:1: checks.denylist.map: "), "{e}");
    assert!(e.contains("map"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("deny");
    std::fs::write(&map, "a@x drop\nb@x bounce\n").unwrap();
    let config = mxgate::config::parse(
        &format!("[checks.denylist]\nmap = \"{}\"\n", map.display()),
        Path::new("t.toml"),
    )
    .unwrap();
    let e = mxgate::policy::Policy::new(std::sync::Arc::new(config), &Services::default())
        .err()
        .expect("a broken map is refused");
    assert!(e.contains(&format!("{}:2:", map.display())), "{e}");
}

#[tokio::test]
async fn map_file_reload_keeps_the_old_table_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("deny");
    std::fs::write(&map, "a@x.test drop\n").unwrap();
    let check = check_from(&format!(
        "[checks.denylist]\nmap = \"{}\"\nreload_interval_ms = 20\n",
        map.display()
    ));
    assert_eq!(
        verdict(&check, "a@x.test").await,
        Ok(Some("drop-recipient".into()))
    );
    std::fs::write(&map, "a@x.test drop\nbroken\n").unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        verdict(&check, "a@x.test").await,
        Ok(Some("drop-recipient".into()))
    );
    std::fs::write(&map, "b@x.test reject gone\n").unwrap();
    let t = Instant::now();
    while verdict(&check, "b@x.test").await != Ok(Some("reject".into())) {
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "map change not picked up"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(verdict(&check, "a@x.test").await, Ok(None));
    let _ = DenyAction::Drop;
}

/// Runs `mxgate denylist ARGS` with a config file; (exit code, stdout, stderr).
fn cli(config: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mxgate"))
        .arg("denylist")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run mxgate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ses(name: &str) -> String {
    manifest(&format!("tests/fixtures/ses/{name}"))
        .display()
        .to_string()
}

#[tokio::test]
async fn cli_import_of_ses_notifications_and_lists() {
    let pg = PgCluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("mxgate.toml");
    std::fs::write(&cfg, pg_config(&pg, true, "")).unwrap();
    let (code, out, err) = cli(&cfg, &["init"]);
    assert_eq!(code, 0, "{out}{err}");
    let c = pg.client().await;

    let (code, out, err) = cli(
        &cfg,
        &[
            "import",
            &ses("sns-bounce-permanent.json"),
            &ses("sns-bounce-transient.json"),
            &ses("sns-complaint.json"),
            &ses("addresses.txt"),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "3 SES notifications (1 permanent bounces, 1 complaints, 1 transient bounces ignored"
        ),
        "{out}"
    );
    assert!(
        out.contains("denylist: 6 added, 0 renewed (had expired), 0 already listed"),
        "{out}"
    );
    let rows = c
        .query(
            "SELECT key, action, source FROM mxgate_denylist ORDER BY key",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let want = [
        ("angry@example.net", "drop", "ses-complaint"),
        ("closed@example.net", "drop", "ses-bounce"),
        ("gone@example.net", "drop", "ses-bounce"),
        ("manual1@example.org", "drop", "import"),
        ("manual2@example.org", "reject", "import"),
        ("olddomain.example", "drop", "import"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(
        !got.iter().any(|(k, _, _)| k == "full.box@example.net"),
        "a transient bounce must not be listed"
    );

    // Idempotent: the same data again (as an SNS batch with a subscription message) changes nothing.
    let (code, out, err) = cli(
        &cfg,
        &["import", &ses("sns-batch.jsonl"), &ses("addresses.txt")],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 other ignored"), "{out}");
    assert!(
        out.contains("denylist: 0 added, 0 renewed (had expired), 6 already listed"),
        "{out}"
    );

    // An expired entry is renewed by a new bounce; a bare SES notification is accepted.
    c.execute(
        "UPDATE mxgate_denylist SET expires = now() - interval '1 day' WHERE key = 'gone@example.net'",
        &[],
    )
    .await
    .unwrap();
    let (code, out, _) = cli(&cfg, &["import", &ses("ses-bounce-bare.json")]);
    assert_eq!(code, 0);
    assert!(
        out.contains("denylist: 0 added, 1 renewed (had expired), 1 already listed"),
        "{out}"
    );

    // Malformed JSON: a clear error, and nothing of the file is imported (its first
    // notification is good and lists angry@, removed here first).
    let (code, out, _) = cli(&cfg, &["remove", "angry@example.net"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = cli(
        &cfg,
        &["import", &ses("addresses.txt"), &ses("malformed.json")],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("malformed.json: malformed JSON: ") && err.contains("line 3"),
        "{err}"
    );
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM mxgate_denylist WHERE key = 'angry@example.net'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "half-imported");

    // add / list / remove.
    let (code, out, err) = cli(
        &cfg,
        &[
            "add",
            "<Who@Example.com>",
            "@spamtrap.example",
            "--action",
            "discard",
            "--reason",
            "trap",
            "--expires-in",
            "30d",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 added, 0 updated, 0 unchanged"), "{out}");
    let (_, out, _) = cli(
        &cfg,
        &[
            "add",
            "who@example.com",
            "--action",
            "discard",
            "--reason",
            "trap",
        ],
    );
    assert!(out.contains("0 added, 1 updated"), "{out}");
    let (code, out, _) = cli(&cfg, &["list"]);
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.starts_with("spamtrap.example\t"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.starts_with("spamtrap.example\tdiscard\tmanual\t") && line.ends_with("\ttrap"),
        "{line}"
    );
    assert!(!line.contains("\t-\t"), "has an expiry: {line}");
    let (code, _, err) = cli(&cfg, &["remove", "who@example.com", "nobody@example.com"]);
    assert_eq!(code, 1, "one key was not listed");
    assert!(err.contains("nobody@example.com: not listed"), "{err}");
    let (code, _, err) = cli(&cfg, &["add", "two words@example.com"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an address"), "{err}");

    // The file backend is edited, not managed by this command.
    std::fs::write(&cfg, file_config("")).unwrap();
    let (code, _, err) = cli(&cfg, &["list"]);
    assert_eq!(code, 2);
    assert!(err.contains("backend = \"file\""), "{err}");
}
