//! The attachments check's fast path (`mime::nameless_single_part`) against the full
//! scan (`mime::build_raw` + `mime::scan`): whenever the fast path is taken, the full
//! scan must come back empty — no name, nothing malformed, nothing limited — both for
//! a whole message and for one cut off by the scan limit. The check then gives the
//! verdict of an empty scan, so an empty full scan means an identical verdict.
//!
//! Messages: every corpus message (tests/fixtures/mime/), every message in the
//! attachments session files (tests/sessions/attachments/), each with header names
//! in other cases and values refolded, and generated messages (Content-Type,
//! Content-Disposition, transfer encoding and body variants crossed, plus random
//! header soups). The test also pins which common shapes must take the fast path,
//! so it cannot pass by never taking it.

mod support;

use mxgate::checks::attachments::{AttachmentsCheck, AttachmentsConfig};
use mxgate::checks::{Check, Finding};
use mxgate::mime::{self, Limits};
use mxgate::replay::format;
use mxgate::session::{Session, Stage};
use mxgate::verdict::Action;
use std::path::Path;
use support::corpus::{files, split_message, Headers};

/// Runs both paths; panics if the fast path is taken and the full scan is not empty.
/// Returns whether the fast path was taken.
fn equivalent(label: &str, headers: &[(String, String)], body: &[u8]) -> bool {
    let fast = mime::nameless_single_part(headers, body);
    if !fast {
        return false;
    }
    let raw = mime::build_raw(headers, body);
    // Whole, and cut off by the scan limit at a few places (the check passes the
    // truncated prefix with `truncated` set).
    let header_len = raw.len() - body.len();
    let mut cuts = vec![raw.len()];
    for n in [0, 1, body.len() / 2, body.len().saturating_sub(1)] {
        cuts.push(header_len + n.min(body.len()));
    }
    for (i, cut) in cuts.into_iter().enumerate() {
        for truncated in [false, true] {
            if i > 0 && !truncated {
                continue;
            }
            // The fast path is decided on what the check has: the cut body.
            let cut_body = &raw[header_len..cut];
            assert!(
                mime::nameless_single_part(headers, cut_body),
                "{label}: fast path not taken on a prefix of a body it accepted"
            );
            let s = mime::scan(&raw[..cut], truncated, &Limits::default());
            assert!(
                s.names.is_empty() && s.malformed.is_empty() && s.limited.is_empty(),
                "{label} (cut at {cut} of {}, truncated {truncated}): fast path taken \
                 but the full scan found {s:?}",
                raw.len()
            );
        }
    }
    true
}

/// The same headers with names in other cases and values refolded.
fn header_variants(headers: &[(String, String)]) -> Vec<(&'static str, Headers)> {
    let map = |f: &dyn Fn(&str, &str) -> (String, String)| -> Headers {
        headers.iter().map(|(n, v)| f(n, v)).collect()
    };
    vec![
        ("as is", headers.to_vec()),
        ("lower", map(&|n, v| (n.to_lowercase(), v.to_owned()))),
        ("upper", map(&|n, v| (n.to_uppercase(), v.to_owned()))),
        (
            "leading space",
            map(&|n, v| (n.to_owned(), format!(" {v}"))),
        ),
        (
            "refolded",
            map(&|n, v| (n.to_owned(), v.replace("; ", ";\n\t").replace(';', ";\n "))),
        ),
        (
            "fold first",
            map(&|n, v| (n.to_owned(), format!("\n\t{v}"))),
        ),
    ]
}

