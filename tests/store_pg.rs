//! The shared PostgreSQL plumbing against a real throwaway cluster.

mod support;

use mxgate::store::pg::{migrate, DbConfig, StoreError};
use support::pg::PgCluster;

const STEPS: &[&str] = &[
    "CREATE TABLE t (id integer PRIMARY KEY)",
    "ALTER TABLE t ADD COLUMN note text",
];

#[tokio::test]
async fn migrations_apply_once_even_when_two_hosts_start_together() {
    let pg = PgCluster::start().await;
    let pool = pg.db_config().pool().expect("pool");
    let (mut a, mut b) = (
        pool.get().await.expect("conn a"),
        pool.get().await.expect("conn b"),
    );
    let (ra, rb) = tokio::join!(
        migrate(&mut a, "test", STEPS),
        migrate(&mut b, "test", STEPS)
    );
    ra.expect("migrate a");
    rb.expect("migrate b");
    // Running again is a no-op, and a later step is applied on top.
    migrate(&mut a, "test", STEPS).await.expect("again");
    let more = [STEPS[0], STEPS[1], "CREATE INDEX t_note ON t (note)"];
    migrate(&mut a, "test", &more).await.expect("third step");
    let v: i32 = a
        .query_one(
            "SELECT version FROM mxgate_schema WHERE component = 'test'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 3);
    a.execute("INSERT INTO t (id, note) VALUES (1, 'x')", &[])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_broken_step_names_itself_and_applies_nothing() {
    let pg = PgCluster::start().await;
    let pool = pg.db_config().pool().expect("pool");
    let mut c = pool.get().await.expect("conn");
    let err = migrate(
        &mut c,
        "bad",
        &["CREATE TABLE ok1 (id int)", "CREATE TABLE nope ("],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, StoreError::Query(m) if m.contains("bad schema step 2")),
        "{err}"
    );
    let exists: bool = c
        .query_one("SELECT to_regclass('ok1') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!exists, "step 1 of a failed migration must be rolled back");
}

#[tokio::test]
async fn a_database_that_is_down_is_unavailable_not_an_error_of_ours() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = DbConfig {
        host: dir.path().display().to_string(),
        port: 5999,
        connect_timeout: mxgate::values::TimeSpanMs::from_millis(300),
        ..DbConfig::default()
    };
    let pool = cfg.pool().expect("a pool builds without a database");
    let err = pool.get().await.map_err(StoreError::from).unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
}
