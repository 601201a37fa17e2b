//! The header a message may keep in memory is bounded (src/capture.rs: 1,000 fields,
//! 1 MiB of names and values): a client sending a thousand fields of 1 MiB must not
//! take the daemon's memory with it. Past the bound the fields are not kept, and a check
//! that reads the header judges an incomplete one: here the attachments check, whose
//! `oversize` setting decides (as for a body over max_scan_bytes), through the real
//! daemon and milter protocol.

mod support;

use support::daemon::replay;

/// A multipart message with an .exe attachment, its structure declared after `junk`
/// header fields.
fn session(name: &str, port: u16, junk: &[String]) -> String {
    let mut s = format!(
        "session {name}\nconnect 192.0.2.10 port {port} name mail.example.org\n\
         helo mail.example.org\nmail <sender@example.org>\nrcpt <rcpt@example.net>\n\
         header From: sender@example.org\n"
    );
    for j in junk {
        s.push_str(&format!("header X-Junk: {j}\n"));
    }
    s.push_str(
        "header MIME-Version: 1.0\n\
         header Content-Type: multipart/mixed; boundary=\"b\"\n\
         body\n--b\nContent-Type: text/plain\n\nhello\n--b\n\
         Content-Type: application/octet-stream; name=\"evil.exe\"\n\
         Content-Transfer-Encoding: base64\n\nTVo=\n--b--\n.\n",
    );
    s
}

async fn run(config: &str, sessions: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bounds.session");
    std::fs::write(&path, sessions).expect("write session file");
    replay(config, &[path]).await.assert_all_passed();
}

#[tokio::test]
async fn a_header_past_the_bound_is_judged_incomplete() {
    let small: Vec<String> = (0..3).map(|i| format!("small {i}")).collect();
    let big: Vec<String> = (0..2).map(|_| "x".repeat(600 * 1024)).collect();
    let many: Vec<String> = (0..1001).map(|i| format!("field {i}")).collect();
    // The last message repeats the first: the bound is per message, not per session.
    let sessions = format!(
        "{}eom expect reject 550 5.7.1 ~ evil.exe\n\n\
         {}eom expect reject 552 5.3.4 ~ too large to scan\n\n\
         {}eom expect reject 552 5.3.4 ~ too large to scan\n\n\
         {}eom expect reject 550 5.7.1 ~ evil.exe\n",
        session("structure-within-the-bound", 40001, &small),
        session("structure-past-1-MiB", 40002, &big),
        session("structure-past-1000-fields", 40003, &many),
        session("the-next-message-is-whole", 40004, &small),
    );
    run("[checks.attachments]\noversize = \"reject\"\n", &sessions).await;
}

/// With the default (`oversize = "continue"`) the incomplete scan lets the message
/// through, as for a body over max_scan_bytes.
#[tokio::test]
async fn by_default_an_incomplete_header_continues() {
    let big: Vec<String> = (0..2).map(|_| "x".repeat(600 * 1024)).collect();
    let sessions = format!(
        "{}eom expect continue\n",
        session("structure-past-1-MiB-default", 40010, &big)
    );
    run("[checks.attachments]\n", &sessions).await;
}