#[test]
fn corpus_and_session_messages() {
    let mut messages: Vec<(String, Headers, Vec<u8>)> = Vec::new();
    let corpus = files("tests/fixtures/mime", "eml");
    assert!(corpus.len() >= 30, "corpus too small: {}", corpus.len());
    for path in corpus {
        let raw = std::fs::read(&path).expect("read corpus file");
        let (h, b) = split_message(&raw);
        messages.push((path.display().to_string(), h, b));
    }
    let session_files = files("tests/sessions/attachments", "session");
    assert!(!session_files.is_empty(), "no attachments session files");
    let mut from_sessions = 0;
    for path in session_files {
        let sessions = format::parse_file(&path).unwrap_or_else(|e| panic!("{e:?}"));
        for s in sessions {
            for (i, tx) in s.transactions.iter().enumerate() {
                let Some(m) = &tx.message else { continue };
                // Values verbatim (leading space kept, LEADING_SPACE) and as Postfix
                // passes them by default (one leading space stripped).
                let verbatim: Headers = m
                    .headers
                    .iter()
                    .map(|h| (h.name.clone(), h.value.clone()))
                    .collect();
                let stripped: Headers = m
                    .headers
                    .iter()
                    .map(|h| {
                        let v = h.value.strip_prefix(' ').unwrap_or(&h.value);
                        (h.name.clone(), v.to_owned())
                    })
                    .collect();
                let label = format!("{}: {} tx {i}", path.display(), s.name);
                messages.push((format!("{label} verbatim"), verbatim, m.body.clone()));
                messages.push((label, stripped, m.body.clone()));
                from_sessions += 1;
            }
        }
    }
    assert!(from_sessions >= 5, "only {from_sessions} session messages");
    let (mut fast, mut total) = (0, 0);
    for (label, headers, body) in &messages {
        for (how, h) in header_variants(headers) {
            total += 1;
            if equivalent(&format!("{label} [{how}]"), &h, body) {
                fast += 1;
            }
        }
    }
    // plain-text.eml and no-mime.eml (and their variants) at least.
    assert!(fast >= 8, "fast path taken for only {fast} of {total}");
    assert!(fast < total, "fast path taken for everything");
}

/// Body variants: plain, MIME-looking lines in a single part, zip bytes, invalid
/// base64, a Content-Type line beyond the tokenizer budget.
fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let zip = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mime/zip-with-exe.eml"),
    )
    .expect("zip-with-exe.eml");
    let mut long = b"Content-Type: text/plain; x=".to_vec();
    long.extend(std::iter::repeat_n(b"=?".as_slice(), 6000).flatten());
    long.extend_from_slice(b"\r\n");
    vec![
        ("empty", Vec::new()),
        ("plain", b"Hello,\r\nsee you on Friday.\r\n".to_vec()),
        (
            "mime lines",
            b"--b\r\nContent-Type: application/octet-stream; name=\"a.exe\"\r\n\r\nx\r\n--b--\r\n"
                .to_vec(),
        ),
        ("encoded word", b"Subject: =?utf-8?q?a=2Eexe?=\r\n".to_vec()),
        ("zip fixture", zip),
        ("bad base64", b"TVqQ*AAD!!\r\n====\r\n".to_vec()),
        ("budget", long),
        ("bare cr", b"a\rb\r\n\rx\n".to_vec()),
    ]
}

