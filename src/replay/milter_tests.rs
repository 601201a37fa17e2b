//! The replay client against a tiny real milter (indymilter on a unix socket).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indymilter::{Actions, Callbacks, Config, ContextActions, MacroStage, SetErrorReply, Status};
use tokio::net::UnixListener;

use super::client::{replay, ClientOptions, Outcome, Phase, SocketSpec};
use super::format::{self, Response};
use super::{diff, load, replay_all, run};

/// What the test milter saw, for assertions.
type Log = Arc<Mutex<Vec<String>>>;

fn log(l: &Log, s: String) {
    if let Ok(mut v) = l.lock() {
        v.push(s);
    }
}

/// Rejects RCPT <bad@x> with 550 5.1.1, rejects HELO bad.helo, adds a header
/// and deletes <drop@x> at eom. No header callback: the header phase is
/// negotiated off. `strict` also rejects <drop@x> (for diff mode).
fn callbacks(l: Log, strict: bool) -> Callbacks<()> {
    let (l1, l2, l3, l4, l5, l6) = (l.clone(), l.clone(), l.clone(), l.clone(), l.clone(), l);
    Callbacks::new()
        .on_negotiate(|cx, _, _| {
            Box::pin(async move {
                cx.requested_actions = Actions::ADD_HEADER | Actions::DELETE_RCPT;
                cx.requested_macros.insert(
                    MacroStage::Connect,
                    c"{client_addr} {daemon_name} {client_resolve}".into(),
                );
                cx.requested_macros
                    .insert(MacroStage::Rcpt, c"{rcpt_addr} i".into());
                cx.requested_macros
                    .insert(MacroStage::Eom, c"i {rcpt_addr}".into());
                Status::Continue
            })
        })
        .on_connect(move |cx, host, _| {
            let l = l1.clone();
            Box::pin(async move {
                let m = |n: &std::ffi::CStr| {
                    cx.macros
                        .get(n)
                        .map(|v| v.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "-".into())
                };
                log(
                    &l,
                    format!(
                        "connect {} addr={} daemon={} resolve={}",
                        host.to_string_lossy(),
                        m(c"{client_addr}"),
                        m(c"{daemon_name}"),
                        m(c"{client_resolve}")
                    ),
                );
                Status::Continue
            })
        })
        .on_helo(move |cx, helo| {
            let l = l2.clone();
            Box::pin(async move {
                log(&l, format!("helo {}", helo.to_string_lossy()));
                if helo.as_bytes() == b"bad.helo" {
                    let _ = cx.reply.set_error_reply("550", Some("5.7.1"), ["bad helo"]);
                    return Status::Reject;
                }
                Status::Continue
            })
        })
        .on_rcpt(move |cx, args| {
            let l = l3.clone();
            Box::pin(async move {
                let rcpt = args
                    .first()
                    .map(|a| a.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let i = cx
                    .macros
                    .get(c"i")
                    .map(|v| v.to_string_lossy().into_owned());
                log(&l, format!("rcpt {rcpt} i={i:?}"));
                if rcpt == "<bad@x>" || (strict && rcpt == "<drop@x>") {
                    let _ = cx
                        .reply
                        .set_error_reply("550", Some("5.1.1"), ["no such user"]);
                    return Status::Reject;
                }
                Status::Continue
            })
        })
        .on_body(move |_, chunk| {
            let l = l4.clone();
            Box::pin(async move {
                log(&l, format!("body {:?}", String::from_utf8_lossy(&chunk)));
                Status::Continue
            })
        })
        .on_eom(move |cx| {
            let l = l5.clone();
            Box::pin(async move {
                let i = cx
                    .macros
                    .get(c"i")
                    .map(|v| v.to_string_lossy().into_owned());
                let last = cx
                    .macros
                    .get(c"{rcpt_addr}")
                    .map(|v| v.to_string_lossy().into_owned());
                log(&l, format!("eom i={i:?} last_rcpt={last:?}"));
                let _ = cx
                    .actions
                    .add_header(
                        "X-Replay",
                        format!("seen by test milter {}", i.unwrap_or_default()),
                    )
                    .await;
                let _ = cx.actions.delete_recipient("<drop@x>").await;
                Status::Continue
            })
        })
        .on_abort(move |_| {
            let l = l6.clone();
            Box::pin(async move {
                log(&l, "abort".into());
                Status::Continue
            })
        })
}

struct TestMilter {
    _dir: tempfile::TempDir,
    spec: SocketSpec,
    log: Log,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn start(strict: bool) -> TestMilter {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let l: Log = Arc::default();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let cb = callbacks(l.clone(), strict);
    tokio::spawn(async move {
        let _ = indymilter::run(listener, cb, Config::default(), async move {
            let _ = rx.await;
        })
        .await;
    });
    TestMilter {
        spec: SocketSpec::Unix(path),
        _dir: dir,
        log: l,
        stop: Some(tx),
    }
}

impl TestMilter {
    fn seen(&self) -> Vec<String> {
        self.log.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Drop for TestMilter {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

const SESSIONS: &str = "\
session good
connect 192.0.2.10 port 41234 name mail.example.com expect continue
helo mail.example.com expect continue
mail <alice@example.com> SIZE=10
rcpt <bad@x> expect reject 550 5.1.1 ~ no such user
rcpt <drop@x> expect continue
header Subject: hi
headers expect continue
body
Hello
..dotted
.
eom expect header X-Replay ~ seen by test milter
eom expect delete-rcpt <drop@x>
eom expect continue

session mismatch
connect 192.0.2.11
helo bad.helo expect continue
mail <a@b> expect continue

session all-rejected
connect unknown
mail <a@b>
rcpt <bad@x> expect reject
body
x
.
";

fn opts() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn replays_like_postfix_and_reports() {
    let m = start(false).await;
    let sessions = format::parse(SESSIONS, Path::new(".")).unwrap();
    let results = replay_all(&m.spec, &sessions, &opts()).await;
    let (text, passed, failed) = run::report(&results, false);
    assert_eq!((passed, failed), (2, 1), "{text}");

    // The good session: every expectation met, and the report shows it.
    assert!(results[0].error.is_none(), "{text}");
    assert!(run::passed(&results[0]), "{text}");
    assert!(text.contains("ok   good          rcpt <bad@x>"), "{text}");
    assert!(text.contains("reject 550 5.1.1 no such user"), "{text}");
    // No header callback: negotiated off, shown as such, and counts as continue.
    let hdr = results[0]
        .steps
        .iter()
        .find(|r| r.phase == Phase::Header && !r.summary)
        .unwrap();
    assert_eq!(hdr.outcome, Outcome::Off);

    // The mismatch: HELO rejected, so MAIL is not sent.
    assert!(text.contains("FAIL mismatch      helo bad.helo"), "{text}");
    assert!(
        text.contains("expected continue, got reject 550 5.7.1 bad helo"),
        "{text}"
    );
    assert!(
        text.contains("expected continue, got not sent (rejected at HELO)"),
        "{text}"
    );

    // All recipients rejected: no DATA, body or EOM; an abort instead.
    let last = &results[2];
    let eom = last.steps.iter().find(|r| r.phase == Phase::Eom).unwrap();
    assert_eq!(
        eom.outcome,
        Outcome::NotSent("no accepted recipient".into())
    );
    assert!(text.ends_with("2 passed, 1 failed\n"), "{text}");

    let seen = m.seen();
    let seen_text = seen.join("\n");
    assert_eq!(
        seen[0],
        "connect mail.example.com addr=192.0.2.10 daemon=mx.test resolve=OK"
    );
    // The queue id exists only once a recipient was accepted.
    assert!(
        seen.contains(&"rcpt <bad@x> i=None".to_string()),
        "{seen_text}"
    );
    // Body dot-unstuffed, CRLF line ends.
    assert!(
        seen.contains(&"body \"Hello\\r\\n.dotted\\r\\n\"".to_string()),
        "{seen_text}"
    );
    let eom_line = seen.iter().find(|s| s.starts_with("eom ")).unwrap();
    assert!(
        eom_line.contains("last_rcpt=Some(\"drop@x\")"),
        "{seen_text}"
    );
    assert!(eom_line.contains("i=Some(\""), "{seen_text}");
    // The rejected HELO ends the milter's part: no MAIL, no abort for it.
    assert!(
        !seen.iter().any(|s| s.starts_with("rcpt <a@b>")),
        "{seen_text}"
    );
    assert_eq!(
        seen.iter().filter(|s| *s == "abort").count(),
        1,
        "only the all-rejected transaction is aborted: {seen_text}"
    );
    assert!(
        seen.contains(&"connect unknown addr=unknown daemon=mx.test resolve=FAIL".to_string()),
        "{seen_text}"
    );
}

#[tokio::test]
async fn a_wrong_expectation_fails() {
    let m = start(false).await;
    let text = "session s\nconnect 127.0.0.1\nmail <a@b>\nrcpt <bad@x> expect reject 550 5.7.1\n";
    let sessions = format::parse(text, Path::new(".")).unwrap();
    let r = replay(&m.spec, &sessions[0], &opts(), 0).await;
    let (report, p, f) = run::report(std::slice::from_ref(&r), false);
    assert_eq!((p, f), (0, 1), "{report}");
    assert!(
        report.contains("expected reject 550 5.7.1, got reject 550 5.1.1 no such user"),
        "{report}"
    );
}

#[tokio::test]
async fn connection_errors_fail_the_session_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let spec = SocketSpec::Unix(dir.path().join("nothing-here.sock"));
    let sessions = format::parse(SESSIONS, Path::new(".")).unwrap();
    let r = replay(&spec, &sessions[0], &opts(), 0).await;
    assert!(
        r.error.as_deref().unwrap_or("").contains("cannot connect"),
        "{r:?}"
    );
    assert!(!run::passed(&r));
    assert!(r
        .steps
        .iter()
        .all(|s| matches!(s.outcome, Outcome::NotSent(_))));
}

#[tokio::test]
async fn load_mode_counts_sessions_and_stages() {
    let m = start(false).await;
    let sessions = format::parse(SESSIONS, Path::new(".")).unwrap();
    let report = load::run_load(
        &m.spec,
        &sessions,
        &load::LoadOptions {
            connections: 4,
            sessions: 30,
            client: opts(),
        },
    )
    .await;
    assert_eq!(
        (report.sessions, report.errors),
        (30, 0),
        "{}",
        report.render()
    );
    // 10 "good" sessions each send 2 RCPTs, 10 "all-rejected" send 1.
    assert_eq!(report.phases.get(&Phase::Rcpt).map(Vec::len), Some(30));
    assert_eq!(report.phases.get(&Phase::Eom).map(Vec::len), Some(10));
    assert_eq!(report.session_latency.len(), 30);
    assert!(
        !report.phases.contains_key(&Phase::Header),
        "header is negotiated off"
    );
}

#[tokio::test]
async fn diff_sees_a_changed_verdict() {
    let (a, b) = (start(false).await, start(true).await);
    let sessions = format::parse(SESSIONS, Path::new(".")).unwrap();
    let ra = replay_all(&a.spec, &sessions, &opts()).await;
    let rb = replay_all(&b.spec, &sessions, &opts()).await;
    let d = diff::compare(&ra, &rb);
    assert_eq!(d.len(), 1, "{}", diff::render(&d, sessions.len()));
    assert_eq!(d[0].name, "good");
    assert!(d[0].steps.iter().any(|s| s.phase == "rcpt <drop@x>"
        && s.a == "continue"
        && s.b == "reject 550 5.1.1 no such user"));
    assert!(diff::compare(&ra, &replay_all(&a.spec, &sessions, &opts()).await).is_empty());
}

#[test]
fn verdict_names_round_trip() {
    for v in [
        Response::Continue,
        Response::Accept,
        Response::Reject,
        Response::Tempfail,
        Response::Discard,
    ] {
        let text = format!("session s\nconnect 1.2.3.4 expect {v}\n");
        let s = format::parse(&text, Path::new(".")).unwrap();
        assert_eq!(s[0].connect.expect.as_ref().map(|e| e.response), Some(v));
    }
}
