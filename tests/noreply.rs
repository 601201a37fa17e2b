//! NOREPLY negotiation (src/milter/negotiate.rs): stages whose callbacks can only say continue —
//! header and body chunks, and connect/HELO/MAIL/end of headers without a check there —
//! are negotiated without replies when the MTA offers that (Postfix does, protocol 6),
//! and still work: headers and body are buffered for the end-of-message checks. Stages
//! with a check keep their replies, and an MTA without NOREPLY gets a reply everywhere.

use indymilter_test::{ProtoOpts, Status, TestConnection};
use mxgate::daemon::Embedded;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

const NOREPLY_ALL: ProtoOpts = ProtoOpts::NOREPLY_CONNECT
    .union(ProtoOpts::NOREPLY_HELO)
    .union(ProtoOpts::NOREPLY_MAIL)
    .union(ProtoOpts::NOREPLY_RCPT)
    .union(ProtoOpts::NOREPLY_DATA)
    .union(ProtoOpts::NOREPLY_HEADER)
    .union(ProtoOpts::NOREPLY_EOH)
    .union(ProtoOpts::NOREPLY_BODY)
    .union(ProtoOpts::NOREPLY_UNKNOWN);

/// A HELO check and the attachment check (end of message, headers and body buffered).
const HELO_AND_ATTACHMENTS: &str = "[checks.helo]\n[checks.attachments]\nenabled = true\n";

async fn start(config: &str) -> Embedded {
    let cfg = mxgate::config::parse(config, Path::new("noreply.toml"))
        .unwrap_or_else(|e| panic!("config: {e}"));
    Embedded::start(cfg)
        .await
        .unwrap_or_else(|e| panic!("cannot start mxgate: {e:#}"))
}

async fn open(m: &Embedded, offered: ProtoOpts) -> TestConnection {
    let spec = m.socket_spec();
    let path = spec.strip_prefix("unix:").expect("unix socket");
    TestConnection::configure()
        .read_timeout(Duration::from_secs(10))
        .available_opts(offered)
        .open_unix(path)
        .await
        .expect("negotiation")
}

fn client() -> (IpAddr, u16) {
    ("192.0.2.10".parse::<IpAddr>().unwrap(), 40000)
}

/// A status by name; a rejection with its reply (`reject 550 5.7.1 ...`).
fn name(s: &Status) -> String {
    match s {
        Status::Noreply => "noreply".into(),
        Status::Continue => "continue".into(),
        Status::Reject { message } => format!(
            "reject {}",
            message
                .as_ref()
                .map_or(String::new(), |m| m.to_string_lossy().into_owned())
        ),
        other => format!("{other:?}"),
    }
}

/// Connect to end of message with a blocked attachment; the statuses of every stage.
async fn attachment_session(c: &mut TestConnection) -> Vec<String> {
    let mut st = vec![
        c.connect("mail.example.test", client()).await.unwrap(),
        c.helo("mail.example.test").await.unwrap(),
        c.mail(["<alice@example.test>"]).await.unwrap(),
        c.rcpt(["<bob@example.net>"]).await.unwrap(),
        c.header("Subject", "x").await.unwrap(),
        c.header("MIME-Version", "1.0").await.unwrap(),
        c.header("Content-Type", "multipart/mixed; boundary=b")
            .await
            .unwrap(),
        c.eoh().await.unwrap(),
        c.body("--b\r\nContent-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n\r\nx\r\n--b--\r\n")
            .await
            .unwrap(),
    ];
    st.push(c.eom().await.unwrap().1);
    st.iter().map(name).collect()
}

#[tokio::test]
async fn buffering_stages_and_stages_without_checks_are_not_waited_for() {
    let m = start(HELO_AND_ATTACHMENTS).await;
    let mut c = open(&m, ProtoOpts::all()).await;
    let nr = c.negotiated_opts() & NOREPLY_ALL;
    assert_eq!(
        nr,
        ProtoOpts::NOREPLY_CONNECT
            | ProtoOpts::NOREPLY_MAIL
            | ProtoOpts::NOREPLY_HEADER
            | ProtoOpts::NOREPLY_EOH
            | ProtoOpts::NOREPLY_BODY
    );
    let st = attachment_session(&mut c).await;
    let (last, rest) = st.split_last().unwrap();
    assert_eq!(
        rest,
        [
            "noreply", "continue", "noreply", "continue", "noreply", "noreply", "noreply",
            "noreply", "noreply"
        ],
        "{st:?}"
    );
    // Headers and body were buffered without replies: the attachment is still found.
    assert!(
        last.starts_with("reject 550 5.7.1") && last.contains("invoice.pdf.exe"),
        "{st:?}"
    );
    c.close().await.unwrap();
    // HELO keeps its reply: the check there decides (held until RCPT by default).
    let mut c = open(&m, ProtoOpts::all()).await;
    c.connect("x", client()).await.unwrap();
    assert_eq!(c.helo("localhost").await.unwrap(), Status::Continue);
    c.mail(["<a@example.test>"]).await.unwrap();
    let rcpt = c.rcpt(["<b@example.net>"]).await.unwrap();
    assert!(name(&rcpt).starts_with("reject 550 5.7.1"), "{rcpt:?}");
    c.close().await.unwrap();
    m.stop().await;
}

#[tokio::test]
async fn an_mta_without_noreply_gets_every_reply() {
    let m = start(HELO_AND_ATTACHMENTS).await;
    let mut c = open(&m, ProtoOpts::all() - NOREPLY_ALL).await;
    assert!((c.negotiated_opts() & NOREPLY_ALL).is_empty());
    let st = attachment_session(&mut c).await;
    let (last, rest) = st.split_last().unwrap();
    assert!(last.starts_with("reject 550 5.7.1"), "{st:?}");
    assert!(rest.iter().all(|s| s == "continue"), "{st:?}");
    c.close().await.unwrap();
    m.stop().await;
}

#[tokio::test]
async fn a_check_at_connect_keeps_its_reply() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("client_access.cidr");
    std::fs::write(&map, "192.0.2.0/24 REJECT\n").unwrap();
    let m = start(&format!(
        "[policy]\ndelay_reject = false\n[checks.client_access]\nenabled = true\nmap = {:?}\n\
         [checks.attachments]\nenabled = false\n[checks.helo]\nenabled = false\n",
        map.display().to_string()
    ))
    .await;
    let mut c = open(&m, ProtoOpts::all()).await;
    let nr = c.negotiated_opts() & NOREPLY_ALL;
    assert!(!nr.contains(ProtoOpts::NOREPLY_CONNECT), "{nr:?}");
    assert!(nr.contains(ProtoOpts::NOREPLY_MAIL), "{nr:?}");
    let st = c.connect("x", client()).await.unwrap();
    assert!(name(&st).starts_with("reject"), "{st:?}");
    c.close().await.unwrap();
    m.stop().await;
}