#[test]
fn generated_messages() {
    let ctypes: &[Option<&str>] = &[
        None,
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("TEXT/HTML; charset=\"iso-8859-1\""),
        Some("\ttext/plain;\n\tformat=flowed"),
        Some("text/plain; name=\"a.exe\""),
        Some("text/plain; NAME*=utf-8''a%2Eexe"),
        Some("text/plain; name*0*=utf-8''a; name*1=.exe"),
        Some("text/plain; x==?utf-8?q?name=3Da.exe?="),
        Some("=?utf-8?q?text/plain=3B_name=3Da.exe?="),
        Some("message/rfc822"),
        Some("Message/Global"),
        Some("multipart/mixed; boundary=b"),
        Some("multipart/mixed"),
        Some("application/zip"),
        Some("application/octet-stream"),
        Some("text"),
        Some("text/plain; charset=\"a;b\"; filename=x.exe"),
    ];
    let dispositions: &[Option<&str>] = &[
        None,
        Some("inline"),
        Some("attachment"),
        Some("attachment; filename=a.exe"),
        Some("attachment; FILENAME*=utf-8''a%2Eexe"),
        Some("attachment;\n filename*0*=utf-8''a;\n filename*1=.exe"),
        Some("=?utf-8?q?attachment=3B_filename=3Da.exe?="),
    ];
    let ctes: &[Option<&str>] = &[None, Some("base64"), Some("=?x?q?base64?=")];
    let name_cases: &[fn(&str) -> String] = &[
        |s| s.to_owned(),
        |s| s.to_lowercase(),
        |s| s.to_uppercase(),
        |s| format!("{s} "),
    ];
    let bodies = bodies();
    let (mut fast, mut total) = (0, 0);
    for ct in ctypes {
        for cd in dispositions {
            for cte in ctes {
                for (ci, case) in name_cases.iter().enumerate() {
                    let mut h: Headers = vec![
                        ("From".into(), "a@example.test".into()),
                        ("Subject".into(), "hello".into()),
                    ];
                    if let Some(v) = ct {
                        h.push((case("Content-Type"), (*v).into()));
                    }
                    if let Some(v) = cd {
                        h.push((case("Content-Disposition"), (*v).into()));
                    }
                    if let Some(v) = cte {
                        h.push((case("Content-Transfer-Encoding"), (*v).into()));
                    }
                    for (bi, (bname, body)) in bodies.iter().enumerate() {
                        // The budget body costs a full scan each time: a few combinations.
                        if *bname == "budget" && (ci > 0 || cte.is_some()) {
                            continue;
                        }
                        let label = format!("ct {ct:?} cd {cd:?} cte {cte:?} case {ci} body {bi}");
                        total += 1;
                        if equivalent(&label, &h, body) {
                            fast += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(
        fast > total / 20,
        "fast path taken for only {fast} of {total}"
    );
}

/// Shapes the fast path exists for must take it; shapes that can carry a name,
/// a nested structure or an archive, or that the full scan calls malformed, must not.
#[test]
fn which_messages_take_the_fast_path() {
    let h = |pairs: &[(&str, &str)]| -> Headers {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    };
    let body = b"hello\r\n".as_slice();
    let taken = [
        h(&[("Subject", "x")]),
        h(&[("Content-Type", "text/plain; charset=utf-8")]),
        h(&[("content-type", "TEXT/HTML;\n\tcharset=\"utf-8\"")]),
        h(&[
            ("Content-Type", "text/plain"),
            ("Content-Disposition", "inline"),
        ]),
        h(&[("Content-Disposition", "attachment")]),
        h(&[
            ("Content-Type", "text/plain"),
            ("Content-Transfer-Encoding", "base64"),
        ]),
        h(&[("Content-Typewriter", "whatever; name=x.exe")]),
        h(&[("Subject", "=?utf-8?q?caf=C3=A9?=")]),
    ];
    for (i, headers) in taken.iter().enumerate() {
        assert!(
            equivalent(&format!("taken {i}"), headers, body),
            "case {i} ({headers:?}) should take the fast path"
        );
    }
    let not_taken = [
        h(&[("Content-Type", "text/plain; name=\"a.txt\"")]),
        h(&[("Content-Type", "text/plain; Name*=utf-8''a.txt")]),
        h(&[("Content-Type", "text/plain; name*0*=utf-8''a; name*1=.txt")]),
        h(&[("Content-Disposition", "attachment; filename=a.txt")]),
        h(&[("Content-Disposition", "=?utf-8?q?attachment?=")]),
        h(&[("Content-Type", "message/rfc822")]),
        h(&[("Content-Type", "multipart/mixed; boundary=b")]),
        h(&[("Content-Type", "application/zip")]),
        h(&[("Content-Type", "application/octet-stream")]),
        h(&[("Content-Type", "=?utf-8?q?text/plain?=")]),
        h(&[("Content-Transfer-Encoding", "=?utf-8?q?base64?=")]),
        h(&[("Content-Type ", "text/plain")]),
        h(&[("Subject", "a\nContent-Type: multipart/mixed; boundary=b")]),
        h(&[("Subject", "a\n")]),
        h(&[("", "x")]),
    ];
    for (i, headers) in not_taken.iter().enumerate() {
        assert!(
            !mime::nameless_single_part(headers, body),
            "case {i} ({headers:?}) must take the full scan"
        );
    }
    // Condition 5: a body line the tokenizer budget refuses makes the full scan
    // report the message malformed, so the fast path must not be taken.
    let mut long = b"Content-Type: text/plain; x=".to_vec();
    long.extend(std::iter::repeat_n(b"=?".as_slice(), 6000).flatten());
    let plain = h(&[("Content-Type", "text/plain")]);
    assert!(!mime::nameless_single_part(&plain, &long));
    let s = mime::scan(&mime::build_raw(&plain, &long), false, &Limits::default());
    assert!(!s.malformed.is_empty(), "{s:?}");
    // A smaller such line is within the budget: fast path, empty scan.
    let mut short = b"Content-Type: text/plain; x=".to_vec();
    short.extend(std::iter::repeat_n(b"=?".as_slice(), 100).flatten());
    assert!(equivalent("short markers", &plain, &short));
}

/// Random header soups from fragments that matter to the scan.
#[test]
fn random_header_soups() {
    let names = [
        "Content-Type",
        "content-TYPE",
        "Content-Disposition",
        "Content-Transfer-Encoding",
        "Content-Type-X",
        "Subject",
        "X-Name",
        "Content-Type ",
        "Content:Type",
    ];
    let values = [
        "text/plain",
        "text/html; charset=utf-8",
        " text/plain",
        "\n\ttext/plain",
        "multipart/mixed; boundary=\"b\"",
        "message/rfc822",
        "application/zip",
        "attachment",
        "inline; size=3",
        "name=a.exe",
        "x; filename*=utf-8''a%2Eexe",
        "=?utf-8?q?a?=",
        "base64",
        "a\nb",
        "a\n\tb",
        "a\r\n b",
        "\r",
        "",
        "text/plain; charset=\"x\\\"y\"",
        "TEXT/Plain; Format=Flowed; DelSp=Yes",
    ];
    let bodies = bodies();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut fast = 0;
    for round in 0..3000 {
        let count = next(5);
        let headers: Headers = (0..count)
            .map(|_| {
                (
                    names[next(names.len())].to_owned(),
                    values[next(values.len())].to_owned(),
                )
            })
            .collect();
        let (bname, body) = &bodies[next(bodies.len())];
        if *bname == "budget" {
            continue;
        }
        if equivalent(&format!("round {round}: {headers:?}"), &headers, body) {
            fast += 1;
        }
    }
    assert!(fast > 100, "fast path taken in only {fast} rounds");
}

/// Through the check: a message the fast path takes still gets `oversize` when it
/// was cut off, and passes when whole.
#[tokio::test]
async fn check_verdicts_on_the_fast_path() {
    let cfg: AttachmentsConfig =
        toml::from_str("oversize = \"tempfail\"\nmalformed = \"reject\"").expect("config");
    let check = AttachmentsCheck::new(&cfg);
    let headers: Headers = vec![("Content-Type".into(), "text/plain".into())];
    let body = b"hello\r\n".to_vec();
    assert!(mime::nameless_single_part(&headers, &body));
    for truncated in [false, true] {
        let mut s = Session::new(Some("192.0.2.10".parse().expect("ip")), 1, "x".into());
        s.tx.headers = headers.clone();
        s.tx.body = body.clone();
        s.tx.body_len = body.len() as u64 + u64::from(truncated);
        s.tx.body_truncated = truncated;
        let finding = check
            .check(Stage::Eom, &s)
            .await
            .expect("no temporary error")
            .finding;
        match (truncated, finding) {
            (false, Finding::Pass) => {}
            (true, Finding::Hit(hit)) => {
                assert_eq!(hit.action, Some(Action::Tempfail));
                let reply = hit.reply.expect("oversize reply").to_string();
                assert!(reply.starts_with("452 4.3.4"), "{reply}");
            }
            (t, f) => panic!("truncated {t}: unexpected {f:?}"),
        }
    }
}
