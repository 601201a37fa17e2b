//! Connection slots cannot be held or queued for: a milter connection lives at most
//! `[daemon] session_timeout` however busy the MTA keeps it, and a connection past
//! `max_connections` is closed at once (the MTA then applies milter_default_action
//! instead of waiting for its connect timeout). Real daemon, real milter protocol.

use indymilter_test::{TestConnection, TestError};
use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

async fn daemon(extra: &str) -> mxgate::daemon::Embedded {
    let text = format!("[daemon]\n{extra}\n[checks.helo]\n");
    let cfg = mxgate::config::parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    mxgate::daemon::Embedded::start(cfg)
        .await
        .unwrap_or_else(|e| panic!("cannot start mxgate: {e:#}"))
}

async fn open(milter: &mxgate::daemon::Embedded) -> Result<TestConnection, TestError> {
    TestConnection::configure()
        .read_timeout(Duration::from_secs(10))
        .open_unix(milter.socket_path())
        .await
}

/// A timeout of ours would be `TimedOut`; the milter closing the connection is not.
fn closed_by_the_milter(e: &TestError) -> bool {
    match e {
        TestError::Io(io) => io.kind() != ErrorKind::TimedOut,
        TestError::InvalidReply => true,
        TestError::MilterUsage => false,
    }
}

#[tokio::test]
async fn a_busy_session_ends_at_session_timeout() {
    let milter = daemon("session_timeout = \"1s\"\nconnection_timeout = \"5m\"").await;
    let mut conn = open(&milter).await.expect("open");
    conn.connect("mail.example.org", ([192, 0, 2, 10], 40001))
        .await
        .expect("connect is answered");
    // A command every 200 ms: never idle for connection_timeout, but past 1 s in total.
    let mut ended = None;
    for i in 0..100 {
        match conn.helo("mail.example.org").await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(e) => {
                ended = Some((i, e));
                break;
            }
        }
    }
    let (i, e) = ended.expect("the session outlived session_timeout (20 s of commands)");
    assert!(i > 0, "the first HELO after connect was refused: {e}");
    assert!(closed_by_the_milter(&e), "{e}");
    // A new session is served as usual.
    let mut next = open(&milter).await.expect("open after the timeout");
    next.connect("mail.example.org", ([192, 0, 2, 10], 40002))
        .await
        .expect("a new session is served");
    milter.stop().await;
}

#[tokio::test]
async fn past_max_connections_a_connection_is_closed_at_once() {
    let milter = daemon("max_connections = 2").await;
    let mut a = open(&milter).await.expect("first");
    let mut b = open(&milter).await.expect("second");
    a.connect("a.example.org", ([192, 0, 2, 10], 40011))
        .await
        .expect("first connect");
    b.connect("b.example.org", ([192, 0, 2, 10], 40012))
        .await
        .expect("second connect");
    // The third is accepted and closed: negotiation fails, without waiting for our timeout.
    match open(&milter).await {
        Ok(mut c) => {
            let e = c
                .connect("c.example.org", ([192, 0, 2, 10], 40013))
                .await
                .expect_err("a third session is served at max_connections = 2");
            assert!(closed_by_the_milter(&e), "{e}");
        }
        Err(e) => assert!(closed_by_the_milter(&e), "{e}"),
    }
    // A slot freed is a slot served.
    a.close().await.expect("close the first");
    let mut served = None;
    for _ in 0..50 {
        if let Ok(mut d) = open(&milter).await {
            if d.connect("d.example.org", ([192, 0, 2, 10], 40014))
                .await
                .is_ok()
            {
                served = Some(d);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        served.is_some(),
        "no connection served after a slot was freed"
    );
    b.helo("b.example.org")
        .await
        .expect("the open sessions go on");
    milter.stop().await;
}
